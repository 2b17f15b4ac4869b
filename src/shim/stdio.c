/* stdio.c: the container's standard streams as the shim holds them.
 * Without a terminal: a pipe each for stdout and stderr (their write ends go
 * to the runtime, which passes them to the container) and, with --stdin, one
 * for stdin.  With --terminal the pty master arrives later (console.c) and
 * serves as stdout and stdin; the stderr pipe still exists, for the
 * runtime's own messages.  Every read of an output stream goes to the log
 * and to the attached clients; the log never waits, clients may (while one
 * has unsent data, reading stops: back-pressure instead of loss). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "shim/shim.h"

#define STDIN_MAX (64 * 1024)

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int stdio_setup(struct shim *s, cx_error *err)
{
    int p[2];
    if (!s->o->terminal && s->o->stdin_open) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return cx_fail_errno(err, "stdin pipe");
        s->worker_in = p[0];
        s->in_fd = p[1];
        nonblock(s->in_fd);
    }
    if (!s->o->terminal) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return cx_fail_errno(err, "stdout pipe");
        s->out_fd = p[0];
        s->worker_out = p[1];
        nonblock(s->out_fd);
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "stderr pipe");
    s->err_fd = p[0];
    s->worker_err = p[1];
    nonblock(s->err_fd);
    if (s->o->log_path) {
        if (shim_log_open(&s->log, s->o->log_path, s->o->log_size_max,
                          s->o->log_global_size_max, err) < 0)
            return -1;
        s->have_log = true;
    }
    return 0;
}

static void log_chunk(struct shim *s, enum shim_stream stream, const char *buf, size_t len)
{
    if (!s->have_log)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cx_error err = { 0 };
    if (shim_log_write(&s->log, stream, buf, len, &ts, &err) < 0) {
        /* report each new kind of failure once, not every line */
        if (s->log_errno_reported != err.errnum) {
            s->log_errno_reported = err.errnum;
            shim_warn_error(s, &err);
        }
    } else if (s->log_errno_reported) {
        shim_warn(s, "log file %s writable again (%llu bytes were dropped)",
                  s->log.path, (unsigned long long) s->log.dropped);
        s->log_errno_reported = 0;
    }
}

/* One read of a stream: 1 when data was handled, 0 at EOF (or pty EIO),
 * -1 when nothing is there now. */
static int pump(struct shim *s, int fd, enum shim_stream stream)
{
    char buf[SHIM_BUF];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n < 0 && errno == EAGAIN)
        return -1;
    if (n <= 0)
        return 0;
    log_chunk(s, stream, buf, (size_t) n);
    attach_broadcast(s, stream, buf, (size_t) n);
    return 1;
}

static void on_output(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    enum shim_stream stream = src == &s->err_src ? SHIM_STDERR : SHIM_STDOUT;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (pump(s, src->fd, stream) == 0)
            loop_del(&s->loop, src);   /* EOF: the fd stays open until the end */
    }
    if (attach_has_pending(s))
        stdio_pause_output(s, true);
}

int stdio_watch_output(struct shim *s, int fd, struct loop_src *src, cx_error *err)
{
    if (fd < 0 || src->added)
        return 0;
    loop_src_init(src, fd, on_output, s);
    return loop_add(&s->loop, src, s->out_paused ? 0 : EPOLLIN, err);
}

void stdio_pause_output(struct shim *s, bool pause)
{
    s->out_paused = pause;
    loop_set(&s->loop, &s->out_src, pause ? 0 : EPOLLIN);
    loop_set(&s->loop, &s->err_src, pause ? 0 : EPOLLIN);
}

bool stdio_stdin_busy(const struct shim *s)
{
    return s->in_len > 0;
}

static void stdin_close_now(struct shim *s)
{
    loop_del(&s->loop, &s->in_src);
    if (s->o->terminal)
        return;  /* the master is also stdout: a tty has no EOF to send */
    s->in_fd = cx_close(s->in_fd);
}

static void stdin_flush(struct shim *s)
{
    while (s->in_len > 0 && s->in_fd >= 0) {
        ssize_t w = write(s->in_fd, s->in_buf, s->in_len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            break;
        if (w <= 0) {  /* EPIPE: the container closed its stdin */
            s->in_len = 0;
            stdin_close_now(s);
            break;
        }
        memmove(s->in_buf, s->in_buf + w, s->in_len - (size_t) w);
        s->in_len -= (size_t) w;
    }
    if (s->in_len == 0 && s->in_close_pending)
        stdin_close_now(s);
}

static void on_stdin_writable(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    stdin_flush(s);
    if (s->in_len == 0) {
        loop_del(&s->loop, src);
        attach_update_interest(s);
    }
}

void stdio_stdin_write(struct shim *s, const char *buf, size_t len)
{
    if (s->in_fd < 0 || len == 0)
        return;
    if (s->in_len + len > STDIN_MAX)
        len = STDIN_MAX - s->in_len;  /* cannot happen: clients park while busy */
    if (!s->in_buf)
        s->in_buf = malloc(STDIN_MAX);
    if (!s->in_buf)
        return;
    memcpy(s->in_buf + s->in_len, buf, len);
    s->in_len += len;
    stdin_flush(s);
    if (s->in_len > 0 && !s->in_src.added) {
        cx_error err;
        loop_src_init(&s->in_src, s->in_fd, on_stdin_writable, s);
        if (loop_add(&s->loop, &s->in_src, EPOLLOUT, &err) < 0)
            shim_warn_error(s, &err);
    }
}

void stdio_stdin_eof(struct shim *s)
{
    if (s->o->leave_stdin_open || s->in_fd < 0)
        return;
    s->in_close_pending = true;
    if (s->in_len == 0)
        stdin_close_now(s);
}

static void drain_fd(struct shim *s, int fd, enum shim_stream stream, bool tty)
{
    /* a pipe: what the container wrote is there now; a pty may still be
     * moving the last output to the master, so wait briefly for EIO */
    int quiet_ms = 0;
    while (fd >= 0) {
        int r = pump(s, fd, stream);
        if (attach_has_pending(s))
            attach_flush(s, 5000);
        if (r == 0)
            return;
        if (r > 0) {
            quiet_ms = 0;
            continue;
        }
        if (!tty || quiet_ms >= 200)
            return;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 50) == 0)
            quiet_ms += 50;
    }
}

void stdio_drain(struct shim *s)
{
    drain_fd(s, s->out_fd, SHIM_STDOUT, s->o->terminal);
    drain_fd(s, s->err_fd, SHIM_STDERR, false);
    if (attach_has_pending(s))
        attach_flush(s, 5000);
}

size_t stdio_read_error_text(struct shim *s, char *buf, size_t len)
{
    size_t n = 0;
    while (s->err_fd >= 0 && n + 1 < len) {
        ssize_t r = read(s->err_fd, buf + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t) r;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return n;
}

void stdio_close(struct shim *s)
{
    loop_del(&s->loop, &s->out_src);
    loop_del(&s->loop, &s->err_src);
    loop_del(&s->loop, &s->in_src);
    s->out_fd = cx_close(s->out_fd);
    s->err_fd = cx_close(s->err_fd);
    s->in_fd = cx_close(s->in_fd);
    free(s->in_buf);
    s->in_buf = NULL;
    if (s->have_log) {
        if (!s->o->no_sync_log)
            shim_log_sync(&s->log);
        shim_log_close(&s->log);
        s->have_log = false;
    }
}
