/* test_spdy.c: SPDY/3 frames (src/cri/stream/spdy.c): every frame
 * through an encoder and the parser, the parser fed byte by byte and in
 * random chunks, its bounds and every error it reports.  Header blocks
 * and the dictionary: test_spdy_hdr.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/stream/spdy.h"

/* ---- a recorder: each event as a line of text ------------------------- */

struct rec {
    struct cx_buf log;
    struct cx_buf data;     /* the data frame being assembled */
    size_t pieces;          /* data events seen */
    size_t max_piece;       /* the largest data piece */
    const uint8_t *lo, *hi; /* the caller's buffer: pieces must point into it */
    int events;
    int pause_every;        /* pause after each event when set */
    int fail_at;            /* fail the nth event (1-based) when set */
};

static void log_headers(struct cx_buf *log, const struct spdy_headers *h)
{
    cx_buf_add_str(log, " {");
    for (size_t i = 0; i < h->n; i++) {
        cx_buf_addf(log, "%s%s=", i ? ";" : "", h->v[i].name);
        for (size_t j = 0; j < h->v[i].value_len; j++)
            cx_buf_addf(log, "%c", h->v[i].value[j] ? h->v[i].value[j] : '|');
    }
    cx_buf_add_str(log, "}");
}

static void log_frame(struct rec *r, const struct spdy_frame *f)
{
    struct cx_buf *l = &r->log;
    switch (f->type) {
    case SPDY_DATA:
        cx_buf_addf(l, "DATA %u %zu%s ", f->stream_id, r->data.len, f->fin ? " fin" : "");
        cx_buf_add(l, r->data.data, r->data.len);
        break;
    case SPDY_SYN_STREAM:
        cx_buf_addf(l, "SYN_STREAM %u assoc %u pri %u flags %u", f->stream_id, f->assoc_id,
                    f->priority, f->flags);
        log_headers(l, f->headers);
        break;
    case SPDY_SYN_REPLY:
    case SPDY_HEADERS:
        cx_buf_addf(l, "%s %u flags %u", f->type == SPDY_HEADERS ? "HEADERS" : "SYN_REPLY",
                    f->stream_id, f->flags);
        log_headers(l, f->headers);
        break;
    case SPDY_RST_STREAM:
        cx_buf_addf(l, "RST_STREAM %u status %u", f->stream_id, f->status);
        break;
    case SPDY_SETTINGS:
        cx_buf_addf(l, "SETTINGS flags %u", f->flags);
        for (uint32_t i = 0; i < f->n_settings; i++) {
            struct spdy_setting s = spdy_frame_setting(f, i);
            cx_buf_addf(l, " %u:%u=%u", s.flags, s.id, s.value);
        }
        break;
    case SPDY_PING:
        cx_buf_addf(l, "PING %u", f->ping_id);
        break;
    case SPDY_GOAWAY:
        cx_buf_addf(l, "GOAWAY %u status %u", f->last_good_id, f->status);
        break;
    case SPDY_WINDOW_UPDATE:
        cx_buf_addf(l, "WINDOW_UPDATE %u delta %u", f->stream_id, f->delta);
        break;
    }
    cx_buf_add_str(l, "\n");
}

static int on_frame(void *ctx, const struct spdy_frame *f, cx_error *err)
{
    struct rec *r = ctx;
    r->events++;
    if (r->fail_at && r->events == r->fail_at)
        return cx_fail(err, 0, "handler says no");
    if (f->type == SPDY_DATA) {
        r->pieces++;
        if (f->len > r->max_piece)
            r->max_piece = f->len;
        if (f->len > 0 && r->lo != NULL)
            assert_true(f->data >= r->lo && f->data + f->len <= r->hi);
        assert_true(f->last || !f->fin);
        cx_buf_add(&r->data, f->data, f->len);
        if (f->last) {
            log_frame(r, f);
            r->data.len = 0;
        }
    } else {
        log_frame(r, f);
    }
    return r->pause_every ? 1 : 0;
}

static void rec_free(struct rec *r)
{
    cx_buf_free(&r->log);
    cx_buf_free(&r->data);
}

/* The log as a C string (in place). */
static const char *rec_text(struct rec *r)
{
    cx_buf_reserve(&r->log, 1)[0] = '\0';
    return (const char *) r->log.data;
}

/* Feed in[0..len) in pieces of at most chunk bytes (0: random sizes from
 * seed) to a new session; returns what feed returned last. */
static ssize_t feed_split(const uint8_t *in, size_t len, size_t chunk, unsigned seed,
                          struct rec *r, cx_error *err)
{
    struct spdy_conn *c;
    assert_int_equal(spdy_conn_new(&c, err), 0);
    ssize_t rc = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t n = chunk;
        if (n == 0) {
            seed = seed * 1103515245 + 12345;
            n = 1 + (seed >> 8) % 97;
        }
        if (n > len - pos)
            n = len - pos;
        /* a copy, so the bounds check on pieces means something */
        uint8_t *piece = malloc(n);
        memcpy(piece, in + pos, n);
        r->lo = piece;
        r->hi = piece + n;
        size_t off = 0;
        /* a paused feed is fed the rest again */
        do {
            rc = spdy_feed(c, piece + off, n - off, on_frame, r, err);
            if (rc > 0)
                off += (size_t) rc;
        } while (rc >= 0 && off < n && r->pause_every);
        free(piece);
        r->lo = r->hi = NULL;
        if (rc < 0)
            break;
        assert_int_equal(off, n);
        pos += n;
    }
    spdy_conn_free(c);
    return rc;
}

/* ---- a stream of every frame kind ------------------------------------- */

static const struct spdy_header stdin_hdr[] = {
    { "streamtype", "stdin", 5 },
    { "port", "8080", 4 },
};
static const struct spdy_header multi_hdr[] = {
    { "x-several", "a\0bb\0c", 6 },
    { "empty", "", 0 },
};

/* What the client of a session might send, encoded by a client session,
 * and the log a server must make of it. */
static void build_session(struct cx_buf *out, const char **expect)
{
    struct spdy_conn *client;
    cx_error err = { 0 };
    assert_int_equal(spdy_conn_new(&client, &err), 0);
    struct spdy_setting set[] = { { 0, 4, 1000 }, { 1, 7, 65536 } };
    spdy_put_settings(out, SPDY_FLAG_CLEAR_SETTINGS, set, 2);
    assert_int_equal(spdy_put_syn_stream(client, out, 1, 0, 3, 0, stdin_hdr, 2, &err), 0);
    assert_int_equal(spdy_put_syn_stream(client, out, 3, 1, 7, SPDY_FLAG_FIN | SPDY_FLAG_UNIDIRECTIONAL,
                                         multi_hdr, 2, &err), 0);
    spdy_put_data(out, 1, 0, "hello", 5);
    spdy_put_ping(out, 7);
    spdy_put_data(out, 1, SPDY_FLAG_FIN, "", 0);
    assert_int_equal(spdy_put_headers(client, out, 3, SPDY_FLAG_FIN, stdin_hdr, 1, &err), 0);
    assert_int_equal(spdy_put_syn_reply(client, out, 2, 0, NULL, 0, &err), 0);
    spdy_put_window_update(out, 0, 65536);
    spdy_put_window_update(out, 5, 1);
    char big[300];
    memset(big, 'z', sizeof big);
    spdy_put_data(out, 5, SPDY_FLAG_FIN, big, sizeof big);
    spdy_put_rst_stream(out, 3, SPDY_CANCEL);
    spdy_put_goaway(out, 5, SPDY_GOAWAY_OK);
    spdy_conn_free(client);
    static char text[2048];
    char zs[301];
    memset(zs, 'z', 300);
    zs[300] = '\0';
    snprintf(text, sizeof text,
             "SETTINGS flags 1 0:4=1000 1:7=65536\n"
             "SYN_STREAM 1 assoc 0 pri 3 flags 0 {streamtype=stdin;port=8080}\n"
             "SYN_STREAM 3 assoc 1 pri 7 flags 3 {x-several=a|bb|c;empty=}\n"
             "DATA 1 5 hello\n"
             "PING 7\n"
             "DATA 1 0 fin \n"
             "HEADERS 3 flags 1 {streamtype=stdin}\n"
             "SYN_REPLY 2 flags 0 {}\n"
             "WINDOW_UPDATE 0 delta 65536\n"
             "WINDOW_UPDATE 5 delta 1\n"
             "DATA 5 300 fin %s\n"
             "RST_STREAM 3 status 5\n"
             "GOAWAY 5 status 0\n",
             zs);
    *expect = text;
}

static void test_round_trip(void **state)
{
    (void) state;
    struct cx_buf s = { 0 };
    const char *expect;
    build_session(&s, &expect);
    struct rec r = { 0 };
    cx_error err = { 0 };
    assert_int_equal(feed_split(s.data, s.len, s.len, 0, &r, &err), (ssize_t) s.len);
    assert_string_equal(rec_text(&r), expect);
    rec_free(&r);
    cx_buf_free(&s);
}

static void test_byte_by_byte_and_random_splits(void **state)
{
    (void) state;
    struct cx_buf s = { 0 };
    const char *expect;
    build_session(&s, &expect);
    cx_error err = { 0 };
    struct rec r = { 0 };
    assert_true(feed_split(s.data, s.len, 1, 0, &r, &err) >= 0);
    assert_string_equal(rec_text(&r), expect);
    assert_int_equal(r.max_piece, 1);
    rec_free(&r);
    for (unsigned seed = 1; seed <= 200; seed++) {
        struct rec q = { 0 };
        assert_true(feed_split(s.data, s.len, 0, seed, &q, &err) >= 0);
        assert_string_equal(rec_text(&q), expect);
        rec_free(&q);
    }
    cx_buf_free(&s);
}

static void test_pause(void **state)
{
    (void) state;
    struct cx_buf s = { 0 };
    const char *expect;
    build_session(&s, &expect);
    cx_error err = { 0 };
    struct spdy_conn *c;
    assert_int_equal(spdy_conn_new(&c, &err), 0);
    struct rec r = { .pause_every = 1 };
    size_t off = 0;
    int calls = 0;
    while (off < s.len) {
        int before = r.events;
        ssize_t n = spdy_feed(c, s.data + off, s.len - off, on_frame, &r, &err);
        assert_true(n > 0);
        /* one event per call at most */
        assert_true(r.events - before <= 1);
        off += (size_t) n;
        calls++;
    }
    assert_int_equal(calls, r.events);
    assert_string_equal(rec_text(&r), expect);
    rec_free(&r);
    spdy_conn_free(c);
    cx_buf_free(&s);
}

static void test_encodings(void **state)
{
    (void) state;
    struct cx_buf b = { 0 };
    spdy_put_ping(&b, 1);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.data, "\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12);
    b.len = 0;
    spdy_put_goaway(&b, 0x80000005u, SPDY_GOAWAY_PROTOCOL_ERROR);
    assert_memory_equal(b.data, "\x80\x03\x00\x07\x00\x00\x00\x08\x00\x00\x00\x05\x00\x00\x00\x01", 16);
    b.len = 0;
    spdy_put_rst_stream(&b, 3, SPDY_FRAME_TOO_LARGE);
    assert_memory_equal(b.data, "\x80\x03\x00\x03\x00\x00\x00\x08\x00\x00\x00\x03\x00\x00\x00\x0b", 16);
    b.len = 0;
    spdy_put_data(&b, 9, SPDY_FLAG_FIN, "ab", 2);
    assert_memory_equal(b.data, "\x00\x00\x00\x09\x01\x00\x00\x02" "ab", 10);
    b.len = 0;
    spdy_put_data(&b, 9, SPDY_FLAG_FIN, NULL, 0);  /* only a FIN */
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "\x00\x00\x00\x09\x01\x00\x00\x00", 8);
    b.len = 0;
    /* a SYN_REPLY with an empty block: length = 4 + the compressed block */
    struct spdy_conn *c;
    cx_error err = { 0 };
    assert_int_equal(spdy_conn_new(&c, &err), 0);
    assert_int_equal(spdy_put_syn_reply(c, &b, 1, 0, NULL, 0, &err), 0);
    assert_memory_equal(b.data, "\x80\x03\x00\x02\x00\x00", 6);
    assert_int_equal(cx_be24(b.data + 5), b.len - 8);
    assert_memory_equal(b.data + 8, "\x00\x00\x00\x01", 4);
    /* zlib header: FDICT set, then the dictionary's Adler-32 */
    assert_true(b.data[13] & 0x20);
    assert_int_equal(cx_be32(b.data + 14), 0xe3c6a7c2u);
    /* bad pairs leave the buffer as it was */
    size_t len = b.len;
    struct spdy_header bad = { "Upper", "x", 1 };
    assert_int_equal(spdy_put_syn_reply(c, &b, 1, 0, &bad, 1, &err), -1);
    assert_int_equal(b.len, len);
    assert_non_null(strstr(err.msg, "lower-case"));
    spdy_conn_free(c);
    cx_buf_free(&b);
}

/* More than 2^24-1 bytes of data go as two frames, FIN on the second. */
static void test_put_data_splits(void **state)
{
    (void) state;
    size_t len = SPDY_LEN_MAX + 10;
    uint8_t *data = calloc(1, len);
    struct cx_buf b = { 0 };
    spdy_put_data(&b, 1, SPDY_FLAG_FIN, data, len);
    assert_int_equal(b.len, len + 16);
    assert_int_equal(b.data[4], 0);
    assert_int_equal(cx_be24(b.data + 5), SPDY_LEN_MAX);
    const uint8_t *second = b.data + 8 + SPDY_LEN_MAX;
    assert_int_equal(cx_be32(second), 1);
    assert_int_equal(second[4], SPDY_FLAG_FIN);
    assert_int_equal(cx_be24(second + 5), 10);
    free(data);
    cx_buf_free(&b);
}

/* A big data frame reaches the handler in pieces no larger than a read. */
static void test_data_not_buffered(void **state)
{
    (void) state;
    size_t len = 200000;
    uint8_t *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t) (i * 7);
    struct cx_buf b = { 0 };
    spdy_put_data(&b, 7, SPDY_FLAG_FIN, data, len);
    struct rec r = { 0 };
    cx_error err = { 0 };
    assert_true(feed_split(b.data, b.len, 4096, 0, &r, &err) >= 0);
    assert_int_equal(r.max_piece, 4096);
    assert_true(r.pieces >= len / 4096);
    const char *t = rec_text(&r);
    assert_memory_equal(t, "DATA 7 200000 fin ", 18);
    assert_memory_equal(t + 18, data, len);
    free(data);
    rec_free(&r);
    cx_buf_free(&b);
}

/* Unknown control types (NOOP of SPDY/2, CREDENTIAL, anything) are
 * passed over. */
static void test_unknown_types_skipped(void **state)
{
    (void) state;
    struct cx_buf b = { 0 };
    cx_buf_add(&b, "\x80\x03\x00\x05\x00\x00\x00\x00", 8);
    cx_buf_add(&b, "\x80\x03\x00\x0a\xff\x00\x00\x03xyz", 11);
    cx_buf_add(&b, "\x80\x03\x7f\xff\x00\x00\x00\x01!", 9);
    spdy_put_ping(&b, 3);
    struct rec r = { 0 };
    cx_error err = { 0 };
    assert_true(feed_split(b.data, b.len, 1, 0, &r, &err) >= 0);
    assert_string_equal(rec_text(&r), "PING 3\n");
    rec_free(&r);
    cx_buf_free(&b);
}

/* ---- errors ------------------------------------------------------------ */

/* Feed raw (whole, then byte by byte): must fail with a message holding
 * want, and the session must refuse more input after it. */
static void expect_error(const void *raw, size_t len, const char *want)
{
    for (size_t chunk = len; chunk >= 1; chunk = chunk == len ? 1 : 0) {
        struct spdy_conn *c;
        cx_error err = { 0 };
        assert_int_equal(spdy_conn_new(&c, &err), 0);
        struct rec r = { 0 };
        ssize_t rc = 0;
        for (size_t pos = 0; pos < len && rc >= 0; pos += chunk) {
            size_t n = len - pos < chunk ? len - pos : chunk;
            rc = spdy_feed(c, (const uint8_t *) raw + pos, n, on_frame, &r, &err);
        }
        if (rc != -1 || strstr(err.msg, want) == NULL)
            fail_msg("want an error with '%s', got %zd '%s'", want, rc, err.msg);
        cx_error again = { 0 };
        assert_int_equal(spdy_feed(c, "\0", 1, on_frame, &r, &again), -1);
        assert_non_null(strstr(again.msg, "failed before"));
        rec_free(&r);
        spdy_conn_free(c);
        if (len == 1)
            break;
    }
}

static void test_frame_errors(void **state)
{
    (void) state;
#define BAD(lit, want) expect_error(lit, sizeof lit - 1, want)
    BAD("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", "version 2");
    BAD("\x80\x04\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", "version 4");
    BAD("\x80\x03\x00\x01\x00\x01\x00\x01", "more than 65536");
    BAD("\x80\x03\x00\x63\x00\xff\xff\xff", "more than 65536");
    BAD("\x80\x03\x00\x06\x00\x00\x00\x05\x00\x00\x00\x01\x00", "payload of 5");
    BAD("\x80\x03\x00\x06\x00\x00\x00\x00", "payload of 0");
    BAD("\x80\x03\x00\x07\x00\x00\x00\x04\x00\x00\x00\x01", "payload of 4");
    BAD("\x80\x03\x00\x09\x00\x00\x00\x04\x00\x00\x00\x01", "payload of 4");
    BAD("\x80\x03\x00\x03\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00",
        "payload of 12");
    BAD("\x80\x03\x00\x01\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00\x00\x00\x00", "payload of 9");
    BAD("\x80\x03\x00\x02\x00\x00\x00\x03\x00\x00\x01", "payload of 3");
    BAD("\x80\x03\x00\x08\x00\x00\x00\x02\x00\x01", "payload of 2");
    BAD("\x80\x03\x00\x04\x00\x00\x00\x02\x00\x00", "payload of 2");
    /* stream 0 where a stream is needed */
    BAD("\x00\x00\x00\x00\x00\x00\x00\x01x", "data frame on stream 0");
    BAD("\x80\x03\x00\x03\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01", "on stream 0");
    BAD("\x80\x03\x00\x03\x00\x00\x00\x08\x80\x00\x00\x00\x00\x00\x00\x01", "on stream 0");
    /* RST_STREAM status 0, WINDOW_UPDATE of 0 */
    BAD("\x80\x03\x00\x03\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00", "status 0");
    BAD("\x80\x03\x00\x09\x00\x00\x00\x08\x00\x00\x00\x01\x80\x00\x00\x00", "of 0 bytes");
    /* SETTINGS whose count disagrees with its length */
    BAD("\x80\x03\x00\x04\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01",
        "for 2 entries");
    BAD("\x80\x03\x00\x04\x00\x00\x00\x05\x00\x00\x00\x00\x00", "for 0 entries");
    BAD("\x80\x03\x00\x04\x00\x00\x00\x04\xff\xff\xff\xff", "entries");
    /* a header block that is not zlib */
    BAD("\x80\x03\x00\x02\x00\x00\x00\x08\x00\x00\x00\x01\x12\x34\x56\x78", "zlib");
    BAD("\x80\x03\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01", "too short");
#undef BAD
}

/* One frame with a header block, of type, on stream 0. */
static void put_on_stream_0(struct spdy_conn *c, uint8_t type, struct cx_buf *b)
{
    cx_error err = { 0 };
    int rc = type == SPDY_SYN_STREAM ? spdy_put_syn_stream(c, b, 0, 0, 0, 0, stdin_hdr, 1, &err)
             : type == SPDY_SYN_REPLY ? spdy_put_syn_reply(c, b, 0, 0, stdin_hdr, 1, &err)
                                      : spdy_put_headers(c, b, 0, 0, stdin_hdr, 1, &err);
    assert_int_equal(rc, 0);
}

/* Frames with a header block on stream 0 are refused (after the block
 * was decoded: the zlib stream stays in step until then). */
static void test_zero_stream_with_headers(void **state)
{
    (void) state;
    uint8_t types[] = { SPDY_SYN_STREAM, SPDY_SYN_REPLY, SPDY_HEADERS };
    for (size_t i = 0; i < sizeof types; i++) {
        struct spdy_conn *client;
        cx_error err = { 0 };
        assert_int_equal(spdy_conn_new(&client, &err), 0);
        struct cx_buf b = { 0 };
        put_on_stream_0(client, types[i], &b);
        expect_error(b.data, b.len, "on stream 0");
        spdy_conn_free(client);
        cx_buf_free(&b);
    }
}

static void test_handler_failure(void **state)
{
    (void) state;
    struct cx_buf s = { 0 };
    const char *expect;
    build_session(&s, &expect);
    struct rec r = { .fail_at = 3 };
    cx_error err = { 0 };
    assert_int_equal(feed_split(s.data, s.len, s.len, 0, &r, &err), -1);
    assert_string_equal(err.msg, "handler says no");
    assert_int_equal(r.events, 3);
    rec_free(&r);
    cx_buf_free(&s);
}

/* A control frame's payload may be 64 KiB exactly. */
static void test_control_limit(void **state)
{
    (void) state;
    struct cx_buf b = { 0 };
    size_t n = (SPDY_CTRL_MAX - 4) / 8;
    struct spdy_setting *set = calloc(n, sizeof *set);
    spdy_put_settings(&b, 0, set, n);
    assert_int_equal(b.len, 8 + 4 + 8 * n);
    assert_true(8 * n + 4 <= SPDY_CTRL_MAX && 8 * (n + 1) + 4 > SPDY_CTRL_MAX);
    struct rec r = { 0 };
    cx_error err = { 0 };
    assert_true(feed_split(b.data, b.len, 1000, 0, &r, &err) >= 0);
    assert_int_equal(r.events, 1);
    free(set);
    rec_free(&r);
    cx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_byte_by_byte_and_random_splits),
        cmocka_unit_test(test_pause),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_put_data_splits),
        cmocka_unit_test(test_data_not_buffered),
        cmocka_unit_test(test_unknown_types_skipped),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_zero_stream_with_headers),
        cmocka_unit_test(test_handler_failure),
        cmocka_unit_test(test_control_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
