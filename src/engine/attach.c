/* attach.c: see attach.h. */
#include "engine/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/ctr_runtime.h"

int cx_detach_keys_parse(const char *keys, unsigned char out[CX_DETACH_MAX], size_t *n,
                         cx_error *err)
{
    if (!keys)
        keys = "ctrl-p,ctrl-q";
    *n = 0;
    if (!*keys)
        return 0;
    _cleanup_free_ char *copy = cx_strdup(keys);
    char *save = NULL;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (*n == CX_DETACH_MAX)
            return cx_fail(err, EINVAL, "--detach-keys: at most %d keys", CX_DETACH_MAX);
        if (strlen(k) == 1)
            out[(*n)++] = (unsigned char) k[0];
        else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
            char c = k[5];
            if (c >= 'a' && c <= 'z')
                out[(*n)++] = (unsigned char) (c - 'a' + 1);
            else if (c == '@' || (c >= '[' && c <= '_'))
                out[(*n)++] = (unsigned char) (c - '@');
            else
                return cx_fail(err, EINVAL, "--detach-keys: unknown key \"%s\"", k);
        } else
            return cx_fail(err, EINVAL, "--detach-keys: unknown key \"%s\" (keys are "
                           "letters or ctrl-<letter>, separated by commas)", k);
    }
    return 0;
}

int cx_attach_connect(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, err);
    if (dir < 0)
        return -1;
    return cx_attach_connect_dir(dir, id, err);
}

int cx_attach_connect_dir(int dir, const char *id, cx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/attach", dir);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return cx_fail_errno(err, "socket");
    if (connect(s, (struct sockaddr *) &sa, sizeof sa) < 0) {
        int e2 = errno;
        close(s);
        errno = e2;
        return cx_fail_errno(err, "attach to container %.12s", id);
    }
    return s;
}

void cx_attach_resize(struct cx_engine *e, const char *id)
{
    cx_error err = { 0 };
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, &err);
    if (dir >= 0)
        cx_attach_resize_dir(dir);
}

void cx_attach_resize_dir(int dir)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
        return;
    _cleanup_close_ int fd = openat(dir, "ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC |
                                    O_NOFOLLOW);
    if (fd < 0)
        return;
    char line[64];
    int n = snprintf(line, sizeof line, "1 %u %u\n", ws.ws_row, ws.ws_col);
    (void) !write(fd, line, (size_t) n);
}

struct relay {
    struct cx_engine *e;
    const struct cx_attach_opts *o;
    int sock;
    unsigned char keys[CX_DETACH_MAX];
    size_t nkeys, matched;
    bool stdin_done;
};

/* stdin bytes to the container, watching for the detach sequence */
static int from_stdin(struct relay *r, bool *detached)
{
    unsigned char buf[4096], out[4096 + CX_DETACH_MAX];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return 0;
        r->stdin_done = true;
        shutdown(r->sock, SHUT_WR);
        return 0;
    }
    size_t o = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (r->nkeys && buf[i] == r->keys[r->matched]) {
            if (++r->matched == r->nkeys) {
                *detached = true;
                return 0;
            }
            continue;
        }
        memcpy(out + o, r->keys, r->matched);   /* a prefix that did not finish */
        o += r->matched;
        r->matched = 0;
        out[o++] = buf[i];
    }
    if (o > 0 && send(r->sock, out, o, MSG_NOSIGNAL) < 0 && errno != EPIPE)
        return -1;
    return 0;
}

/* one datagram from the shim to stdout or stderr; 0 at EOF */
static ssize_t from_sock(struct relay *r)
{
    char buf[8192 + 1];
    ssize_t n = recv(r->sock, buf, sizeof buf, 0);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 1 : n;
    int fd = buf[0] == 3 && !r->o->tty ? STDERR_FILENO : STDOUT_FILENO;
    if (n > 1 && cx_write_all(fd, buf + 1, (size_t) n - 1) < 0 && errno != EPIPE)
        return -1;
    return n;
}

static void forward_signal(struct relay *r, int sigfd)
{
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) != sizeof si)
        return;
    if (si.ssi_signo == SIGWINCH) {
        if (r->o->has_ctl_dir)
            cx_attach_resize_dir(r->o->ctl_dir);
        else
            cx_attach_resize(r->e, r->o->ctr->id);
        return;
    }
    cx_error ignored = { 0 };
    if (!r->o->tty)
        cx_rt_kill(r->e, r->o->ctr, (int) si.ssi_signo, false, &ignored);
}

static int relay_loop(struct relay *r, int sigfd, bool *detached, cx_error *err)
{
    bool in = r->o->stdin_open;
    for (;;) {
        struct pollfd p[3] = { { .fd = r->sock, .events = POLLIN },
                               { .fd = sigfd, .events = POLLIN },
                               { .fd = in && !r->stdin_done ? STDIN_FILENO : -1,
                                 .events = POLLIN } };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return cx_fail_errno(err, "attach: poll");
        }
        if (p[1].revents & POLLIN)
            forward_signal(r, sigfd);
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (from_stdin(r, detached) < 0)
                return cx_fail_errno(err, "attach: writing to the container's stdin");
            if (*detached)
                return 0;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = from_sock(r);
            if (n < 0)
                return cx_fail_errno(err, "attach: reading the container's output");
            if (n == 0)
                return 0;
        }
    }
}

int cx_attach_relay(struct cx_engine *e, int sock, const struct cx_attach_opts *o,
                    bool *detached, cx_error *err)
{
    struct relay r = { .e = e, .o = o, .sock = sock };
    *detached = false;
    if (o->stdin_open && cx_detach_keys_parse(o->detach_keys, r.keys, &r.nkeys, err) < 0)
        return -1;
    sigset_t set, old;
    sigemptyset(&set);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!o->tty || sigs[i] == SIGWINCH || sigs[i] == SIGTERM || sigs[i] == SIGHUP)
            sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    _cleanup_close_ int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    struct termios saved;
    bool raw = o->tty && isatty(STDIN_FILENO) &&
               tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    int rc = relay_loop(&r, sigfd, detached, err);
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
