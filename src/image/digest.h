/* digest.h: content digests ("sha256:<64 hex>"), parsed strictly before
 * any path is ever made from one (CVE-2024-3727), and computed while a
 * stream passes (OpenSSL's SHA-256/512, SHA-NI where the CPU has it). */
#ifndef CAPSA_IMAGE_DIGEST_H
#define CAPSA_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum cx_digest_alg { CX_SHA256, CX_SHA512 };

/* "sha512:" + 128 hex + NUL */
#define CX_DIGEST_MAX 136

struct cx_digest {
    enum cx_digest_alg alg;
    char hex[129];      /* lowercase, 64 or 128 characters */
};

/* Strict: "sha256:" + 64 or "sha512:" + 128 lowercase hex digits, nothing
 * else (no uppercase, no other algorithm, no trailing bytes).  what names
 * the value in the error ("manifest layers[2].digest"). */
int cx_digest_parse(const char *s, struct cx_digest *out, const char *what,
                    cx_error *err);
/* "sha256:<hex>" into buf */
void cx_digest_format(const struct cx_digest *d, char buf[static CX_DIGEST_MAX]);
const char *cx_digest_alg_name(enum cx_digest_alg alg);
bool cx_digest_equal(const struct cx_digest *a, const struct cx_digest *b);

/* A streaming hash. */
struct cx_hasher {
    void *ctx;          /* EVP_MD_CTX */
    enum cx_digest_alg alg;
    unsigned long long bytes;
};
int cx_hasher_init(struct cx_hasher *h, enum cx_digest_alg alg, cx_error *err);
void cx_hasher_update(struct cx_hasher *h, const void *buf, size_t len);
/* Finish into out; the hasher can be initialised again afterwards. */
void cx_hasher_final(struct cx_hasher *h, struct cx_digest *out);
void cx_hasher_free(struct cx_hasher *h);
/* The digest of one buffer. */
int cx_digest_buffer(enum cx_digest_alg alg, const void *buf, size_t len,
                     struct cx_digest *out, cx_error *err);
/* Compare the digest of what was hashed with want; the error says both. */
int cx_hasher_verify(struct cx_hasher *h, const struct cx_digest *want,
                     const char *what, cx_error *err);

#endif
