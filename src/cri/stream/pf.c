/* pf.c: see pf.h. */
#include "cri/stream/pf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/util.h"
#include "cri/stream/session.h"
#include "cri/stream/sink.h"

#define PAIRS_MAX 128
#define PAIR_WAIT_MS 30000       /* the other stream of a pair (the kubelet's time-out) */
#define LINGER_MS 1000           /* the client's FIN after the connection ended */
#define DIAL_TIMEOUT_S 5
#define EARLY_MAX (64 * 1024)    /* data before the pair is complete, kept */
#define READ_MAX (32 * 1024)
#define END_MS 5000

struct pair {
    char id[SESS_HDR_VALUE_MAX];
    struct sess_stream *data, *error;
    int fd;                      /* the connection in the pod, -1 before */
    struct sink sink;
    bool started, target_eof, client_fin, dead;
    int64_t deadline;            /* both streams by then; then the client's FIN after the end */
    struct pair *next;
};

struct pf {
    struct sess s;
    const struct stream_desc *d;
    struct pair *pairs;
    size_t npairs;
    struct pair *paused;         /* whose sink stopped the parsing */
    char ns_error[CX_ERROR_MAX]; /* entering the namespace failed: every pair says so */
    int64_t last_activity;
};

/* ---- a pair's connection ------------------------------------------------- */

static int dial_one(int family, int port, char *why, size_t len)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, len, "socket: %s", strerror(errno));
        return -1;
    }
    /* loopback answers at once, but a full backlog would make it wait */
    struct timeval tv = { DIAL_TIMEOUT_S, 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_storage sa = { 0 };
    socklen_t salen;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *) &sa;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t) port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        salen = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &sa;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t) port);
        in6->sin6_addr = in6addr_loopback;
        salen = sizeof *in6;
    }
    if (connect(fd, (struct sockaddr *) &sa, salen) < 0) {
        snprintf(why, len, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* 127.0.0.1, then ::1 (a server may listen on either) */
static int dial(int port, char *why, size_t len)
{
    char v4[128], v6[128];
    int fd = dial_one(AF_INET, port, v4, sizeof v4);
    if (fd < 0)
        fd = dial_one(AF_INET6, port, v6, sizeof v6);
    if (fd < 0)
        snprintf(why, len, "failed to connect to localhost:%d inside the pod's network "
                 "namespace: IPv4: %s, IPv6: %s", port, v4, v6);
    return fd;
}

/* The failure of a pair, as the kubelet words it, on its error stream. */
static void pair_error(struct pf *f, struct pair *p, int port, const char *why)
{
    char text[CX_ERROR_MAX + 256];
    snprintf(text, sizeof text, "error forwarding port %d to pod %s, uid : %s", port,
             f->d->sandbox ? f->d->sandbox : "", why);
    cx_log(CX_LOG_INFO, "%s", text);
    sess_data(&f->s, p->error, text, strlen(text), false);
    p->dead = true;
}

static void pair_start(struct pf *f, struct pair *p)
{
    p->started = true;
    p->deadline = -1;
    int port = 0;
    if (cx_parse_int(p->data->port, &port) < 0 || port < 1 || port > 65535) {
        pair_error(f, p, port, "invalid port");
        return;
    }
    if (f->ns_error[0]) {
        pair_error(f, p, port, f->ns_error);
        return;
    }
    char why[512];
    p->fd = dial(port, why, sizeof why);
    if (p->fd < 0) {
        pair_error(f, p, port, why);
        return;
    }
    p->sink.fd = p->fd;
    sink_flush(&p->sink);
}

/* ---- the client's streams ------------------------------------------------ */

static struct pair *pair_of(struct pf *f, const char *id)
{
    for (struct pair *p = f->pairs; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    if (f->npairs >= PAIRS_MAX)
        return NULL;
    struct pair *p = cx_calloc(1, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    p->fd = -1;
    sink_init(&p->sink, -1, 0);
    p->deadline = loop_now_ms() + PAIR_WAIT_MS;
    p->next = f->pairs;
    f->pairs = p;
    f->npairs++;
    return p;
}

static int on_stream(void *app, struct sess_stream *st, cx_error *err)
{
    (void) err;
    struct pf *f = app;
    bool data = strcmp(st->type, "data") == 0;
    if (!data && strcmp(st->type, "error") != 0) {
        cx_debug("port-forward: stream %u of type \"%s\": refused", st->id, st->type);
        sess_rst(&f->s, st, SPDY_PROTOCOL_ERROR);
        return 0;
    }
    /* clients before requestid paired a data stream with the error
     * stream made just before it (ids go up by 2) */
    char id[SESS_HDR_VALUE_MAX];
    if (st->has_request_id)
        snprintf(id, sizeof id, "%s", st->request_id);
    else
        snprintf(id, sizeof id, "%u", data ? st->id - 2 : st->id);
    struct pair *p = pair_of(f, id);
    struct sess_stream **slot = p ? (data ? &p->data : &p->error) : NULL;
    if (slot == NULL || *slot != NULL || p->dead) {
        sess_rst(&f->s, st, slot ? SPDY_PROTOCOL_ERROR : SPDY_REFUSED_STREAM);
        return 0;
    }
    *slot = st;
    st->app = p;
    if (p->data && p->error)
        pair_start(f, p);
    return 0;
}

static int on_data(void *app, struct sess_stream *st, const uint8_t *buf, size_t n, bool fin,
                   cx_error *err)
{
    (void) err;
    struct pf *f = app;
    struct pair *p = st->app;
    f->last_activity = loop_now_ms();
    if (p == NULL || p->dead || st != p->data)
        return 0;   /* the error stream carries nothing from the client */
    if (!p->started && p->sink.pending.len + n > EARLY_MAX) {
        sess_rst(&f->s, st, SPDY_FLOW_CONTROL_ERROR);
        p->dead = true;
        return 0;
    }
    bool full = n > 0 && sink_write(&p->sink, buf, n);
    if (fin) {
        p->client_fin = true;
        sink_shutdown(&p->sink);
        if (p->target_eof)
            p->dead = true;
    }
    if (full && p->started) {
        f->paused = p;
        return 1;
    }
    return 0;
}

static void on_reset(void *app, struct sess_stream *st)
{
    (void) app;
    struct pair *p = st->app;
    if (p)
        p->dead = true;
}

static const struct sess_ops pf_ops = { on_stream, on_data, on_reset };

/* ---- the loop -------------------------------------------------------------- */

static void pair_free(struct pf *f, struct pair *p)
{
    for (struct pair **pp = &f->pairs; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    f->npairs--;
    struct sess_stream *both[] = { p->data, p->error };
    for (int i = 0; i < 2; i++) {
        if (both[i] == NULL)
            continue;
        sess_fin(&f->s, both[i]);
        sess_forget(&f->s, both[i]);
    }
    cx_close(p->fd);
    sink_free(&p->sink);
    if (f->paused == p) {
        f->paused = NULL;
        sess_resume(&f->s);   /* what waited for this pair is dropped */
    }
    free(p);
}

/* Pairs done, incomplete for too long, or past their linger. */
static void sweep(struct pf *f)
{
    int64_t now = loop_now_ms();
    for (struct pair *p = f->pairs, *next; p; p = next) {
        next = p->next;
        if (!p->dead && p->deadline >= 0 && now >= p->deadline) {
            if (!p->started && p->error) {
                const char *text = "timed out waiting for the data stream of this request";
                sess_data(&f->s, p->error, text, strlen(text), false);
            }
            p->dead = true;
        }
        if (p->dead)
            pair_free(f, p);
    }
    sess_sweep(&f->s);
}

static void from_target(struct pf *f, struct pair *p)
{
    char buf[READ_MAX];
    ssize_t n = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    f->last_activity = loop_now_ms();
    if (n > 0) {
        sess_data(&f->s, p->data, buf, (size_t) n, false);
        return;
    }
    /* the end (or a reset, which ends it the same way) */
    p->target_eof = true;
    sess_fin(&f->s, p->data);
    if (p->client_fin)
        p->dead = true;
    else
        p->deadline = loop_now_ms() + LINGER_MS;
}

static bool idle(struct pf *f)
{
    int64_t limit = (int64_t) f->d->idle_timeout * 1000;
    int64_t last = f->s.last_io > f->last_activity ? f->s.last_io : f->last_activity;
    return limit > 0 && loop_now_ms() - last > limit;
}

static void serve(struct pf *f)
{
    struct pollfd p[PAIRS_MAX + 1];
    struct pair *who[PAIRS_MAX + 1];
    while (!f->s.closed && !f->s.peer_eof && !idle(f)) {
        sweep(f);
        size_t n = 0;
        short sev = sess_events(&f->s);
        p[n++] = (struct pollfd) { sev ? f->s.fd : -1, sev, 0 };
        for (struct pair *q = f->pairs; q && n <= PAIRS_MAX; q = q->next) {
            if (q->fd < 0)
                continue;
            short ev = (short) ((!q->target_eof && sess_writable(&f->s) ? POLLIN : 0) |
                                sink_events(&q->sink));
            who[n] = q;
            p[n++] = (struct pollfd) { ev ? q->fd : -1, ev, 0 };
        }
        if (poll(p, n, 250) < 0 && errno != EINTR)
            break;
        sess_handle(&f->s, p[0].revents);
        for (size_t i = 1; i < n; i++) {
            struct pair *q = who[i];
            if (q->dead)
                continue;
            if (p[i].revents & (POLLOUT | POLLERR) && sink_flush(&q->sink) && f->paused == q) {
                f->paused = NULL;
                sess_resume(&f->s);
            }
            if (p[i].revents & (POLLIN | POLLHUP | POLLERR) && !q->target_eof)
                from_target(f, q);
        }
    }
}

static void enter_netns(struct pf *f)
{
    _cleanup_close_ int fd = open(f->d->netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
        snprintf(f->ns_error, sizeof f->ns_error, "entering the network namespace %s: %s",
                 f->d->netns, strerror(errno));
        cx_log(CX_LOG_WARN, "port-forward: %s", f->ns_error);
    }
}

int pf_serve(int fd, const struct stream_desc *d, cx_error *err)
{
    struct pf *f = cx_calloc(1, sizeof *f);
    f->d = d;
    f->last_activity = loop_now_ms();
    enter_netns(f);
    int rc = sess_init(&f->s, fd, &pf_ops, f, err);
    if (rc == 0) {
        sess_feed_initial(&f->s, d->rest, d->rest_len);
        serve(f);
        while (f->pairs)
            pair_free(f, f->pairs);
        sess_end(&f->s, END_MS);
    }
    sess_free(&f->s);
    free(f);
    return rc;
}
