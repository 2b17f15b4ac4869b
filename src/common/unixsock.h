/* unixsock.h: unix stream sockets: connecting to a path, and sending bytes
 * with a file descriptor attached (SCM_RIGHTS), as the console socket,
 * the seccomp listener and the runtime <-> init channel all do. */
#ifndef CAPSA_UNIXSOCK_H
#define CAPSA_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* A connected, close-on-exec socket, or -1; `what` names the peer in
 * errors ("console socket"). */
int cx_unix_connect(const char *path, const char *what, cx_error *err);

/* A listening, non-blocking, close-on-exec socket at path with mode.  A
 * socket file left by a process that died is replaced; one that a live
 * process listens on is an error (`what` names this program), and so is
 * any other kind of file. */
int cx_unix_listen(const char *path, mode_t mode, const char *what, cx_error *err);

/* All of data (len > 0), fd (if >= 0) riding with the first sendmsg; EINTR
 * retried, SIGPIPE never raised.  Returns 0, or -1 with errno set. */
int cx_send_with_fd(int sock, const void *data, size_t len, int fd);

/* One recvmsg into buf (EINTR retried): returns the bytes read (0 at EOF)
 * or -1.  *fd gets the first descriptor that came with it (close-on-exec)
 * or -1; *nfds how many came (those after the first are closed). */
ssize_t cx_recv_with_fd(int sock, void *buf, size_t len, int *fd, int *nfds);

#endif
