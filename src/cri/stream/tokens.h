/* tokens.h: the one-time tokens of the streaming server.
 *
 * Exec, Attach and PortForward (gRPC handlers, on any worker thread)
 * check their request, then store what the session needs (a JSON
 * description, see server.h) under a fresh token and answer the URL
 * http://<address>:<port>/<kind>/<token>.  The listener (capsad's I/O
 * thread) takes the description back when a client presents the token:
 * once only, and only before it expires, as the kubelet's own streaming
 * server does.  A mutex guards the table; times are loop_now_ms() values
 * given by the caller, so the tests control the clock.
 *
 * A token is 16 random bytes (getrandom) in base64url without padding:
 * 22 characters, unguessable, safe in a URL path. */
#ifndef CAPSA_CRI_STREAM_TOKENS_H
#define CAPSA_CRI_STREAM_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

#define STREAM_TOKEN_LEN 22
#define STREAM_TOKEN_TTL_MS 60000
#define STREAM_TOKENS_MAX 1000

struct stream_tokens;

/* A table of at most max pending tokens, each valid ttl_ms. */
struct stream_tokens *stream_tokens_new(size_t max, int64_t ttl_ms);
void stream_tokens_free(struct stream_tokens *t);

/* Store desc (the table takes the reference, even on failure) under a
 * new token, written to token.  The expired entries go first; a table
 * still full fails with EAGAIN (the caller answers RESOURCE_EXHAUSTED). */
int stream_token_put(struct stream_tokens *t, json_t *desc, int64_t now,
                     char token[STREAM_TOKEN_LEN + 1], cx_error *err);

/* The description stored under token, removed from the table (the
 * caller's reference); NULL when the token is unknown, malformed, used
 * already or expired (an expired entry is dropped as well). */
json_t *stream_token_take(struct stream_tokens *t, const char *token, int64_t now);

/* Entries not yet expired. */
size_t stream_tokens_pending(struct stream_tokens *t, int64_t now);

#endif
