/* authchallenge.h: WWW-Authenticate header values (RFC 7235 section 4.1).
 *
 * A value holds one or more challenges:
 *   Bearer realm="https://auth.example/token",service="registry",scope="..."
 *   Basic realm="registry", Bearer realm="..."
 * Schemes and parameter names are case-insensitive; values are tokens or
 * quoted strings (with \-escapes).  The parser is strict (a malformed value
 * is an error naming what is wrong and where) and bounded: at most
 * CX_AUTH_HEADER_MAX bytes and CX_AUTH_CHALLENGES_MAX challenges.  A
 * parameter named twice in one challenge is an error (RFC 7235 2.2);
 * unknown parameters (error=, error_description=, ...) are skipped; a
 * token68 credential form ("Negotiate abc==") is accepted and skipped. */
#ifndef CAPSA_IMAGE_AUTHCHALLENGE_H
#define CAPSA_IMAGE_AUTHCHALLENGE_H

#include <stddef.h>

#include "common/error.h"

#define CX_AUTH_HEADER_MAX 8192
#define CX_AUTH_CHALLENGES_MAX 16

struct cx_auth_challenge {
    char *scheme;   /* lowercased: "bearer", "basic", ... */
    /* the parameters capsa uses, NULL when absent; filled for any scheme
     * (Bearer uses all three, Basic only realm) */
    char *realm, *service, *scope;
};

/* Parse header (the field value, without "WWW-Authenticate:") into an
 * array of *n >= 1 challenges in header order. */
int cx_auth_challenge_parse(const char *header, struct cx_auth_challenge **out,
                            size_t *n, cx_error *err);
void cx_auth_challenges_free(struct cx_auth_challenge *c, size_t n);
/* The first challenge of scheme (lowercase), or NULL. */
const struct cx_auth_challenge *cx_auth_challenge_find(const struct cx_auth_challenge *c,
                                                       size_t n, const char *scheme);

#endif
