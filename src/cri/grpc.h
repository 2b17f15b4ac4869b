/* grpc.h: the parts of gRPC over HTTP/2 that are pure byte and string
 * work, kept apart from nghttp2 so they are unit-tested and fuzzed alone:
 * the status codes, the 5-byte message framing, the grpc-timeout header
 * and the grpc-message encoding.  (Why not gRPC's C core: docs/CAPSAD.md.) */
#ifndef CAPSA_CRI_GRPC_H
#define CAPSA_CRI_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The status codes, numbered as every gRPC implementation numbers them. */
enum grpc_code {
    GRPC_OK = 0,
    GRPC_CANCELLED = 1,
    GRPC_UNKNOWN = 2,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_DEADLINE_EXCEEDED = 4,
    GRPC_NOT_FOUND = 5,
    GRPC_ALREADY_EXISTS = 6,
    GRPC_PERMISSION_DENIED = 7,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_FAILED_PRECONDITION = 9,
    GRPC_ABORTED = 10,
    GRPC_OUT_OF_RANGE = 11,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
    GRPC_DATA_LOSS = 15,
    GRPC_UNAUTHENTICATED = 16,
};

/* The kubelet's limit on one message, which we keep both ways. */
#define GRPC_MAX_MESSAGE (16u << 20)

/* A request body arrives in DATA chunks of any size; the deframer gathers
 * whole messages.  A unary call carries exactly one. */
struct grpc_deframer {
    uint8_t head[5];
    size_t head_have;
    uint8_t *msg;             /* the message being gathered (malloc) */
    size_t len, have;
    unsigned nmsgs;           /* complete messages seen */
    size_t max;               /* GRPC_MAX_MESSAGE unless a test lowers it */
    bool failed;
};

void grpc_deframer_init(struct grpc_deframer *d);
void grpc_deframer_free(struct grpc_deframer *d);
/* Feed a chunk.  A complete message is kept in d->msg/d->len (a second
 * one is an error: unary calls only).  On a bad frame: -1, *code and the
 * message in err (RESOURCE_EXHAUSTED for a length over d->max, before the
 * body is buffered; UNIMPLEMENTED for a compressed message; INTERNAL for a
 * second message), and the deframer ignores everything after. */
int grpc_deframe(struct grpc_deframer *d, const uint8_t *buf, size_t len,
                 enum grpc_code *code, cx_error *err);
/* The 5-byte prefix of an uncompressed message of len bytes. */
void grpc_frame_head(uint8_t out[5], size_t len);

/* grpc-timeout: 1 to 8 digits and a unit (H M S m u n), as milliseconds
 * rounded up (a 1 ns timeout is still a deadline).  -1 when malformed. */
int grpc_timeout_parse(const char *s, int64_t *ms);

/* grpc-message's percent-encoding: bytes outside 0x20..0x7e and '%' as
 * %XX.  Malloc'd. */
char *grpc_message_encode(const char *msg);

/* The status code for a failure: err->errnum mapped (ENOENT NOT_FOUND,
 * EINVAL INVALID_ARGUMENT, EEXIST ALREADY_EXISTS, ETIMEDOUT
 * DEADLINE_EXCEEDED, EBUSY FAILED_PRECONDITION, ENOSYS UNIMPLEMENTED,
 * ECANCELED CANCELLED, E2BIG RESOURCE_EXHAUSTED, else UNKNOWN, as
 * containerd answers for a runtime failure). */
enum grpc_code grpc_code_of(const cx_error *err);
/* "NotFound" ... (the names in logs). */
const char *grpc_code_name(enum grpc_code c);

#endif
