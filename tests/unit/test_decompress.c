/* test_decompress.c: the layer reader (gzip, zstd, none, detection,
 * concatenated members, truncation, bombs, digests) and the gzip writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compress_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "image/decompress.h"

/* ---- helpers ---- */

static int memfd_with(const void *buf, size_t len)
{
    int fd = memfd_create("blob", MFD_CLOEXEC);
    assert_true(fd >= 0);
    if (len)
        assert_int_equal(write(fd, buf, len), (ssize_t) len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* Read everything from fd through a reader; returns the output (malloc'd)
 * or NULL with err filled. */
static uint8_t *read_all(int fd, enum cx_compression comp, const struct cx_digest *d,
                         const struct cx_digest *diff, uint64_t max, unsigned ratio,
                         size_t *outlen, cx_error *err, struct cx_layer_reader **keep)
{
    struct cx_layer_reader *r = NULL;
    if (cx_layer_reader_open(fd, comp, d, diff, max, ratio, &r, err) < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *out = malloc(cap);
    for (;;) {
        if (n + 4096 > cap)
            out = realloc(out, cap *= 2);
        ssize_t k = cx_layer_reader_read(r, out + n, 4096, err);
        if (k < 0) {
            free(out);
            cx_layer_reader_free(r);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t) k;
    }
    if (cx_layer_reader_finish(r, err) < 0) {
        free(out);
        cx_layer_reader_free(r);
        return NULL;
    }
    *outlen = n;
    if (keep)
        *keep = r;
    else
        cx_layer_reader_free(r);
    return out;
}

static uint8_t *text(size_t len)
{
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t) ("capsa layer "[i % 12] + (i / 977) % 7);
    return b;
}

/* ---- tests ---- */

static void test_none_and_detect(void **state)
{
    (void) state;
    cx_error err = { 0 };
    static const char data[] = "plain tar bytes, not compressed";
    struct cx_digest d;
    assert_int_equal(cx_digest_buffer(CX_SHA256, data, sizeof data, &d, &err), 0);
    for (int c = 0; c < 2; c++) {
        int fd = memfd_with(data, sizeof data);
        size_t n;
        struct cx_layer_reader *r = NULL;
        uint8_t *out = read_all(fd, c ? CX_COMP_DETECT : CX_COMP_NONE, &d, &d, 0, 0, &n, &err, &r);
        assert_non_null(out);
        assert_int_equal(n, sizeof data);
        assert_memory_equal(out, data, n);
        assert_int_equal(cx_layer_reader_compression(r), CX_COMP_NONE);
        uint64_t in, o;
        struct cx_digest gd, gdiff;
        cx_layer_reader_stats(r, &in, &o, &gd, &gdiff);
        assert_int_equal(in, sizeof data);
        assert_int_equal(o, sizeof data);
        assert_true(cx_digest_equal(&gd, &d));
        assert_true(cx_digest_equal(&gdiff, &d));
        cx_layer_reader_free(r);
        free(out);
        close(fd);
    }
    /* shorter than a magic number, and empty */
    for (size_t len = 0; len < 3; len++) {
        int fd = memfd_with(len == 2 ? "\x1f\x1f" : "\x1f", len);
        size_t n;
        uint8_t *out = read_all(fd, CX_COMP_DETECT, NULL, NULL, 0, 0, &n, &err, NULL);
        assert_non_null(out);
        assert_int_equal(n, len);
        free(out);
        close(fd);
    }
}

static void test_gzip_and_zstd(void **state)
{
    (void) state;
    cx_error err = { 0 };
    size_t len = 300000, clen, n;
    uint8_t *plain = text(len);
    struct cx_digest d, diff;
    assert_int_equal(cx_digest_buffer(CX_SHA256, plain, len, &diff, &err), 0);
    for (int z = 0; z < 2; z++) {
        uint8_t *c = z ? zstd_buf(plain, len, &clen) : gzip_buf(plain, len, &clen);
        assert_int_equal(cx_digest_buffer(CX_SHA256, c, clen, &d, &err), 0);
        for (int detect = 0; detect < 2; detect++) {
            int fd = memfd_with(c, clen);
            enum cx_compression comp = detect ? CX_COMP_DETECT : z ? CX_COMP_ZSTD : CX_COMP_GZIP;
            struct cx_layer_reader *r = NULL;
            uint8_t *out = read_all(fd, comp, &d, &diff, 0, 0, &n, &err, &r);
            assert_non_null(out);
            assert_int_equal(n, len);
            assert_memory_equal(out, plain, len);
            assert_int_equal(cx_layer_reader_compression(r), z ? CX_COMP_ZSTD : CX_COMP_GZIP);
            uint64_t in, o;
            cx_layer_reader_stats(r, &in, &o, NULL, NULL);
            assert_int_equal(in, clen);
            assert_int_equal(o, len);
            cx_layer_reader_free(r);
            free(out);
            close(fd);
        }
        free(c);
    }
    free(plain);
}

/* Two gzip members (and two zstd frames), fed a few bytes per read through
 * a SOCK_SEQPACKET socket, so every boundary falls everywhere. */
static void test_concatenated_chunked(void **state)
{
    (void) state;
    static const char a[] = "first member of the layer, ", b[] = "and the second one.";
    for (int z = 0; z < 2; z++) {
        for (size_t chunk = 1; chunk <= 9; chunk += 4) {
            size_t la, lb;
            uint8_t *ca = z ? zstd_buf(a, strlen(a), &la) : gzip_buf(a, strlen(a), &la);
            uint8_t *cb = z ? zstd_buf(b, strlen(b), &lb) : gzip_buf(b, strlen(b), &lb);
            uint8_t *all = malloc(la + lb);
            memcpy(all, ca, la);
            memcpy(all + la, cb, lb);
            int sv[2];
            assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
            for (size_t off = 0; off < la + lb; off += chunk) {
                size_t k = la + lb - off < chunk ? la + lb - off : chunk;
                assert_int_equal(write(sv[1], all + off, k), (ssize_t) k);
            }
            close(sv[1]);
            cx_error err = { 0 };
            size_t n;
            uint8_t *out = read_all(sv[0], CX_COMP_DETECT, NULL, NULL, 0, 0, &n, &err, NULL);
            assert_non_null(out);
            assert_int_equal(n, strlen(a) + strlen(b));
            assert_memory_equal(out, a, strlen(a));
            assert_memory_equal(out + strlen(a), b, strlen(b));
            free(out);
            free(ca);
            free(cb);
            free(all);
            close(sv[0]);
        }
    }
}

static void test_truncated_and_corrupt(void **state)
{
    (void) state;
    size_t len = 5000, clen, n;
    uint8_t *plain = text(len);
    for (int z = 0; z < 2; z++) {
        uint8_t *c = z ? zstd_buf(plain, len, &clen) : gzip_buf(plain, len, &clen);
        for (size_t cut = 0; cut < clen; cut++) {
            int fd = memfd_with(c, cut);
            cx_error err = { 0 };
            uint8_t *out = read_all(fd, z ? CX_COMP_ZSTD : CX_COMP_GZIP, NULL, NULL, 0, 0, &n,
                                    &err, NULL);
            assert_null(out);
            assert_true(strncmp(err.msg, "layer: ", 7) == 0);
            close(fd);
        }
        /* a flipped byte in the middle, and trailing garbage */
        uint8_t *bad = malloc(clen + 3);
        memcpy(bad, c, clen);
        bad[clen / 2] ^= 0x55;
        int fd = memfd_with(bad, clen);
        cx_error err = { 0 };
        assert_null(read_all(fd, CX_COMP_DETECT, NULL, NULL, 0, 0, &n, &err, NULL));
        assert_non_null(strstr(err.msg, z ? "corrupt zstd stream" : "gzip"));
        close(fd);
        memcpy(bad, c, clen);
        memcpy(bad + clen, "xyz", 3);
        fd = memfd_with(bad, clen + 3);
        assert_null(read_all(fd, CX_COMP_DETECT, NULL, NULL, 0, 0, &n, &err, NULL));
        close(fd);
        free(bad);
        free(c);
    }
    /* the truncated message names the layer by its digest */
    struct cx_digest d;
    cx_error err = { 0 };
    assert_int_equal(cx_digest_parse("sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
                                     "0123456789abcdef", &d, "d", &err), 0);
    uint8_t *c = gzip_buf(plain, len, &clen);
    int fd = memfd_with(c, clen - 10);
    assert_null(read_all(fd, CX_COMP_GZIP, &d, NULL, 0, 0, &n, &err, NULL));
    char want[256];
    snprintf(want, sizeof want, "layer sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
             "0123456789abcdef: truncated gzip stream (%zu compressed bytes)", clen - 10);
    assert_string_equal(err.msg, want);
    close(fd);
    free(c);
    free(plain);
}

static void test_bombs(void **state)
{
    (void) state;
    size_t len = 8 << 20, clen, n;
    uint8_t *zeros = calloc(1, len);
    for (int z = 0; z < 2; z++) {
        uint8_t *c = z ? zstd_buf(zeros, len, &clen) : gzip_buf(zeros, len, &clen);
        cx_error err = { 0 };
        int fd = memfd_with(c, clen);
        assert_null(read_all(fd, CX_COMP_DETECT, NULL, NULL, 1 << 20, 0, &n, &err, NULL));
        assert_string_equal(err.msg, "layer: more than 1048576 bytes uncompressed; refused");
        close(fd);
        /* the ratio bounds gzip (~1032:1 at most, honestly); zstd's honest
           ratio has no such ceiling: max_uncompressed bounds it */
        fd = memfd_with(c, clen);
        uint8_t *out = read_all(fd, CX_COMP_DETECT, NULL, NULL, 0, 50, &n, &err, NULL);
        if (z) {
            assert_non_null(out);
            free(out);
        } else {
            assert_null(out);
            assert_non_null(strstr(err.msg, "refused as a decompression bomb"));
            assert_non_null(strstr(err.msg, "(over 50:1)"));
        }
        close(fd);
        /* within the defaults (gzip of zeros is ~1030:1) it passes */
        fd = memfd_with(c, clen);
        out = read_all(fd, CX_COMP_DETECT, NULL, NULL, 0, 0, &n, &err, NULL);
        assert_non_null(out);
        assert_int_equal(n, len);
        free(out);
        close(fd);
        free(c);
    }
    /* uncompressed: the byte bound still holds, the ratio does not apply */
    int fd = memfd_with(zeros, 3 << 20);
    cx_error err = { 0 };
    assert_null(read_all(fd, CX_COMP_NONE, NULL, NULL, 1 << 20, 1, &n, &err, NULL));
    assert_string_equal(err.msg, "layer: more than 1048576 bytes uncompressed; refused");
    close(fd);
    free(zeros);
}

static void test_digest_mismatch(void **state)
{
    (void) state;
    static const char data[] = "some layer";
    size_t clen, n;
    uint8_t *c = gzip_buf(data, sizeof data, &clen);
    struct cx_digest d, diff, other;
    cx_error err = { 0 };
    assert_int_equal(cx_digest_buffer(CX_SHA256, c, clen, &d, &err), 0);
    assert_int_equal(cx_digest_buffer(CX_SHA256, data, sizeof data, &diff, &err), 0);
    assert_int_equal(cx_digest_buffer(CX_SHA256, "x", 1, &other, &err), 0);
    char ds[CX_DIGEST_MAX], os[CX_DIGEST_MAX], want[512];
    cx_digest_format(&d, ds);
    cx_digest_format(&other, os);

    int fd = memfd_with(c, clen);
    assert_null(read_all(fd, CX_COMP_GZIP, &other, &diff, 0, 0, &n, &err, NULL));
    snprintf(want, sizeof want, "layer %s: digest mismatch: expected %s, got %s", os, os, ds);
    assert_string_equal(err.msg, want);
    close(fd);

    fd = memfd_with(c, clen);
    assert_null(read_all(fd, CX_COMP_GZIP, &d, &other, 0, 0, &n, &err, NULL));
    assert_non_null(strstr(err.msg, "diff_id mismatch (uncompressed content): expected"));
    assert_true(strncmp(err.msg, "layer sha256:", 13) == 0);
    close(fd);

    fd = memfd_with(c, clen);
    uint8_t *out = read_all(fd, CX_COMP_GZIP, &d, &diff, 0, 0, &n, &err, NULL);
    assert_non_null(out);
    free(out);
    close(fd);
    free(c);
}

static void test_gzip_writer(void **state)
{
    (void) state;
    size_t len = 3000000;
    uint8_t *plain = text(len);
    int in = memfd_with(plain, len);
    int out = memfd_create("gz", MFD_CLOEXEC);
    struct cx_digest dc, du, want_u;
    uint64_t size = 0;
    cx_error err = { 0 };
    for (int level = 0; level <= 9; level += 9) {
        assert_int_equal(lseek(in, 0, SEEK_SET), 0);
        assert_int_equal(ftruncate(out, 0), 0);
        assert_int_equal(lseek(out, 0, SEEK_SET), 0);
        assert_int_equal(cx_gzip_compress_fd(in, out, level, &dc, &du, &size, &err), 0);
        assert_int_equal(cx_digest_buffer(CX_SHA256, plain, len, &want_u, &err), 0);
        assert_true(cx_digest_equal(&du, &want_u));
        assert_int_equal(lseek(out, 0, SEEK_END), (off_t) size);
        assert_true(size < len / 4);
        uint8_t hdr[10];
        assert_int_equal(pread(out, hdr, 10, 0), 10);
        assert_memory_equal(hdr, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);  /* mtime 0 */
        assert_int_equal(lseek(out, 0, SEEK_SET), 0);
        size_t n;
        uint8_t *back = read_all(out, CX_COMP_DETECT, &dc, &du, 0, 0, &n, &err, NULL);
        assert_non_null(back);
        assert_int_equal(n, len);
        assert_memory_equal(back, plain, len);
        free(back);
    }
    /* empty input: a valid empty gzip member */
    int empty = memfd_with("", 0);
    assert_int_equal(ftruncate(out, 0), 0);
    assert_int_equal(lseek(out, 0, SEEK_SET), 0);
    assert_int_equal(cx_gzip_compress_fd(empty, out, 6, &dc, NULL, &size, &err), 0);
    assert_int_equal(lseek(out, 0, SEEK_SET), 0);
    size_t n;
    uint8_t *back = read_all(out, CX_COMP_GZIP, &dc, NULL, 0, 0, &n, &err, NULL);
    assert_non_null(back);
    assert_int_equal(n, 0);
    free(back);
    close(empty);
    close(in);
    close(out);
    free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_and_detect),
        cmocka_unit_test(test_gzip_and_zstd),
        cmocka_unit_test(test_concatenated_chunked),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_digest_mismatch),
        cmocka_unit_test(test_gzip_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
