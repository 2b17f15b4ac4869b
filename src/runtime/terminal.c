/* terminal.c: see terminal.h. */
#include "runtime/terminal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/unixsock.h"

int term_open_pty(int *master, int *slave, uid_t owner, cx_error *err)
{
    char name[64];
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return cx_fail_errno(err, "open /dev/ptmx in the container");
    if (unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        return cx_fail_errno(err, "unlock the pty");
    _cleanup_close_ int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return cx_fail_errno(err, "open %s", name);
    if (owner != 0 && fchown(s, owner, (gid_t) -1) < 0)
        return cx_fail_errno(err, "chown %s to uid %u", name, (unsigned) owner);
    *slave = TAKE_FD(s);
    *master = TAKE_FD(m);
    return 0;
}

int term_set_size(int fd, uint32_t height, uint32_t width)
{
    struct winsize ws = { .ws_row = (unsigned short) height,
                          .ws_col = (unsigned short) width };
    return ioctl(fd, TIOCSWINSZ, &ws);
}

void term_inherit_size(int master)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        ioctl(master, TIOCSWINSZ, &ws);
}

int term_make_stdio(int slave, cx_error *err)
{
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return cx_fail_errno(err, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup3(slave, fd, 0) < 0)
            return cx_fail_errno(err, "dup the pty to fd %d", fd);
    return 0;
}

int term_send_master(int sock, int master, cx_error *err)
{
    static const char name[] = "/dev/ptmx";
    if (cx_send_with_fd(sock, name, sizeof name - 1, master) < 0)
        return cx_fail_errno(err, "send the pty master to the console socket");
    return 0;
}

int term_connect_socket(const char *path, cx_error *err)
{
    return cx_unix_connect(path, "console socket", err);
}
