/* fuzz_spdy: capsad's streaming protocols (src/cri/stream) on the same
 * bytes, each way:
 * - as a SPDY session, fed in chunks whose sizes the first byte picks:
 *   every frame is encoded again by a session of ours, and that stream
 *   must parse to the same frames (data pieces joined per frame);
 * - as a raw header block: what parses builds back to the same bytes;
 * - as the compressed header block of a new session;
 * - as an HTTP/1.1 request head, in the same chunks.
 * A failure must say why; data pieces stay inside the buffer fed. */
#include "cri/stream/http1.h"
#include "cri/stream/spdy.h"
#include "fuzz.h"

struct side {
    struct cx_buf log;      /* the frames as text */
    struct cx_buf data;     /* the data frame being assembled */
    const uint8_t *lo, *hi; /* the chunk being fed */
    struct spdy_conn *enc;  /* re-encodes the frames (first side only) */
    struct cx_buf out;
};

static void log_headers(struct cx_buf *l, const struct spdy_headers *h)
{
    FZ_CHECK(h->n <= SPDY_HDR_PAIRS_MAX);
    for (size_t i = 0; i < h->n; i++) {
        const char *name = h->v[i].name;
        FZ_CHECK(name[0] != '\0');
        for (const char *p = name; *p; p++)
            FZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        FZ_CHECK(h->v[i].value[h->v[i].value_len] == '\0');
        cx_buf_addf(l, " %s=%zu:", name, h->v[i].value_len);
        cx_buf_add(l, h->v[i].value, h->v[i].value_len);
    }
}

/* Encode f again into s->out (data: once its last piece came). */
static void encode(struct side *s, const struct spdy_frame *f)
{
    const struct spdy_headers *h = f->headers;
    cx_error err = { 0 };
    int rc = 0;
    switch (f->type) {
    case SPDY_DATA:
        spdy_put_data(&s->out, f->stream_id, f->flags, s->data.data, s->data.len);
        break;
    case SPDY_SYN_STREAM:
        rc = spdy_put_syn_stream(s->enc, &s->out, f->stream_id, f->assoc_id, f->priority,
                                 f->flags, h->v, h->n, &err);
        break;
    case SPDY_SYN_REPLY:
        rc = spdy_put_syn_reply(s->enc, &s->out, f->stream_id, f->flags, h->v, h->n, &err);
        break;
    case SPDY_HEADERS:
        rc = spdy_put_headers(s->enc, &s->out, f->stream_id, f->flags, h->v, h->n, &err);
        break;
    case SPDY_RST_STREAM:
        spdy_put_rst_stream(&s->out, f->stream_id, f->status);
        break;
    case SPDY_SETTINGS: {
        struct spdy_setting *v = calloc(f->n_settings + 1, sizeof *v);
        for (uint32_t i = 0; i < f->n_settings; i++)
            v[i] = spdy_frame_setting(f, i);
        spdy_put_settings(&s->out, f->flags, v, f->n_settings);
        free(v);
        break;
    }
    case SPDY_PING:
        spdy_put_ping(&s->out, f->ping_id);
        break;
    case SPDY_GOAWAY:
        spdy_put_goaway(&s->out, f->last_good_id, f->status);
        break;
    case SPDY_WINDOW_UPDATE:
        spdy_put_window_update(&s->out, f->stream_id, f->delta);
        break;
    }
    /* what we decoded, we can encode: a block of ours is never larger */
    FZ_CHECK(rc == 0);
}

static void log_frame(struct cx_buf *l, const struct spdy_frame *f, const struct cx_buf *data)
{
    cx_buf_addf(l, "%d id=%u", f->type, f->stream_id);
    switch (f->type) {
    case SPDY_DATA:
        cx_buf_addf(l, " flags=%u len=%zu ", f->flags, data->len);
        cx_buf_add(l, data->data, data->len);
        break;
    case SPDY_SYN_STREAM:
        cx_buf_addf(l, " assoc=%u pri=%u flags=%u", f->assoc_id, f->priority, f->flags);
        log_headers(l, f->headers);
        break;
    case SPDY_SYN_REPLY:
    case SPDY_HEADERS:
        cx_buf_addf(l, " flags=%u", f->flags);
        log_headers(l, f->headers);
        break;
    case SPDY_SETTINGS:
        cx_buf_addf(l, " flags=%u n=%u", f->flags, f->n_settings);
        for (uint32_t i = 0; i < f->n_settings; i++) {
            struct spdy_setting st = spdy_frame_setting(f, i);
            cx_buf_addf(l, " %u:%u=%u", st.flags, st.id, st.value);
        }
        break;
    default:
        cx_buf_addf(l, " status=%u last=%u ping=%u delta=%u", f->status, f->last_good_id,
                    f->ping_id, f->delta);
        break;
    }
    cx_buf_add_str(l, "\n");
}

static int on_frame(void *ctx, const struct spdy_frame *f, cx_error *err)
{
    (void) err;
    struct side *s = ctx;
    if (f->type == SPDY_DATA) {
        FZ_CHECK(f->stream_id != 0);
        FZ_CHECK(f->len == 0 || (f->data >= s->lo && f->data + f->len <= s->hi));
        FZ_CHECK(f->last || !f->fin);
        cx_buf_add(&s->data, f->data, f->len);
        if (!f->last)
            return 0;
    }
    log_frame(&s->log, f, &s->data);
    if (s->enc != NULL)
        encode(s, f);
    s->data.len = 0;
    return 0;
}

/* Feed data[0..size) to a new session in chunks of chunk bytes; returns
 * whether all of it parsed. */
static bool feed(struct side *s, const uint8_t *data, size_t size, size_t chunk)
{
    struct spdy_conn *c;
    cx_error err = { 0 };
    FZ_CHECK(spdy_conn_new(&c, &err) == 0);
    bool ok = true;
    for (size_t pos = 0; pos < size && ok; pos += chunk) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        s->lo = data + pos;
        s->hi = data + pos + n;
        ssize_t rc = spdy_feed(c, data + pos, n, on_frame, s, &err);
        if (rc < 0) {
            fz_failed(&err);
            ok = false;
        } else {
            FZ_CHECK((size_t) rc == n);
        }
    }
    spdy_conn_free(c);
    return ok;
}

static void fuzz_session(const uint8_t *data, size_t size, size_t chunk)
{
    struct side a = { 0 }, b = { 0 };
    cx_error err = { 0 };
    FZ_CHECK(spdy_conn_new(&a.enc, &err) == 0);
    bool ok = feed(&a, data, size, chunk);
    /* the frames before an error re-encode to a stream that parses
     * whole, to the same frames */
    FZ_CHECK(feed(&b, a.out.data, a.out.len, a.out.len ? a.out.len : 1));
    FZ_CHECK(a.log.len == b.log.len);
    FZ_CHECK(a.log.len == 0 || memcmp(a.log.data, b.log.data, a.log.len) == 0);
    (void) ok;
    spdy_conn_free(a.enc);
    cx_buf_free(&a.log);
    cx_buf_free(&a.data);
    cx_buf_free(&a.out);
    cx_buf_free(&b.log);
    cx_buf_free(&b.data);
}

static void fuzz_header_block(const uint8_t *data, size_t size)
{
    struct spdy_headers h = { 0 };
    cx_error err = { 0 };
    if (spdy_hdr_parse(data, size, &h, &err) == 0) {
        struct cx_buf b = { 0 };
        FZ_CHECK(spdy_hdr_build(h.v, h.n, &b, &err) == 0);
        FZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
        cx_buf_free(&b);
    } else {
        fz_failed(&err);
        FZ_CHECK(h.n == 0 && h.text == NULL);
    }
    spdy_headers_clear(&h);
    struct spdy_hdr_codec *c;
    FZ_CHECK(spdy_hdr_codec_new(&c, &err) == 0);
    if (spdy_hdr_decode(c, data, size, &h, &err) < 0)
        fz_failed(&err);
    spdy_headers_clear(&h);
    spdy_hdr_codec_free(c);
}

static void fuzz_http1(const uint8_t *data, size_t size, size_t chunk)
{
    static struct http1_req r;
    http1_req_init(&r);
    cx_error err = { 0 };
    size_t pos = 0;
    int rc = 0;
    while (pos < size && rc == 0) {
        size_t n = size - pos < chunk ? size - pos : chunk, used;
        rc = http1_feed(&r, data + pos, n, &used, &err);
        FZ_CHECK(used <= n);
        FZ_CHECK(rc != 0 || used == n);
        pos += used;
    }
    if (rc < 0) {
        fz_failed(&err);
        return;
    }
    if (rc == 0)
        return;
    FZ_CHECK(pos <= HTTP1_HEAD_MAX && r.n <= HTTP1_HEADERS_MAX);
    FZ_CHECK(r.method[0] != '\0' && r.path[0] == '/');
    for (size_t i = 0; i < r.n; i++)
        FZ_CHECK(r.h[i].name[0] != '\0' && strpbrk(r.h[i].value, "\r\n") == NULL);
    const char *p = http1_pick_protocol(&r, http1_remotecommand_protocols);
    FZ_CHECK(p == NULL || http1_has_token(&r, HTTP1_PROTOCOL_HEADER, p));
    struct cx_buf out = { 0 };
    http1_put_upgrade(&out, p ? p : "channel.k8s.io");
    http1_put_error(&out, 400, r.path);
    cx_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the first byte: the chunk size (1 .. 256, or all at once) */
    size_t chunk = size == 0 || data[0] == 0 ? (size ? size : 1) : data[0];
    fuzz_session(data, size, chunk);
    fuzz_header_block(data, size);
    fuzz_http1(data, size, chunk);
    return 0;
}
