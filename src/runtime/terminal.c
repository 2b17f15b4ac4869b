/* terminal.c: see terminal.h. */
#include "runtime/terminal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"

int term_open_pty(int *master, int *slave, cx_error *err)
{
    char name[64];
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return cx_fail_errno(err, "open /dev/ptmx in the container");
    if (unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        return cx_fail_errno(err, "unlock the pty");
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return cx_fail_errno(err, "open %s", name);
    *slave = s;
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
    char name[64] = "/dev/ptmx";
    struct iovec iov = { name, strlen(name) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof master);
    if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
        return cx_fail_errno(err, "send the pty master to the console socket");
    return 0;
}

int term_connect_socket(const char *path, cx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return cx_fail(err, ENAMETOOLONG, "console socket path %s is too long", path);
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "socket");
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
        return cx_fail_errno(err, "connect to console socket %s", path);
    return TAKE_FD(fd);
}
