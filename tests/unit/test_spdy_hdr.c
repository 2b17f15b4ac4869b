/* test_spdy_hdr.c: SPDY/3 header blocks (src/cri/stream/spdy_hdr.c) raw
 * and through one zlib stream per direction, their limits and errors,
 * and the compression dictionary (spdy_dict.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cri/stream/spdy_hdr.h"

/* The copy in Debian's golang-github-docker-spdystream-dev (the Go
 * client's), when installed: compared, never required. */
#define GO_DICT "/usr/share/gocode/src/github.com/moby/spdystream/spdy/dictionary.go"

static void test_dictionary(void **state)
{
    (void) state;
    assert_int_equal(spdy_dict_len, 1423);
    uLong a = adler32(adler32(0, NULL, 0), spdy_dict, (uInt) spdy_dict_len);
    assert_int_equal(a, 0xe3c6a7c2u);
    /* the first part: 65 length-prefixed lower-case words, ending with
     * "origin"; then text */
    size_t pos = 0, words = 0;
    while (pos + 4 <= spdy_dict_len && cx_be32(spdy_dict + pos) < 32) {
        uint32_t n = cx_be32(spdy_dict + pos);
        assert_true(n > 0 && pos + 4 + n <= spdy_dict_len);
        pos += 4 + n;
        words++;
    }
    assert_int_equal(words, 65);
    assert_memory_equal(spdy_dict + pos - 6, "origin", 6);
    assert_memory_equal(spdy_dict + spdy_dict_len - 6, "enq=0.", 6);
}

static void test_dictionary_matches_go(void **state)
{
    (void) state;
    FILE *f = fopen(GO_DICT, "r");
    if (f == NULL)
        skip();
    static char text[64 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strstr(text, "headerDictionary = ");
    assert_non_null(p);
    uint8_t go[2048];
    size_t len = 0;
    while ((p = strstr(p, "0x")) != NULL && len < sizeof go) {
        go[len++] = (uint8_t) strtoul(p, NULL, 16);
        p += 2;
    }
    assert_int_equal(len, spdy_dict_len);
    assert_memory_equal(go, spdy_dict, len);
}

/* ---- raw blocks -------------------------------------------------------- */

static void test_raw_round_trip(void **state)
{
    (void) state;
    struct spdy_header v[] = {
        { "streamtype", "stdout", 6 },
        { "x-multi", "one\0two", 7 },
        { "empty", "", 0 },
        { "requestid", "0", 1 },
    };
    struct cx_buf b = { 0 };
    cx_error err = { 0 };
    assert_int_equal(spdy_hdr_build(v, 4, &b, &err), 0);
    assert_int_equal(b.len, 4 + 4 * 8 + 10 + 6 + 7 + 7 + 5 + 9 + 1);
    struct spdy_headers h = { 0 };
    assert_int_equal(spdy_hdr_parse(b.data, b.len, &h, &err), 0);
    assert_int_equal(h.n, 4);
    assert_string_equal(spdy_header_get(&h, "streamtype", NULL), "stdout");
    size_t len;
    const char *m = spdy_header_get(&h, "x-multi", &len);
    assert_int_equal(len, 7);
    assert_memory_equal(m, "one\0two", 8);  /* NUL-terminated too */
    assert_string_equal(spdy_header_get(&h, "empty", &len), "");
    assert_int_equal(len, 0);
    assert_null(spdy_header_get(&h, "StreamType", NULL));
    assert_null(spdy_header_get(&h, "port", NULL));
    spdy_headers_clear(&h);
    /* an empty block */
    b.len = 0;
    assert_int_equal(spdy_hdr_build(NULL, 0, &b, &err), 0);
    assert_int_equal(spdy_hdr_parse(b.data, b.len, &h, &err), 0);
    assert_int_equal(h.n, 0);
    spdy_headers_clear(&h);
    cx_buf_free(&b);
}

static void expect_parse_error(const void *raw, size_t len, const char *want)
{
    struct spdy_headers h = { 0 };
    cx_error err = { 0 };
    if (spdy_hdr_parse(raw, len, &h, &err) != -1 || strstr(err.msg, want) == NULL)
        fail_msg("want an error with '%s', got '%s'", want, err.msg);
    assert_int_equal(h.n, 0);
    assert_null(h.text);
}

static void test_raw_errors(void **state)
{
    (void) state;
#define BAD(lit, want) expect_parse_error(lit, sizeof lit - 1, want)
    BAD("", "too short");
    BAD("\0\0\0", "too short");
    BAD("\0\0\0\x65", "101 pairs");
    BAD("\xff\xff\xff\xff", "pairs");
    BAD("\0\0\0\1", "name length is cut");
    BAD("\0\0\0\1\0\0\0\5abcd", "name of 5 bytes, only 4 left");
    BAD("\0\0\0\1\0\0\0\1a\0\0", "value length is cut");
    BAD("\0\0\0\1\0\0\0\1a\0\0\0\2b", "value of 2 bytes, only 1 left");
    BAD("\0\0\0\1\xff\xff\xff\xff", "only 0 left");
    BAD("\0\0\0\1\0\0\0\0\0\0\0\1b", "empty or not lower-case");
    BAD("\0\0\0\1\0\0\0\1A\0\0\0\1b", "empty or not lower-case");
    BAD("\0\0\0\1\0\0\0\2a\0\0\0\0\1b", "empty or not lower-case");
    BAD("\0\0\0\2\0\0\0\1a\0\0\0\1b\0\0\0\1a\0\0\0\1c", "a appears twice");
    BAD("\0\0\0\1\0\0\0\1a\0\0\0\1bX", "1 bytes after its 1 pairs");
    BAD("\0\0\0\0\0", "1 bytes after its 0 pairs");
#undef BAD
    /* over the size limit */
    uint8_t *big = calloc(1, SPDY_HDR_BLOCK_MAX + 1);
    expect_parse_error(big, SPDY_HDR_BLOCK_MAX + 1, "more than 262144");
    free(big);
}

static void test_build_errors(void **state)
{
    (void) state;
    struct cx_buf b = { 0 };
    cx_error err = { 0 };
    struct spdy_header up = { "Port", "1", 1 }, empty = { "", "1", 1 };
    assert_int_equal(spdy_hdr_build(&up, 1, &b, &err), -1);
    assert_int_equal(spdy_hdr_build(&empty, 1, &b, &err), -1);
    struct spdy_header dup[] = { { "a", "1", 1 }, { "a", "2", 1 } };
    assert_int_equal(spdy_hdr_build(dup, 2, &b, &err), -1);
    assert_non_null(strstr(err.msg, "twice"));
    struct spdy_header many[SPDY_HDR_PAIRS_MAX + 1];
    char names[SPDY_HDR_PAIRS_MAX + 1][8];
    for (int i = 0; i <= SPDY_HDR_PAIRS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "h%d", i);
        many[i] = (struct spdy_header) { names[i], "v", 1 };
    }
    assert_int_equal(spdy_hdr_build(many, SPDY_HDR_PAIRS_MAX + 1, &b, &err), -1);
    assert_non_null(strstr(err.msg, "101 pairs"));
    assert_int_equal(b.len, 0);
    /* exactly 100 is fine, and reads back */
    assert_int_equal(spdy_hdr_build(many, SPDY_HDR_PAIRS_MAX, &b, &err), 0);
    struct spdy_headers h = { 0 };
    assert_int_equal(spdy_hdr_parse(b.data, b.len, &h, &err), 0);
    assert_int_equal(h.n, SPDY_HDR_PAIRS_MAX);
    assert_string_equal(h.v[99].name, "h99");
    spdy_headers_clear(&h);
    /* a value too big for a block */
    char *huge = malloc(SPDY_HDR_BLOCK_MAX);
    struct spdy_header hv = { "x", huge, SPDY_HDR_BLOCK_MAX };
    b.len = 0;
    assert_int_equal(spdy_hdr_build(&hv, 1, &b, &err), -1);
    assert_int_equal(b.len, 0);
    free(huge);
    cx_buf_free(&b);
}

/* ---- through zlib ------------------------------------------------------ */

/* Several blocks one after the other on one stream, each decoded from
 * its own frame as the peer would. */
static void test_codec_round_trip(void **state)
{
    (void) state;
    struct spdy_hdr_codec *a, *b;
    cx_error err = { 0 };
    assert_int_equal(spdy_hdr_codec_new(&a, &err), 0);
    assert_int_equal(spdy_hdr_codec_new(&b, &err), 0);
    struct spdy_headers h = { 0 };
    for (int i = 0; i < 50; i++) {
        char port[16], id[16];
        snprintf(port, sizeof port, "%d", 8000 + i);
        snprintf(id, sizeof id, "%d", i);
        struct spdy_header v[] = {
            { "streamtype", i % 2 ? "data" : "error", i % 2 ? 4 : 5 },
            { "port", port, strlen(port) },
            { "requestid", id, strlen(id) },
        };
        struct cx_buf blk = { 0 };
        assert_int_equal(spdy_hdr_encode(a, v, 3, &blk, &err), 0);
        /* the dictionary makes even the first block small; later ones
         * reuse what came before */
        assert_true(blk.len < (i == 0 ? 60u : 30u));
        assert_int_equal(spdy_hdr_decode(b, blk.data, blk.len, &h, &err), 0);
        assert_int_equal(h.n, 3);
        assert_string_equal(spdy_header_get(&h, "port", NULL), port);
        assert_string_equal(spdy_header_get(&h, "requestid", NULL), id);
        assert_string_equal(spdy_header_get(&h, "streamtype", NULL), i % 2 ? "data" : "error");
        cx_buf_free(&blk);
        /* the other direction, in between */
        assert_int_equal(spdy_hdr_encode(b, NULL, 0, &blk, &err), 0);
        assert_int_equal(spdy_hdr_decode(a, blk.data, blk.len, &h, &err), 0);
        assert_int_equal(h.n, 0);
        cx_buf_free(&blk);
    }
    spdy_headers_clear(&h);
    /* a block skipped breaks the stream for the next ones */
    struct cx_buf lost = { 0 }, next = { 0 };
    struct spdy_header v = { "streamtype", "stdin", 5 };
    assert_int_equal(spdy_hdr_encode(a, &v, 1, &lost, &err), 0);
    assert_int_equal(spdy_hdr_encode(a, &v, 1, &next, &err), 0);
    assert_int_equal(spdy_hdr_decode(b, next.data, next.len, &h, &err), -1);
    cx_error again = { 0 };
    assert_int_equal(spdy_hdr_decode(b, lost.data, lost.len, &h, &again), -1);
    assert_non_null(strstr(again.msg, "failed before"));
    cx_buf_free(&lost);
    cx_buf_free(&next);
    spdy_hdr_codec_free(a);
    spdy_hdr_codec_free(b);
}

/* A zlib stream made here: dict (NULL for none), raw, then a sync flush
 * or the stream's end. */
static void zlib_block(const void *dict, size_t dict_len, const void *raw, size_t len, int flush,
                       struct cx_buf *out)
{
    z_stream z = { 0 };
    assert_int_equal(deflateInit(&z, Z_BEST_COMPRESSION), Z_OK);
    if (dict != NULL)
        assert_int_equal(deflateSetDictionary(&z, dict, (uInt) dict_len), Z_OK);
    z.next_in = (Bytef *) raw;
    z.avail_in = (uInt) len;
    size_t room = deflateBound(&z, len) + 64;
    z.next_out = cx_buf_reserve(out, room);
    z.avail_out = (uInt) room;
    int rc = deflate(&z, flush);
    assert_true(rc == Z_OK || rc == Z_STREAM_END);
    out->len += room - z.avail_out;
    deflateEnd(&z);
}

static void expect_decode_error(const struct cx_buf *blk, const char *want)
{
    struct spdy_hdr_codec *c;
    cx_error err = { 0 };
    struct spdy_headers h = { 0 };
    assert_int_equal(spdy_hdr_codec_new(&c, &err), 0);
    if (spdy_hdr_decode(c, blk->data, blk->len, &h, &err) != -1 || strstr(err.msg, want) == NULL)
        fail_msg("want an error with '%s', got '%s'", want, err.msg);
    assert_int_equal(h.n, 0);
    spdy_hdr_codec_free(c);
}

static void test_codec_errors(void **state)
{
    (void) state;
    struct cx_buf raw = { 0 }, blk = { 0 };
    cx_error err = { 0 };
    struct spdy_header v = { "streamtype", "stdin", 5 };
    assert_int_equal(spdy_hdr_build(&v, 1, &raw, &err), 0);
    /* another dictionary, and none */
    zlib_block("not the dictionary", 18, raw.data, raw.len, Z_SYNC_FLUSH, &blk);
    expect_decode_error(&blk, "not SPDY/3's");
    blk.len = 0;
    zlib_block(NULL, 0, raw.data, raw.len, Z_SYNC_FLUSH, &blk);
    struct spdy_hdr_codec *c;
    struct spdy_headers h = { 0 };
    assert_int_equal(spdy_hdr_codec_new(&c, &err), 0);
    /* zlib takes a stream without a dictionary: the peer chose so */
    assert_int_equal(spdy_hdr_decode(c, blk.data, blk.len, &h, &err), 0);
    assert_string_equal(spdy_header_get(&h, "streamtype", NULL), "stdin");
    spdy_headers_clear(&h);
    spdy_hdr_codec_free(c);
    /* the peer ended its stream */
    blk.len = 0;
    zlib_block(spdy_dict, spdy_dict_len, raw.data, raw.len, Z_FINISH, &blk);
    expect_decode_error(&blk, "ended its zlib stream");
    /* garbage after a good block */
    blk.len = 0;
    zlib_block(spdy_dict, spdy_dict_len, raw.data, raw.len, Z_SYNC_FLUSH, &blk);
    cx_buf_add(&blk, "\xff\xff\xff", 3);
    expect_decode_error(&blk, "zlib");
    /* a block cut short: no full pair count */
    blk.len = 0;
    zlib_block(spdy_dict, spdy_dict_len, "\0\0", 2, Z_SYNC_FLUSH, &blk);
    expect_decode_error(&blk, "too short");
    /* a bad raw block inside good zlib */
    blk.len = 0;
    zlib_block(spdy_dict, spdy_dict_len, "\0\0\0\1\0\0\0\1A\0\0\0\0", 13, Z_SYNC_FLUSH, &blk);
    expect_decode_error(&blk, "lower-case");
    cx_buf_free(&raw);
    cx_buf_free(&blk);
}

/* What inflates past 256 KiB is refused; what stays at it is taken. */
static void test_inflate_limit(void **state)
{
    (void) state;
    for (int over = 0; over <= 1; over++) {
        size_t value_len = SPDY_HDR_BLOCK_MAX - 4 - 8 - 1 + (size_t) over;
        struct cx_buf raw = { 0 }, blk = { 0 };
        cx_buf_add(&raw, "\0\0\0\1\0\0\0\1x", 9);
        cx_buf_add_be32(&raw, (uint32_t) value_len);
        memset(cx_buf_reserve(&raw, value_len), 'v', value_len);
        raw.len += value_len;
        assert_int_equal(raw.len, SPDY_HDR_BLOCK_MAX + (size_t) over);
        zlib_block(spdy_dict, spdy_dict_len, raw.data, raw.len, Z_SYNC_FLUSH, &blk);
        assert_true(blk.len < 2048);  /* a small frame, a big block */
        if (over) {
            expect_decode_error(&blk, "more than 262144 bytes once inflated");
        } else {
            struct spdy_hdr_codec *c;
            struct spdy_headers h = { 0 };
            cx_error err = { 0 };
            assert_int_equal(spdy_hdr_codec_new(&c, &err), 0);
            assert_int_equal(spdy_hdr_decode(c, blk.data, blk.len, &h, &err), 0);
            size_t len;
            assert_non_null(spdy_header_get(&h, "x", &len));
            assert_int_equal(len, value_len);
            spdy_headers_clear(&h);
            spdy_hdr_codec_free(c);
        }
        cx_buf_free(&raw);
        cx_buf_free(&blk);
    }
    /* and a bomb: 64 KiB of compressed zeros */
    struct cx_buf raw = { 0 }, blk = { 0 };
    size_t n = 64 * 1024 * 1024;
    memset(cx_buf_reserve(&raw, n), 0, n);
    raw.len = n;
    zlib_block(spdy_dict, spdy_dict_len, raw.data, raw.len, Z_SYNC_FLUSH, &blk);
    assert_true(blk.len <= 65536 + 1024);
    expect_decode_error(&blk, "once inflated");
    cx_buf_free(&raw);
    cx_buf_free(&blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary),
        cmocka_unit_test(test_dictionary_matches_go),
        cmocka_unit_test(test_raw_round_trip),
        cmocka_unit_test(test_raw_errors),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_errors),
        cmocka_unit_test(test_inflate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
