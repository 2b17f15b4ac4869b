/* buf.c: see buf.h. */
#include "cri/stream/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

uint8_t *cx_buf_reserve(struct cx_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2)
                abort(); /* not reachable with bounded callers */
            cap *= 2;
        }
        b->data = cx_realloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void cx_buf_add(struct cx_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(cx_buf_reserve(b, n), p, n);
    b->len += n;
}

void cx_buf_add_str(struct cx_buf *b, const char *s)
{
    cx_buf_add(b, s, strlen(s));
}

void cx_buf_addf(struct cx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* only a bad format string */
    /* vsnprintf writes a NUL after the text: room for it, not counted */
    char *p = (char *) cx_buf_reserve(b, (size_t) n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
}

void cx_buf_add_be16(struct cx_buf *b, uint16_t v)
{
    uint8_t p[2] = { (uint8_t) (v >> 8), (uint8_t) v };
    cx_buf_add(b, p, sizeof p);
}

void cx_buf_add_be32(struct cx_buf *b, uint32_t v)
{
    cx_buf_reserve(b, 4);
    b->len += 4;
    cx_buf_put_be32(b, b->len - 4, v);
}

void cx_buf_put_be32(struct cx_buf *b, size_t off, uint32_t v)
{
    b->data[off] = (uint8_t) (v >> 24);
    b->data[off + 1] = (uint8_t) (v >> 16);
    b->data[off + 2] = (uint8_t) (v >> 8);
    b->data[off + 3] = (uint8_t) v;
}

void cx_buf_drop(struct cx_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void cx_buf_free(struct cx_buf *b)
{
    free(b->data);
    *b = (struct cx_buf) { 0 };
}
