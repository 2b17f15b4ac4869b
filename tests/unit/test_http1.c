/* test_http1.c: the upgrade request's head and our answers
 * (src/cri/stream/http1.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/stream/http1.h"

/* What crictl (Go's net/http through client-go's SPDY round tripper)
 * sends for exec, one protocol per header line. */
static const char crictl_exec[] =
    "POST /exec/AbCdEf012-_xyz HTTP/1.1\r\n"
    "Host: 127.0.0.1:34567\r\n"
    "User-Agent: crictl/v1.26.0 (linux/amd64) kubernetes/$Format\r\n"
    "Content-Length: 0\r\n"
    "Connection: Upgrade\r\n"
    "Upgrade: SPDY/3.1\r\n"
    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
    "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"
    "X-Stream-Protocol-Version: v2.channel.k8s.io\r\n"
    "X-Stream-Protocol-Version: channel.k8s.io\r\n"
    "Accept-Encoding: gzip\r\n"
    "\r\n";

static int feed_all(struct http1_req *r, const char *s, size_t len, size_t chunk, size_t *used,
                    cx_error *err)
{
    http1_req_init(r);
    size_t pos = 0;
    for (;;) {
        size_t n = len - pos < chunk ? len - pos : chunk, u = 0;
        int rc = http1_feed(r, s + pos, n, &u, err);
        pos += u;
        if (rc != 0 || pos == len) {
            *used = pos;
            return rc;
        }
        assert_int_equal(u, n);
    }
}

static void test_crictl_exec(void **state)
{
    (void) state;
    size_t len = sizeof crictl_exec - 1;
    for (size_t chunk = 1; chunk <= len; chunk = chunk < 16 ? chunk + 1 : chunk * 2) {
        static struct http1_req r;
        size_t used;
        cx_error err = { 0 };
        assert_int_equal(feed_all(&r, crictl_exec, len, chunk, &used, &err), 1);
        assert_int_equal(used, len);
        assert_string_equal(r.method, "POST");
        assert_string_equal(r.path, "/exec/AbCdEf012-_xyz");
        assert_int_equal(r.minor, 1);
        assert_int_equal(r.n, 10);
        assert_string_equal(http1_header(&r, "upgrade"), "SPDY/3.1");
        assert_string_equal(http1_header(&r, "HOST"), "127.0.0.1:34567");
        assert_true(http1_has_token(&r, "Connection", "upgrade"));
        assert_true(http1_has_token(&r, "upgrade", "spdy/3.1"));
        assert_false(http1_has_token(&r, "upgrade", "websocket"));
        assert_string_equal(http1_pick_protocol(&r, http1_remotecommand_protocols),
                            "v4.channel.k8s.io");
        assert_null(http1_pick_protocol(&r, http1_portforward_protocols));
    }
}

static const char *pick(const char *offers, const char *const *ours)
{
    static struct http1_req r;
    static char req[1024];
    snprintf(req, sizeof req, "GET /portforward/x HTTP/1.1\r\n%s\r\n", offers);
    size_t used;
    cx_error err = { 0 };
    assert_int_equal(feed_all(&r, req, strlen(req), strlen(req), &used, &err), 1);
    return http1_pick_protocol(&r, ours);
}

static void test_pick_protocol(void **state)
{
    (void) state;
    const char *const *rc = http1_remotecommand_protocols;
    /* a comma list, in any order: our preference wins */
    assert_string_equal(pick("X-Stream-Protocol-Version: channel.k8s.io, v3.channel.k8s.io ,"
                             "v2.channel.k8s.io\r\n", rc),
                        "v3.channel.k8s.io");
    /* repeated and listed at once, names in any case */
    assert_string_equal(pick("x-stream-protocol-version: channel.k8s.io\r\n"
                             "X-STREAM-PROTOCOL-VERSION: v5.channel.k8s.io,v2.channel.k8s.io\r\n", rc),
                        "v2.channel.k8s.io");
    assert_string_equal(pick("X-Stream-Protocol-Version: channel.k8s.io\r\n", rc), "channel.k8s.io");
    assert_string_equal(pick("X-Stream-Protocol-Version: portforward.k8s.io\r\n",
                             http1_portforward_protocols),
                        "portforward.k8s.io");
    /* none of ours, none at all, near misses */
    assert_null(pick("X-Stream-Protocol-Version: v5.channel.k8s.io\r\n", rc));
    assert_null(pick("", rc));
    assert_null(pick("X-Stream-Protocol-Version:\r\n", rc));
    assert_null(pick("X-Stream-Protocol-Version: V4.channel.k8s.io\r\n", rc));
    assert_null(pick("X-Stream-Protocol-Version: v4.channel.k8s.io.evil\r\n", rc));
    assert_null(pick("X-Stream-Protocol: v4.channel.k8s.io\r\n", rc));
    assert_null(pick("X-Stream-Protocol-Version: portforward.k8s.io\r\n", rc));
}

static void test_list_walk(void **state)
{
    (void) state;
    static struct http1_req r;
    const char *req = "GET / HTTP/1.0\nA: x, ,y\nB: q\na:\na: \t z\t\n\n";
    size_t used;
    cx_error err = { 0 };
    assert_int_equal(feed_all(&r, req, strlen(req), 3, &used, &err), 1);
    assert_int_equal(r.minor, 0);
    struct http1_list it;
    const char *s;
    size_t n;
    char got[64] = "";
    http1_list_start(&it, &r, "a");
    while (http1_list_next(&it, &s, &n))
        snprintf(got + strlen(got), sizeof got - strlen(got), "[%.*s]", (int) n, s);
    assert_string_equal(got, "[x][y][z]");
    assert_string_equal(http1_header(&r, "a"), "x, ,y");
    assert_null(http1_header(&r, "c"));
    http1_list_start(&it, &r, "c");
    assert_false(http1_list_next(&it, &s, &n));
}

/* Bytes after the head are not taken: the caller keeps them. */
static void test_bytes_after_head(void **state)
{
    (void) state;
    static struct http1_req r;
    const char *req = "GET /attach/t HTTP/1.1\r\n\r\n\x80\x03\x00\x01";
    size_t used;
    cx_error err = { 0 };
    http1_req_init(&r);
    assert_int_equal(http1_feed(&r, req, 30, &used, &err), 1);
    assert_int_equal(used, 26);
    assert_int_equal(r.n, 0);
    /* the blank line split across feeds, CR on one side */
    const char *parts[] = { "GET / HTTP/1.1\r\nX: y\r\n\r", "\nrest" };
    http1_req_init(&r);
    assert_int_equal(http1_feed(&r, parts[0], strlen(parts[0]), &used, &err), 0);
    assert_int_equal(used, strlen(parts[0]));
    assert_int_equal(http1_feed(&r, parts[1], strlen(parts[1]), &used, &err), 1);
    assert_int_equal(used, 1);
    assert_string_equal(http1_header(&r, "x"), "y");
    /* no more after the end */
    assert_int_equal(http1_feed(&r, "x", 1, &used, &err), -1);
    assert_int_equal(used, 0);
}

static void expect_bad(const char *req, size_t len, const char *want)
{
    static struct http1_req r;
    for (size_t chunk = 1; chunk <= len; chunk = chunk == 1 ? len : len + 1) {
        size_t used;
        cx_error err = { 0 };
        if (feed_all(&r, req, len, chunk, &used, &err) != -1 || strstr(err.msg, want) == NULL)
            fail_msg("'%s': want an error with '%s', got '%s'", req, want, err.msg);
    }
}

static void test_bad_requests(void **state)
{
    (void) state;
#define BAD(lit, want) expect_bad(lit, sizeof lit - 1, want)
    BAD("\r\n\r\n", "request line");
    BAD("GET\r\n\r\n", "request line");
    BAD("GET /\r\n\r\n", "request line");
    BAD("GET / HTTP/2.0\r\n\r\n", "HTTP/1.x");
    BAD("GET / HTTP/1.1 \r\n\r\n", "HTTP/1.x");
    BAD("GET  / HTTP/1.1\r\n\r\n", "target");
    BAD("GET http://x/ HTTP/1.1\r\n\r\n", "target");
    BAD("GET /a\tb HTTP/1.1\r\n\r\n", "target");
    BAD("G(T / HTTP/1.1\r\n\r\n", "method");
    BAD("GET / HTTP/1.1\r\nNoColon\r\n\r\n", "without a colon");
    BAD("GET / HTTP/1.1\r\n: v\r\n\r\n", "header name");
    BAD("GET / HTTP/1.1\r\nA B: v\r\n\r\n", "header name");
    BAD("GET / HTTP/1.1\r\nA: v\r\n folded\r\n\r\n", "folded");
    BAD("GET / HTTP/1.1\r\nA: v\x01w\r\n\r\n", "control character");
    BAD("GET / HTTP/1.1\r\nA: v\rw\r\n\r\n", "control character");
    BAD("GET / HTTP/1.1\r\nA: v\0w\r\n\r\n", "NUL");
#undef BAD
    /* 64 header lines are fine, 65 are not */
    char req[4096];
    size_t n = (size_t) sprintf(req, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP1_HEADERS_MAX; i++)
        n += (size_t) sprintf(req + n, "H%d: v\r\n", i);
    strcpy(req + n, "\r\n");
    static struct http1_req r;
    size_t used;
    cx_error err = { 0 };
    assert_int_equal(feed_all(&r, req, n + 2, n + 2, &used, &err), 1);
    assert_int_equal(r.n, HTTP1_HEADERS_MAX);
    strcpy(req + n, "X: y\r\n\r\n");
    expect_bad(req, n + 8, "more than 64 header lines");
}

static void test_size_limit(void **state)
{
    (void) state;
    /* a head of exactly 8 KiB is taken, one byte more is not */
    static char req[HTTP1_HEAD_MAX + 16];
    const char *start = "GET / HTTP/1.1\r\nX: ";
    for (int over = 0; over <= 1; over++) {
        size_t fill = HTTP1_HEAD_MAX - strlen(start) - 4 + (size_t) over;
        strcpy(req, start);
        memset(req + strlen(start), 'a', fill);
        strcpy(req + strlen(start) + fill, "\r\n\r\n");
        size_t len = strlen(req);
        static struct http1_req r;
        size_t used;
        cx_error err = { 0 };
        int rc = feed_all(&r, req, len, 1000, &used, &err);
        if (over) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err.msg, "larger than 8192"));
        } else {
            assert_int_equal(rc, 1);
            assert_int_equal(used, HTTP1_HEAD_MAX);
            assert_int_equal(strlen(http1_header(&r, "x")), fill);
        }
    }
    /* endless bytes with no blank line */
    static struct http1_req r;
    char junk[1000];
    memset(junk, 'j', sizeof junk);
    http1_req_init(&r);
    cx_error err = { 0 };
    size_t used;
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = http1_feed(&r, junk, sizeof junk, &used, &err);
    assert_int_equal(rc, -1);
}

static void test_answers(void **state)
{
    (void) state;
    struct cx_buf b = { 0 };
    http1_put_upgrade(&b, "v4.channel.k8s.io");
    const char *want = "HTTP/1.1 101 Switching Protocols\r\n"
                       "Connection: Upgrade\r\n"
                       "Upgrade: SPDY/3.1\r\n"
                       "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                       "\r\n";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    b.len = 0;
    http1_put_error(&b, 403, "unable to upgrade: no common protocol");
    cx_buf_add(&b, "", 1);
    assert_string_equal((char *) b.data, "HTTP/1.1 403 Forbidden\r\n"
                                         "Content-Type: text/plain; charset=utf-8\r\n"
                                         "Content-Length: 38\r\n"
                                         "Connection: close\r\n"
                                         "\r\n"
                                         "unable to upgrade: no common protocol\n");
    b.len = 0;
    http1_put_error(&b, 404, "");
    cx_buf_add(&b, "", 1);
    assert_non_null(strstr((char *) b.data, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr((char *) b.data, "Content-Length: 1\r\n"));
    b.len = 0;
    http1_put_error(&b, 400, "bad");
    cx_buf_add(&b, "", 1);
    assert_non_null(strstr((char *) b.data, "HTTP/1.1 400 Bad Request\r\n"));
    cx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crictl_exec),
        cmocka_unit_test(test_pick_protocol),
        cmocka_unit_test(test_list_walk),
        cmocka_unit_test(test_bytes_after_head),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
