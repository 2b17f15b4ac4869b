/* console.c: the --console-socket the shim passes to the runtime for a
 * terminal container.  It listens in a private directory (mkdtemp under
 * $TMPDIR or /tmp: short enough for sun_path, no guessable name); the
 * runtime connects once and sends the pty master with SCM_RIGHTS.  The
 * master then serves as the container's stdout and stdin (stdio.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/unixsock.h"
#include "common/util.h"
#include "shim/shim.h"

/* exactly one descriptor, the pty master */
static int recv_fd(int sock)
{
    char data[256];
    int fd, nfds;
    if (cx_recv_with_fd(sock, data, sizeof data, &fd, &nfds) < 0)
        return -1;
    if (nfds != 1) {
        cx_close(fd);
        errno = EBADMSG;
        return -1;
    }
    return fd;
}

static void take_master(struct shim *s, int master)
{
    struct termios t;
    /* output as a terminal shows it: \n becomes \r\n */
    if (tcgetattr(master, &t) == 0) {
        t.c_oflag |= ONLCR;
        tcsetattr(master, TCSANOW, &t);
    }
    int fl = fcntl(master, F_GETFL);
    if (fl >= 0)
        fcntl(master, F_SETFL, fl | O_NONBLOCK);
    s->in_fd = master;
    s->out_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
    ctl_resize(s);
    cx_error err;
    if (stdio_watch_output(s, s->out_fd, &s->out_src, &err) < 0)
        shim_warn_error(s, &err);
}

static void on_console(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    _cleanup_close_ int conn = accept4(src->fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return;
    int master = recv_fd(conn);
    if (master < 0) {
        shim_warn(s, "console socket: no terminal received: %s", strerror(errno));
        return;
    }
    take_master(s, master);
    console_close(s);  /* one terminal per container */
}

int console_setup(struct shim *s, cx_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 60)
        tmp = "/tmp";
    s->console_dir = cx_asprintf("%s/capsa-shim-XXXXXX", tmp);
    if (!mkdtemp(s->console_dir)) {
        int e = errno;
        free(s->console_dir);
        s->console_dir = NULL;
        return cx_fail(err, e, "console socket directory in %s", tmp);
    }
    s->console_path = cx_asprintf("%s/console.sock", s->console_dir);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(s->console_path) >= sizeof addr.sun_path)
        return cx_fail(err, ENAMETOOLONG, "console socket %s", s->console_path);
    strcpy(addr.sun_path, s->console_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "console socket");
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(fd, 4) < 0) {
        int e = errno;
        close(fd);
        return cx_fail(err, e, "console socket %s", s->console_path);
    }
    loop_src_init(&s->console_src, fd, on_console, s);
    if (loop_add(&s->loop, &s->console_src, EPOLLIN, err) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

void console_close(struct shim *s)
{
    if (s->console_src.added) {
        loop_del(&s->loop, &s->console_src);
        close(s->console_src.fd);
    }
    if (s->console_path) {
        unlink(s->console_path);
        free(s->console_path);
        s->console_path = NULL;
    }
    if (s->console_dir) {
        rmdir(s->console_dir);
        free(s->console_dir);
        s->console_dir = NULL;
    }
}
