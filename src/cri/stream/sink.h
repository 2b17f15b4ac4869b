/* sink.h: where a stream's DATA goes in capsad-stream: the container's
 * attach socket (SOCK_SEQPACKET: the shim reads datagrams of at most
 * 8192 bytes, so bytes go in pieces of that size) or a port-forward's TCP
 * connection.  Bytes that cannot be written now wait in the sink; the
 * session then stops reading the client (sess's pause) until the sink has
 * drained, so at most one read of the client waits here.  A sink asked to
 * close its side (the client's FIN) does so once what waits is written. */
#ifndef CAPSA_CRI_STREAM_SINK_H
#define CAPSA_CRI_STREAM_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "cri/stream/buf.h"

struct sink {
    int fd;              /* -1: not connected yet (bytes wait) */
    size_t piece;        /* largest single write (datagram), 0: any */
    struct cx_buf pending;
    bool shut_wanted, shut_done;
    bool broken;         /* the reader went away: bytes are dropped */
};

void sink_init(struct sink *k, int fd, size_t piece);
void sink_free(struct sink *k);
/* Write p[0..n) or keep what does not fit; true when bytes wait (the
 * caller pauses its source). */
bool sink_write(struct sink *k, const void *p, size_t n);
/* On POLLOUT: write what waits; true when it is all out. */
bool sink_flush(struct sink *k);
/* Close the writing side once drained (now when nothing waits). */
void sink_shutdown(struct sink *k);
/* poll events the sink needs (POLLOUT while bytes wait). */
short sink_events(const struct sink *k);

#endif
