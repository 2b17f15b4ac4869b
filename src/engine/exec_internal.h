/* exec_internal.h: what exec.c (capsactl exec, a terminal attached) and
 * exec_capture.c (capsad's ExecSync, output into buffers) share: an exec
 * session of its own capsa-shim, started up to the shim's first sync. */
#ifndef CAPSA_ENGINE_EXEC_INTERNAL_H
#define CAPSA_ENGINE_EXEC_INTERNAL_H

#include "engine/exec.h"

struct cx_exec_session {
    char id[65];
    char *dir;              /* <runroot>/containers/<id>/exec-<sid> */
    int dirfd;
};

/* The session directory, process.json, the pipes (ours: [0] sync, [1]
 * start, [2] attach, -1 when detached) and the shim, given its first
 * start byte. */
int cx_exec_spawn(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_req *r,
                  struct cx_exec_session *s, int ours[3], cx_error *err);
void cx_exec_session_close(struct cx_engine *e, const struct cx_ctr *c,
                           struct cx_exec_session *s, bool remove);
/* 126 (cannot run), 127 (not found) or 125 from the runtime's error */
int cx_exec_code_of(const cx_error *err);
void cx_exec_close3(int fds[3]);

#endif
