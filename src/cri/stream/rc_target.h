/* rc_target.h: the far end of an exec or attach session in
 * capsad-stream: the engine's container, and the attach socket of its
 * shim (attach) or of an exec session's own shim (exec, started as
 * `capsactl exec` starts one: engine/exec_internal.h).  The socket's
 * datagrams are the process's output (first byte 2 stdout, 3 stderr);
 * what is sent to it is the process's stdin, and its shutdown(SHUT_WR)
 * closes that stdin.  The terminal's size goes through the ctl fifo
 * beside the socket. */
#ifndef CAPSA_CRI_STREAM_RC_TARGET_H
#define CAPSA_CRI_STREAM_RC_TARGET_H

#include <stdbool.h>

#include "cri/stream/desc.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/exec_internal.h"

struct rc_target {
    struct cx_engine e;
    bool open;
    struct cx_ctr c;
    bool have;
    struct cx_exec_session xs;   /* exec */
    int pipes[3];                /* exec: sync, start, attach (engine/exec.c) */
    bool spawned;
    int sock;                    /* the attach socket, -1 until connected */
    int ctl_dir;                 /* the directory of the ctl fifo */
    int pid;                     /* exec: the process, once it runs */
};

/* The engine and the container, which must run. */
int rc_target_open(struct rc_target *t, const struct stream_desc *d, cx_error *err);
/* exec: the session's shim started and its attach socket connected; the
 * process waits for rc_target_exec_run() (a terminal's size can be set
 * before it runs). */
int rc_target_exec_prepare(struct rc_target *t, const struct stream_desc *d, cx_error *err);
int rc_target_exec_run(struct rc_target *t, cx_error *err);
/* attach: connect to the container's attach socket. */
int rc_target_attach(struct rc_target *t, cx_error *err);
/* The terminal's size, through the ctl fifo. */
void rc_target_resize(struct rc_target *t, unsigned width, unsigned height);
/* exec: the fd the exit code arrives on (-1 for attach). */
int rc_target_sync_fd(const struct rc_target *t);
/* exec: read the exit code (within timeout_ms). */
int rc_target_exit_code(struct rc_target *t, int timeout_ms, int *code, cx_error *err);
/* Close everything; the exec session's directory is removed once its
 * shim is known to be gone (exited). */
void rc_target_close(struct rc_target *t, bool exited);

#endif
