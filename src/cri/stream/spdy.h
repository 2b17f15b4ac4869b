/* spdy.h: SPDY/3 framing for the streaming server (exec, attach,
 * port-forward), pure: bytes in, events out, bytes appended to a buffer;
 * no I/O.
 *
 * The kubelet and crictl speak SPDY/3.1 (the upgrade token; the frames
 * carry version 3) after an HTTP/1.1 upgrade (http1.h).  Frames:
 *   control: C=1 | version(15) | type(16) | flags(8) | length(24) | payload
 *   data:    C=0 | stream id(31) | flags(8) | length(24) | payload
 *
 * A session owns one struct spdy_conn: the frame parser's state and the
 * two zlib streams of its header blocks (spdy_hdr.h).  A server loop:
 *
 *   struct spdy_conn *c;
 *   if (spdy_conn_new(&c, err) < 0) ...
 *   n = read(fd, buf, sizeof buf);
 *   if (spdy_feed(c, buf, n, on_frame, ctx, err) < 0)   // then GOAWAY, close
 *   ...
 *   spdy_put_syn_reply(c, &out, id, 0, NULL, 0, err);    // queue answers
 *   spdy_put_data(&out, id, SPDY_FLAG_FIN, p, len);
 *   ... write out.data, cx_buf_drop(&out, written) ...
 *   spdy_conn_free(c);
 *
 * Limits: a control frame's payload is at most 64 KiB (it is buffered
 * whole); data frames are never buffered: their payload reaches the
 * callback in pieces, as the bytes arrive.
 */
#ifndef CAPSA_CRI_STREAM_SPDY_H
#define CAPSA_CRI_STREAM_SPDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "cri/stream/buf.h"
#include "cri/stream/spdy_hdr.h"

#define SPDY_VERSION 3
#define SPDY_CTRL_MAX (64 * 1024)  /* control frame payload we accept */
#define SPDY_LEN_MAX 0xffffffu     /* the 24-bit length field */
#define SPDY_ID_MAX 0x7fffffffu    /* stream ids are 31 bits */

enum spdy_type {
    SPDY_DATA = 0,          /* our name for data frames (no type field) */
    SPDY_SYN_STREAM = 1,
    SPDY_SYN_REPLY = 2,
    SPDY_RST_STREAM = 3,
    SPDY_SETTINGS = 4,
    SPDY_PING = 6,
    SPDY_GOAWAY = 7,
    SPDY_HEADERS = 8,
    SPDY_WINDOW_UPDATE = 9,
};

/* flags */
#define SPDY_FLAG_FIN 0x01             /* data, SYN_STREAM, SYN_REPLY, HEADERS */
#define SPDY_FLAG_UNIDIRECTIONAL 0x02  /* SYN_STREAM */
#define SPDY_FLAG_CLEAR_SETTINGS 0x01  /* SETTINGS */

/* RST_STREAM status codes */
enum spdy_rst_status {
    SPDY_PROTOCOL_ERROR = 1,
    SPDY_INVALID_STREAM = 2,
    SPDY_REFUSED_STREAM = 3,
    SPDY_UNSUPPORTED_VERSION = 4,
    SPDY_CANCEL = 5,
    SPDY_INTERNAL_ERROR = 6,
    SPDY_FLOW_CONTROL_ERROR = 7,
    SPDY_STREAM_IN_USE = 8,
    SPDY_STREAM_ALREADY_CLOSED = 9,
    SPDY_INVALID_CREDENTIALS = 10,
    SPDY_FRAME_TOO_LARGE = 11,
};

/* GOAWAY status codes */
enum spdy_goaway_status {
    SPDY_GOAWAY_OK = 0,
    SPDY_GOAWAY_PROTOCOL_ERROR = 1,
    SPDY_GOAWAY_INTERNAL_ERROR = 2,
};

/* One SETTINGS entry. */
struct spdy_setting {
    uint8_t flags;
    uint32_t id;     /* 24 bits */
    uint32_t value;
};

/* What the parser hands the callback; the fields that apply to the type
 * are set, the others are 0.  Pointers are valid during the call only. */
struct spdy_frame {
    enum spdy_type type;
    uint8_t flags;
    /* SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE (0 there
     * is the session's window, SPDY/3.1), DATA; never 0 otherwise */
    uint32_t stream_id;
    uint32_t assoc_id;       /* SYN_STREAM */
    uint8_t priority;        /* SYN_STREAM, 0 (highest) .. 7 */
    uint8_t slot;            /* SYN_STREAM */
    uint32_t status;         /* RST_STREAM (not 0), GOAWAY */
    uint32_t last_good_id;   /* GOAWAY */
    uint32_t ping_id;        /* PING: echo it with spdy_put_ping() */
    uint32_t delta;          /* WINDOW_UPDATE, 1 .. 2^31-1 */
    /* SYN_STREAM, SYN_REPLY, HEADERS: the decoded block */
    const struct spdy_headers *headers;
    /* SETTINGS: n_settings entries, read with spdy_frame_setting() */
    uint32_t n_settings;
    /* DATA: one piece of the frame's payload; a frame gives one event per
     * piece (one with len 0 for an empty frame); last marks the frame's
     * final piece, fin is set with it when the frame carries FIN */
    const uint8_t *data;
    size_t len;
    bool last;
    bool fin;
};

/* SETTINGS entry i (< f->n_settings). */
struct spdy_setting spdy_frame_setting(const struct spdy_frame *f, uint32_t i);

/* The frame callback: 0 goes on, 1 pauses (spdy_feed() returns after
 * this frame or piece; feed the rest later), negative stops with err set
 * and fails the session. */
typedef int (*spdy_frame_cb)(void *ctx, const struct spdy_frame *f, cx_error *err);

struct spdy_conn;

int spdy_conn_new(struct spdy_conn **out, cx_error *err);
void spdy_conn_free(struct spdy_conn *c);
static inline void spdy_conn_freep(struct spdy_conn **c) { spdy_conn_free(*c); }
#define _cleanup_spdy_conn_ __attribute__((cleanup(spdy_conn_freep)))

/* Parse buf[0..len), a chunk of the byte stream of any size, calling cb
 * for each frame (or data piece) completed.  Returns the bytes used: len,
 * or fewer when cb paused; -1 with err on bad input (wrong version, bad
 * length, stream id 0, a control frame over SPDY_CTRL_MAX, a bad header
 * block) or a failing cb.  After -1 the session is dead: every later call
 * fails, and the server should send GOAWAY(PROTOCOL_ERROR) and close.
 * Unknown control frame types are skipped, as SPDY/3 asks. */
ssize_t spdy_feed(struct spdy_conn *c, const void *buf, size_t len, spdy_frame_cb cb,
                  void *ctx, cx_error *err);

/* Encoders: append one frame to out.  Those with a header block use the
 * session's deflate stream, so frames must be sent in the order they are
 * encoded; they fail (out unchanged) on bad pairs (spdy_hdr_encode()) or
 * a block over SPDY_CTRL_MAX.  Ids are taken modulo 2^31. */
int spdy_put_syn_stream(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint32_t assoc_id,
                        uint8_t priority, uint8_t flags, const struct spdy_header *v, size_t n,
                        cx_error *err);
int spdy_put_syn_reply(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint8_t flags,
                       const struct spdy_header *v, size_t n, cx_error *err);
int spdy_put_headers(struct spdy_conn *c, struct cx_buf *out, uint32_t id, uint8_t flags,
                     const struct spdy_header *v, size_t n, cx_error *err);
void spdy_put_rst_stream(struct cx_buf *out, uint32_t id, uint32_t status);
void spdy_put_settings(struct cx_buf *out, uint8_t flags, const struct spdy_setting *v, size_t n);
void spdy_put_ping(struct cx_buf *out, uint32_t id);
void spdy_put_goaway(struct cx_buf *out, uint32_t last_good_id, uint32_t status);
void spdy_put_window_update(struct cx_buf *out, uint32_t id, uint32_t delta);
/* Data on stream id; more than SPDY_LEN_MAX bytes go as several frames,
 * FIN (in flags) on the last one only.  len 0 with FIN ends the stream. */
void spdy_put_data(struct cx_buf *out, uint32_t id, uint8_t flags, const void *data, size_t len);

#endif
