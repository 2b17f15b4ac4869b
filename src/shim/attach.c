/* attach.c: the attach socket, SOCK_SEQPACKET, at <bundle>/attach (with
 * --full-attach, as podman 4.3 asks) or <socket-dir>/<cuuid>/attach through
 * a symlink to the bundle.  Each message to a client is one datagram: a
 * stream byte (2 stdout, 3 stderr) and up to 8192 bytes of output.  What a
 * client sends is the container's stdin, raw; its shutdown(SHUT_WR) closes
 * the container's stdin unless --leave-stdin-open.  A client that cannot
 * take a message keeps it pending and the container's output is not read
 * until it can (or until it goes away). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"

size_t attach_frame(char *out, size_t cap, enum shim_stream stream, const char *buf, size_t len)
{
    if (cap == 0)
        return 0;
    if (len > cap - 1)
        len = cap - 1;
    out[0] = (char) stream;
    memcpy(out + 1, buf, len);
    return len + 1;
}

static void client_drop(struct shim *s, struct shim_client *c)
{
    for (struct shim_client **p = &s->clients; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    loop_del(&s->loop, &c->src);
    close(c->src.fd);
    free(c->pending);
    free(c);
    if (!attach_has_pending(s) && s->out_paused)
        stdio_pause_output(s, false);
}

static uint32_t client_interest(const struct shim *s, const struct shim_client *c)
{
    uint32_t ev = 0;
    if (!c->read_eof && !stdio_stdin_busy(s))
        ev |= EPOLLIN;
    if (c->pending_len)
        ev |= EPOLLOUT;
    return ev;
}

void attach_update_interest(struct shim *s)
{
    for (struct shim_client *c = s->clients; c; c = c->next)
        loop_set(&s->loop, &c->src, client_interest(s, c));
}

/* 1 sent, 0 would block, -1 the client is gone */
static int client_send(struct shim_client *c, const char *msg, size_t len)
{
    ssize_t w;
    do
        w = send(c->src.fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    if (w >= 0)
        return 1;
    return errno == EAGAIN || errno == ENOBUFS ? 0 : -1;
}

static void client_read(struct shim *s, struct shim_client *c)
{
    char buf[SHIM_BUF];
    ssize_t n = recv(c->src.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0) {
        client_drop(s, c);
        return;
    }
    if (n == 0) {
        c->read_eof = true;
        stdio_stdin_eof(s);
        loop_set(&s->loop, &c->src, client_interest(s, c));
        return;
    }
    stdio_stdin_write(s, buf, (size_t) n);
    if (stdio_stdin_busy(s))
        attach_update_interest(s);
}

static void on_client(struct loop_src *src, uint32_t events)
{
    struct shim_client *c = src->data;
    struct shim *s = c->s;
    if (events & EPOLLOUT && c->pending_len) {
        int r = client_send(c, c->pending, c->pending_len);
        if (r < 0) {
            client_drop(s, c);
            return;
        }
        if (r > 0) {
            c->pending_len = 0;
            loop_set(&s->loop, &c->src, client_interest(s, c));
            if (!attach_has_pending(s))
                stdio_pause_output(s, false);
        }
    }
    if (events & EPOLLIN) {
        client_read(s, c);
        return;
    }
    if (events & (EPOLLHUP | EPOLLERR))
        client_drop(s, c);
}

static void on_accept(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    int fd = accept4(src->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    struct shim_client *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->s = s;
    loop_src_init(&c->src, fd, on_client, c);
    cx_error err;
    if (loop_add(&s->loop, &c->src, client_interest(s, c), &err) < 0) {
        shim_warn_error(s, &err);
        close(fd);
        free(c);
        return;
    }
    c->next = s->clients;
    s->clients = c;
}

void attach_broadcast(struct shim *s, enum shim_stream stream, const char *buf, size_t len)
{
    char msg[SHIM_BUF + 1];
    size_t mlen = attach_frame(msg, sizeof msg, stream, buf, len);
    struct shim_client *next;
    for (struct shim_client *c = s->clients; c; c = next) {
        next = c->next;
        if (c->pending_len)  /* cannot happen: output is parked while pending */
            continue;
        int r = client_send(c, msg, mlen);
        if (r < 0) {
            client_drop(s, c);
        } else if (r == 0) {
            c->pending = c->pending ? c->pending : malloc(SHIM_BUF + 1);
            if (!c->pending) {
                client_drop(s, c);
                continue;
            }
            memcpy(c->pending, msg, mlen);
            c->pending_len = mlen;
            loop_set(&s->loop, &c->src, client_interest(s, c));
        }
    }
}

bool attach_has_pending(const struct shim *s)
{
    for (const struct shim_client *c = s->clients; c; c = c->next)
        if (c->pending_len)
            return true;
    return false;
}

void attach_flush(struct shim *s, int timeout_ms)
{
    int64_t deadline = loop_now_ms() + timeout_ms;
    struct shim_client *next;
    for (struct shim_client *c = s->clients; c; c = next) {
        next = c->next;
        while (c->pending_len) {
            int64_t left = deadline - loop_now_ms();
            struct pollfd p = { .fd = c->src.fd, .events = POLLOUT };
            int r = left > 0 ? poll(&p, 1, (int) left) : 0;
            if (r <= 0 || p.revents & (POLLHUP | POLLERR)) {
                client_drop(s, c);   /* gone or stuck: do not hold the exit */
                break;
            }
            r = client_send(c, c->pending, c->pending_len);
            if (r < 0) {
                client_drop(s, c);
                break;
            }
            if (r > 0)
                c->pending_len = 0;
        }
    }
}

/* The directory the socket is bound in, as an O_PATH fd. */
static int socket_dir(struct shim *s, cx_error *err)
{
    const struct shim_opts *o = s->o;
    if (o->full_attach || !o->socket_dir) {
        int fd = open(o->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? cx_fail_errno(err, "open bundle %s", o->bundle) : fd;
    }
    if (cx_mkdir_p(o->socket_dir, 0755, err) < 0)
        return -1;
    _cleanup_free_ char *link = cx_asprintf("%s/%s", o->socket_dir, o->cuuid);
    if (unlink(link) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "remove %s", link);
    if (symlink(o->bundle, link) < 0)
        return cx_fail_errno(err, "symlink %s -> %s", link, o->bundle);
    s->attach_link = TAKE_PTR(link);
    int fd = open(s->attach_link, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? cx_fail_errno(err, "open %s", s->attach_link) : fd;
}

int attach_setup(struct shim *s, cx_error *err)
{
    if (!s->o->bundle)
        return 0;
    _cleanup_close_ int dfd = socket_dir(s, err);
    if (dfd < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "attach socket");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dfd);
    unlinkat(dfd, "attach", 0);
    /* the mode of a socket decides who may connect: only its owner */
    if (fchmod(fd, 0700) < 0 || bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0
        || listen(fd, 16) < 0) {
        int e = errno;
        close(fd);
        return cx_fail(err, e, "attach socket %s/attach", s->o->bundle);
    }
    loop_src_init(&s->attach_src, fd, on_accept, s);
    if (loop_add(&s->loop, &s->attach_src, EPOLLIN, err) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

void attach_close(struct shim *s)
{
    while (s->clients)
        client_drop(s, s->clients);
    if (s->attach_src.added) {
        loop_del(&s->loop, &s->attach_src);
        close(s->attach_src.fd);
    }
    if (s->attach_link) {
        unlink(s->attach_link);
        free(s->attach_link);
        s->attach_link = NULL;
    }
}
