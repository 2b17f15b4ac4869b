/* unixsock.h: unix stream sockets: connecting to a path, and sending bytes
 * with a file descriptor attached (SCM_RIGHTS), as the console socket,
 * the seccomp listener and the runtime <-> init channel all do. */
#ifndef CAPSA_UNIXSOCK_H
#define CAPSA_UNIXSOCK_H

#include <stddef.h>

#include "common/error.h"

/* A connected, close-on-exec socket, or -1; `what` names the peer in
 * errors ("console socket"). */
int cx_unix_connect(const char *path, const char *what, cx_error *err);

/* All of data (len > 0), fd (if >= 0) riding with the first sendmsg; EINTR
 * retried, SIGPIPE never raised.  Returns 0, or -1 with errno set. */
int cx_send_with_fd(int sock, const void *data, size_t len, int fd);

#endif
