/* server.h: capsad's streaming listener: the URLs Exec, Attach and
 * PortForward answer (tokens.h) lead here.  A TCP socket on the
 * configured address and port (0: the kernel picks one), a source of
 * capsad's I/O loop; each connection has 10 s to send its HTTP/1.1
 * request head (at most 8 KiB, read without blocking the loop), which is
 * answered as the kubelet's own streaming server does:
 *   - a path other than /exec/T, /attach/T, /portforward/T, or a token
 *     unknown, used or expired: 404 (the token is consumed either way);
 *   - a method other than GET or POST: 405;
 *   - no X-Stream-Protocol-Version: 400; none we speak: 403;
 *   - not an upgrade to SPDY/3.1: 400.
 * Otherwise the connection goes to a capsad-stream helper of its own
 * (helper.h), which answers 101 and serves the session; capsad forgets
 * both, so a restart of capsad cuts no session. */
#ifndef CAPSA_CRI_STREAM_SERVER_H
#define CAPSA_CRI_STREAM_SERVER_H

#include "common/error.h"
#include "common/loop.h"
#include "cri/stream/tokens.h"

#define STREAM_HEAD_TIMEOUT_MS 10000
#define STREAM_HEADS_MAX 64          /* connections still sending their head */
#define STREAM_DRAIN_MS 2000         /* after a refusal, the client's close awaited */

struct stream_server_opts {
    const char *address;         /* an IPv4 or IPv6 address */
    int port;                    /* 0: any free port */
    int idle_timeout;            /* seconds, for the helpers (0: none) */
    const char *helper;          /* the capsad-stream binary */
    struct loop *loop;
    struct stream_tokens *tokens;
};

struct stream_server;

int stream_server_new(struct stream_server **out, const struct stream_server_opts *o,
                      cx_error *err);
void stream_server_free(struct stream_server *s);
/* "http://ADDRESS:PORT", the port the socket got */
const char *stream_server_url(const struct stream_server *s);

#endif
