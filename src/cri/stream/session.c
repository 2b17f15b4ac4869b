/* session.c: see session.h. */
#include "cri/stream/session.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/loop.h"
#include "common/util.h"

int sess_init(struct sess *s, int fd, const struct sess_ops *ops, void *app, cx_error *err)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->ops = ops;
    s->app = app;
    s->last_io = loop_now_ms();
    if (spdy_conn_new(&s->conn, err) < 0)
        return -1;
    s->in = malloc(SESS_IN_MAX);
    if (s->in == NULL)
        return cx_fail(err, ENOMEM, "the session's buffer");
    return 0;
}

void sess_free(struct sess *s)
{
    while (s->streams)
        sess_forget(s, s->streams);
    spdy_conn_free(s->conn);
    s->conn = NULL;
    cx_buf_free(&s->out);
    free(s->in);
    s->in = NULL;
}

static struct sess_stream *find(struct sess *s, uint32_t id)
{
    for (struct sess_stream *st = s->streams; st; st = st->next)
        if (st->id == id)
            return st;
    return NULL;
}

void sess_forget(struct sess *s, struct sess_stream *st)
{
    for (struct sess_stream **p = &s->streams; *p; p = &(*p)->next) {
        if (*p == st) {
            *p = st->next;
            s->nstreams--;
            free(st);
            return;
        }
    }
}

void sess_sweep(struct sess *s)
{
    for (struct sess_stream *st = s->streams, *next; st; st = next) {
        next = st->next;
        if (st->app == NULL && (st->reset || (st->fin_in && st->fin_out)))
            sess_forget(s, st);
    }
}

/* A header's value, cut to the room there is (ours are short: a port, a
 * request id, a stream type); the first of several values. */
static void keep_header(const struct spdy_headers *h, const char *name, char *dst, size_t cap,
                        bool *present)
{
    size_t len = 0;
    const char *v = spdy_header_get(h, name, &len);
    if (present)
        *present = v != NULL;
    if (v == NULL) {
        dst[0] = '\0';
        return;
    }
    size_t first = strnlen(v, len);
    if (first >= cap)
        first = cap - 1;
    memcpy(dst, v, first);
    dst[first] = '\0';
}

/* DATA to the caller; its pause stops the parsing until sess_resume() */
static int deliver(struct sess *s, struct sess_stream *st, const uint8_t *p, size_t n, bool fin,
                   cx_error *err)
{
    int rc = s->ops->data(s->app, st, p, n, fin, err);
    if (rc > 0)
        s->paused = true;
    return rc;
}

static int on_syn_stream(struct sess *s, const struct spdy_frame *f, cx_error *err)
{
    /* client streams have odd ids, each above the last */
    if (f->stream_id % 2 == 0 || f->stream_id <= s->last_id) {
        spdy_put_rst_stream(&s->out, f->stream_id, SPDY_PROTOCOL_ERROR);
        return 0;
    }
    s->last_id = f->stream_id;
    if (s->nstreams >= SESS_STREAMS_MAX) {
        spdy_put_rst_stream(&s->out, f->stream_id, SPDY_REFUSED_STREAM);
        return 0;
    }
    struct sess_stream *st = cx_calloc(1, sizeof *st);
    st->id = f->stream_id;
    keep_header(f->headers, "streamtype", st->type, sizeof st->type, NULL);
    keep_header(f->headers, "port", st->port, sizeof st->port, NULL);
    keep_header(f->headers, "requestid", st->request_id, sizeof st->request_id,
                &st->has_request_id);
    st->fin_out = f->flags & SPDY_FLAG_UNIDIRECTIONAL;
    st->next = s->streams;
    s->streams = st;
    s->nstreams++;
    if (spdy_put_syn_reply(s->conn, &s->out, st->id, 0, NULL, 0, err) < 0)
        return -1;
    if (s->ops->stream(s->app, st, err) < 0)
        return -1;
    if (f->flags & SPDY_FLAG_FIN) {
        st->fin_in = true;
        return deliver(s, st, NULL, 0, true, err);
    }
    return 0;
}

static int on_frame(void *ctx, const struct spdy_frame *f, cx_error *err)
{
    struct sess *s = ctx;
    struct sess_stream *st;
    switch (f->type) {
    case SPDY_SYN_STREAM:
        return on_syn_stream(s, f, err);
    case SPDY_DATA:
        st = find(s, f->stream_id);
        if (st == NULL || st->reset || st->fin_in)
            return 0;   /* a stream we are done with: its bytes are dropped */
        if (f->fin)
            st->fin_in = true;
        if (f->len == 0 && !f->fin)
            return 0;
        return deliver(s, st, f->data, f->len, f->fin, err);
    case SPDY_RST_STREAM:
        st = find(s, f->stream_id);
        if (st && !st->reset) {
            st->reset = true;
            s->ops->reset(s->app, st);
        }
        return 0;
    case SPDY_PING:
        if (f->ping_id % 2 == 1)   /* the client's; even ones would answer ours */
            spdy_put_ping(&s->out, f->ping_id);
        return 0;
    case SPDY_GOAWAY:
        s->goaway = true;
        return 0;
    default:
        return 0;   /* SETTINGS, WINDOW_UPDATE, HEADERS, SYN_REPLY: nothing to do */
    }
}

static void fail(struct sess *s, const cx_error *why)
{
    if (!s->failed && why)
        s->err = *why;
    s->failed = s->closed = true;
}

static void parse(struct sess *s)
{
    while (!s->paused && !s->closed && s->in_off < s->in_len) {
        cx_error err = { 0 };
        ssize_t n = spdy_feed(s->conn, s->in + s->in_off, s->in_len - s->in_off, on_frame, s,
                              &err);
        if (n < 0) {
            spdy_put_goaway(&s->out, s->last_id, SPDY_GOAWAY_PROTOCOL_ERROR);
            fail(s, &err);
            return;
        }
        s->in_off += (size_t) n;
    }
    if (s->in_off == s->in_len)
        s->in_off = s->in_len = 0;
}

void sess_feed_initial(struct sess *s, const void *data, size_t n)
{
    if (n > SESS_IN_MAX)
        n = SESS_IN_MAX;   /* capsad reads at most one head's worth */
    if (n == 0)
        return;            /* (data may be NULL then) */
    memcpy(s->in, data, n);
    s->in_off = 0;
    s->in_len = n;
    parse(s);
}

short sess_events(const struct sess *s)
{
    short ev = 0;
    if (s->closed)
        return 0;
    if (!s->peer_eof && !s->paused && s->in_len == 0)
        ev |= POLLIN;
    if (s->out.len > 0)
        ev |= POLLOUT;
    return ev;
}

static void write_out(struct sess *s)
{
    while (s->out.len > 0 && !s->closed) {
        ssize_t n = send(s->fd, s->out.data, s->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN) {
                cx_error err;
                cx_fail_errno(&err, "writing to the client");
                fail(s, &err);
            }
            return;
        }
        cx_buf_drop(&s->out, (size_t) n);
        s->last_io = loop_now_ms();
    }
}

static void read_in(struct sess *s)
{
    ssize_t n = recv(s->fd, s->in, SESS_IN_MAX, MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            cx_error err;
            cx_fail_errno(&err, "reading from the client");
            fail(s, &err);
        }
        return;
    }
    s->last_io = loop_now_ms();
    if (n == 0) {
        s->peer_eof = true;
        return;
    }
    s->in_off = 0;
    s->in_len = (size_t) n;
    parse(s);
}

void sess_handle(struct sess *s, short revents)
{
    if (s->closed)
        return;
    if (revents & (POLLOUT | POLLERR))
        write_out(s);
    if (revents & (POLLIN | POLLHUP | POLLERR) && !s->peer_eof && !s->paused &&
        s->in_len == 0)
        read_in(s);
    write_out(s);
}

void sess_resume(struct sess *s)
{
    if (!s->paused)
        return;
    s->paused = false;
    parse(s);
    write_out(s);
}

bool sess_writable(const struct sess *s)
{
    return !s->closed && s->out.len < SESS_OUT_HIGH;
}

void sess_data(struct sess *s, struct sess_stream *st, const void *p, size_t n, bool fin)
{
    if (st == NULL || st->fin_out || st->reset || s->closed)
        return;
    if (n > 0 || fin)
        spdy_put_data(&s->out, st->id, fin ? SPDY_FLAG_FIN : 0, p, n);
    if (fin)
        st->fin_out = true;
}

void sess_fin(struct sess *s, struct sess_stream *st)
{
    sess_data(s, st, NULL, 0, true);
}

void sess_rst(struct sess *s, struct sess_stream *st, uint32_t status)
{
    if (st == NULL || st->reset || s->closed)
        return;
    spdy_put_rst_stream(&s->out, st->id, status);
    st->reset = true;
}

void sess_end(struct sess *s, int timeout_ms)
{
    int64_t end = loop_now_ms() + timeout_ms;
    if (!s->closed)
        spdy_put_goaway(&s->out, s->last_id, s->failed ? SPDY_GOAWAY_PROTOCOL_ERROR
                                                       : SPDY_GOAWAY_OK);
    while (s->out.len > 0 && !s->closed) {
        int64_t left = end - loop_now_ms();
        struct pollfd p = { s->fd, POLLOUT, 0 };
        if (left <= 0 || (poll(&p, 1, (int) left) < 0 && errno != EINTR))
            break;
        write_out(s);
    }
    if (s->closed)
        return;
    shutdown(s->fd, SHUT_WR);
    /* the client closes once it has read our GOAWAY; what it still sends
     * meanwhile is dropped */
    while (!s->peer_eof) {
        int64_t left = end - loop_now_ms();
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int) left) <= 0)
            break;
        ssize_t n = recv(s->fd, s->in, SESS_IN_MAX, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
    }
}
