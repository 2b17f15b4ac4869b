/* decompress.c: see decompress.h. */
#include "image/decompress.h"

#include <isa-l/igzip_lib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define IBUF_SIZE (256u << 10)
#define RATIO_SLACK (1ULL << 20)
#define NAME_MAX_LEN (CX_DIGEST_MAX + 32)

struct cx_layer_reader {
    int fd;
    enum cx_compression comp;
    bool has_digest, has_diff, in_eof, done, finished;
    struct cx_digest want_digest, want_diff, got_digest, got_diff;
    struct cx_hasher hin, hout;
    uint64_t in, out, max_out;
    unsigned max_ratio;
    uint8_t *ibuf;
    size_t ipos, ilen;
    struct inflate_state *gz;
    ZSTD_DStream *zs;
    size_t zret;        /* 0 between frames */
    char name[NAME_MAX_LEN];
};

const char *cx_layer_reader_name(const struct cx_layer_reader *r) { return r->name; }
enum cx_compression cx_layer_reader_compression(const struct cx_layer_reader *r) { return r->comp; }

static void set_name(struct cx_layer_reader *r, const struct cx_digest *digest,
                     const struct cx_digest *diff_id)
{
    char d[CX_DIGEST_MAX];
    if (digest) {
        cx_digest_format(digest, d);
        snprintf(r->name, sizeof r->name, "layer %s", d);
    } else if (diff_id) {
        cx_digest_format(diff_id, d);
        snprintf(r->name, sizeof r->name, "layer (diff_id %s)", d);
    } else {
        snprintf(r->name, sizeof r->name, "layer");
    }
}

/* Read more compressed bytes into ibuf (after what is left in it). */
static int fill(struct cx_layer_reader *r, cx_error *err)
{
    if (r->ipos > 0 && r->ipos < r->ilen)
        memmove(r->ibuf, r->ibuf + r->ipos, r->ilen - r->ipos);
    r->ilen -= r->ipos;
    r->ipos = 0;
    while (!r->in_eof && r->ilen < IBUF_SIZE) {
        ssize_t n = read(r->fd, r->ibuf + r->ilen, IBUF_SIZE - r->ilen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "%s: read", r->name);
        if (n == 0) {
            r->in_eof = true;
            break;
        }
        cx_hasher_update(&r->hin, r->ibuf + r->ilen, (size_t) n);
        r->in += (uint64_t) n;
        r->ilen += (size_t) n;
        if (r->comp != CX_COMP_DETECT)
            break;  /* one read is enough to make progress */
        if (r->ilen >= 4)
            break;
    }
    return 0;
}

static uint64_t consumed(const struct cx_layer_reader *r)
{
    return r->in - (uint64_t) (r->ilen - r->ipos);
}

/* Count n more uncompressed bytes and check the bounds. */
static int account(struct cx_layer_reader *r, const void *buf, size_t n, cx_error *err)
{
    r->out += n;
    if (r->comp != CX_COMP_NONE || r->hout.alg != r->hin.alg)
        cx_hasher_update(&r->hout, buf, n);
    if (r->out > r->max_out)
        return cx_fail(err, EFBIG, "%s: more than %llu bytes uncompressed; refused", r->name,
                       (unsigned long long) r->max_out);
    /* only gzip has a ceiling an honest stream stays under (~1032:1) */
    if (r->comp != CX_COMP_GZIP || r->max_ratio == UINT_MAX)
        return 0;
    uint64_t allowed;
    if (__builtin_mul_overflow((uint64_t) r->max_ratio, consumed(r), &allowed) ||
        __builtin_add_overflow(allowed, RATIO_SLACK, &allowed))
        return 0;
    if (r->out > allowed)
        return cx_fail(err, EFBIG,
                       "%s: %llu compressed bytes expand to more than %llu (over %u:1); "
                       "refused as a decompression bomb",
                       r->name, (unsigned long long) consumed(r),
                       (unsigned long long) r->out, r->max_ratio);
    return 0;
}

static ssize_t read_none(struct cx_layer_reader *r, uint8_t *buf, size_t len, cx_error *err)
{
    size_t n;
    if (r->ipos < r->ilen) {  /* what DETECT peeked at */
        n = r->ilen - r->ipos < len ? r->ilen - r->ipos : len;
        memcpy(buf, r->ibuf + r->ipos, n);
        r->ipos += n;
    } else {
        ssize_t k;
        do
            k = read(r->fd, buf, len);
        while (k < 0 && errno == EINTR);
        if (k < 0)
            return cx_fail_errno(err, "%s: read", r->name);
        if (k == 0) {
            r->in_eof = r->done = true;
            return 0;
        }
        n = (size_t) k;
        cx_hasher_update(&r->hin, buf, n);
        r->in += n;
    }
    if (account(r, buf, n, err) < 0)
        return -1;
    return (ssize_t) n;
}

static const char *isal_error(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid deflate distance";
    case ISAL_INVALID_WRAPPER: return "not a gzip member (bad header)";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported gzip method";
    case ISAL_INCORRECT_CHECKSUM: return "gzip checksum mismatch";
    case ISAL_NEED_DICT: return "a preset dictionary is needed";
    default: return "corrupt gzip stream";
    }
}

/* Between members: the end of the blob, or the start of the next one. */
static int gzip_next_member(struct cx_layer_reader *r, cx_error *err)
{
    if (r->ipos == r->ilen && fill(r, err) < 0)
        return -1;
    if (r->ipos == r->ilen) {
        r->done = true;
        return 0;
    }
    isal_inflate_reset(r->gz);
    r->gz->crc_flag = ISAL_GZIP;
    return 0;
}

static ssize_t read_gzip(struct cx_layer_reader *r, uint8_t *buf, size_t len, cx_error *err)
{
    struct inflate_state *s = r->gz;
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    for (;;) {
        if (s->block_state == ISAL_BLOCK_FINISH) {
            if (gzip_next_member(r, err) < 0)
                return -1;
            if (r->done)
                return 0;
        }
        if (r->ipos == r->ilen && fill(r, err) < 0)
            return -1;
        s->next_in = r->ibuf + r->ipos;
        s->avail_in = (uint32_t) (r->ilen - r->ipos);
        s->next_out = buf;
        s->avail_out = (uint32_t) len;
        uint32_t before_in = s->avail_in;
        int rc = isal_inflate(s);
        r->ipos = (size_t) (s->next_in - r->ibuf);
        size_t n = len - s->avail_out;
        if (rc < 0)
            return cx_fail(err, EBADMSG, "%s: %s after %llu compressed bytes", r->name,
                           isal_error(rc), (unsigned long long) consumed(r));
        if (n > 0) {
            if (account(r, buf, n, err) < 0)
                return -1;
            return (ssize_t) n;
        }
        if (s->block_state == ISAL_BLOCK_FINISH)
            continue;
        if (r->ipos == r->ilen && r->in_eof)
            return cx_fail(err, EBADMSG, "%s: truncated gzip stream (%llu compressed bytes)",
                           r->name, (unsigned long long) r->in);
        if (before_in == s->avail_in && before_in > 0)
            return cx_fail(err, EBADMSG, "%s: gzip stream makes no progress", r->name);
    }
}

static ssize_t read_zstd(struct cx_layer_reader *r, uint8_t *buf, size_t len, cx_error *err)
{
    for (;;) {
        if (r->ipos == r->ilen && fill(r, err) < 0)
            return -1;
        if (r->ipos == r->ilen && r->in_eof && r->zret == 0) {
            r->done = true;
            return 0;
        }
        ZSTD_inBuffer in = { r->ibuf, r->ilen, r->ipos };
        ZSTD_outBuffer out = { buf, len, 0 };
        size_t rc = ZSTD_decompressStream(r->zs, &out, &in);
        bool progress = in.pos != r->ipos || out.pos > 0;
        r->ipos = in.pos;
        if (ZSTD_isError(rc))
            return cx_fail(err, EBADMSG, "%s: corrupt zstd stream: %s", r->name,
                           ZSTD_getErrorName(rc));
        r->zret = rc;
        if (out.pos > 0) {
            if (account(r, buf, out.pos, err) < 0)
                return -1;
            return (ssize_t) out.pos;
        }
        if (r->ipos == r->ilen && r->in_eof && r->zret != 0)
            return cx_fail(err, EBADMSG, "%s: truncated zstd stream (%llu compressed bytes)",
                           r->name, (unsigned long long) r->in);
        if (!progress && r->ipos < r->ilen)
            return cx_fail(err, EBADMSG, "%s: zstd stream makes no progress", r->name);
    }
}

ssize_t cx_layer_reader_read(struct cx_layer_reader *r, void *buf, size_t len, cx_error *err)
{
    if (r->done || len == 0)
        return 0;
    switch (r->comp) {
    case CX_COMP_GZIP: return read_gzip(r, buf, len, err);
    case CX_COMP_ZSTD: return read_zstd(r, buf, len, err);
    default: return read_none(r, buf, len, err);
    }
}

static int detect(struct cx_layer_reader *r, cx_error *err)
{
    if (fill(r, err) < 0)
        return -1;
    static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
    if (r->ilen >= 2 && r->ibuf[0] == 0x1f && r->ibuf[1] == 0x8b)
        r->comp = CX_COMP_GZIP;
    else if (r->ilen >= 4 && memcmp(r->ibuf, zstd_magic, 4) == 0)
        r->comp = CX_COMP_ZSTD;
    else
        r->comp = CX_COMP_NONE;
    return 0;
}

static int start_decoder(struct cx_layer_reader *r, cx_error *err)
{
    if (r->comp == CX_COMP_GZIP) {
        r->gz = cx_calloc(1, sizeof *r->gz);
        isal_inflate_init(r->gz);
        r->gz->crc_flag = ISAL_GZIP;
        return 0;
    }
    if (r->comp == CX_COMP_ZSTD) {
        r->zs = ZSTD_createDStream();
        if (r->zs == NULL)
            return cx_fail(err, ENOMEM, "%s: cannot allocate a zstd decoder", r->name);
        /* 128 MiB windows at most (zstd's own default for streaming) */
        ZSTD_DCtx_setParameter(r->zs, ZSTD_d_windowLogMax, 27);
        r->zret = 1;  /* a frame is expected */
    }
    return 0;
}

int cx_layer_reader_open(int fd, enum cx_compression comp, const struct cx_digest *digest,
                         const struct cx_digest *diff_id, uint64_t max_uncompressed,
                         unsigned max_ratio, struct cx_layer_reader **out, cx_error *err)
{
    struct cx_layer_reader *r = cx_calloc(1, sizeof *r);
    r->fd = fd;
    r->comp = comp;
    r->max_out = max_uncompressed ? max_uncompressed : CX_LAYER_MAX_BYTES_DEFAULT;
    r->max_ratio = max_ratio ? max_ratio : CX_LAYER_MAX_RATIO_DEFAULT;
    set_name(r, digest, diff_id);
    if (digest) {
        r->has_digest = true;
        r->want_digest = *digest;
    }
    if (diff_id) {
        r->has_diff = true;
        r->want_diff = *diff_id;
    }
    r->ibuf = malloc(IBUF_SIZE);
    if (r->ibuf == NULL) {
        cx_layer_reader_free(r);
        return cx_fail(err, ENOMEM, "%s: cannot allocate a read buffer", r->name);
    }
    /* the blob's hash uses the digest's algorithm; the diff_id's its own */
    if (cx_hasher_init(&r->hin, digest ? digest->alg : CX_SHA256, err) < 0 ||
        cx_hasher_init(&r->hout, diff_id ? diff_id->alg : CX_SHA256, err) < 0 ||
        (comp == CX_COMP_DETECT && detect(r, err) < 0) || start_decoder(r, err) < 0) {
        cx_layer_reader_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

static int drain(struct cx_layer_reader *r, cx_error *err)
{
    _cleanup_free_ uint8_t *buf = malloc(64 * 1024);
    if (buf == NULL)
        return cx_fail(err, ENOMEM, "%s: cannot allocate a buffer", r->name);
    for (;;) {
        ssize_t n = cx_layer_reader_read(r, buf, 64 * 1024, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

/* For an uncompressed layer, the blob is the tar: one hash serves both. */
static int verify(struct cx_layer_reader *r, cx_error *err)
{
    char a[CX_DIGEST_MAX], b[CX_DIGEST_MAX];
    cx_hasher_final(&r->hin, &r->got_digest);
    if (r->comp == CX_COMP_NONE && r->hout.alg == r->hin.alg)
        r->got_diff = r->got_digest;
    else
        cx_hasher_final(&r->hout, &r->got_diff);
    r->finished = true;
    if (r->has_digest && !cx_digest_equal(&r->got_digest, &r->want_digest)) {
        cx_digest_format(&r->want_digest, a);
        cx_digest_format(&r->got_digest, b);
        return cx_fail(err, EBADMSG, "%s: digest mismatch: expected %s, got %s", r->name, a, b);
    }
    if (r->has_diff && !cx_digest_equal(&r->got_diff, &r->want_diff)) {
        cx_digest_format(&r->want_diff, a);
        cx_digest_format(&r->got_diff, b);
        return cx_fail(err, EBADMSG, "%s: diff_id mismatch (uncompressed content): "
                       "expected %s, got %s", r->name, a, b);
    }
    return 0;
}

int cx_layer_reader_finish(struct cx_layer_reader *r, cx_error *err)
{
    if (r->finished)
        return cx_fail(err, EINVAL, "%s: finished twice", r->name);
    if (drain(r, err) < 0)
        return -1;
    return verify(r, err);
}

void cx_layer_reader_free(struct cx_layer_reader *r)
{
    if (r == NULL)
        return;
    cx_hasher_free(&r->hin);
    cx_hasher_free(&r->hout);
    free(r->ibuf);
    free(r->gz);
    ZSTD_freeDStream(r->zs);
    free(r);
}

void cx_layer_reader_stats(const struct cx_layer_reader *r, uint64_t *in, uint64_t *out,
                           struct cx_digest *digest, struct cx_digest *diff_id)
{
    static const struct cx_digest none = { 0 };
    if (in)
        *in = r->in;
    if (out)
        *out = r->out;
    if (digest)
        *digest = r->finished ? r->got_digest : none;
    if (diff_id)
        *diff_id = r->finished ? r->got_diff : none;
}

/* ---- the writer ---- */

static uint32_t isal_level(int level, uint32_t *buf_size)
{
    if (level <= 1) {
        *buf_size = ISAL_DEF_LVL1_DEFAULT;
        return 1;
    }
    if (level <= 5) {
        *buf_size = ISAL_DEF_LVL2_DEFAULT;
        return 2;
    }
    *buf_size = ISAL_DEF_LVL3_DEFAULT;
    return 3;
}

struct gz_writer {
    struct isal_zstream z;
    struct cx_hasher hc, hu;
    uint8_t *ibuf, *obuf, *level_buf;
    uint64_t size;
    int out;
};

static void gz_writer_free(struct gz_writer *w)
{
    cx_hasher_free(&w->hc);
    cx_hasher_free(&w->hu);
    free(w->ibuf);
    free(w->obuf);
    free(w->level_buf);
}

/* Deflate what is in the input buffer; write out what comes out. */
static int gz_pump(struct gz_writer *w, cx_error *err)
{
    do {
        w->z.next_out = w->obuf;
        w->z.avail_out = IBUF_SIZE;
        if (isal_deflate(&w->z) != COMP_OK)
            return cx_fail(err, EIO, "gzip: compression failed");
        size_t n = IBUF_SIZE - w->z.avail_out;
        if (n > 0 && cx_write_all(w->out, w->obuf, n) < 0)
            return cx_fail_errno(err, "gzip: write");
        cx_hasher_update(&w->hc, w->obuf, n);
        w->size += n;
    } while (w->z.avail_in > 0 || w->z.avail_out == 0 ||
             (w->z.end_of_stream && w->z.internal_state.state != ZSTATE_END));
    return 0;
}

static int gz_run(struct gz_writer *w, int in, cx_error *err)
{
    for (;;) {
        ssize_t n = read(in, w->ibuf, IBUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "gzip: read");
        cx_hasher_update(&w->hu, w->ibuf, (size_t) n);
        w->z.next_in = w->ibuf;
        w->z.avail_in = (uint32_t) n;
        w->z.end_of_stream = n == 0;
        if (gz_pump(w, err) < 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

int cx_gzip_compress_fd(int in, int out, int level, struct cx_digest *compressed,
                        struct cx_digest *uncompressed, uint64_t *size, cx_error *err)
{
    struct gz_writer w = { .out = out };
    uint32_t lbs;
    isal_deflate_init(&w.z);
    w.z.level = isal_level(level, &lbs);
    w.z.level_buf_size = lbs;
    w.z.gzip_flag = IGZIP_GZIP;
    w.ibuf = malloc(IBUF_SIZE);
    w.obuf = malloc(IBUF_SIZE);
    w.level_buf = malloc(lbs);
    w.z.level_buf = w.level_buf;
    int rc = -1;
    if (w.ibuf == NULL || w.obuf == NULL || w.level_buf == NULL)
        cx_fail(err, ENOMEM, "gzip: cannot allocate buffers");
    else if (cx_hasher_init(&w.hc, CX_SHA256, err) == 0 &&
             cx_hasher_init(&w.hu, CX_SHA256, err) == 0 && gz_run(&w, in, err) == 0)
        rc = 0;
    if (rc == 0) {
        struct cx_digest dc, du;
        cx_hasher_final(&w.hc, &dc);
        cx_hasher_final(&w.hu, &du);
        if (compressed)
            *compressed = dc;
        if (uncompressed)
            *uncompressed = du;
        if (size)
            *size = w.size;
    }
    gz_writer_free(&w);
    return rc;
}
