/* sync.h: the pipes podman hands its monitor, named by environment
 * variables holding fd numbers (SOCK_SEQPACKET socketpairs in podman 4.3):
 *   _OCI_STARTPIPE   podman writes one byte once it has placed the monitor
 *                    in its cgroup; for an attached exec, a second byte
 *                    once its client is connected to the attach socket.
 *   _OCI_SYNCPIPE    the monitor writes {"data": PID}\n once the runtime
 *                    created the container (or started the exec process),
 *                    {"data": -1, "message": "..."}\n when that failed,
 *                    and for an exec, {"data": EXIT_CODE}\n at its end.
 *   _OCI_ATTACHPIPE  (exec --exec-attach) {"data": 0}\n once the attach
 *                    socket listens.
 * With --api-version 0 the key is "pid" (create) or "exit_code" (exec). */
#ifndef CAPSA_SHIM_SYNC_H
#define CAPSA_SHIM_SYNC_H

#include <stddef.h>

#include "common/error.h"

/* The fd named by env var `name`, made close-on-exec; -1 when unset.
 * -2 with err when it is not an open fd.  The variable is removed from the
 * environment. */
int shim_pipe_from_env(const char *name, cx_error *err);

/* The message text, one JSON object and a newline, into a malloc'ed string. */
char *shim_sync_format(const char *key, int value, const char *message);

/* Send one message (one datagram): 0, or -errno (-EPIPE: the engine is
 * gone; -EIO: a short write).  No SIGPIPE, and nothing printed. */
int shim_sync_send(int fd, const char *key, int value, const char *message);

/* Block until one message (any bytes) or EOF arrives on the start pipe.
 * Returns bytes read (0 on EOF) or -1 with err. */
int shim_start_wait(int fd, cx_error *err);

#endif
