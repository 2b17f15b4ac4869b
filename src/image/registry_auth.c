/* registry_auth.c: the registry client's requests (see registry.h):
 * which origin may receive credentials, Bearer tokens (fetch, cache,
 * expiry), Basic, the retry after a 401, redirects followed by hand and
 * retries with backoff.  registry.c holds the curl transfers and the API. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "image/authchallenge.h"
#define CX_REGISTRY_INTERNAL
#include "image/registry.h"

#include "common/cleanup.h"
#include "common/util.h"


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Registry text in our messages: printable ASCII, at most max bytes. */
void cx_reg_clean_text(char *dst, size_t cap, const char *s, size_t max)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap && n < max; s++)
        dst[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    dst[n] = '\0';
}

/* ---- URLs --------------------------------------------------------------- */

/* "scheme://host:port" of url, lowercase, with the default port made
 * explicit; NULL when url does not parse. */
char *cx_reg_url_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        out = cx_asprintf("%s://%s:%s", scheme, host, port);
        for (char *p = out; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char) (*p - 'A' + 'a');
    }
    curl_free(scheme), curl_free(host), curl_free(port);
    curl_url_cleanup(u);
    return out;
}

static bool same_origin(const char *url, const char *origin)
{
    _cleanup_free_ char *o = cx_reg_url_origin(url);
    return o && origin && strcmp(o, origin) == 0;
}

/* ref (absolute, or relative to base) as an absolute http(s) URL. */
char *cx_reg_url_resolve(const char *base, const char *ref, cx_error *err)
{
    CURLU *u = curl_url();
    char *s = NULL, *scheme = NULL, *out = NULL;
    if (u == NULL)
        abort();
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        char clean[120];
        cx_reg_clean_text(clean, sizeof clean, ref, 100);
        cx_fail(err, 0, "the registry sent an unusable URL \"%s\"", clean);
    } else {
        out = cx_strdup(s);
    }
    curl_free(s), curl_free(scheme);
    curl_url_cleanup(u);
    return out;
}

/* The URL without its query (signed URLs carry secrets), for messages. */
void cx_reg_url_for_msg(const char *url, char *buf, size_t cap)
{
    cx_reg_clean_text(buf, cap, url, strcspn(url, "?#") < 200 ? strcspn(url, "?#") : 200);
}

/* scheme://host/v2/<repo>/<path> */
/* ---- tokens ------------------------------------------------------------- */

static const char *default_scope(const struct cx_registry *r, char *buf, size_t cap)
{
    if (r->repo == NULL)
        return "";
    snprintf(buf, cap, "repository:%s:%s", r->repo, r->push ? "pull,push" : "pull");
    return buf;
}

static struct token *token_find(struct cx_registry *r, const char *scope)
{
    for (size_t i = 0; i < CX_REG_TOKENS_MAX; i++)
        if (r->tokens[i].scope && strcmp(r->tokens[i].scope, scope) == 0)
            return &r->tokens[i];
    return NULL;
}

void cx_reg_token_drop(struct token *t)
{
    free(t->scope), free(t->value);
    *t = (struct token) { 0 };
}


static int token_parse(struct cx_registry *r, const struct xfer *x, const char *scope,
                       cx_error *err)
{
    json_error_t je;
    json_t *doc = json_loadb(x->resp.data ? x->resp.data : "", x->resp.len, 0, &je);
    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        return cx_fail(err, 0, "token server: the answer is not a JSON object");
    }
    json_t *tok = json_object_get(doc, "token");
    if (!json_is_string(tok) || json_string_length(tok) == 0)
        tok = json_object_get(doc, "access_token");
    const char *v = json_is_string(tok) ? json_string_value(tok) : "";
    bool good = *v != '\0';
    for (const char *p = v; *p; p++)
        good = good && *p > 0x20 && *p < 0x7f;
    if (!good) {
        json_decref(doc);
        return cx_fail(err, 0, "token server: no usable \"token\" in the answer");
    }
    json_int_t ttl = 60;
    json_t *exp = json_object_get(doc, "expires_in");
    if (json_is_integer(exp) && json_integer_value(exp) > 60)
        ttl = json_integer_value(exp) > 86400 * 7 ? 86400 * 7 : json_integer_value(exp);
    double margin = (double) ttl / 10 > 30 ? 30 : (double) ttl / 10;
    struct token *t = token_find(r, scope);
    for (size_t i = 0; t == NULL && i < CX_REG_TOKENS_MAX; i++)
        if (r->tokens[i].scope == NULL)
            t = &r->tokens[i];
    if (t == NULL)
        t = &r->tokens[0];
    cx_reg_token_drop(t);
    t->scope = cx_strdup(scope);
    t->value = cx_strdup(v);
    t->expires = now_s() + (double) ttl - margin;
    json_decref(doc);
    return 0;
}

/* GET realm?service=&scope= (scope: space-separated scopes). */
static int token_fetch(struct cx_registry *r, const char *scope, cx_error *err)
{
    CURLU *u = curl_url();
    char *s = NULL;
    if (u == NULL)
        abort();
    bool ok = curl_url_set(u, CURLUPART_URL, r->realm, 0) == CURLUE_OK;
    _cleanup_free_ char *svc = r->service ? cx_asprintf("service=%s", r->service) : NULL;
    if (ok && svc)
        ok = curl_url_set(u, CURLUPART_QUERY, svc, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK;
    _cleanup_free_ char *scopes = cx_strdup(scope);
    char *save = NULL;
    for (char *one = strtok_r(scopes, " ", &save); ok && one; one = strtok_r(NULL, " ", &save)) {
        _cleanup_free_ char *q = cx_asprintf("scope=%s", one);
        ok = curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK;
    }
    if (ok)
        ok = curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK;
    struct xfer x = { .method = "GET", .url = ok ? cx_strdup(s) : NULL, .fd = -1,
                      .token_req = true, .body_max = CX_REGISTRY_TOKEN_MAX };
    curl_free(s);
    curl_url_cleanup(u);
    if (!ok)
        return cx_fail(err, 0, "%s: unusable token realm", r->host);
    int rc = cx_reg_request(r, &x, true, err);
    char where[240];
    cx_reg_url_for_msg(r->realm, where, sizeof where);
    if (rc < 0 && x.cb_failed)
        cx_error_prefix(err, "token server %s", where);
    else if (rc == 0 && (x.status == 401 || x.status == 403))
        rc = cx_fail(err, 0, "token server %s: %s (HTTP %ld) (check capsactl login)", where,
                     r->user ? "the credentials were refused" : "an anonymous token was refused",
                     x.status);
    else if (rc == 0 && x.status != 200)
        rc = cx_reg_http_error(r, &x, where, err);
    else if (rc == 0 && token_parse(r, &x, scope, err) < 0)
        rc = cx_error_prefix(err, "%s", where);
    cx_reg_xfer_done(&x);
    return rc;
}

static char *basic_header(const struct cx_registry *r)
{
    _cleanup_free_ char *plain = cx_asprintf("%s:%s", r->user, r->pass ? r->pass : "");
    size_t n = strlen(plain);
    _cleanup_free_ unsigned char *b64 = cx_calloc(1, 4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock(b64, (const unsigned char *) plain, (int) n);
    explicit_bzero(plain, n);
    return cx_asprintf("Authorization: Basic %s", b64);
}

/* The Authorization header for x (NULL for none), fetching a token when
 * the cached one expired. */
static int auth_header(struct cx_registry *r, const struct xfer *x, const char *origin,
                       char **out, cx_error *err)
{
    *out = NULL;
    if (!same_origin(x->url, origin))
        return 0;
    if (x->token_req || r->auth == AUTH_BASIC) {
        if (r->user)
            *out = basic_header(r);
        return 0;
    }
    if (r->auth != AUTH_BEARER)
        return 0;
    char buf[512];
    const char *scope = x->scope ? x->scope : default_scope(r, buf, sizeof buf);
    struct token *t = token_find(r, scope);
    if (t && t->expires <= now_s())
        cx_reg_token_drop(t), t = NULL;
    if (t == NULL && token_fetch(r, scope, err) < 0)
        return -1;
    t = token_find(r, scope);
    *out = cx_asprintf("Authorization: Bearer %s", t->value);
    return 0;
}

/* A 401 from the registry: learn its challenge and get what it asks. */
static int authenticate(struct cx_registry *r, struct xfer *x, cx_error *err)
{
    struct cx_auth_challenge *c = NULL;
    size_t n = 0;
    if (x->www_auth == NULL)
        return cx_fail(err, 0, "%s: 401 unauthorized without a WWW-Authenticate challenge",
                       r->host);
    if (cx_auth_challenge_parse(x->www_auth, &c, &n, err) < 0)
        return cx_error_prefix(err, "%s", r->host);
    const struct cx_auth_challenge *bearer = cx_auth_challenge_find(c, n, "bearer");
    const struct cx_auth_challenge *basic = cx_auth_challenge_find(c, n, "basic");
    int rc = 0;
    char buf[512];
    if (bearer && bearer->realm) {
        bool http = cx_str_has_prefix(bearer->realm, "http://");
        if (!http && !cx_str_has_prefix(bearer->realm, "https://"))
            rc = cx_fail(err, 0, "%s: the token realm is not an http(s) URL", r->host);
        else if (http && !r->insecure)
            rc = cx_fail(err, 0, "%s: the token realm is plain http (an insecure registry "
                         "only)", r->host);
        else {
            free(r->realm), free(r->service);
            r->realm = cx_strdup(bearer->realm);
            r->service = bearer->service ? cx_strdup(bearer->service) : NULL;
            r->auth = AUTH_BEARER;
            const char *scope = x->scope ? x->scope : default_scope(r, buf, sizeof buf);
            struct token *t = token_find(r, scope);
            if (t)
                cx_reg_token_drop(t); /* it was refused */
        }
    } else if (basic && r->user && r->auth != AUTH_BASIC) {
        r->auth = AUTH_BASIC;
    } else if (bearer || basic) {
        rc = 1; /* nothing more to try: the caller reports the 401 */
    } else {
        rc = cx_fail(err, 0, "%s: unsupported authentication scheme \"%.40s\"", r->host,
                     c[0].scheme);
    }
    cx_auth_challenges_free(c, n);
    return rc;
}

bool cx_reg_is_redirect(long st) { return st == 301 || st == 302 || st == 303 || st == 307 || st == 308; }

static int follow(struct cx_registry *r, struct xfer *x, cx_error *err)
{
    _cleanup_free_ char *next = cx_reg_url_resolve(x->url, x->location, err);
    if (next == NULL)
        return -1;
    if (cx_str_has_prefix(x->url, "https://") && cx_str_has_prefix(next, "http://") &&
        !r->insecure) {
        char where[240];
        cx_reg_url_for_msg(next, where, sizeof where);
        return cx_fail(err, 0, "%s %s: refusing a redirect from https to %s", x->method,
                       r->host, where);
    }
    free(x->url);
    x->url = TAKE_PTR(next);
    return 0;
}

/* One request: redirects (GET/HEAD), the insecure fallback and one
 * authentication retry.  0 with x->status; -1, or -2 (transient), + err. */
static int do_request(struct cx_registry *r, struct xfer *x, cx_error *err)
{
    _cleanup_free_ char *origin = NULL;
    bool auth_tried = false, redirectable = !x->body && strcmp(x->method, "DELETE") != 0;
    for (int hops = 0;;) {
        free(origin);
        origin = x->token_req ? cx_reg_url_origin(r->realm) : cx_asprintf("%s://%s", r->scheme, r->host);
        _cleanup_free_ char *reg = cx_reg_url_origin(origin);
        _cleanup_free_ char *authz = NULL;
        if (auth_header(r, x, reg ? reg : origin, &authz, err) < 0)
            return -1;
        CURLcode rc = cx_reg_perform(r, x, authz);
        if (authz)
            explicit_bzero(authz, strlen(authz));
        if (x->cb_failed) {
            *err = x->cb_err;
            return -1;
        }
        if (rc != CURLE_OK && cx_reg_fall_back_to_http(r, x, rc))
            continue;
        if (rc != CURLE_OK)
            return cx_reg_transport_error(r, x, rc, err);
        bool ours = same_origin(x->url, reg ? reg : origin);
        if (ours && !x->token_req)
            r->scheme_known = true;
        if (x->status == 401 && ours && !x->token_req && !auth_tried) {
            auth_tried = true;
            int a = authenticate(r, x, err);
            if (a < 0)
                return -1;
            if (a == 0)
                continue;
        }
        if (cx_reg_is_redirect(x->status) && x->location && redirectable) {
            if (++hops > CX_REGISTRY_REDIRECTS_MAX)
                return cx_fail(err, 0, "%s %s: more than %d redirects", x->method, r->host,
                               CX_REGISTRY_REDIRECTS_MAX);
            if (follow(r, x, err) < 0)
                return -1;
            continue;
        }
        return 0;
    }
}

/* do_request, retried per registry.h when retry (GET/HEAD). */
int cx_reg_request(struct cx_registry *r, struct xfer *x, bool retry, cx_error *err)
{
    _cleanup_free_ char *first = cx_strdup(x->url);
    unsigned delay = r->retry_ms;
    for (int t = 1;; t++) {
        int rc = do_request(r, x, err);
        bool again = rc == -2 || (rc == 0 && (x->status >= 500 || x->status == 429));
        if (!again || !retry || t == CX_REGISTRY_TRIES)
            return rc == -2 ? -1 : rc;
        unsigned ms = delay;
        if (rc == 0 && x->status == 429 && x->retry_after > 0 && x->retry_after <= 10)
            ms = (unsigned) x->retry_after * 1000;
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        delay *= 2;
        if (strncmp(first, "https://", 8) == 0 && strcmp(r->scheme, "http") == 0 &&
            !x->token_req)
            memmove(first + 4, first + 5, strlen(first + 5) + 1); /* fell back meanwhile */
        free(x->url);
        x->url = cx_strdup(first);
    }
}
