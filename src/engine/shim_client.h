/* shim_client.h: starting capsa-shim for a container, as podman starts
 * conmon: its command line, the sync pipe (SOCK_SEQPACKET) on which it
 * reports {"data": PID} once the runtime's `create` is done, or its
 * error.  The shim detaches itself; capsactl keeps nothing of it. */
#ifndef CAPSA_ENGINE_SHIM_CLIENT_H
#define CAPSA_ENGINE_SHIM_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct cx_rt;

struct cx_shim_req {
    const char *id, *name;
    const struct cx_rt *rt;      /* the runtime it runs (ctr_runtime.h) */
    bool tty, stdin_open;
    int64_t log_max;             /* -1: unlimited */
    const char *log_path;        /* NULL: <root>/containers/<id>/ctr.log */
    bool log_none;               /* no log at all (--log-driver none) */
};

/* Run the shim; on success *pid is the container's init (created, not
 * started) and the attach socket <bundle>/attach listens. */
int cx_shim_create(struct cx_engine *e, const struct cx_shim_req *r, int *pid, cx_error *err);

/* Read one {"data": N[, "message": M]} datagram from fd within timeout_ms;
 * data < 0 becomes an error carrying the message. */
int cx_shim_sync_read(int fd, int timeout_ms, const char *what, int *value, cx_error *err);

/* Fork and exec argv (a capsa-shim command line) with fds[0..2] as its
 * _OCI_SYNCPIPE, _OCI_STARTPIPE and _OCI_ATTACHPIPE (-1: not given);
 * returns the child's pid, which the caller reaps (cx_shim_reap). */
int cx_shim_spawn(const char *const *argv, const int fds[3], cx_error *err);
int cx_shim_reap(int child);

#endif
