/* server.c: see server.h. */
#include "cri/stream/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/stream/b64.h"
#include "cri/stream/buf.h"
#include "cri/stream/desc.h"
#include "cri/stream/helper.h"
#include "cri/stream/http1.h"

/* A connection still sending its request head, or draining after our
 * refusal. */
struct head {
    struct stream_server *srv;
    int fd, timer;
    struct loop_src src, tsrc;
    struct http1_req req;
    bool draining;
    struct head *next;
};

struct stream_server {
    struct stream_server_opts o;
    int fd;
    struct loop_src src;
    char url[128];
    struct head *heads;
    size_t nheads;
    struct stream_helpers *helpers;
};

static void head_free(struct head *h)
{
    struct stream_server *s = h->srv;
    for (struct head **p = &s->heads; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            break;
        }
    }
    s->nheads--;
    loop_del(s->o.loop, &h->src);
    loop_del(s->o.loop, &h->tsrc);
    cx_close(h->fd);
    cx_close(h->timer);
    free(h);
}

/* A short answer, written if the socket takes it now (it is empty, so
 * it does), then our side closed.  What the client still sends is read
 * and dropped until it closes too (or for STREAM_DRAIN_MS): closing with
 * unread bytes would reset the connection, and the client could lose the
 * answer. */
static void answer(struct head *h, int status, const char *text)
{
    struct cx_buf out = { 0 };
    http1_put_error(&out, status, text);
    (void) !send(h->fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    cx_buf_free(&out);
    /* not the path: it may hold a token still valid */
    cx_debug("stream: a request answered %d: %s", status, text);
    shutdown(h->fd, SHUT_WR);
    struct itimerspec its = { .it_value = { STREAM_DRAIN_MS / 1000,
                                            STREAM_DRAIN_MS % 1000 * 1000000L } };
    if (timerfd_settime(h->timer, 0, &its, NULL) < 0)
        head_free(h);
    else
        h->draining = true;
}

/* /<kind>/<token>: the kind; *token points into path (query cut off). */
static int parse_path(char *path, enum stream_kind *kind, const char **token)
{
    if (path == NULL || path[0] != '/')
        return -1;
    char *q = strchr(path, '?');
    if (q)
        *q = '\0';
    char *slash = strchr(path + 1, '/');
    if (slash == NULL)
        return -1;
    for (int k = STREAM_EXEC; k <= STREAM_PORTFORWARD; k++) {
        const char *name = stream_kind_name((enum stream_kind) k);
        size_t len = strlen(name);
        if ((size_t) (slash - path - 1) == len && strncmp(path + 1, name, len) == 0) {
            *kind = (enum stream_kind) k;
            *token = slash + 1;
            return 0;
        }
    }
    return -1;
}

/* "[a b]", the way the kubelet lists protocols in its 403 */
static void list_offered(const struct http1_req *r, struct cx_buf *b)
{
    struct http1_list it;
    const char *item;
    size_t len;
    bool first = true;
    cx_buf_add_str(b, "[");
    http1_list_start(&it, r, HTTP1_PROTOCOL_HEADER);
    while (http1_list_next(&it, &item, &len)) {
        cx_buf_addf(b, "%s%.*s", first ? "" : " ", (int) len, item);
        first = false;
    }
    cx_buf_add_str(b, "]");
}

/* The 403's text: what the client offered, what we speak. */
static char *refusal(const struct http1_req *r, const char *const *ours)
{
    struct cx_buf b = { 0 };
    cx_buf_add_str(&b, "unable to upgrade: unable to negotiate protocol: client supports ");
    list_offered(r, &b);
    cx_buf_add_str(&b, ", server accepts [");
    for (size_t i = 0; ours[i]; i++)
        cx_buf_addf(&b, "%s%s", i ? " " : "", ours[i]);
    cx_buf_add(&b, "]", 2);
    return (char *) b.data;
}

/* The request checked as the kubelet checks it: 0 and the token's
 * description and the protocol chosen, else the HTTP status to answer
 * with *text (*text_own malloc'd when not a constant). */
static int check(struct head *h, json_t **desc, const char **protocol, const char **text,
                 char **text_own)
{
    const struct http1_req *r = &h->req;
    enum stream_kind kind;
    const char *token;
    *text = "404 page not found";
    if (parse_path((char *) r->path, &kind, &token) < 0)
        return 404;
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0) {
        *text = "method not allowed";
        return 405;
    }
    /* consumed here, whatever comes next: a token serves one attempt */
    *desc = stream_token_take(h->srv->o.tokens, token, loop_now_ms());
    const char *stored = json_string_value(json_object_get(*desc, "kind"));
    if (stored == NULL || strcmp(stored, stream_kind_name(kind)) != 0)
        return 404;
    const char *const *ours = kind == STREAM_PORTFORWARD ? http1_portforward_protocols
                                                         : http1_remotecommand_protocols;
    *text = "unable to upgrade: " HTTP1_PROTOCOL_HEADER " is required";
    if (http1_header(r, HTTP1_PROTOCOL_HEADER) == NULL)
        return 400;
    *protocol = http1_pick_protocol(r, ours);
    if (*protocol == NULL) {
        *text = *text_own = refusal(r, ours);
        return 403;
    }
    *text = "unable to upgrade: missing upgrade headers in request";
    if (!http1_has_token(r, "Connection", "upgrade") || !http1_has_token(r, "Upgrade", "spdy/3.1"))
        return 400;
    return 0;
}

/* The head is complete; rest[0..n) came after it. */
static void serve_head(struct head *h, const uint8_t *rest, size_t n)
{
    _cleanup_(json_decrefp) json_t *desc = NULL;
    _cleanup_free_ char *own = NULL;
    const char *protocol = NULL, *text = NULL;
    int status = check(h, &desc, &protocol, &text, &own);
    if (status != 0) {
        answer(h, status, text);
        return;
    }
    char *b64 = cx_calloc(1, cx_b64_len(n, false) + 1);
    cx_b64_encode(rest, n, false, b64);
    json_object_set_new(desc, "rest", json_string(b64));
    free(b64);
    json_object_set_new(desc, "protocol", json_string(protocol));
    json_object_set_new(desc, "idle_timeout", json_integer(h->srv->o.idle_timeout));
    cx_error err = { 0 };
    if (stream_helper_spawn(h->srv->helpers, h->fd, desc, &err) < 0) {
        cx_log_error(&err);
        answer(h, 500, "cannot start the streaming session");
        return;
    }
    cx_debug("stream: %s session handed to capsad-stream (%s)",
             json_string_value(json_object_get(desc, "kind")), protocol);
    head_free(h);   /* the helper has the connection now */
}

static void on_head(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct head *h = src->data;
    uint8_t buf[4096];
    ssize_t n = recv(h->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        head_free(h);   /* gone (before its request was complete, or after our answer) */
        return;
    }
    if (h->draining)
        return;
    size_t used = 0;
    cx_error err = { 0 };
    int rc = http1_feed(&h->req, buf, (size_t) n, &used, &err);
    if (rc < 0)
        answer(h, 400, err.msg);
    else if (rc == 1)
        serve_head(h, buf + used, (size_t) n - used);
}

static void on_head_timeout(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct head *h = src->data;
    uint64_t ticks;
    (void) !read(h->timer, &ticks, sizeof ticks);
    if (h->draining)
        head_free(h);
    else
        answer(h, 408, "the request did not arrive in time");
}

static void accept_one(struct stream_server *s, int fd)
{
    if (s->nheads >= STREAM_HEADS_MAX) {
        cx_log(CX_LOG_WARN, "stream: %d connections still sending their request: refusing "
               "another", STREAM_HEADS_MAX);
        close(fd);
        return;
    }
    cx_error err = { 0 };
    struct head *h = cx_calloc(1, sizeof *h);
    h->srv = s;
    h->fd = fd;
    http1_req_init(&h->req);
    h->next = s->heads;
    s->heads = h;
    s->nheads++;
    loop_src_init(&h->src, fd, on_head, h);
    h->timer = loop_timer_fd(STREAM_HEAD_TIMEOUT_MS, &err);
    loop_src_init(&h->tsrc, h->timer, on_head_timeout, h);
    if (h->timer < 0 || loop_add(s->o.loop, &h->src, EPOLLIN, &err) < 0 ||
        loop_add(s->o.loop, &h->tsrc, EPOLLIN, &err) < 0) {
        cx_log_error(&err);
        head_free(h);
    }
}

static void on_listen(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct stream_server *s = src->data;
    for (;;) {
        int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                cx_log(CX_LOG_WARN, "stream: accept: %s", strerror(errno));
            return;
        }
        accept_one(s, fd);
    }
}

/* The socket, bound and listening; the URL from the port it got. */
static int listen_on(struct stream_server *s, cx_error *err)
{
    struct sockaddr_storage sa = { 0 };
    struct sockaddr_in *in = (struct sockaddr_in *) &sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &sa;
    socklen_t len;
    const char *addr = s->o.address && *s->o.address ? s->o.address : "127.0.0.1";
    if (s->o.port < 0 || s->o.port > 65535)
        return cx_fail(err, EINVAL, "stream_port %d: not a port", s->o.port);
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t) s->o.port);
        len = sizeof *in;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t) s->o.port);
        len = sizeof *in6;
    } else {
        return cx_fail(err, EINVAL, "stream_address \"%s\" is not an IP address", addr);
    }
    s->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return cx_fail_errno(err, "socket");
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->fd, (struct sockaddr *) &sa, len) < 0)
        return cx_fail_errno(err, "streaming server: bind %s port %d", addr, s->o.port);
    if (listen(s->fd, 128) < 0)
        return cx_fail_errno(err, "streaming server: listen");
    if (getsockname(s->fd, (struct sockaddr *) &sa, &len) < 0)
        return cx_fail_errno(err, "getsockname");
    int port = ntohs(sa.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
    snprintf(s->url, sizeof s->url, sa.ss_family == AF_INET ? "http://%s:%d" : "http://[%s]:%d",
             addr, port);
    return 0;
}

int stream_server_new(struct stream_server **out, const struct stream_server_opts *o,
                      cx_error *err)
{
    struct stream_server *s = cx_calloc(1, sizeof *s);
    s->o = *o;
    s->fd = -1;
    *out = s;
    if (listen_on(s, err) < 0)
        return -1;
    s->helpers = stream_helpers_new(o->loop, o->helper);
    loop_src_init(&s->src, s->fd, on_listen, s);
    if (loop_add(o->loop, &s->src, EPOLLIN, err) < 0)
        return -1;
    cx_log(CX_LOG_INFO, "streaming server (exec, attach, port-forward) on %s", s->url);
    return 0;
}

void stream_server_free(struct stream_server *s)
{
    if (s == NULL)
        return;
    while (s->heads)
        head_free(s->heads);
    loop_del(s->o.loop, &s->src);
    cx_close(s->fd);
    stream_helpers_free(s->helpers);
    free(s);
}

const char *stream_server_url(const struct stream_server *s)
{
    return s->url;
}
