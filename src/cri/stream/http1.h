/* http1.h: the one HTTP/1.1 request the streaming server reads before
 * switching to SPDY, and the answers it writes.
 *
 * crictl and the kubelet send
 *   POST /exec/TOKEN HTTP/1.1
 *   Connection: Upgrade
 *   Upgrade: SPDY/3.1
 *   X-Stream-Protocol-Version: v4.channel.k8s.io
 *   X-Stream-Protocol-Version: v3.channel.k8s.io   (repeated, or one comma list)
 * and expect "101 Switching Protocols" naming the version chosen, after
 * which both sides speak SPDY on the same connection (spdy.h).
 *
 * The parser is incremental (feed it what read() returns) and bounded:
 * a head of at most HTTP1_HEAD_MAX bytes and HTTP1_HEADERS_MAX header
 * lines.  Lines end with CRLF (a bare LF is taken too).  Header names are
 * matched without regard to case.
 */
#ifndef CAPSA_CRI_STREAM_HTTP1_H
#define CAPSA_CRI_STREAM_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "cri/stream/buf.h"

#define HTTP1_HEAD_MAX 8192
#define HTTP1_HEADERS_MAX 64

struct http1_header {
    const char *name;   /* as sent */
    const char *value;  /* without the white space around it */
};

/* Zero it (or http1_req_init()) before the first feed.  The strings
 * point into buf and live as long as the struct. */
struct http1_req {
    char buf[HTTP1_HEAD_MAX];
    size_t len;
    bool done;
    const char *method;  /* "GET", "POST"... (case as sent) */
    const char *path;    /* the request target, starting with '/' */
    int minor;           /* HTTP/1.<minor>: 0 or 1 */
    size_t n;
    struct http1_header h[HTTP1_HEADERS_MAX];
};

void http1_req_init(struct http1_req *r);

/* Add data[0..len) to the head being read.  Returns 0 when the blank
 * line has not come yet (all data used), 1 when the head is complete:
 * *used bytes of data belonged to it, the rest is the caller's (what the
 * client sent after the head).  -1 with err on a malformed or oversized
 * head (answer 400), or when called again after 1 or -1. */
int http1_feed(struct http1_req *r, const void *data, size_t len, size_t *used, cx_error *err);

/* The value of the first header called name; NULL when absent. */
const char *http1_header(const struct http1_req *r, const char *name);

/* Walk the elements of a list header: every header line called name,
 * each value split at commas, white space trimmed, empty elements
 * skipped.  "A: x, y" + "A: z" gives x, y, z. */
struct http1_list {
    const struct http1_req *r;
    const char *name;
    size_t i;        /* the next header line to look at */
    const char *p;   /* the rest of the current value, or NULL */
};
void http1_list_start(struct http1_list *it, const struct http1_req *r, const char *name);
/* The next element (not NUL-terminated: *len bytes); false at the end. */
bool http1_list_next(struct http1_list *it, const char **item, size_t *len);

/* Whether the list header name holds token, compared without regard to
 * case ("Connection: keep-alive, Upgrade" holds "upgrade"). */
bool http1_has_token(const struct http1_req *r, const char *name, const char *token);

/* The protocols the streaming server speaks, best first (NULL-ended). */
extern const char *const http1_remotecommand_protocols[];  /* exec, attach */
extern const char *const http1_portforward_protocols[];

#define HTTP1_PROTOCOL_HEADER "X-Stream-Protocol-Version"

/* The first of ours (NULL-ended, best first) that the client offers in
 * X-Stream-Protocol-Version (exact match); NULL when none (answer 403). */
const char *http1_pick_protocol(const struct http1_req *r, const char *const *ours);

/* Append the 101 answer that switches to SPDY/3.1 with protocol, one of
 * ours. */
void http1_put_upgrade(struct cx_buf *out, const char *protocol);
/* Append a plain answer: status (400, 403, 404...) with text as its body
 * (a line is added) and the connection closed after it. */
void http1_put_error(struct cx_buf *out, int status, const char *text);

#endif
