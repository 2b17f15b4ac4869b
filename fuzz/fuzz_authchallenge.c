/* fuzz_authchallenge: WWW-Authenticate values through
 * cx_auth_challenge_parse; what parses is written back (quoted, escaped)
 * and must parse to the same challenges. */
#include <stdbool.h>

#include "fuzz.h"
#include "image/authchallenge.h"

static void put_param(char *buf, size_t *n, const char *name, const char *v)
{
    if (v == NULL)
        return;
    *n += (size_t) sprintf(buf + *n, ", %s=\"", name);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf[(*n)++] = '\\';
        buf[(*n)++] = *p;
    }
    buf[(*n)++] = '"';
    buf[*n] = '\0';
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void round_trip(const struct cx_auth_challenge *c, size_t n)
{
    /* each value at most doubles when escaped */
    char *buf = malloc(4 * CX_AUTH_HEADER_MAX + 64 * n);
    if (buf == NULL)
        abort();
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(c[i].scheme[0] != '\0');
        for (const char *p = c[i].scheme; *p; p++)
            FZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        len += (size_t) sprintf(buf + len, "%s%s x=y", i ? ", " : "", c[i].scheme);
        put_param(buf, &len, "realm", c[i].realm);
        put_param(buf, &len, "service", c[i].service);
        put_param(buf, &len, "scope", c[i].scope);
    }
    struct cx_auth_challenge *d = NULL;
    size_t m = 0;
    cx_error err = { 0 };
    if (len <= CX_AUTH_HEADER_MAX) {
        FZ_CHECK(cx_auth_challenge_parse(buf, &d, &m, &err) == 0);
        FZ_CHECK(m == n);
        for (size_t i = 0; i < n; i++) {
            FZ_CHECK(strcmp(c[i].scheme, d[i].scheme) == 0);
            FZ_CHECK(same(c[i].realm, d[i].realm));
            FZ_CHECK(same(c[i].service, d[i].service));
            FZ_CHECK(same(c[i].scope, d[i].scope));
        }
        cx_auth_challenges_free(d, m);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_str(data, size);
    struct cx_auth_challenge *c = NULL;
    size_t n = 0;
    cx_error err = { 0 };
    if (cx_auth_challenge_parse(text, &c, &n, &err) == 0) {
        FZ_CHECK(n >= 1 && n <= CX_AUTH_CHALLENGES_MAX);
        round_trip(c, n);
        cx_auth_challenges_free(c, n);
    } else {
        fz_failed(&err);
        FZ_CHECK(c == NULL);
    }
    free(text);
    return 0;
}
