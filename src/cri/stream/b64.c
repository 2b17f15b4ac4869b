/* b64.c: see b64.h. */
#include "cri/stream/b64.h"

static const char std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t cx_b64_len(size_t n, bool url)
{
    if (!url)
        return (n + 2) / 3 * 4;
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void cx_b64_encode(const void *in, size_t n, bool url, char *out)
{
    const uint8_t *p = in;
    const char *a = url ? url_alpha : std_alpha;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) p[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (uint32_t) p[i + 1] << 8;
        if (left > 2)
            v |= p[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (left > 1)
            out[o++] = a[v >> 6 & 63];
        else if (!url)
            out[o++] = '=';
        if (left > 2)
            out[o++] = a[v & 63];
        else if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int cx_b64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    *out_len = 0;
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int pad = last && in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            int d = k >= 4 - pad ? 0 : value_of(in[i + k]);
            if (d < 0)
                return -1;
            v = v << 6 | (uint32_t) d;
        }
        out[o++] = (uint8_t) (v >> 16);
        if (pad < 2)
            out[o++] = (uint8_t) (v >> 8);
        if (pad < 1)
            out[o++] = (uint8_t) v;
    }
    *out_len = o;
    return 0;
}
