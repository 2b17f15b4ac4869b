/* digest.c: strict digest strings and streaming SHA-256/512 (OpenSSL). */
#include "image/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static size_t hex_len(enum cx_digest_alg alg)
{
    return alg == CX_SHA512 ? 128 : 64;
}

const char *cx_digest_alg_name(enum cx_digest_alg alg)
{
    return alg == CX_SHA512 ? "sha512" : "sha256";
}

int cx_digest_parse(const char *s, struct cx_digest *out, const char *what,
                    cx_error *err)
{
    enum cx_digest_alg alg;
    const char *hex;
    if (!s)
        return cx_fail(err, EINVAL, "%s: missing digest", what);
    if (strncmp(s, "sha256:", 7) == 0)
        alg = CX_SHA256, hex = s + 7;
    else if (strncmp(s, "sha512:", 7) == 0)
        alg = CX_SHA512, hex = s + 7;
    else
        return cx_fail(err, EINVAL, "%s: digest \"%.80s\" is not sha256:<hex> or sha512:<hex>",
                       what, s);
    size_t want = hex_len(alg), n = 0;
    for (; hex[n]; n++) {
        char c = hex[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n >= want)
            return cx_fail(err, EINVAL, "%s: digest \"%.80s\": want %zu lowercase hex digits",
                           what, s, want);
    }
    if (n != want)
        return cx_fail(err, EINVAL, "%s: digest \"%.80s\": want %zu lowercase hex digits",
                       what, s, want);
    out->alg = alg;
    memcpy(out->hex, hex, n + 1);
    return 0;
}

void cx_digest_format(const struct cx_digest *d, char buf[static CX_DIGEST_MAX])
{
    snprintf(buf, CX_DIGEST_MAX, "%s:%s", cx_digest_alg_name(d->alg), d->hex);
}

bool cx_digest_equal(const struct cx_digest *a, const struct cx_digest *b)
{
    return a->alg == b->alg && strcmp(a->hex, b->hex) == 0;
}

int cx_hasher_init(struct cx_hasher *h, enum cx_digest_alg alg, cx_error *err)
{
    if (!h->ctx && !(h->ctx = EVP_MD_CTX_new()))
        return cx_fail(err, ENOMEM, "digest: cannot allocate a hash context");
    const EVP_MD *md = alg == CX_SHA512 ? EVP_sha512() : EVP_sha256();
    if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
        return cx_fail(err, EIO, "digest: cannot start %s", cx_digest_alg_name(alg));
    h->alg = alg;
    h->bytes = 0;
    return 0;
}

void cx_hasher_update(struct cx_hasher *h, const void *buf, size_t len)
{
    EVP_DigestUpdate(h->ctx, buf, len);
    h->bytes += len;
}

void cx_hasher_final(struct cx_hasher *h, struct cx_digest *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    static const char x[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out->hex[2 * i] = x[md[i] >> 4];
        out->hex[2 * i + 1] = x[md[i] & 15];
    }
    out->hex[2 * n] = '\0';
    out->alg = h->alg;
}

void cx_hasher_free(struct cx_hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int cx_digest_buffer(enum cx_digest_alg alg, const void *buf, size_t len,
                     struct cx_digest *out, cx_error *err)
{
    struct cx_hasher h = { 0 };
    if (cx_hasher_init(&h, alg, err) < 0)
        return -1;
    cx_hasher_update(&h, buf, len);
    cx_hasher_final(&h, out);
    cx_hasher_free(&h);
    return 0;
}

int cx_hasher_verify(struct cx_hasher *h, const struct cx_digest *want,
                     const char *what, cx_error *err)
{
    struct cx_digest got;
    cx_hasher_final(h, &got);
    if (cx_digest_equal(&got, want))
        return 0;
    char a[CX_DIGEST_MAX], b[CX_DIGEST_MAX];
    cx_digest_format(want, a);
    cx_digest_format(&got, b);
    return cx_fail(err, EBADMSG, "%s: digest mismatch: expected %s, got %s", what, a, b);
}
