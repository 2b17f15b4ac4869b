/* buf.h: a growable byte buffer, the output of the stream encoders.
 *
 * Encoders append to it; a server loop writes data[0..len) to its socket
 * and drops what was written with cx_buf_drop().  Growth aborts on ENOMEM
 * (as cx_realloc does): the callers bound what they queue.
 *
 *   struct cx_buf out = { 0 };
 *   spdy_put_ping(&out, 1);
 *   ... write(fd, out.data, out.len) ...
 *   cx_buf_free(&out);
 */
#ifndef CAPSA_CRI_STREAM_BUF_H
#define CAPSA_CRI_STREAM_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cx_buf {
    uint8_t *data;
    size_t len;  /* bytes in use */
    size_t cap;  /* bytes allocated */
};

/* Room for n more bytes; returns where they go (data + len). */
uint8_t *cx_buf_reserve(struct cx_buf *b, size_t n);
void cx_buf_add(struct cx_buf *b, const void *p, size_t n);
void cx_buf_add_str(struct cx_buf *b, const char *s);
/* printf-style append (no NUL is kept in len) */
void cx_buf_addf(struct cx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* big-endian integers, the byte order of SPDY */
void cx_buf_add_be16(struct cx_buf *b, uint16_t v);
void cx_buf_add_be32(struct cx_buf *b, uint32_t v);
/* overwrite 4 bytes at off (a length filled in once known) */
void cx_buf_put_be32(struct cx_buf *b, size_t off, uint32_t v);
/* remove the first n bytes (n <= len), e.g. once written */
void cx_buf_drop(struct cx_buf *b, size_t n);
void cx_buf_free(struct cx_buf *b);

static inline uint32_t cx_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline uint32_t cx_be24(const uint8_t *p)
{
    return (uint32_t) p[0] << 16 | (uint32_t) p[1] << 8 | p[2];
}

#endif
