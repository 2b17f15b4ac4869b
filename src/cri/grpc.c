/* grpc.c: see grpc.h. */
#include "cri/grpc.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void grpc_deframer_init(struct grpc_deframer *d)
{
    memset(d, 0, sizeof *d);
    d->max = GRPC_MAX_MESSAGE;
}

void grpc_deframer_free(struct grpc_deframer *d)
{
    free(d->msg);
    d->msg = NULL;
}

void grpc_frame_head(uint8_t out[5], size_t len)
{
    out[0] = 0;
    out[1] = (uint8_t) (len >> 24);
    out[2] = (uint8_t) (len >> 16);
    out[3] = (uint8_t) (len >> 8);
    out[4] = (uint8_t) len;
}

static int refuse(struct grpc_deframer *d, enum grpc_code c, enum grpc_code *code)
{
    d->failed = true;
    *code = c;
    return -1;
}

/* The prefix is complete: check it and make room for the body. */
static int start_message(struct grpc_deframer *d, enum grpc_code *code, cx_error *err)
{
    uint32_t len = (uint32_t) d->head[1] << 24 | (uint32_t) d->head[2] << 16 |
                   (uint32_t) d->head[3] << 8 | d->head[4];
    if (d->head[0] == 1) {
        cx_fail(err, 0, "compressed messages are not supported (send identity encoding)");
        return refuse(d, GRPC_UNIMPLEMENTED, code);
    }
    if (d->head[0] != 0) {
        cx_fail(err, 0, "bad message flags 0x%02x", d->head[0]);
        return refuse(d, GRPC_INTERNAL, code);
    }
    if (len > d->max) {
        cx_fail(err, 0, "message of %u bytes is larger than the limit of %zu", len, d->max);
        return refuse(d, GRPC_RESOURCE_EXHAUSTED, code);
    }
    if (d->nmsgs > 0) {
        cx_fail(err, 0, "more than one request message on a unary call");
        return refuse(d, GRPC_INTERNAL, code);
    }
    d->len = len;
    d->have = 0;
    d->msg = malloc(len ? len : 1);
    if (d->msg == NULL) {
        cx_fail(err, ENOMEM, "message of %u bytes", len);
        return refuse(d, GRPC_RESOURCE_EXHAUSTED, code);
    }
    return 0;
}

int grpc_deframe(struct grpc_deframer *d, const uint8_t *buf, size_t len,
                 enum grpc_code *code, cx_error *err)
{
    if (d->failed)
        return 0;
    while (len > 0) {
        if (d->head_have < 5) {
            size_t n = 5 - d->head_have < len ? 5 - d->head_have : len;
            memcpy(d->head + d->head_have, buf, n);
            d->head_have += n;
            buf += n;
            len -= n;
            if (d->head_have == 5 && start_message(d, code, err) < 0)
                return -1;
            if (d->head_have < 5)
                break;
        }
        /* (an empty message completes here, with its prefix) */
        size_t n = d->len - d->have < len ? d->len - d->have : len;
        memcpy(d->msg + d->have, buf, n);
        d->have += n;
        buf += n;
        len -= n;
        if (d->have == d->len) {
            d->nmsgs++;
            d->head_have = 0;
        }
    }
    return 0;
}

int grpc_timeout_parse(const char *s, int64_t *ms)
{
    size_t n = strlen(s);
    if (n < 2 || n > 9)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    switch (s[n - 1]) {
    case 'H': *ms = v * 3600 * 1000; break;
    case 'M': *ms = v * 60 * 1000; break;
    case 'S': *ms = v * 1000; break;
    case 'm': *ms = v; break;
    case 'u': *ms = (v + 999) / 1000; break;
    case 'n': *ms = (v + 999999) / 1000000; break;
    default: return -1;
    }
    return 0;
}

char *grpc_message_encode(const char *msg)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(msg);
    char *out = cx_calloc(3 * n + 1, 1), *p = out;
    for (const unsigned char *c = (const unsigned char *) msg; *c; c++) {
        if (*c >= 0x20 && *c <= 0x7e && *c != '%') {
            *p++ = (char) *c;
            continue;
        }
        *p++ = '%';
        *p++ = hex[*c >> 4];
        *p++ = hex[*c & 15];
    }
    return out;
}

enum grpc_code grpc_code_of(const cx_error *err)
{
    switch (err->errnum) {
    case ENOENT: case ESRCH: return GRPC_NOT_FOUND;
    case EINVAL: return GRPC_INVALID_ARGUMENT;
    case EEXIST: return GRPC_ALREADY_EXISTS;
    case ETIMEDOUT: return GRPC_DEADLINE_EXCEEDED;
    case EBUSY: return GRPC_FAILED_PRECONDITION;
    case ENOSYS: case EOPNOTSUPP: return GRPC_UNIMPLEMENTED;
    case ECANCELED: return GRPC_CANCELLED;
    case E2BIG: return GRPC_RESOURCE_EXHAUSTED;
    default: return GRPC_UNKNOWN;
    }
}

const char *grpc_code_name(enum grpc_code c)
{
    static const char *const names[] = {
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
        "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
        "Unauthenticated",
    };
    return (unsigned) c < sizeof names / sizeof names[0] ? names[c] : "Unknown";
}
