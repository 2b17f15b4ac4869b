/* terminal.h: the container's pty.  The init opens it from the container's
 * own devpts, makes the slave its controlling terminal and stdio, and hands
 * the master out: to --console-socket (as runc does, with SCM_RIGHTS), or to
 * a foreground `run`/`exec`, which proxies it to its own stdio. */
#ifndef CAPSA_TERMINAL_H
#define CAPSA_TERMINAL_H

#include <stdint.h>

#include <sys/types.h>

#include "common/error.h"

/* A new pty in the current /dev/pts; the slave belongs to owner (the
 * process's user, so ssh, su or script accept it as its tty), its group
 * stays devpts' (the tty group with gid=5). */
int term_open_pty(int *master, int *slave, uid_t owner, cx_error *err);
int term_set_size(int fd, uint32_t height, uint32_t width);
/* Without a consoleSize: start with the size of the terminal on our
 * stdin (the caller's, before the pty replaces it), so the program never
 * sees 0x0 before the first SIGWINCH reaches the proxy. */
void term_inherit_size(int master);
/* Make slave the controlling tty (after setsid) and fds 0-2. */
int term_make_stdio(int slave, cx_error *err);
/* Send master over a unix socket connected to --console-socket. */
int term_send_master(int sock, int master, cx_error *err);
/* Connect to the --console-socket path. */
int term_connect_socket(const char *path, cx_error *err);

#endif
