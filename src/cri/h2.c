/* h2.c: one nghttp2 server session per client connection, driven by the
 * I/O thread alone.  Requests are gathered here (headers checked, the
 * body deframed) and handed to call.c; replies go out as gRPC frames them:
 * HEADERS, DATA, then trailers with grpc-status, or a single HEADERS frame
 * (trailers-only) for a failure with nothing to send. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/server_internal.h"

struct conn {
    struct cri_server *srv;
    struct conn *prev, *next;       /* the server's connections */
    int fd;
    struct loop_src src;
    nghttp2_session *ng;
    uint8_t *wbuf;             /* bytes the socket did not take yet */
    size_t wlen, woff;
};

#define MAX_HEADER_LIST (16u << 10)

static void conn_close(struct conn *c)
{
    /* nghttp2_session_del calls no stream-close callback: detach here */
    for (struct cri_call *call = c->srv->calls, *next; call; call = next) {
        next = call->next;
        if (call->conn == c)
            call_detach(call);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    loop_del(&c->srv->loop, &c->src);
    nghttp2_session_del(c->ng);
    close(c->fd);
    free(c->wbuf);
    free(c);
}

/* Write what nghttp2 has queued; park on EPOLLOUT while the socket is
 * full.  Returns -1 when the connection is over (and freed). */
static int conn_flush(struct conn *c)
{
    for (;;) {
        if (c->woff < c->wlen) {
            ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno != EAGAIN)
                break;
            if (n > 0)
                c->woff += (size_t) n;
            if (c->woff < c->wlen) {
                loop_set(&c->srv->loop, &c->src, EPOLLIN | EPOLLOUT);
                return 0;
            }
            c->woff = c->wlen = 0;
        }
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->ng, &data);
        if (n < 0)
            break;
        if (n == 0) {
            loop_set(&c->srv->loop, &c->src, EPOLLIN);
            if (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng))
                break;
            return 0;
        }
        c->wbuf = cx_realloc(c->wbuf, (size_t) n);
        memcpy(c->wbuf, data, (size_t) n);
        c->wlen = (size_t) n;
        c->woff = 0;
    }
    conn_close(c);
    return -1;
}

static void conn_event(struct loop_src *src, uint32_t events)
{
    struct conn *c = src->data;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        uint8_t buf[16384];
        for (;;) {
            ssize_t n = read(c->fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0 || nghttp2_session_mem_recv(c->ng, buf, (size_t) n) < 0) {
                conn_close(c);
                return;
            }
            if ((size_t) n < sizeof buf)
                break;
        }
    }
    conn_flush(c);
}

static struct cri_call *stream_call(nghttp2_session *ng, int32_t id)
{
    return nghttp2_session_get_stream_user_data(ng, id);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    struct conn *c = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct cri_call *call = call_new(c->srv, c, f->hd.stream_id);
    nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, call);
    return 0;
}

static bool name_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    (void) flags;
    (void) user;
    struct cri_call *call = stream_call(ng, f->hd.stream_id);
    if (call == NULL || f->hd.type != NGHTTP2_HEADERS || call->started)
        return 0;   /* trailers from the client carry nothing we use */
    char v[256];
    size_t n = valuelen < sizeof v - 1 ? valuelen : sizeof v - 1;
    memcpy(v, value, n);
    v[n] = '\0';
    if (name_is(name, namelen, ":method")) {
        call->not_post = strcmp(v, "POST") != 0;
    } else if (name_is(name, namelen, ":path")) {
        if (valuelen >= sizeof call->path)
            n = 0;    /* longer than any method's path: unknown */
        memcpy(call->path, value, n);
        call->path[n] = '\0';
    } else if (name_is(name, namelen, "content-type")) {
        call->not_grpc = !cx_str_has_prefix(v, "application/grpc");
    } else if (name_is(name, namelen, "grpc-timeout")) {
        int64_t ms;
        if (valuelen >= sizeof v || grpc_timeout_parse(v, &ms) < 0)
            call->bad_timeout = true;
        else
            call->deadline = loop_now_ms() + ms;
    }
    return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *user)
{
    (void) flags;
    (void) user;
    struct cri_call *call = stream_call(ng, id);
    if (call == NULL || call->responded || call->started)
        return 0;
    enum grpc_code code;
    cx_error err = { 0 };
    if (grpc_deframe(&call->df, data, len, &code, &err) < 0) {
        char msg[CX_ERROR_MAX + 64];
        cx_error_format(&err, msg, sizeof msg);
        call_fail_now(call, code, msg);
    }
    return 0;
}

static int on_frame(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
    (void) user;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct cri_call *call = stream_call(ng, f->hd.stream_id);
    if (call && !call->responded && !call->started)
        call_dispatch(call);
    return 0;
}

static int on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user)
{
    (void) code;
    (void) user;
    struct cri_call *call = stream_call(ng, id);
    if (call) {
        nghttp2_session_set_stream_user_data(ng, id, NULL);
        call_detach(call);
    }
    return 0;
}

#define NV(n, v) { (uint8_t *) (n), (uint8_t *) (v), sizeof(n) - 1, strlen(v), \
                   NGHTTP2_NV_FLAG_NO_COPY_NAME }

/* grpc-status and grpc-message, as trailers or in a trailers-only reply */
static void status_nv(nghttp2_nv *nv, char code[12], char **enc, struct cri_call *call)
{
    snprintf(code, 12, "%d", (int) call->code);
    *enc = grpc_message_encode(call->message ? call->message : "");
    nv[0] = (nghttp2_nv) NV("grpc-status", code);
    nv[1] = (nghttp2_nv) NV("grpc-message", *enc);
}

static ssize_t read_reply(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                          uint32_t *flags, nghttp2_data_source *source, void *user)
{
    (void) user;
    struct cri_call *call = source->ptr;
    pthread_mutex_lock(&call->srv->mu);
    struct outbuf *o = &call->out;
    size_t n = o->len - o->off < length ? o->len - o->off : length;
    if (n > 0)   /* a stream with no message yet has no buffer at all */
        memcpy(buf, o->data + o->off, n);
    o->off += n;
    bool drained = o->off == o->len, fin = call->finished;
    if (drained)
        o->off = o->len = 0;
    pthread_mutex_unlock(&call->srv->mu);
    if (drained && fin) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv nv[2];
        char code[12];
        _cleanup_free_ char *enc = NULL;
        status_nv(nv, code, &enc, call);
        nghttp2_submit_trailer(ng, id, nv, 2);
    } else if (n == 0) {
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t) n;
}

void conn_call_ready(struct conn *c, struct cri_call *call)
{
    if (call->responded) {
        nghttp2_session_resume_data(c->ng, call->stream_id);
        conn_flush(c);
        return;
    }
    pthread_mutex_lock(&call->srv->mu);
    bool fin = call->finished, data = call->out.len > call->out.off;
    pthread_mutex_unlock(&call->srv->mu);
    if (!fin && !data)
        return;
    call->responded = true;
    if (fin && !data && call->code != GRPC_OK) {
        nghttp2_nv nv[4] = { NV(":status", call->not_grpc ? "415" : "200"),
                             NV("content-type", "application/grpc") };
        char code[12];
        _cleanup_free_ char *enc = NULL;
        status_nv(nv + 2, code, &enc, call);
        nghttp2_submit_response(c->ng, call->stream_id, nv, 4, NULL);
    } else {
        nghttp2_nv nv[3] = { NV(":status", "200"), NV("content-type", "application/grpc"),
                             NV("grpc-accept-encoding", "identity") };
        nghttp2_data_provider dp = { .source.ptr = call, .read_callback = read_reply };
        nghttp2_submit_response(c->ng, call->stream_id, nv, 3, &dp);
    }
    conn_flush(c);
}

static nghttp2_session_callbacks *callbacks(void)
{
    static nghttp2_session_callbacks *cb;
    if (cb == NULL) {
        if (nghttp2_session_callbacks_new(&cb) != 0)
            abort();
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    }
    return cb;
}

int conn_accept(struct cri_server *s, int fd)
{
    struct conn *c = cx_calloc(1, sizeof *c);
    c->srv = s;
    c->fd = fd;
    nghttp2_option *opt;
    if (nghttp2_option_new(&opt) != 0)
        abort();
    nghttp2_option_set_max_send_header_block_length(opt, 64u << 10);
    /* gRPC over a unix socket sends the socket's path as :authority, which
     * HTTP's rules refuse; we check what gRPC needs ourselves (on_header) */
    nghttp2_option_set_no_http_messaging(opt, 1);
    /* a flood of stream resets (CVE-2023-44487) is cut off */
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
    int rc = nghttp2_session_server_new2(&c->ng, callbacks(), c, opt);
    nghttp2_option_del(opt);
    if (rc != 0) {
        close(fd);
        free(c);
        return -1;
    }
    nghttp2_settings_entry set[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256 },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20 },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST },
    };
    nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, set, sizeof set / sizeof set[0]);
    nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, 16u << 20);
    loop_src_init(&c->src, fd, conn_event, c);
    cx_error err = { 0 };
    if (loop_add(&s->loop, &c->src, EPOLLIN, &err) < 0) {
        nghttp2_session_del(c->ng);
        close(fd);
        free(c);
        return -1;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    return conn_flush(c);
}

void conn_close_all(struct cri_server *s)
{
    while (s->conns)
        conn_close(s->conns);
}
