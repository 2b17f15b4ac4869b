/* http1.c: the upgrade request's head and our answers (see http1.h). */
#include "cri/stream/http1.h"

#include <string.h>
#include <strings.h>

const char *const http1_remotecommand_protocols[] = {
    "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io", NULL,
};
const char *const http1_portforward_protocols[] = { "portforward.k8s.io", NULL };

void http1_req_init(struct http1_req *r)
{
    memset(r, 0, sizeof *r);
}

/* RFC 9110 token characters (methods, header names). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool all_tchars(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!is_tchar(*s))
            return false;
    return true;
}

/* Field values and targets: visible ASCII, spaces, tabs, and bytes >=
 * 0x80 (obs-text); never control characters. */
static bool value_ok(const char *s, bool spaces)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p < 0x20 && !(spaces && *p == '\t')) || *p == 0x7f || (!spaces && *p == ' '))
            return false;
    return true;
}

/* The next line of the head at *p: NUL-terminated in place, its CR
 * dropped (the blank line is the last, its LF already gone). */
static char *next_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');
    char *end = nl ? nl : line + strlen(line);
    *p = nl ? nl + 1 : end;
    *end = '\0';
    if (end > line && end[-1] == '\r')
        end[-1] = '\0';
    return line;
}

static int parse_request_line(struct http1_req *r, char *line, cx_error *err)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp2 == NULL)
        return cx_fail(err, 0, "http: the request line is not METHOD TARGET VERSION");
    *sp1 = *sp2 = '\0';
    r->method = line;
    r->path = sp1 + 1;
    const char *version = sp2 + 1;
    if (!all_tchars(r->method))
        return cx_fail(err, 0, "http: a bad request method");
    if (r->path[0] != '/' || !value_ok(r->path, false))
        return cx_fail(err, 0, "http: the request target is not an absolute path");
    if (strcmp(version, "HTTP/1.1") == 0)
        r->minor = 1;
    else if (strcmp(version, "HTTP/1.0") == 0)
        r->minor = 0;
    else
        return cx_fail(err, 0, "http: not an HTTP/1.x request");
    return 0;
}

static int parse_header_line(struct http1_req *r, char *line, cx_error *err)
{
    if (line[0] == ' ' || line[0] == '\t')
        return cx_fail(err, 0, "http: a folded header line");
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return cx_fail(err, 0, "http: a header line without a colon");
    *colon = '\0';
    if (!all_tchars(line))
        return cx_fail(err, 0, "http: a bad header name");
    char *v = colon + 1, *end = v + strlen(v);
    while (*v == ' ' || *v == '\t')
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    if (!value_ok(v, true))
        return cx_fail(err, 0, "http: a control character in header %s", line);
    if (r->n == HTTP1_HEADERS_MAX)
        return cx_fail(err, 0, "http: more than %d header lines", HTTP1_HEADERS_MAX);
    r->h[r->n++] = (struct http1_header) { .name = line, .value = v };
    return 0;
}

/* buf[0..len) is the whole head, its blank line included. */
static int parse_head(struct http1_req *r, size_t len, cx_error *err)
{
    if (memchr(r->buf, '\0', len) != NULL)
        return cx_fail(err, 0, "http: a NUL byte in the request head");
    /* the blank line's LF becomes the string's end: lines are read
     * until the empty one */
    r->buf[len - 1] = '\0';
    char *p = r->buf;
    if (parse_request_line(r, next_line(&p), err) < 0)
        return -1;
    for (;;) {
        char *line = next_line(&p);
        if (line[0] == '\0')
            return 0;
        if (parse_header_line(r, line, err) < 0)
            return -1;
    }
}

/* The end of the head (just past its blank line) in buf[0..len), from
 * from on; 0 when not there yet. */
static size_t find_end(const char *buf, size_t from, size_t len)
{
    for (size_t i = from; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

int http1_feed(struct http1_req *r, const void *data, size_t len, size_t *used, cx_error *err)
{
    *used = 0;
    if (r->done)
        return cx_fail(err, 0, "http: the request head was read already");
    size_t old = r->len, n = len < HTTP1_HEAD_MAX - old ? len : HTTP1_HEAD_MAX - old;
    memcpy(r->buf + old, data, n);
    r->len += n;
    /* a blank line completed by these bytes starts at old - 2 at the
     * earliest ("\n\r" kept, "\n" new) */
    size_t end = find_end(r->buf, old >= 2 ? old - 2 : 0, r->len);
    if (end == 0) {
        if (r->len == HTTP1_HEAD_MAX) {
            r->done = true;
            return cx_fail(err, 0, "http: the request head is larger than %d bytes",
                           HTTP1_HEAD_MAX);
        }
        *used = n;
        return 0;
    }
    r->done = true;
    *used = end - old;
    r->len = end;
    if (parse_head(r, end, err) < 0)
        return -1;
    return 1;
}

const char *http1_header(const struct http1_req *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->h[i].name, name) == 0)
            return r->h[i].value;
    return NULL;
}

void http1_list_start(struct http1_list *it, const struct http1_req *r, const char *name)
{
    *it = (struct http1_list) { .r = r, .name = name };
}

bool http1_list_next(struct http1_list *it, const char **item, size_t *len)
{
    for (;;) {
        while (it->p == NULL || *it->p == '\0') {
            if (it->i == it->r->n)
                return false;
            const struct http1_header *h = &it->r->h[it->i++];
            if (strcasecmp(h->name, it->name) == 0)
                it->p = h->value;
        }
        const char *s = it->p, *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        it->p = comma ? comma + 1 : e;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            *item = s;
            *len = (size_t) (e - s);
            return true;
        }
    }
}

bool http1_has_token(const struct http1_req *r, const char *name, const char *token)
{
    struct http1_list it;
    const char *s;
    size_t n, tlen = strlen(token);
    http1_list_start(&it, r, name);
    while (http1_list_next(&it, &s, &n))
        if (n == tlen && strncasecmp(s, token, n) == 0)
            return true;
    return false;
}

static bool offered(const struct http1_req *r, const char *protocol)
{
    struct http1_list it;
    const char *s;
    size_t n, plen = strlen(protocol);
    http1_list_start(&it, r, HTTP1_PROTOCOL_HEADER);
    while (http1_list_next(&it, &s, &n))
        if (n == plen && memcmp(s, protocol, n) == 0)
            return true;
    return false;
}

const char *http1_pick_protocol(const struct http1_req *r, const char *const *ours)
{
    for (; *ours; ours++)
        if (offered(r, *ours))
            return *ours;
    return NULL;
}

void http1_put_upgrade(struct cx_buf *out, const char *protocol)
{
    cx_buf_addf(out,
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Connection: Upgrade\r\n"
                "Upgrade: SPDY/3.1\r\n"
                HTTP1_PROTOCOL_HEADER ": %s\r\n"
                "\r\n",
                protocol);
}

static const char *reason(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

void http1_put_error(struct cx_buf *out, int status, const char *text)
{
    cx_buf_addf(out,
                "HTTP/1.1 %d %s\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Length: %zu\r\n"
                "Connection: close\r\n"
                "\r\n"
                "%s\n",
                status, reason(status), strlen(text) + 1, text);
}
