/* spdy.c: the SPDY/3 frame parser and encoders (see spdy.h). */
#include "cri/stream/spdy.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define HEAD_LEN 8

enum parse_state {
    ST_HEAD,     /* collecting the 8-byte frame header */
    ST_CONTROL,  /* collecting a control frame's payload */
    ST_SKIP,     /* passing over an unknown control frame */
    ST_DATA,     /* handing on a data frame's payload */
    ST_FAILED,   /* an error: nothing more is parsed */
};

struct spdy_conn {
    struct spdy_hdr_codec *hdr;
    enum parse_state st;
    uint8_t head[HEAD_LEN];
    size_t head_len;
    /* the frame being read */
    bool control;
    uint16_t type;
    uint8_t flags;
    uint32_t length;
    uint32_t stream_id;        /* data frames */
    size_t got;                /* payload bytes seen so far */
    uint8_t *payload;          /* SPDY_CTRL_MAX bytes, allocated on first use */
    struct spdy_headers headers;
    bool put_failed;           /* our deflate stream holds a block never sent */
};

int spdy_conn_new(struct spdy_conn **out, cx_error *err)
{
    struct spdy_conn *c = cx_calloc(1, sizeof *c);
    if (spdy_hdr_codec_new(&c->hdr, err) < 0) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void spdy_conn_free(struct spdy_conn *c)
{
    if (c == NULL)
        return;
    spdy_hdr_codec_free(c->hdr);
    spdy_headers_clear(&c->headers);
    free(c->payload);
    free(c);
}

struct spdy_setting spdy_frame_setting(const struct spdy_frame *f, uint32_t i)
{
    const uint8_t *p = f->data + (size_t) i * 8;
    return (struct spdy_setting) { .flags = p[0], .id = cx_be24(p + 1), .value = cx_be32(p + 4) };
}

/* ---- parsing ---------------------------------------------------------- */

/* The payload length a known control type must have: exactly (exact) or
 * at least; false for types we skip. */
static bool control_size(uint16_t type, uint32_t *min, bool *exact)
{
    switch (type) {
    case SPDY_SYN_STREAM: *min = 10; *exact = false; return true;
    case SPDY_SYN_REPLY: *min = 4; *exact = false; return true;
    case SPDY_RST_STREAM: *min = 8; *exact = true; return true;
    case SPDY_SETTINGS: *min = 4; *exact = false; return true;
    case SPDY_PING: *min = 4; *exact = true; return true;
    case SPDY_GOAWAY: *min = 8; *exact = true; return true;
    case SPDY_HEADERS: *min = 4; *exact = false; return true;
    case SPDY_WINDOW_UPDATE: *min = 8; *exact = true; return true;
    default: return false;
    }
}

/* The frame header is complete: check it and choose the next state. */
static int begin_frame(struct spdy_conn *c, cx_error *err)
{
    const uint8_t *h = c->head;
    c->control = h[0] & 0x80;
    c->flags = h[4];
    c->length = cx_be24(h + 5);
    c->got = 0;
    if (!c->control) {
        c->stream_id = cx_be32(h) & SPDY_ID_MAX;
        if (c->stream_id == 0)
            return cx_fail(err, 0, "spdy: data frame on stream 0");
        c->st = ST_DATA;
        return 0;
    }
    uint16_t version = (uint16_t) ((h[0] & 0x7f) << 8 | h[1]);
    c->type = (uint16_t) (h[2] << 8 | h[3]);
    if (version != SPDY_VERSION)
        return cx_fail(err, 0, "spdy: control frame of version %u, we speak %d", version,
                       SPDY_VERSION);
    if (c->length > SPDY_CTRL_MAX)
        return cx_fail(err, 0, "spdy: control frame (type %u) of %u bytes, more than %d",
                       c->type, c->length, SPDY_CTRL_MAX);
    uint32_t min;
    bool exact;
    if (!control_size(c->type, &min, &exact)) {
        c->st = ST_SKIP;
        return 0;
    }
    if (exact ? c->length != min : c->length < min)
        return cx_fail(err, 0, "spdy: control frame type %u with a payload of %u bytes", c->type,
                       c->length);
    if (c->payload == NULL)
        c->payload = cx_realloc(NULL, SPDY_CTRL_MAX);
    c->st = ST_CONTROL;
    return 0;
}

static int need_stream(const struct spdy_frame *f, cx_error *err)
{
    if (f->stream_id == 0)
        return cx_fail(err, 0, "spdy: control frame type %u on stream 0", f->type);
    return 0;
}

/* Decode the header block at p[skip..length) into c->headers for f. */
static int frame_headers(struct spdy_conn *c, struct spdy_frame *f, size_t skip, cx_error *err)
{
    if (spdy_hdr_decode(c->hdr, c->payload + skip, c->length - skip, &c->headers, err) < 0)
        return cx_error_prefix(err, "spdy: stream %u", f->stream_id);
    f->headers = &c->headers;
    return 0;
}

/* Fill f from the complete payload of a known control frame. */
static int decode_control(struct spdy_conn *c, struct spdy_frame *f, cx_error *err)
{
    const uint8_t *p = c->payload;
    f->type = (enum spdy_type) c->type;
    f->flags = c->flags;
    switch (c->type) {
    case SPDY_SYN_STREAM:
        f->stream_id = cx_be32(p) & SPDY_ID_MAX;
        f->assoc_id = cx_be32(p + 4) & SPDY_ID_MAX;
        f->priority = p[8] >> 5;
        f->slot = p[9];
        /* decoded before any check: the zlib stream must stay in step */
        if (frame_headers(c, f, 10, err) < 0)
            return -1;
        return need_stream(f, err);
    case SPDY_SYN_REPLY:
    case SPDY_HEADERS:
        f->stream_id = cx_be32(p) & SPDY_ID_MAX;
        if (frame_headers(c, f, 4, err) < 0)
            return -1;
        return need_stream(f, err);
    case SPDY_RST_STREAM:
        f->stream_id = cx_be32(p) & SPDY_ID_MAX;
        f->status = cx_be32(p + 4);
        if (f->status == 0)
            return cx_fail(err, 0, "spdy: RST_STREAM with status 0");
        return need_stream(f, err);
    case SPDY_SETTINGS:
        f->n_settings = cx_be32(p);
        if (f->n_settings > (c->length - 4) / 8 || c->length != 4 + 8 * f->n_settings)
            return cx_fail(err, 0, "spdy: SETTINGS of %u bytes for %u entries", c->length,
                           f->n_settings);
        f->data = p + 4;
        f->len = c->length - 4;
        return 0;
    case SPDY_PING:
        f->ping_id = cx_be32(p);
        return 0;
    case SPDY_GOAWAY:
        f->last_good_id = cx_be32(p) & SPDY_ID_MAX;
        f->status = cx_be32(p + 4);
        return 0;
    case SPDY_WINDOW_UPDATE:
        f->stream_id = cx_be32(p) & SPDY_ID_MAX;
        f->delta = cx_be32(p + 4) & SPDY_ID_MAX;
        if (f->delta == 0)
            return cx_fail(err, 0, "spdy: WINDOW_UPDATE of 0 bytes");
        return 0;
    }
    return cx_fail(err, 0, "spdy: control frame type %u", c->type); /* not reached */
}

/* Hand f to the callback: its result (0, 1 pause, -1), err always set
 * on failure. */
static int deliver(const struct spdy_frame *f, spdy_frame_cb cb, void *ctx, cx_error *err)
{
    err->msg[0] = '\0';
    int rc = cb(ctx, f, err);
    if (rc < 0 && err->msg[0] == '\0')
        cx_fail(err, 0, "spdy: the frame handler failed (type %d, stream %u)", f->type,
                f->stream_id);
    return rc < 0 ? -1 : rc > 0;
}

static int end_control(struct spdy_conn *c, spdy_frame_cb cb, void *ctx, cx_error *err)
{
    struct spdy_frame f = { 0 };
    c->st = ST_HEAD;
    int rc = decode_control(c, &f, err);
    if (rc == 0)
        rc = deliver(&f, cb, ctx, err);
    spdy_headers_clear(&c->headers);
    return rc;
}

/* A piece of data payload p[0..n) (n may be 0 for an empty frame). */
static int data_piece(struct spdy_conn *c, const uint8_t *p, size_t n, spdy_frame_cb cb,
                      void *ctx, cx_error *err)
{
    c->got += n;
    bool last = c->got == c->length;
    if (last)
        c->st = ST_HEAD;
    struct spdy_frame f = {
        .type = SPDY_DATA, .flags = c->flags, .stream_id = c->stream_id,
        .data = p, .len = n, .last = last, .fin = last && (c->flags & SPDY_FLAG_FIN),
    };
    return deliver(&f, cb, ctx, err);
}

/* One step on in[0..len): sets *used; returns 0, 1 (paused) or -1. */
static int step(struct spdy_conn *c, const uint8_t *in, size_t len, size_t *used,
                spdy_frame_cb cb, void *ctx, cx_error *err)
{
    size_t n;
    switch (c->st) {
    case ST_HEAD:
        n = len < HEAD_LEN - c->head_len ? len : HEAD_LEN - c->head_len;
        memcpy(c->head + c->head_len, in, n);
        c->head_len += n;
        *used = n;
        if (c->head_len < HEAD_LEN)
            return 0;
        c->head_len = 0;
        if (begin_frame(c, err) < 0)
            return -1;
        /* an empty payload completes the frame now */
        if (c->length == 0 && c->st == ST_DATA)
            return data_piece(c, in + n, 0, cb, ctx, err);
        if (c->length == 0 && c->st == ST_CONTROL)
            return end_control(c, cb, ctx, err);
        if (c->length == 0)
            c->st = ST_HEAD;
        return 0;
    case ST_CONTROL:
    case ST_SKIP:
        n = len < c->length - c->got ? len : c->length - c->got;
        if (c->st == ST_CONTROL)
            memcpy(c->payload + c->got, in, n);
        c->got += n;
        *used = n;
        if (c->got < c->length)
            return 0;
        if (c->st == ST_SKIP) {
            c->st = ST_HEAD;
            return 0;
        }
        return end_control(c, cb, ctx, err);
    case ST_DATA:
        n = len < c->length - c->got ? len : c->length - c->got;
        *used = n;
        return data_piece(c, in, n, cb, ctx, err);
    case ST_FAILED:
        break;
    }
    return cx_fail(err, 0, "spdy: the session failed before");
}

ssize_t spdy_feed(struct spdy_conn *c, const void *buf, size_t len, spdy_frame_cb cb,
                  void *ctx, cx_error *err)
{
    const uint8_t *in = buf;
    size_t pos = 0;
    if (c->st == ST_FAILED)
        return cx_fail(err, 0, "spdy: the session failed before");
    while (pos < len) {
        size_t used = 0;
        int rc = step(c, in + pos, len - pos, &used, cb, ctx, err);
        pos += used;
        if (rc < 0) {
            c->st = ST_FAILED;
            return -1;
        }
        if (rc > 0)
            break;
    }
    return (ssize_t) pos;
}

/* ---- encoding --------------------------------------------------------- */

static void put_control_head(struct cx_buf *out, uint16_t type, uint8_t flags, uint32_t len)
{
    cx_buf_add_be16(out, 0x8000 | SPDY_VERSION);
    cx_buf_add_be16(out, type);
    cx_buf_add_be32(out, (uint32_t) flags << 24 | (len & SPDY_LEN_MAX));
}

/* A control frame whose payload is fixed[0..nfixed) then a header block. */
static int put_with_headers(struct spdy_conn *c, struct cx_buf *out, uint16_t type,
                            uint8_t flags, const uint8_t *fixed, size_t nfixed,
                            const struct spdy_header *v, size_t n, cx_error *err)
{
    if (c->put_failed)
        return cx_fail(err, 0, "spdy: a header block failed before: the peer would not follow");
    size_t start = out->len;
    put_control_head(out, type, flags, 0);
    cx_buf_add(out, fixed, nfixed);
    if (spdy_hdr_encode(c->hdr, v, n, out, err) < 0) {
        out->len = start;
        return -1;
    }
    size_t len = out->len - start - HEAD_LEN;
    if (len > SPDY_CTRL_MAX) {
        /* the block is in our zlib stream already, and the peer's stream
         * would miss it: no header block can follow */
        c->put_failed = true;
        out->len = start;
        return cx_fail(err, 0, "spdy: control frame of %zu bytes, more than %d", len,
                       SPDY_CTRL_MAX);
    }
    cx_buf_put_be32(out, start + 4, (uint32_t) flags << 24 | (uint32_t) len);
    return 0;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

int spdy_put_syn_stream(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint32_t assoc_id,
                        uint8_t priority, uint8_t flags, const struct spdy_header *v, size_t n,
                        cx_error *err)
{
    uint8_t fixed[10];
    be32(fixed, id & SPDY_ID_MAX);
    be32(fixed + 4, assoc_id & SPDY_ID_MAX);
    fixed[8] = (uint8_t) ((priority & 7) << 5);
    fixed[9] = 0;
    return put_with_headers(c, out, SPDY_SYN_STREAM, flags, fixed, sizeof fixed, v, n, err);
}

int spdy_put_syn_reply(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint8_t flags,
                       const struct spdy_header *v, size_t n, cx_error *err)
{
    uint8_t fixed[4];
    be32(fixed, id & SPDY_ID_MAX);
    return put_with_headers(c, out, SPDY_SYN_REPLY, flags, fixed, sizeof fixed, v, n, err);
}

int spdy_put_headers(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint8_t flags,
                     const struct spdy_header *v, size_t n, cx_error *err)
{
    uint8_t fixed[4];
    be32(fixed, id & SPDY_ID_MAX);
    return put_with_headers(c, out, SPDY_HEADERS, flags, fixed, sizeof fixed, v, n, err);
}

void spdy_put_rst_stream(struct cx_buf *out, uint32_t id, uint32_t status)
{
    put_control_head(out, SPDY_RST_STREAM, 0, 8);
    cx_buf_add_be32(out, id & SPDY_ID_MAX);
    cx_buf_add_be32(out, status);
}

void spdy_put_settings(struct cx_buf *out, uint8_t flags, const struct spdy_setting *v, size_t n)
{
    put_control_head(out, SPDY_SETTINGS, flags, (uint32_t) (4 + 8 * n));
    cx_buf_add_be32(out, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
        cx_buf_add_be32(out, (uint32_t) v[i].flags << 24 | (v[i].id & 0xffffff));
        cx_buf_add_be32(out, v[i].value);
    }
}

void spdy_put_ping(struct cx_buf *out, uint32_t id)
{
    put_control_head(out, SPDY_PING, 0, 4);
    cx_buf_add_be32(out, id);
}

void spdy_put_goaway(struct cx_buf *out, uint32_t last_good_id, uint32_t status)
{
    put_control_head(out, SPDY_GOAWAY, 0, 8);
    cx_buf_add_be32(out, last_good_id & SPDY_ID_MAX);
    cx_buf_add_be32(out, status);
}

void spdy_put_window_update(struct cx_buf *out, uint32_t id, uint32_t delta)
{
    put_control_head(out, SPDY_WINDOW_UPDATE, 0, 8);
    cx_buf_add_be32(out, id & SPDY_ID_MAX);
    cx_buf_add_be32(out, delta & SPDY_ID_MAX);
}

void spdy_put_data(struct cx_buf *out, uint32_t id, uint8_t flags, const void *data, size_t len)
{
    const uint8_t *p = data;  /* may be NULL when len is 0 */
    for (;;) {
        size_t n = len > SPDY_LEN_MAX ? SPDY_LEN_MAX : len;
        uint8_t f = n == len ? flags : (uint8_t) (flags & ~SPDY_FLAG_FIN);
        cx_buf_add_be32(out, id & SPDY_ID_MAX);
        cx_buf_add_be32(out, (uint32_t) f << 24 | (uint32_t) n);
        cx_buf_add(out, p, n);
        len -= n;
        if (len == 0)
            return;
        p += n;
    }
}
