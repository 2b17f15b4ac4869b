/* registry.h: a client of the OCI distribution API (distribution-spec
 * v1.1) over libcurl: pull manifests and blobs, push blobs and manifests,
 * check a login.
 *
 * One cx_registry is one endpoint + one repository.  It owns one curl easy
 * handle (its connection cache: connections are reused from request to
 * request), the registry's authentication state and a token cache.  Use an
 * object from one thread at a time; distinct objects may be used from
 * distinct threads at once (curl_global_init runs once, via pthread_once).
 *
 * Transport (registry.c):
 * - https; with ep->insecure the certificate is not verified, and when
 *   https cannot connect at all (refused, TLS handshake failure: a plain
 *   http server) the endpoint is tried once over plain http, which is then
 *   kept for the object's life (podman's behaviour).
 * - Redirects are followed by hand for GET and HEAD (at most 10): a
 *   relative Location resolves against the request's URL; Authorization
 *   (Bearer or Basic) is sent only to the registry's own scheme-less
 *   host:port (ports made explicit: 443/80), never to a redirect target
 *   elsewhere (S3, a CDN); an https -> http downgrade is refused unless the
 *   endpoint is insecure.  Other methods treat 3xx as an error.
 * - GET and HEAD (manifests, blobs, tokens, existence checks) are retried:
 *   CX_REGISTRY_TRIES tries in all, waiting retry_delay_ms, then twice,
 *   then four times that (0.5 s, 1 s, 2 s by default) after an HTTP 5xx,
 *   a 429 (a Retry-After of at most 10 s replaces the wait), or a transport
 *   error (connection refused or reset, time-out, stalled or partial
 *   transfer, empty reply).  Uploads are not retried.
 * - A blob retried after a broken transfer asks for the rest with
 *   "Range: bytes=N-" (N = bytes already passed to the sink); a 206 must
 *   carry "Content-Range: bytes N-..." and continues the stream (and the
 *   hash); a 200 calls sink->reset and starts over from byte 0.
 * - Every request has a connect time-out (connect_timeout_s, default 30 s)
 *   and a low-speed limit: under 1 KiB/s for stall_timeout_s (default 30 s)
 *   aborts it (then retried as above).  Requests other than blob transfers
 *   also have an overall limit of 10 minutes.
 * - Bodies are bounded: manifests 4 MiB, token answers 1 MiB, error bodies
 *   (kept to quote the registry's {"errors":[...]}) 64 KiB, a blob
 *   max_size (and exactly size when known).
 *
 * Authentication: a 401 from the registry with a Bearer challenge fetches
 * a token from its realm (https, or http only for an insecure endpoint)
 * for service= and scope=repository:<repo>:pull (pull,push when opened for
 * push; a mount also asks repository:<from>:pull), sending Basic
 * credentials to the realm only when there are any (the realm is where the
 * registry says credentials go), anonymously otherwise.  The token
 * ("token" or "access_token") is cached per scope for expires_in seconds
 * (default 60, at least 60) less 10 % (at most 30 s), counted from when it
 * arrived (issued_at is not trusted: clocks differ), and the request is
 * retried once.  A Basic challenge sends Basic credentials to the registry
 * host on the retry.  Still 401: "401 unauthorized: authentication required
 * (check capsactl login)".
 *
 * Errors are one line naming the object ("127.0.0.1:5000/foo:bar: manifest
 * unknown (MANIFEST_UNKNOWN): manifest unknown"); callers prefix the
 * operation ("pull ").  Text from the registry is cut to printable ASCII. */
#ifndef CAPSA_IMAGE_REGISTRY_H
#define CAPSA_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/digest.h"

#define CX_REGISTRY_TRIES 4
#define CX_REGISTRY_MANIFEST_MAX (4u << 20)
#define CX_REGISTRY_TOKEN_MAX (1u << 20)
#define CX_REGISTRY_ERRBODY_MAX (64u << 10)
#define CX_REGISTRY_REDIRECTS_MAX 10

struct cx_registry_endpoint {
    const char *host;        /* "127.0.0.1:5000", "registry-1.docker.io"
                                ("docker.io" is taken as registry-1.docker.io) */
    bool insecure;           /* registries.conf insecure=true or --tls-verify=false:
                                https without verification, then plain http */
    /* tuning, 0 for the defaults (tests lower them) */
    unsigned retry_delay_ms;     /* first wait between tries: 500 */
    unsigned stall_timeout_s;    /* < 1 KiB/s for this long aborts: 30 */
    unsigned connect_timeout_s;  /* 30 */
};

struct cx_registry_creds { const char *user, *pass; };   /* NULL: anonymous */

struct cx_registry;

/* repository: "library/alpine" (lowercase [a-z0-9._/-] only, checked).
 * creds may be NULL.  push asks tokens for pull,push. */
int cx_registry_open(const struct cx_registry_endpoint *ep, const char *repository,
                     const struct cx_registry_creds *creds, bool push,
                     struct cx_registry **out, cx_error *err);
void cx_registry_free(struct cx_registry *r);

/* GET /v2/ and, on 401, authenticate as the first request would. */
int cx_registry_ping(struct cx_registry *r, cx_error *err);

/* GET /v2/<repo>/manifests/<ref> (ref: a tag or a digest) accepting OCI
 * manifests and indexes and Docker schema2 manifests and manifest lists.
 * Refuses bodies over CX_REGISTRY_MANIFEST_MAX; verifies the body against
 * ref when ref is a digest and against Docker-Content-Digest when the
 * server sent one.  Returns the body (NUL-terminated, *len bytes), its
 * Content-Type without parameters (never NULL: "" when the server sent
 * none), and its digest (ref's algorithm when ref is a digest, else
 * sha256). */
int cx_registry_get_manifest(struct cx_registry *r, const char *ref, char **body,
                             size_t *len, char **media_type, struct cx_digest *digest,
                             cx_error *err);

/* Where a blob streams to.  write fails with -1 + err to stop the pull;
 * reset discards what was written (the server restarted from byte 0). */
struct cx_sink {
    int (*write)(void *ctx, const void *buf, size_t len, cx_error *err);
    int (*reset)(void *ctx, cx_error *err);
    void (*progress)(void *ctx, uint64_t done, uint64_t total);   /* may be NULL;
                                                  total 0 when unknown */
    void *ctx;
};

/* GET /v2/<repo>/blobs/<digest> into sink, verifying the digest (and size
 * when size >= 0) as it streams; never more than max_size bytes.  On
 * success every byte was written once (after any reset) and matched. */
int cx_registry_get_blob(struct cx_registry *r, const struct cx_digest *digest,
                         int64_t size, uint64_t max_size, const struct cx_sink *sink,
                         cx_error *err);

/* push */
/* HEAD /v2/<repo>/blobs/<digest>: 200 exists, 404 not. */
int cx_registry_blob_exists(struct cx_registry *r, const struct cx_digest *digest,
                            bool *exists, cx_error *err);
/* POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<from>: 201 mounted;
 * 202 not (the upload session it opened is cancelled with DELETE). */
int cx_registry_mount_blob(struct cx_registry *r, const struct cx_digest *digest,
                           const char *from_repository, bool *mounted, cx_error *err);
/* Upload size bytes read with pread from fd at offset 0 (the fd's offset
 * is not used): POST a session, then one PUT ?digest= (chunk_size 0) or
 * PATCH chunks of chunk_size bytes with Content-Range and a closing PUT. */
int cx_registry_put_blob(struct cx_registry *r, const struct cx_digest *digest,
                         uint64_t size, int fd, uint64_t chunk_size, cx_error *err);
/* PUT /v2/<repo>/manifests/<ref> with Content-Type media_type. */
int cx_registry_put_manifest(struct cx_registry *r, const char *ref, const char *media_type,
                             const void *body, size_t len, cx_error *err);

/* capsactl login: GET /v2/, then per the challenge a token for no scope
 * (Bearer, credentials sent to the realm) or /v2/ again with Basic.
 * Fails when the credentials are refused. */
int cx_registry_check_login(const struct cx_registry_endpoint *ep,
                            const struct cx_registry_creds *creds, cx_error *err);

/* ---- internal: shared by registry.c (transport, API) and authchallenge.c
 * (credentials, tokens, redirects, retries); not for other callers ---- */
#ifdef CX_REGISTRY_INTERNAL
#include <curl/curl.h>

#define CX_REG_TOKENS_MAX 8
#define CX_REG_HEADER_VALUE_MAX CX_AUTH_HEADER_MAX

struct token {
    char *scope;    /* "" for none */
    char *value;
    double expires; /* monotonic seconds */
};

enum auth_kind { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct cx_registry {
    CURL *curl;
    char *host, *repo, *scheme;
    char *user, *pass;
    bool insecure, scheme_known, push;
    unsigned retry_ms, stall_s, connect_s;
    enum auth_kind auth;
    char *realm, *service;
    struct token tokens[CX_REG_TOKENS_MAX];
    char errbuf[CURL_ERROR_SIZE];
};

struct membuf {
    char *data;
    size_t len, max;
    bool strict, over;
};

struct blobstate {
    const struct cx_sink *sink;
    struct cx_hasher h;
    uint64_t done, max;
    int64_t size;
    bool started; /* the current response's first byte was seen */
};

/* One request (and the redirects and auth retry it takes). */
struct xfer {
    const char *method;                 /* GET HEAD POST PUT PATCH DELETE */
    char *url;                          /* owned; changes with redirects */
    const char *accept, *content_type;  /* whole header lines */
    char content_range[64];             /* "a-b" or "" */
    const void *mem;                    /* the request body: mem[0, len) ... */
    int fd;                             /* ... or fd >= 0: [off, off + len) */
    uint64_t off, len, pos;
    bool body, token_req, long_transfer;
    const char *scope;                  /* token scope; NULL: the repository's */
    struct blobstate *blob;             /* 2xx bodies stream here */
    size_t body_max;                    /* else 2xx bodies: at most this */
    /* the answer */
    long status;
    struct membuf resp;
    char *location, *ctype, *dcd, *www_auth, *crange;
    long retry_after;
    bool cb_failed;
    cx_error cb_err;
};

/* authchallenge.c */
void cx_reg_clean_text(char *dst, size_t cap, const char *s, size_t max);
char *cx_reg_url_origin(const char *url);
char *cx_reg_url_resolve(const char *base, const char *ref, cx_error *err);
void cx_reg_url_for_msg(const char *url, char *buf, size_t cap);
void cx_reg_token_drop(struct token *t);
bool cx_reg_is_redirect(long status);
/* One request with redirects, the insecure fallback, one authentication
 * retry, and (retry) the retries of registry.h: 0 with x->status, or -1. */
int cx_reg_request(struct cx_registry *r, struct xfer *x, bool retry, cx_error *err);
/* registry.c */
CURLcode cx_reg_perform(struct cx_registry *r, struct xfer *x, const char *authz);
int cx_reg_transport_error(struct cx_registry *r, const struct xfer *x, CURLcode rc,
                           cx_error *err);
bool cx_reg_fall_back_to_http(struct cx_registry *r, struct xfer *x, CURLcode rc);
int cx_reg_http_error(const struct cx_registry *r, const struct xfer *x, const char *what,
                      cx_error *err);
void cx_reg_xfer_done(struct xfer *x);
/* "scheme://host/v2/<repository>/<path>" */
char *cx_reg_url(const struct cx_registry *r, const char *path);
/* [a-z0-9._/-], no empty component, at most 255 characters */
bool cx_reg_valid_repo(const char *s);
/* A tag, or a digest into *d (*is_digest). */
int cx_reg_check_ref(const struct cx_registry *r, const char *ref, bool *is_digest,
                     struct cx_digest *d, cx_error *err);
#endif

#endif
