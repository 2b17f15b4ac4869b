/* authchallenge.c: WWW-Authenticate values (RFC 7235), parsed strictly.
 *
 *   header    = *( "," OWS ) challenge *( OWS "," [ OWS challenge ] )
 *   challenge = scheme [ 1*SP ( token68 / auth-param *( OWS "," OWS [ auth-param ] ) ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * After a comma, "token BWS =" continues the current challenge's
 * parameters; anything else starts the next challenge.  What the
 * registry client does with them is registry_auth.c. */
#include "image/authchallenge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/util.h"

struct scan {
    const char *s;
    size_t pos, len;
    cx_error *err;
};

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token68_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("-._~+/", c) != NULL;
}

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

static char peek(const struct scan *sc) { return sc->pos < sc->len ? sc->s[sc->pos] : '\0'; }

static void skip_ws(struct scan *sc)
{
    while (is_ws(peek(sc)))
        sc->pos++;
}

static int fail_at(struct scan *sc, const char *what)
{
    char c = peek(sc);
    if (sc->pos >= sc->len)
        return cx_fail(sc->err, 0, "WWW-Authenticate: %s at the end of the header", what);
    if ((unsigned char) c >= 0x21 && (unsigned char) c < 0x7f)
        return cx_fail(sc->err, 0, "WWW-Authenticate: %s at offset %zu ('%c')", what,
                       sc->pos, c);
    return cx_fail(sc->err, 0, "WWW-Authenticate: %s at offset %zu (byte 0x%02x)", what,
                   sc->pos, (unsigned char) c);
}

static size_t token_len(const struct scan *sc, size_t at)
{
    size_t n = 0;
    while (at + n < sc->len && is_tchar((unsigned char) sc->s[at + n]))
        n++;
    return n;
}

/* Does a parameter ("token BWS =") start here?  A token68 such as
 * "abc==" is not one: its '=' are followed by OWS and "," or the end. */
static bool param_ahead(const struct scan *sc)
{
    size_t at = sc->pos, n = token_len(sc, at);
    if (n == 0)
        return false;
    at += n;
    while (at < sc->len && is_ws(sc->s[at]))
        at++;
    if (at >= sc->len || sc->s[at] != '=')
        return false;
    at++;
    while (at < sc->len && is_ws(sc->s[at]))
        at++;
    return at < sc->len && (sc->s[at] == '"' || is_tchar((unsigned char) sc->s[at]));
}

/* A quoted-string at sc->pos ('"'), unescaped into *out. */
static int quoted(struct scan *sc, char **out)
{
    size_t start = sc->pos++;
    _cleanup_free_ char *buf = cx_calloc(1, sc->len - start);
    size_t n = 0;
    for (;;) {
        if (sc->pos >= sc->len) {
            sc->pos = start;
            return fail_at(sc, "unterminated quoted string");
        }
        unsigned char c = (unsigned char) sc->s[sc->pos];
        if (c == '"')
            break;
        if (c == '\\') {
            sc->pos++;
            if (sc->pos >= sc->len) {
                sc->pos = start;
                return fail_at(sc, "unterminated quoted string");
            }
            c = (unsigned char) sc->s[sc->pos];
        }
        if (c != '\t' && (c < 0x20 || c == 0x7f))
            return fail_at(sc, "control character in a quoted string");
        buf[n++] = (char) c;
        sc->pos++;
    }
    sc->pos++;
    buf[n] = '\0';
    *out = TAKE_PTR(buf);
    return 0;
}

static int param_value(struct scan *sc, char **out)
{
    if (peek(sc) == '"')
        return quoted(sc, out);
    size_t n = token_len(sc, sc->pos);
    if (n == 0)
        return fail_at(sc, "expected a token or a quoted string as the parameter's value");
    *out = strndup(sc->s + sc->pos, n);
    if (*out == NULL)
        abort();
    sc->pos += n;
    return 0;
}

static char **param_slot(struct cx_auth_challenge *c, const char *name, size_t len)
{
    if (len == 5 && strncasecmp(name, "realm", 5) == 0)
        return &c->realm;
    if (len == 7 && strncasecmp(name, "service", 7) == 0)
        return &c->service;
    if (len == 5 && strncasecmp(name, "scope", 5) == 0)
        return &c->scope;
    return NULL;
}

/* A duplicate check over the names seen in one challenge. */
static bool seen_before(const struct scan *sc, const size_t *names, const size_t *lens,
                        size_t k, size_t at, size_t len)
{
    for (size_t i = 0; i < k; i++)
        if (lens[i] == len && strncasecmp(sc->s + names[i], sc->s + at, len) == 0)
            return true;
    return false;
}

#define PARAMS_MAX 64

/* Parameters of one challenge; stops before the next challenge's scheme
 * (having eaten the comma) or at the end. */
static int params(struct scan *sc, struct cx_auth_challenge *c)
{
    size_t names[PARAMS_MAX], lens[PARAMS_MAX], k = 0;
    while (param_ahead(sc)) {
        size_t at = sc->pos, len = token_len(sc, at);
        if (k == PARAMS_MAX)
            return fail_at(sc, "too many parameters");
        if (seen_before(sc, names, lens, k, at, len))
            return cx_fail(sc->err, 0,
                           "WWW-Authenticate: parameter \"%.*s\" given twice at offset %zu",
                           (int) (len > 64 ? 64 : len), sc->s + at, at);
        names[k] = at, lens[k++] = len;
        sc->pos += len;
        skip_ws(sc);
        sc->pos++; /* '=' (param_ahead saw it) */
        skip_ws(sc);
        _cleanup_free_ char *v = NULL;
        if (param_value(sc, &v) < 0)
            return -1;
        char **slot = param_slot(c, sc->s + at, len);
        if (slot)
            *slot = TAKE_PTR(v);
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return 0;
        if (peek(sc) != ',')
            return fail_at(sc, "expected ',' after a parameter");
        while (peek(sc) == ',' || is_ws(peek(sc)))
            sc->pos++;
    }
    return 0;
}

/* token68 credentials: skipped (capsa uses none of them). */
static int token68(struct scan *sc)
{
    while (is_token68_char((unsigned char) peek(sc)))
        sc->pos++;
    while (peek(sc) == '=')
        sc->pos++;
    skip_ws(sc);
    if (sc->pos < sc->len && peek(sc) != ',')
        return fail_at(sc, "expected ',' after a token68 credential");
    while (peek(sc) == ',' || is_ws(peek(sc)))
        sc->pos++;
    return 0;
}

static int challenge(struct scan *sc, struct cx_auth_challenge *c)
{
    size_t n = token_len(sc, sc->pos);
    if (n == 0)
        return fail_at(sc, "expected an authentication scheme");
    c->scheme = strndup(sc->s + sc->pos, n);
    if (c->scheme == NULL)
        abort();
    for (char *p = c->scheme; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char) (*p - 'A' + 'a');
    sc->pos += n;
    if (sc->pos >= sc->len)
        return 0;
    if (peek(sc) == ',') {
        while (peek(sc) == ',' || is_ws(peek(sc)))
            sc->pos++;
        return 0;
    }
    if (peek(sc) != ' ')
        return fail_at(sc, "expected a space after the authentication scheme");
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return 0;
    if (peek(sc) == ',') {
        while (peek(sc) == ',' || is_ws(peek(sc)))
            sc->pos++;
        return 0;
    }
    if (param_ahead(sc))
        return params(sc, c);
    if (is_token68_char((unsigned char) peek(sc)))
        return token68(sc);
    return fail_at(sc, "expected parameters or a token68 credential");
}

void cx_auth_challenges_free(struct cx_auth_challenge *c, size_t n)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(c[i].scheme);
        free(c[i].realm);
        free(c[i].service);
        free(c[i].scope);
    }
    free(c);
}

int cx_auth_challenge_parse(const char *header, struct cx_auth_challenge **out,
                            size_t *n, cx_error *err)
{
    if (header == NULL)
        return cx_fail(err, 0, "WWW-Authenticate: missing header");
    size_t len = strnlen(header, CX_AUTH_HEADER_MAX + 1);
    if (len > CX_AUTH_HEADER_MAX)
        return cx_fail(err, 0, "WWW-Authenticate: header longer than %d bytes",
                       CX_AUTH_HEADER_MAX);
    struct scan sc = { .s = header, .pos = 0, .len = len, .err = err };
    while (peek(&sc) == ',' || is_ws(peek(&sc)))
        sc.pos++;
    if (sc.pos >= sc.len)
        return cx_fail(err, 0, "WWW-Authenticate: empty header");
    struct cx_auth_challenge *v = cx_calloc(CX_AUTH_CHALLENGES_MAX, sizeof *v);
    size_t k = 0;
    while (sc.pos < sc.len) {
        if (k == CX_AUTH_CHALLENGES_MAX) {
            cx_auth_challenges_free(v, k);
            return cx_fail(err, 0, "WWW-Authenticate: more than %d challenges",
                           CX_AUTH_CHALLENGES_MAX);
        }
        if (challenge(&sc, &v[k++]) < 0) {
            cx_auth_challenges_free(v, k);
            return -1;
        }
    }
    *out = v;
    *n = k;
    return 0;
}

const struct cx_auth_challenge *cx_auth_challenge_find(const struct cx_auth_challenge *c,
                                                       size_t n, const char *scheme)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].scheme, scheme) == 0)
            return &c[i];
    return NULL;
}
