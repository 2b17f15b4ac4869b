/* spdy_hdr.c: SPDY/3 header blocks, raw and through the session's zlib
 * streams (see spdy_hdr.h). */
#include "cri/stream/spdy_hdr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Our deflate window: we only ever send small blocks, and a 2 KiB window
 * still holds the whole dictionary, for 16 KiB of zlib state instead of
 * 256 KiB (a helper process serves each session).  The peer's inflate
 * needs no more than the window we announce. */
#define DEFLATE_WINDOW_BITS 11
#define DEFLATE_MEM_LEVEL 4

struct spdy_hdr_codec {
    z_stream in;
    z_stream out;
    bool in_ready, out_ready;  /* initialised, so to be ended */
    bool in_broken;            /* inflate failed once: its place is lost */
};

void spdy_headers_clear(struct spdy_headers *h)
{
    free(h->text);
    h->text = NULL;
    h->n = 0;
}

const char *spdy_header_get(const struct spdy_headers *h, const char *name, size_t *len)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcmp(h->v[i].name, name) == 0) {
            if (len != NULL)
                *len = h->v[i].value_len;
            return h->v[i].value;
        }
    }
    return NULL;
}

/* Whether name (len bytes) may be a header name: not empty, no upper
 * case, no NUL (we hand names on as C strings). */
static bool name_ok(const uint8_t *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0' || (name[i] >= 'A' && name[i] <= 'Z'))
            return false;
    return true;
}

/* Read one length-prefixed string at *pos; what/i name it in errors. */
static int take_string(const uint8_t *in, size_t len, size_t *pos, const uint8_t **s,
                       size_t *slen, const char *what, size_t i, cx_error *err)
{
    if (len - *pos < 4)
        return cx_fail(err, 0, "header block: pair %zu: the %s length is cut short", i, what);
    uint32_t n = cx_be32(in + *pos);
    *pos += 4;
    if (n > len - *pos)
        return cx_fail(err, 0, "header block: pair %zu: %s of %u bytes, only %zu left", i,
                       what, n, len - *pos);
    *s = in + *pos;
    *slen = n;
    *pos += n;
    return 0;
}

static bool seen_before(const struct spdy_headers *h, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(h->v[j].name, h->v[i].name) == 0)
            return true;
    return false;
}

/* Copy s into the text at *off as a C string; returns where it went. */
static const char *put_text(char *text, size_t *off, const uint8_t *s, size_t len)
{
    char *p = text + *off;
    memcpy(p, s, len);
    p[len] = '\0';
    *off += len + 1;
    return p;
}

static int parse_pairs(const uint8_t *in, size_t len, struct spdy_headers *out, cx_error *err)
{
    uint32_t count = cx_be32(in);
    if (count > SPDY_HDR_PAIRS_MAX)
        return cx_fail(err, 0, "header block: %u pairs, at most %d allowed", count,
                       SPDY_HDR_PAIRS_MAX);
    /* each pair has 8 bytes of lengths for its 2 NULs: len bytes hold all */
    out->text = cx_realloc(NULL, len);
    size_t pos = 4, off = 0;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *name, *value;
        size_t name_len, value_len;
        if (take_string(in, len, &pos, &name, &name_len, "name", i, err) < 0 ||
            take_string(in, len, &pos, &value, &value_len, "value", i, err) < 0)
            return -1;
        if (!name_ok(name, name_len))
            return cx_fail(err, 0, "header block: pair %zu: the name is empty or not lower-case", i);
        struct spdy_header *h = &out->v[i];
        h->name = put_text(out->text, &off, name, name_len);
        h->value = put_text(out->text, &off, value, value_len);
        h->value_len = value_len;
        out->n = i + 1;
        if (seen_before(out, i))
            return cx_fail(err, 0, "header block: %s appears twice", h->name);
    }
    if (pos != len)
        return cx_fail(err, 0, "header block: %zu bytes after its %u pairs", len - pos, count);
    return 0;
}

int spdy_hdr_parse(const uint8_t *in, size_t len, struct spdy_headers *out, cx_error *err)
{
    spdy_headers_clear(out);
    if (len < 4)
        return cx_fail(err, 0, "header block: %zu bytes, too short for its pair count", len);
    if (len > SPDY_HDR_BLOCK_MAX)
        return cx_fail(err, 0, "header block: %zu bytes, more than %d", len, SPDY_HDR_BLOCK_MAX);
    if (parse_pairs(in, len, out, err) < 0) {
        spdy_headers_clear(out);
        return -1;
    }
    return 0;
}

static int check_pairs(const struct spdy_header *v, size_t n, cx_error *err)
{
    if (n > SPDY_HDR_PAIRS_MAX)
        return cx_fail(err, 0, "header block: %zu pairs, at most %d allowed", n, SPDY_HDR_PAIRS_MAX);
    size_t total = 4;
    for (size_t i = 0; i < n; i++) {
        if (!name_ok((const uint8_t *) v[i].name, strlen(v[i].name)))
            return cx_fail(err, 0, "header block: pair %zu: the name is empty or not lower-case", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[j].name, v[i].name) == 0)
                return cx_fail(err, 0, "header block: %s appears twice", v[i].name);
        if (v[i].value_len > SPDY_HDR_BLOCK_MAX)
            return cx_fail(err, 0, "header block: the value of %s is too long", v[i].name);
        total += 8 + strlen(v[i].name) + v[i].value_len;
        if (total > SPDY_HDR_BLOCK_MAX)
            return cx_fail(err, 0, "header block: more than %d bytes", SPDY_HDR_BLOCK_MAX);
    }
    return 0;
}

int spdy_hdr_build(const struct spdy_header *v, size_t n, struct cx_buf *out, cx_error *err)
{
    if (check_pairs(v, n, err) < 0)
        return -1;
    cx_buf_add_be32(out, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
        size_t name_len = strlen(v[i].name);
        cx_buf_add_be32(out, (uint32_t) name_len);
        cx_buf_add(out, v[i].name, name_len);
        cx_buf_add_be32(out, (uint32_t) v[i].value_len);
        cx_buf_add(out, v[i].value, v[i].value_len);
    }
    return 0;
}

int spdy_hdr_codec_new(struct spdy_hdr_codec **out, cx_error *err)
{
    struct spdy_hdr_codec *c = cx_calloc(1, sizeof *c);
    if (inflateInit(&c->in) != Z_OK) {
        spdy_hdr_codec_free(c);
        return cx_fail(err, ENOMEM, "spdy: cannot set up zlib inflate");
    }
    c->in_ready = true;
    if (deflateInit2(&c->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, DEFLATE_WINDOW_BITS,
                     DEFLATE_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
        spdy_hdr_codec_free(c);
        return cx_fail(err, ENOMEM, "spdy: cannot set up zlib deflate");
    }
    c->out_ready = true;
    /* before the first deflate(): zlib then flags the stream as using a
     * dictionary and writes its Adler-32, which the peer checks */
    if (deflateSetDictionary(&c->out, spdy_dict, (uInt) spdy_dict_len) != Z_OK) {
        spdy_hdr_codec_free(c);
        return cx_fail(err, 0, "spdy: zlib refused the header dictionary");
    }
    *out = c;
    return 0;
}

void spdy_hdr_codec_free(struct spdy_hdr_codec *c)
{
    if (c == NULL)
        return;
    if (c->in_ready)
        inflateEnd(&c->in);
    if (c->out_ready)
        deflateEnd(&c->out);
    free(c);
}

/* Inflate in[0..len) into *raw (allocated here, at most
 * SPDY_HDR_BLOCK_MAX bytes kept in *raw_len). */
static int inflate_block(z_stream *z, const uint8_t *in, size_t len, uint8_t **raw,
                         size_t *raw_len, cx_error *err)
{
    size_t cap = 4096, n = 0;
    _cleanup_free_ uint8_t *buf = cx_realloc(NULL, cap);
    z->next_in = (Bytef *) in;
    z->avail_in = (uInt) len;
    for (;;) {
        z->next_out = buf + n;
        z->avail_out = (uInt) (cap - n);
        int rc = inflate(z, Z_SYNC_FLUSH);
        n = cap - z->avail_out;
        if (rc == Z_NEED_DICT) {
            /* fails unless the stream names our dictionary's Adler-32 */
            if (inflateSetDictionary(z, spdy_dict, (uInt) spdy_dict_len) != Z_OK)
                return cx_fail(err, 0, "header block: the peer's zlib dictionary is not SPDY/3's");
            continue;
        }
        if (rc == Z_STREAM_END)
            return cx_fail(err, 0, "header block: the peer ended its zlib stream");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return cx_fail(err, 0, "header block: zlib: %s", z->msg ? z->msg : "bad data");
        if (z->avail_out != 0) {
            /* all the output there is: the input must be used up too */
            if (z->avail_in != 0)
                return cx_fail(err, 0, "header block: zlib stopped with input left");
            break;
        }
        if (cap > SPDY_HDR_BLOCK_MAX)
            return cx_fail(err, 0, "header block: more than %d bytes once inflated",
                           SPDY_HDR_BLOCK_MAX);
        /* the last step grows to one byte past the limit, to see it crossed */
        cap = cap * 2 > SPDY_HDR_BLOCK_MAX ? SPDY_HDR_BLOCK_MAX + 1 : cap * 2;
        buf = cx_realloc(buf, cap);
    }
    *raw = TAKE_PTR(buf);
    *raw_len = n;
    return 0;
}

int spdy_hdr_decode(struct spdy_hdr_codec *c, const uint8_t *in, size_t len,
                    struct spdy_headers *out, cx_error *err)
{
    spdy_headers_clear(out);
    if (c->in_broken)
        return cx_fail(err, 0, "header block: the session's zlib stream failed before");
    if (len > SPDY_HDR_BLOCK_MAX)
        return cx_fail(err, 0, "header block: %zu compressed bytes, more than %d", len,
                       SPDY_HDR_BLOCK_MAX);
    _cleanup_free_ uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (inflate_block(&c->in, in, len, &raw, &raw_len, err) < 0) {
        c->in_broken = true;
        return -1;
    }
    if (spdy_hdr_parse(raw, raw_len, out, err) < 0) {
        /* the stream is in step, but the peer breaks the protocol: the
         * session ends all the same */
        c->in_broken = true;
        return -1;
    }
    return 0;
}

int spdy_hdr_encode(struct spdy_hdr_codec *c, const struct spdy_header *v, size_t n,
                    struct cx_buf *out, cx_error *err)
{
    struct cx_buf raw = { 0 };
    if (spdy_hdr_build(v, n, &raw, err) < 0)
        return -1;
    size_t start = out->len;
    c->out.next_in = raw.data;
    c->out.avail_in = (uInt) raw.len;
    int rc;
    do {
        /* sync-flushed output is about the input's size at worst, plus
         * a few bytes per stored block */
        size_t room = raw.len / 2 + 64;
        c->out.next_out = cx_buf_reserve(out, room);
        c->out.avail_out = (uInt) room;
        rc = deflate(&c->out, Z_SYNC_FLUSH);
        out->len += room - c->out.avail_out;
    } while ((rc == Z_OK || rc == Z_BUF_ERROR) && c->out.avail_out == 0);
    cx_buf_free(&raw);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
        out->len = start;
        return cx_fail(err, 0, "header block: zlib deflate failed (%d)", rc);
    }
    return 0;
}
