/* registry_push.c: the registry client's writing half (distribution-spec
 * "push"): blob existence, cross-repository mounts, monolithic and chunked
 * uploads, and the manifest PUT.  Requests go through registry_auth.c like
 * every other; uploads are not retried (a POST or PATCH is not idempotent). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CX_REGISTRY_INTERNAL
#include "image/registry.h"

#include "common/cleanup.h"
#include "common/util.h"

int cx_registry_blob_exists(struct cx_registry *r, const struct cx_digest *digest, bool *exists,
                            cx_error *err)
{
    char d[CX_DIGEST_MAX], what[600];
    cx_digest_format(digest, d);
    snprintf(what, sizeof what, "%s/%s@%s", r->host, r->repo, d);
    _cleanup_free_ char *path = cx_asprintf("blobs/%s", d);
    struct xfer x = { .method = "HEAD", .url = cx_reg_url(r, path), .fd = -1 };
    int rc = cx_reg_request(r, &x, true, err);
    if (rc == 0 && (x.status == 200 || x.status == 404))
        *exists = x.status == 200;
    else if (rc == 0)
        rc = cx_reg_http_error(r, &x, what, err);
    cx_reg_xfer_done(&x);
    return rc;
}

/* POST .../blobs/uploads/<query>: the answer in x (caller frees). */
static int upload_post(struct cx_registry *r, const char *query, const char *scope,
                       struct xfer *x, cx_error *err)
{
    _cleanup_free_ char *path = cx_asprintf("blobs/uploads/%s", query);
    *x = (struct xfer) { .method = "POST", .url = cx_reg_url(r, path), .fd = -1,
                         .body = true, .scope = scope, .body_max = CX_REGISTRY_ERRBODY_MAX };
    return cx_reg_request(r, x, false, err);
}

int cx_registry_mount_blob(struct cx_registry *r, const struct cx_digest *digest,
                           const char *from, bool *mounted, cx_error *err)
{
    char d[CX_DIGEST_MAX], what[600], scope[600];
    cx_digest_format(digest, d);
    snprintf(what, sizeof what, "%s/%s@%s", r->host, r->repo, d);
    if (from == NULL || !cx_reg_valid_repo(from))
        return cx_fail(err, 0, "%s: invalid repository to mount from", what);
    snprintf(scope, sizeof scope, "repository:%s:pull,push repository:%s:pull", r->repo, from);
    _cleanup_free_ char *query = cx_asprintf("?mount=%s&from=%s", d, from);
    struct xfer x;
    int rc = upload_post(r, query, scope, &x, err);
    if (rc == 0 && (x.status == 201 || x.status == 202)) {
        *mounted = x.status == 201;
        if (x.status == 202 && x.location) { /* cancel the session it opened */
            cx_error ignored = { 0 };
            struct xfer del = { .method = "DELETE", .fd = -1, .scope = scope,
                                .url = cx_reg_url_resolve(x.url, x.location, &ignored) };
            if (del.url)
                (void) cx_reg_request(r, &del, false, &ignored);
            cx_reg_xfer_done(&del);
        }
    } else if (rc == 0) {
        rc = cx_reg_http_error(r, &x, what, err);
    }
    cx_reg_xfer_done(&x);
    return rc;
}

/* PATCH (chunk) or PUT (close, with the digest) to the upload at *loc;
 * the next location replaces *loc. */
static int upload_send(struct cx_registry *r, char **loc, const char *method, const char *digest,
                       int fd, uint64_t off, uint64_t n, const char *what, cx_error *err)
{
    _cleanup_free_ char *url = digest ? cx_asprintf("%s%sdigest=%s", *loc,
                                                    strchr(*loc, '?') ? "&" : "?", digest)
                                      : cx_strdup(*loc);
    struct xfer x = { .method = method, .url = TAKE_PTR(url), .fd = fd, .off = off, .len = n,
                      .body = true, .content_type = "Content-Type: application/octet-stream",
                      .body_max = CX_REGISTRY_ERRBODY_MAX };
    if (n > 0)
        snprintf(x.content_range, sizeof x.content_range, "%llu-%llu",
                 (unsigned long long) off, (unsigned long long) (off + n - 1));
    int rc = cx_reg_request(r, &x, false, err);
    long want = digest ? 201 : 202;
    if (rc == 0 && x.status != want)
        rc = cx_reg_http_error(r, &x, what, err);
    else if (rc < 0)
        cx_error_prefix(err, "%s", what);
    if (rc == 0 && !digest) {
        char *next = x.location ? cx_reg_url_resolve(x.url, x.location, err) : NULL;
        if (next == NULL)
            rc = x.location ? -1 : cx_fail(err, 0, "%s: PATCH answer without Location", what);
        else
            free(*loc), *loc = next;
    }
    cx_reg_xfer_done(&x);
    return rc;
}

int cx_registry_put_blob(struct cx_registry *r, const struct cx_digest *digest, uint64_t size,
                         int fd, uint64_t chunk_size, cx_error *err)
{
    char d[CX_DIGEST_MAX], what[600];
    cx_digest_format(digest, d);
    snprintf(what, sizeof what, "%s/%s@%s", r->host, r->repo, d);
    struct xfer x;
    int rc = upload_post(r, "", NULL, &x, err);
    if (rc == 0 && (x.status != 202 || x.location == NULL))
        rc = x.status == 202 ? cx_fail(err, 0, "%s: upload answer without Location", what)
                             : cx_reg_http_error(r, &x, what, err);
    _cleanup_free_ char *loc = rc == 0 ? cx_reg_url_resolve(x.url, x.location, err) : NULL;
    cx_reg_xfer_done(&x);
    if (rc < 0 || loc == NULL)
        return -1;
    if (chunk_size == 0)
        return upload_send(r, &loc, "PUT", d, fd, 0, size, what, err);
    for (uint64_t off = 0; off < size; off += chunk_size) {
        uint64_t n = size - off < chunk_size ? size - off : chunk_size;
        if (upload_send(r, &loc, "PATCH", NULL, fd, off, n, what, err) < 0)
            return -1;
    }
    return upload_send(r, &loc, "PUT", d, fd, 0, 0, what, err);
}

int cx_registry_put_manifest(struct cx_registry *r, const char *ref, const char *media_type,
                             const void *body, size_t len, cx_error *err)
{
    bool by_digest;
    struct cx_digest want;
    if (cx_reg_check_ref(r, ref, &by_digest, &want, err) < 0)
        return -1;
    char what[600];
    snprintf(what, sizeof what, "%s/%s%s%s", r->host, r->repo, by_digest ? "@" : ":", ref);
    bool ok = media_type && *media_type && strlen(media_type) < 256;
    for (const char *p = media_type; ok && *p; p++)
        ok = *p > 0x20 && *p < 0x7f;
    if (!ok)
        return cx_fail(err, 0, "%s: invalid media type", what);
    if (len > CX_REGISTRY_MANIFEST_MAX)
        return cx_fail(err, 0, "%s: manifest larger than %u bytes", what,
                       CX_REGISTRY_MANIFEST_MAX);
    _cleanup_free_ char *path = cx_asprintf("manifests/%s", ref);
    _cleanup_free_ char *ctype = cx_asprintf("Content-Type: %s", media_type);
    struct xfer x = { .method = "PUT", .url = cx_reg_url(r, path), .fd = -1, .mem = body,
                      .len = len, .body = true, .content_type = ctype,
                      .body_max = CX_REGISTRY_ERRBODY_MAX };
    int rc = cx_reg_request(r, &x, false, err);
    if (rc == 0 && (x.status < 200 || x.status > 299))
        rc = cx_reg_http_error(r, &x, what, err);
    else if (rc < 0)
        cx_error_prefix(err, "%s", what);
    cx_reg_xfer_done(&x);
    return rc;
}
