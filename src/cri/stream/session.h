/* session.h: one SPDY/3.1 session of capsad-stream, on the connection
 * capsad handed over (after the 101 answer).  Single-threaded, driven by
 * the caller's poll loop (rc.c for exec and attach, pf.c for
 * port-forward):
 *
 *   struct sess s;
 *   sess_init(&s, fd, &ops, app);
 *   for (;;) {
 *       struct pollfd p[N] = { { fd, sess_events(&s), 0 }, ...the app's fds };
 *       poll(p, N, ...);
 *       sess_handle(&s, p[0].revents);   // write what is queued, read, parse
 *       ...the app's fds: their data goes out with sess_data()...
 *       if (s.closed) break;
 *   }
 *   sess_end(&s, 10000);   // GOAWAY, flush, half-close, wait for the peer
 *   sess_free(&s);
 *
 * Each SYN_STREAM from the client is answered with an empty SYN_REPLY at
 * once (the Go client waits for it before using the stream) and handed to
 * ops.stream; its DATA goes to ops.data, which may return 1 to stop the
 * parsing until sess_resume() (its sink is full: nothing more is read
 * from the client until it drains).  PINGs are echoed; WINDOW_UPDATE and
 * SETTINGS are ignored: the Go client (spdystream) does not do flow
 * control, so neither do we, and memory stays bounded because we stop
 * reading our sources while the connection's queue is above SESS_OUT_HIGH
 * (sess_writable()). */
#ifndef CAPSA_CRI_STREAM_SESSION_H
#define CAPSA_CRI_STREAM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "cri/stream/buf.h"
#include "cri/stream/spdy.h"

#define SESS_IN_MAX (64 * 1024)      /* one read from the client */
#define SESS_OUT_HIGH (256 * 1024)   /* queued for the client: stop reading sources */
#define SESS_STREAMS_MAX 512         /* live streams; more are refused */
#define SESS_HDR_VALUE_MAX 64        /* the headers kept of a stream (port, requestid) */

struct sess_stream {
    uint32_t id;
    char type[16];                   /* the streamtype header ("" when absent) */
    char port[SESS_HDR_VALUE_MAX];   /* port-forward's headers */
    char request_id[SESS_HDR_VALUE_MAX];
    bool has_request_id;
    bool fin_in;                     /* the client closed its side */
    bool fin_out;                    /* we closed ours */
    bool reset;                      /* RST_STREAM either way: nothing more on it */
    void *app;                       /* the caller's */
    struct sess_stream *next;
};

struct sess_ops {
    /* A new stream (its SYN_REPLY queued); -1 fails the session. */
    int (*stream)(void *app, struct sess_stream *st, cx_error *err);
    /* A piece of its DATA (fin: the client's last); 0, 1 to pause, -1. */
    int (*data)(void *app, struct sess_stream *st, const uint8_t *p, size_t n, bool fin,
                cx_error *err);
    /* The client reset it. */
    void (*reset)(void *app, struct sess_stream *st);
};

struct sess {
    int fd;
    struct spdy_conn *conn;
    struct cx_buf out;
    uint8_t *in;                     /* read, not yet parsed: in[in_off..in_len) */
    size_t in_off, in_len;
    bool paused;
    bool peer_eof;                   /* the client will send nothing more */
    bool goaway;                     /* it said GOAWAY */
    bool closed;                     /* the connection failed or ended both ways */
    cx_error err;                    /* why, when failed */
    bool failed;
    struct sess_stream *streams;
    size_t nstreams;
    uint32_t last_id;
    int64_t last_io;                 /* loop_now_ms() of the last traffic */
    const struct sess_ops *ops;
    void *app;
};

int sess_init(struct sess *s, int fd, const struct sess_ops *ops, void *app, cx_error *err);
void sess_free(struct sess *s);

/* Parse bytes that arrived with the request (capsad read them). */
void sess_feed_initial(struct sess *s, const void *data, size_t n);

/* poll events wanted on the connection now. */
short sess_events(const struct sess *s);
/* After poll: write, read, parse. */
void sess_handle(struct sess *s, short revents);
/* Parsing goes on after a pause (call once the sink drained). */
void sess_resume(struct sess *s);
/* Whether sources may be read: the queue for the client has room. */
bool sess_writable(const struct sess *s);

/* Queue data on st (nothing once it is finished or reset); fin closes
 * our side. */
void sess_data(struct sess *s, struct sess_stream *st, const void *p, size_t n, bool fin);
void sess_fin(struct sess *s, struct sess_stream *st);
void sess_rst(struct sess *s, struct sess_stream *st, uint32_t status);
/* Drop a stream the caller is done with (its memory, not a frame); never
 * from inside an ops callback. */
void sess_forget(struct sess *s, struct sess_stream *st);
/* Forget the streams nobody holds (app NULL) that are reset or finished
 * both ways: those the caller refused. */
void sess_sweep(struct sess *s);

/* The end: GOAWAY, everything queued written (within timeout_ms), our
 * side closed, then the client's bytes read and dropped until it closes
 * too (or the time is up), so that closing never resets the connection
 * under data the client has not read yet. */
void sess_end(struct sess *s, int timeout_ms);

#endif
