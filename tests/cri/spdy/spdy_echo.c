/* spdy_echo: the server half of the SPDY interop check (run by
 * test_spdy_interop.py with the Go client of client/).  It speaks on fd 0,
 * a connected socket: reads the upgrade request, answers 101 with the
 * version chosen (403 when none fits), then answers every SYN_STREAM
 * with a SYN_REPLY carrying one header, sends back on each stream what
 * arrives on it, closes its side when the client does, echoes PINGs, and
 * on GOAWAY answers GOAWAY and exits 0.  Everything through
 * src/cri/stream, so the Go client reads what our encoders write and we
 * read what it writes.  Prints a summary line on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "cri/stream/http1.h"
#include "cri/stream/spdy.h"

struct echo {
    struct spdy_conn *conn;
    struct cx_buf out;
    unsigned streams, fins, pings, headers;
    size_t bytes;
    bool goaway;
};

static int flush(struct echo *e)
{
    if (cx_write_all(0, e->out.data, e->out.len) < 0) {
        perror("spdy_echo: write");
        return -1;
    }
    e->out.len = 0;
    return 0;
}

static int on_frame(void *ctx, const struct spdy_frame *f, cx_error *err)
{
    struct echo *e = ctx;
    switch (f->type) {
    case SPDY_SYN_STREAM: {
        e->streams++;
        size_t len = 0;
        const char *type = spdy_header_get(f->headers, "streamtype", &len);
        struct spdy_header reply = { "x-echo-streamtype", type ? type : "", type ? len : 0 };
        return spdy_put_syn_reply(e->conn, &e->out, f->stream_id, 0, &reply, 1, err);
    }
    case SPDY_DATA:
        e->bytes += f->len;
        if (f->len > 0)
            spdy_put_data(&e->out, f->stream_id, 0, f->data, f->len);
        if (f->fin) {
            e->fins++;
            spdy_put_data(&e->out, f->stream_id, SPDY_FLAG_FIN, NULL, 0);
        }
        return 0;
    case SPDY_HEADERS:
        e->headers++;
        return 0;
    case SPDY_PING:
        e->pings++;
        spdy_put_ping(&e->out, f->ping_id);
        return 0;
    case SPDY_GOAWAY:
        e->goaway = true;
        spdy_put_goaway(&e->out, 0, SPDY_GOAWAY_OK);
        return 1;
    default:
        return 0;
    }
}

/* The upgrade: 0, or -1 after a refusal or a bad request; *rest gets the
 * bytes read past the head. */
static int upgrade(struct echo *e, char *rest, size_t *nrest)
{
    static struct http1_req r;
    char buf[4096];
    cx_error err = { 0 };
    http1_req_init(&r);
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n <= 0) {
            fprintf(stderr, "spdy_echo: the request ended early\n");
            return -1;
        }
        size_t used;
        int rc = http1_feed(&r, buf, (size_t) n, &used, &err);
        if (rc < 0) {
            http1_put_error(&e->out, 400, err.msg);
            flush(e);
            return -1;
        }
        if (rc == 1) {
            *nrest = (size_t) n - used;
            memcpy(rest, buf + used, *nrest);
            break;
        }
    }
    const char *p = http1_pick_protocol(&r, http1_remotecommand_protocols);
    if (!http1_has_token(&r, "connection", "upgrade") || !http1_has_token(&r, "upgrade", "spdy/3.1") ||
        p == NULL) {
        http1_put_error(&e->out, 403, "unable to upgrade: no common protocol");
        flush(e);
        return -1;
    }
    http1_put_upgrade(&e->out, p);
    return flush(e);
}

/* The SPDY session after the upgrade, buf[0..n) read already: 0 once
 * GOAWAY came. */
static int serve(struct echo *e, char *buf, size_t size, size_t n)
{
    cx_error err = { 0 };
    for (;;) {
        if (n > 0 && spdy_feed(e->conn, buf, n, on_frame, e, &err) < 0) {
            fprintf(stderr, "spdy_echo: %s\n", err.msg);
            spdy_put_goaway(&e->out, 0, SPDY_GOAWAY_PROTOCOL_ERROR);
            flush(e);
            return -1;
        }
        if (flush(e) < 0)
            return -1;
        if (e->goaway)
            return 0;
        ssize_t r = read(0, buf, size);
        if (r <= 0) {
            fprintf(stderr, "spdy_echo: the connection ended before GOAWAY\n");
            return -1;
        }
        n = (size_t) r;
    }
}

int main(void)
{
    struct echo e = { 0 };
    cx_error err = { 0 };
    char buf[16384];
    size_t n = 0;
    if (spdy_conn_new(&e.conn, &err) < 0)
        return 1;
    int rc = upgrade(&e, buf, &n);
    if (rc == 0) {
        rc = serve(&e, buf, sizeof buf, n);
        fprintf(stderr, "spdy_echo: streams=%u fins=%u bytes=%zu pings=%u headers=%u goaway=%d\n",
                e.streams, e.fins, e.bytes, e.pings, e.headers, e.goaway);
    }
    spdy_conn_free(e.conn);
    cx_buf_free(&e.out);
    return rc == 0 ? 0 : 1;
}
