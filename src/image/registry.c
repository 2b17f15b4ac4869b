/* registry.c: the distribution API over libcurl, its transfers and its
 * reading half (see registry.h for the transport, retry, redirect and
 * authentication rules); the writing half is registry_push.c. */
#define CX_REGISTRY_INTERNAL
#include "image/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "capsa-config.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/authchallenge.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static const long SMALL_REQUEST_TIMEOUT_S = 600L;

static const char MANIFEST_ACCEPT[] =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

/* ---- responses ---------------------------------------------------------- */

static void xfer_reset_answer(struct xfer *x)
{
    x->status = 0;
    free(x->resp.data);
    x->resp = (struct membuf) { 0 };
    free(x->location), x->location = NULL;
    free(x->ctype), x->ctype = NULL;
    free(x->dcd), x->dcd = NULL;
    free(x->www_auth), x->www_auth = NULL;
    free(x->crange), x->crange = NULL;
    x->retry_after = 0;
    if (x->blob)
        x->blob->started = false;
}

void cx_reg_xfer_done(struct xfer *x)
{
    xfer_reset_answer(x);
    free(x->url);
    x->url = NULL;
}

static int membuf_add(struct membuf *b, const void *p, size_t n)
{
    if (n > b->max - b->len) {
        if (b->strict) {
            b->over = true;
            return -1;
        }
        n = b->max - b->len;
    }
    b->data = cx_realloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void set_header(char **slot, const char *v, size_t n, bool append)
{
    if (append && *slot) {
        size_t old = strlen(*slot);
        if (old + 2 + n > CX_REG_HEADER_VALUE_MAX + 1)
            n = CX_REG_HEADER_VALUE_MAX + 1 > old + 2 ? CX_REG_HEADER_VALUE_MAX + 1 - old - 2 : 0;
        char *s = cx_realloc(*slot, old + 2 + n + 1);
        memcpy(s + old, ", ", 2);
        memcpy(s + old + 2, v, n);
        s[old + 2 + n] = '\0';
        *slot = s;
        return;
    }
    free(*slot);
    *slot = strndup(v, n > CX_REG_HEADER_VALUE_MAX + 1 ? CX_REG_HEADER_VALUE_MAX + 1 : n);
    if (*slot == NULL)
        abort();
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new answer (100, 3xx, ...) */
        xfer_reset_answer(x);
        const char *sp = memchr(p, ' ', n);
        long st = 0;
        for (size_t i = sp ? (size_t) (sp - p) + 1 : n, k = 0; i < n && k < 3; i++, k++)
            st = (p[i] >= '0' && p[i] <= '9') ? st * 10 + (p[i] - '0') : -1000;
        x->status = st < 100 ? 0 : st;
        bool ok = x->status >= 200 && x->status < 300;
        x->resp.max = ok ? x->body_max : CX_REGISTRY_ERRBODY_MAX;
        x->resp.strict = ok;
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (colon == NULL)
        return n;
    size_t klen = (size_t) (colon - p);
    const char *v = colon + 1, *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t) (end - v);
#define IS(name) (klen == sizeof(name) - 1 && strncasecmp(p, name, klen) == 0)
    if (IS("location"))
        set_header(&x->location, v, vlen, false);
    else if (IS("content-type"))
        set_header(&x->ctype, v, vlen, false);
    else if (IS("docker-content-digest"))
        set_header(&x->dcd, v, vlen, false);
    else if (IS("www-authenticate"))
        set_header(&x->www_auth, v, vlen, true);
    else if (IS("content-range"))
        set_header(&x->crange, v, vlen, false);
    else if (IS("retry-after") && vlen > 0 && vlen < 4) {
        char buf[4] = { 0 };
        memcpy(buf, v, vlen);
        int s;
        x->retry_after = cx_parse_int(buf, &s) == 0 ? s : 0;
    }
#undef IS
    return n;
}

static int cb_fail(struct xfer *x)
{
    x->cb_failed = true;
    return -1;
}

/* The first byte of a blob answer: 200 after a Range starts over. */
static int blob_start(struct xfer *x)
{
    struct blobstate *b = x->blob;
    b->started = true;
    if (x->status == 206) {
        char want[48];
        snprintf(want, sizeof want, "bytes %llu-", (unsigned long long) b->done);
        if (x->crange == NULL || !cx_str_has_prefix(x->crange, want))
            return cx_fail(&x->cb_err, 0,
                           "blob: a 206 answer does not resume at byte %llu (Content-Range: %.60s)",
                           (unsigned long long) b->done, x->crange ? x->crange : "none");
        return 0;
    }
    if (b->done == 0)
        return 0;
    if (b->sink->reset(b->sink->ctx, &x->cb_err) < 0)
        return -1;
    b->done = 0;
    return cx_hasher_init(&b->h, b->h.alg, &x->cb_err);
}

static int blob_write(struct xfer *x, const char *p, size_t n)
{
    struct blobstate *b = x->blob;
    if (!b->started && blob_start(x) < 0)
        return -1;
    if (n > b->max - b->done)
        return cx_fail(&x->cb_err, 0, "blob: larger than the limit of %llu bytes",
                       (unsigned long long) b->max);
    if (b->size >= 0 && n > (uint64_t) b->size - b->done)
        return cx_fail(&x->cb_err, 0, "blob: the registry sent more than its size, %lld bytes",
                       (long long) b->size);
    cx_hasher_update(&b->h, p, n);
    if (b->sink->write(b->sink->ctx, p, n, &x->cb_err) < 0)
        return -1;
    b->done += n;
    if (b->sink->progress)
        b->sink->progress(b->sink->ctx, b->done, b->size >= 0 ? (uint64_t) b->size : 0);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    bool ok = x->status >= 200 && x->status < 300;
    if (ok && x->blob) {
        if (blob_write(x, p, n) < 0)
            return cb_fail(x), 0;
        return n;
    }
    if (membuf_add(&x->resp, p, n) < 0) {
        cx_fail(&x->cb_err, 0, "answer larger than %zu bytes", x->resp.max);
        return cb_fail(x), 0;
    }
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (n > x->len - x->pos)
        n = (size_t) (x->len - x->pos);
    if (n == 0)
        return 0;
    if (x->fd < 0) {
        memcpy(buf, (const char *) x->mem + x->pos, n);
        x->pos += n;
        return n;
    }
    ssize_t got = pread(x->fd, buf, n, (off_t) (x->off + x->pos));
    if (got <= 0) {
        if (got == 0)
            cx_fail(&x->cb_err, 0, "blob file shorter than its size (%llu bytes)",
                    (unsigned long long) (x->off + x->len));
        else
            cx_fail_errno(&x->cb_err, "read blob file");
        cb_fail(x);
        return CURL_READFUNC_ABORT;
    }
    x->pos += (uint64_t) got;
    return (size_t) got;
}

char *cx_reg_url(const struct cx_registry *r, const char *path)
{
    return cx_asprintf("%s://%s/v2/%s%s%s", r->scheme, r->host, r->repo ? r->repo : "",
                       r->repo ? "/" : "", path);
}

/* ---- requests ----------------------------------------------------------- */

static void setup_body(CURL *c, struct xfer *x)
{
    if (strcmp(x->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(x->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) x->len);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, x);
    } else if (strcmp(x->method, "PUT") == 0 || strcmp(x->method, "PATCH") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) x->len);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, x);
        if (strcmp(x->method, "PATCH") == 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
    } else if (strcmp(x->method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
}

static struct curl_slist *add_header(struct curl_slist *h, const char *line)
{
    struct curl_slist *n = curl_slist_append(h, line);
    if (n == NULL)
        abort();
    return n;
}

CURLcode cx_reg_perform(struct cx_registry *r, struct xfer *x, const char *authz)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    xfer_reset_answer(x);
    x->pos = 0;
    x->cb_failed = false;
    struct curl_slist *h = add_header(NULL, "Expect:");
    if (x->accept)
        h = add_header(h, x->accept);
    if (authz)
        h = add_header(h, authz);
    if (x->content_type)
        h = add_header(h, x->content_type);
    char line[96];
    if (x->content_range[0]) {
        snprintf(line, sizeof line, "Content-Range: %s", x->content_range);
        h = add_header(h, line);
    }
    if (x->blob && x->blob->done > 0) {
        snprintf(line, sizeof line, "Range: bytes=%llu-", (unsigned long long) x->blob->done);
        h = add_header(h, line);
    }
    r->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, x->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "capsa/" CAPSA_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long) r->connect_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long) r->stall_s);
    if (!x->long_transfer)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, SMALL_REQUEST_TIMEOUT_S);
    if (r->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    setup_body(c, x);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    return rc;
}

static bool transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: case CURLE_PARTIAL_FILE: case CURLE_GOT_NOTHING:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* A transport failure as one line; -2 when worth another try. */
int cx_reg_transport_error(struct cx_registry *r, const struct xfer *x, CURLcode rc,
                           cx_error *err)
{
    char where[240];
    cx_reg_url_for_msg(x->url, where, sizeof where);
    _cleanup_free_ char *origin = cx_reg_url_origin(x->url);
    const char *hp = origin && strstr(origin, "://") ? strstr(origin, "://") + 3 : where;
    const char *why = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
    long oserr = 0;
    curl_easy_getinfo(r->curl, CURLINFO_OS_ERRNO, &oserr);
    if (rc == CURLE_COULDNT_CONNECT && oserr > 0)
        cx_fail(err, (int) oserr, "connect to %s", hp);
    else if (rc == CURLE_COULDNT_RESOLVE_HOST)
        cx_fail(err, 0, "resolve %s: %s", hp, why);
    else if (rc == CURLE_PEER_FAILED_VERIFICATION)
        cx_fail(err, 0, "%s: TLS: %s (--tls-verify=false for a registry without a valid "
                "certificate)", hp, why);
    else if (rc == CURLE_SSL_CONNECT_ERROR && !r->insecure)
        cx_fail(err, 0, "%s: TLS: %s (a plain http registry? --tls-verify=false)", hp, why);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        cx_fail(err, 0, "%s %s: timed out: %s", x->method, where, why);
    else
        cx_fail(err, 0, "%s %s: %s", x->method, where, why);
    return transient(rc) ? -2 : -1;
}

/* The insecure endpoint's https did not connect: plain http from now on. */
bool cx_reg_fall_back_to_http(struct cx_registry *r, struct xfer *x, CURLcode rc)
{
    if (!r->insecure || r->scheme_known || strcmp(r->scheme, "https") != 0 || x->token_req)
        return false;
    if (rc != CURLE_COULDNT_CONNECT && rc != CURLE_SSL_CONNECT_ERROR && rc != CURLE_RECV_ERROR &&
        rc != CURLE_GOT_NOTHING)
        return false;
    _cleanup_free_ char *prefix = cx_asprintf("https://%s/", r->host);
    if (!cx_str_has_prefix(x->url, prefix))
        return false;
    char *url = cx_asprintf("http://%s", x->url + 8);
    free(x->url);
    x->url = url;
    free(r->scheme);
    r->scheme = cx_strdup("http");
    r->scheme_known = true;
    return true;
}

/* ---- errors ------------------------------------------------------------- */

/* "<code lowercased> (<CODE>): <message>" for the registry's first errors. */
static bool registry_errors(const struct xfer *x, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (x->resp.data == NULL)
        return false;
    json_t *doc = json_loadb(x->resp.data, x->resp.len, 0, NULL);
    json_t *errs = json_object_get(doc, "errors");
    size_t used = 0;
    for (size_t i = 0; json_is_array(errs) && i < json_array_size(errs) && i < 3; i++) {
        json_t *e = json_array_get(errs, i);
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (code == NULL)
            continue;
        char c[64], lower[64], m[200];
        cx_reg_clean_text(c, sizeof c, code, 60);
        for (size_t k = 0; k < sizeof lower; k++)
            lower[k] = c[k] == '_' ? ' ' : (char) ((c[k] >= 'A' && c[k] <= 'Z') ? c[k] + 32 : c[k]);
        cx_reg_clean_text(m, sizeof m, msg ? msg : "", 190);
        int n = snprintf(buf + used, cap - used, "%s%s (%s)%s%s", used ? "; " : "", lower, c,
                         m[0] ? ": " : "", m);
        if (n < 0 || (size_t) n >= cap - used)
            break;
        used += (size_t) n;
    }
    json_decref(doc);
    return used > 0;
}

int cx_reg_http_error(const struct cx_registry *r, const struct xfer *x, const char *what,
                      cx_error *err)
{
    char detail[700];
    bool have = registry_errors(x, detail, sizeof detail);
    long st = x->status;
    if (st == 401) {
        bool plain = !have || strstr(detail, "(UNAUTHORIZED)") != NULL;
        return cx_fail(err, 0, "%s: 401 unauthorized: authentication required (check "
                       "capsactl login)%s%s", what, plain ? "" : ": ", plain ? "" : detail);
    }
    if (have && (st >= 500 || st == 429))
        return cx_fail(err, 0, "%s: %s (HTTP %ld)", what, detail, st);
    if (have)
        return cx_fail(err, 0, "%s: %s", what, detail);
    (void) r;
    switch (st) {
    case 403: return cx_fail(err, 0, "%s: 403 denied (check capsactl login)", what);
    case 404: return cx_fail(err, 0, "%s: not found (HTTP 404)", what);
    case 429: return cx_fail(err, 0, "%s: too many requests (HTTP 429)", what);
    default:
        if (cx_reg_is_redirect(st))
            return cx_fail(err, 0, "%s: unexpected redirect (HTTP %ld)", what, st);
        return cx_fail(err, 0, "%s: the registry answered HTTP %ld", what, st);
    }
}

/* ---- names -------------------------------------------------------------- */

bool cx_reg_valid_repo(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//") || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-/", *s)))
            return false;
    return true;
}

static bool valid_tag(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || *s == '.' || *s == '-')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("._-", *s)))
            return false;
    return true;
}

/* A tag, or a digest into *d (*is_digest). */
int cx_reg_check_ref(const struct cx_registry *r, const char *ref, bool *is_digest,
                     struct cx_digest *d, cx_error *err)
{
    *is_digest = ref && strchr(ref, ':') != NULL;
    if (*is_digest)
        return cx_digest_parse(ref, d, r->host, err);
    if (ref == NULL || !valid_tag(ref)) {
        char clean[140];
        cx_reg_clean_text(clean, sizeof clean, ref ? ref : "", 130);
        return cx_fail(err, 0, "%s/%s: invalid tag \"%s\"", r->host, r->repo, clean);
    }
    return 0;
}

/* ---- the API ------------------------------------------------------------ */

int cx_registry_open(const struct cx_registry_endpoint *ep, const char *repository,
                     const struct cx_registry_creds *creds, bool push,
                     struct cx_registry **out, cx_error *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return cx_fail(err, 0, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    const char *host = ep->host;
    if (host && strcmp(host, "docker.io") == 0)
        host = "registry-1.docker.io";
    if (host == NULL || *host == '\0' || strlen(host) > 255 || strpbrk(host, "/?#@ \t\r\n\\"))
        return cx_fail(err, 0, "registry \"%.80s\": invalid host", host ? host : "");
    if (repository && !cx_reg_valid_repo(repository))
        return cx_fail(err, 0, "%s: invalid repository name \"%.80s\"", host, repository);
    if (creds && creds->user && strchr(creds->user, ':'))
        return cx_fail(err, 0, "%s: a user name cannot contain ':'", host);
    struct cx_registry *r = cx_calloc(1, sizeof *r);
    r->curl = curl_easy_init();
    if (r->curl == NULL) {
        free(r);
        return cx_fail(err, 0, "libcurl: cannot make a handle");
    }
    r->host = cx_strdup(host);
    r->repo = repository ? cx_strdup(repository) : NULL;
    r->scheme = cx_strdup("https");
    if (creds && creds->user) {
        r->user = cx_strdup(creds->user);
        r->pass = cx_strdup(creds->pass ? creds->pass : "");
    }
    r->insecure = ep->insecure;
    r->push = push;
    r->retry_ms = ep->retry_delay_ms ? ep->retry_delay_ms : 500;
    r->stall_s = ep->stall_timeout_s ? ep->stall_timeout_s : 30;
    r->connect_s = ep->connect_timeout_s ? ep->connect_timeout_s : 30;
    *out = r;
    return 0;
}

void cx_registry_free(struct cx_registry *r)
{
    if (r == NULL)
        return;
    curl_easy_cleanup(r->curl);
    for (size_t i = 0; i < CX_REG_TOKENS_MAX; i++) {
        if (r->tokens[i].value)
            explicit_bzero(r->tokens[i].value, strlen(r->tokens[i].value));
        cx_reg_token_drop(&r->tokens[i]);
    }
    if (r->pass)
        explicit_bzero(r->pass, strlen(r->pass));
    free(r->host), free(r->repo), free(r->scheme), free(r->user), free(r->pass);
    free(r->realm), free(r->service);
    free(r);
}

int cx_registry_ping(struct cx_registry *r, cx_error *err)
{
    struct xfer x = { .method = "GET", .url = cx_asprintf("%s://%s/v2/", r->scheme, r->host),
                      .fd = -1, .body_max = CX_REGISTRY_ERRBODY_MAX, .scope = "" };
    int rc = cx_reg_request(r, &x, true, err);
    if (rc == 0 && x.status == 404)
        rc = cx_fail(err, 0, "%s: not a registry (GET /v2/ answered 404)", r->host);
    else if (rc == 0 && x.status != 200)
        rc = cx_reg_http_error(r, &x, r->host, err);
    cx_reg_xfer_done(&x);
    return rc;
}

int cx_registry_check_login(const struct cx_registry_endpoint *ep,
                            const struct cx_registry_creds *creds, cx_error *err)
{
    struct cx_registry *r = NULL;
    if (cx_registry_open(ep, NULL, creds, false, &r, err) < 0)
        return -1;
    int rc = cx_registry_ping(r, err);
    cx_registry_free(r);
    return rc;
}

static void media_type_of(const char *ctype, char **out)
{
    const char *s = ctype ? ctype : "";
    size_t n = strcspn(s, ";");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *out = cx_calloc(1, n + 1);
    cx_reg_clean_text(*out, n + 1, s, n);
}

/* The body against ref (a digest) and Docker-Content-Digest. */
static int manifest_verify(const struct cx_registry *r, const struct xfer *x, const char *what,
                           bool by_digest, const struct cx_digest *want, struct cx_digest *out,
                           cx_error *err)
{
    const char *body = x->resp.data ? x->resp.data : "";
    if (cx_digest_buffer(by_digest ? want->alg : CX_SHA256, body, x->resp.len, out, err) < 0)
        return -1;
    char got[CX_DIGEST_MAX];
    cx_digest_format(out, got);
    if (by_digest && !cx_digest_equal(out, want))
        return cx_fail(err, 0, "%s: the registry sent a manifest of digest %s", what, got);
    if (x->dcd == NULL)
        return 0;
    struct cx_digest dcd, mine;
    if (cx_digest_parse(x->dcd, &dcd, "Docker-Content-Digest", err) < 0)
        return cx_error_prefix(err, "%s", what);
    if (cx_digest_buffer(dcd.alg, body, x->resp.len, &mine, err) < 0)
        return -1;
    if (!cx_digest_equal(&dcd, &mine))
        return cx_fail(err, 0, "%s: the manifest does not match its Docker-Content-Digest",
                       what);
    (void) r;
    return 0;
}

int cx_registry_get_manifest(struct cx_registry *r, const char *ref, char **body, size_t *len,
                             char **media_type, struct cx_digest *digest, cx_error *err)
{
    bool by_digest;
    struct cx_digest want;
    if (cx_reg_check_ref(r, ref, &by_digest, &want, err) < 0)
        return -1;
    char what[600];
    snprintf(what, sizeof what, "%s/%s%s%s", r->host, r->repo, by_digest ? "@" : ":", ref);
    _cleanup_free_ char *path = cx_asprintf("manifests/%s", ref);
    struct xfer x = { .method = "GET", .url = cx_reg_url(r, path), .fd = -1,
                      .accept = MANIFEST_ACCEPT, .body_max = CX_REGISTRY_MANIFEST_MAX };
    int rc = cx_reg_request(r, &x, true, err);
    if (rc < 0 && x.resp.over)
        cx_fail(err, 0, "%s: manifest larger than %u bytes, refused", what,
                CX_REGISTRY_MANIFEST_MAX);
    else if (rc < 0 && x.cb_failed)
        cx_error_prefix(err, "%s", what);
    if (rc == 0 && x.status != 200)
        rc = cx_reg_http_error(r, &x, what, err);
    if (rc == 0)
        rc = manifest_verify(r, &x, what, by_digest, &want, digest, err);
    if (rc == 0) {
        *len = x.resp.len;
        *body = x.resp.data ? TAKE_PTR(x.resp.data) : cx_calloc(1, 1);
        media_type_of(x.ctype, media_type);
    }
    cx_reg_xfer_done(&x);
    return rc;
}

int cx_registry_get_blob(struct cx_registry *r, const struct cx_digest *digest, int64_t size,
                         uint64_t max_size, const struct cx_sink *sink, cx_error *err)
{
    char d[CX_DIGEST_MAX], what[600];
    cx_digest_format(digest, d);
    snprintf(what, sizeof what, "%s/%s@%s", r->host, r->repo, d);
    if (size >= 0 && (uint64_t) size > max_size)
        return cx_fail(err, 0, "%s: size %lld is over the limit of %llu bytes", what,
                       (long long) size, (unsigned long long) max_size);
    struct blobstate b = { .sink = sink, .max = max_size, .size = size };
    if (cx_hasher_init(&b.h, digest->alg, err) < 0)
        return -1;
    _cleanup_free_ char *path = cx_asprintf("blobs/%s", d);
    struct xfer x = { .method = "GET", .url = cx_reg_url(r, path), .fd = -1, .blob = &b,
                      .long_transfer = true, .body_max = CX_REGISTRY_ERRBODY_MAX };
    int rc = cx_reg_request(r, &x, true, err);
    bool complete = size >= 0 && b.done == (uint64_t) size;
    if (rc == 0 && x.status == 416 && complete)
        x.status = 206; /* everything had arrived before the break */
    if (rc == 0 && x.status != 200 && x.status != 206)
        rc = cx_reg_http_error(r, &x, what, err);
    else if (rc < 0)
        cx_error_prefix(err, "%s", what);
    if (rc == 0 && size >= 0 && !complete)
        rc = cx_fail(err, 0, "%s: the registry sent %llu bytes of %lld", what,
                     (unsigned long long) b.done, (long long) size);
    if (rc == 0)
        rc = cx_hasher_verify(&b.h, digest, what, err);
    cx_hasher_free(&b.h);
    cx_reg_xfer_done(&x);
    return rc;
}
