/* ctl.c: the ctl fifo at <bundle>/ctl, through which podman asks for a
 * terminal resize ("1 HEIGHT WIDTH\n") and a log reopen ("2 0 0\n", or
 * just "2").  The shim holds a write end itself so that a writer closing
 * never leaves the read end in a permanent EOF/HUP state. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"

int ctl_parse_line(const char *line, struct ctl_msg *m)
{
    char extra;
    int n = sscanf(line, "%d %d %d %c", &m->type, &m->height, &m->width, &extra);
    if (n == 1 && m->type == CTL_REOPEN_LOG) {
        m->height = m->width = 0;
        return 0;
    }
    if (n != 3)
        return -1;
    if (m->type == CTL_RESIZE && (m->height < 0 || m->width < 0 || m->height > 0xffff
                                  || m->width > 0xffff))
        return -1;
    return m->type == CTL_RESIZE || m->type == CTL_REOPEN_LOG ? 0 : -1;
}

/* Apply the last size asked for, now or once the pty master is here. */
void ctl_resize(struct shim *s)
{
    if (!s->o->terminal || s->out_fd < 0 || s->want_rows <= 0)
        return;
    struct winsize ws = { .ws_row = (unsigned short) s->want_rows,
                          .ws_col = (unsigned short) s->want_cols };
    if (ioctl(s->out_fd, TIOCSWINSZ, &ws) < 0)
        shim_warn(s, "resize terminal to %dx%d: %s", s->want_rows, s->want_cols,
                  strerror(errno));
}

static void ctl_apply(struct shim *s, const struct ctl_msg *m)
{
    if (m->type == CTL_RESIZE) {
        s->want_rows = m->height;
        s->want_cols = m->width;
        ctl_resize(s);
        return;
    }
    cx_error err;
    if (s->have_log && shim_log_reopen(&s->log, false, &err) < 0)
        shim_warn_error(s, &err);
}

static void on_ctl(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    ssize_t n = read(src->fd, s->ctl_buf + s->ctl_len, sizeof s->ctl_buf - 1 - s->ctl_len);
    if (n <= 0)
        return;
    s->ctl_len += (size_t) n;
    s->ctl_buf[s->ctl_len] = '\0';
    char *line = s->ctl_buf, *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        struct ctl_msg m;
        if (ctl_parse_line(line, &m) == 0)
            ctl_apply(s, &m);
        else
            shim_warn(s, "ctl: ignoring malformed message \"%.40s\"", line);
        line = nl + 1;
    }
    size_t rest = s->ctl_len - (size_t) (line - s->ctl_buf);
    if (rest == sizeof s->ctl_buf - 1)
        rest = 0;  /* a line longer than any message: drop it */
    memmove(s->ctl_buf, line, rest);
    s->ctl_len = rest;
}

int ctl_setup(struct shim *s, cx_error *err)
{
    if (!s->o->bundle)
        return 0;
    _cleanup_free_ char *path = cx_asprintf("%s/ctl", s->o->bundle);
    unlink(path);
    if (mkfifo(path, 0660) < 0)
        return cx_fail_errno(err, "mkfifo %s", path);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open %s", path);
    s->ctl_dummy = open(path, O_WRONLY | O_CLOEXEC);
    if (s->ctl_dummy < 0) {
        close(fd);
        return cx_fail_errno(err, "open %s for writing", path);
    }
    loop_src_init(&s->ctl_src, fd, on_ctl, s);
    if (loop_add(&s->loop, &s->ctl_src, EPOLLIN, err) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

void ctl_close(struct shim *s)
{
    if (s->ctl_src.added) {
        loop_del(&s->loop, &s->ctl_src);
        close(s->ctl_src.fd);
    }
    s->ctl_dummy = cx_close(s->ctl_dummy);
}
