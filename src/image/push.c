/* push.c: see push.h.
 *
 * The manifest is read back from the blob store and parsed (it names the
 * blobs); layer blobs are taken by a few worker threads in order, each thread
 * with its own registry object (one connection, its own tokens); the
 * first failure stops the others from taking more, and the error of the
 * lowest failing blob is the one reported.  The config and then the
 * manifest go last, once every layer is known to be there. */
#include "image/push.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/manifest.h"

struct pblob {
    struct cx_digest d;
    int64_t size;
    bool config;
    int rc;
    cx_error err;
};

struct push {
    struct cx_store *s;
    const struct cx_registry_endpoint *ep;
    const char *repo;
    const struct cx_registry_creds *creds;
    const struct cx_push_opts *o;
    struct pblob *blobs;
    size_t n, nlayers, next;   /* blobs[nlayers] is the config */
    bool failed;
    pthread_mutex_t mu;
};

static void report(struct push *p, enum cx_push_event ev, size_t i)
{
    if (!p->o->progress)
        return;
    struct cx_push_progress pr = { ev, i, p->n, i < p->n && p->blobs[i].config,
                                   i < p->n ? &p->blobs[i].d : NULL };
    pthread_mutex_lock(&p->mu);
    p->o->progress(p->o->ctx, &pr);
    pthread_mutex_unlock(&p->mu);
}

/* A mount from each candidate repository (not the destination itself). */
static int try_mounts(struct push *p, struct cx_registry *r, const struct pblob *b,
                      bool *mounted, cx_error *err)
{
    *mounted = false;
    for (const char *const *from = p->o->mount_from; from && *from && !*mounted; from++) {
        if (strcmp(*from, p->repo) == 0)
            continue;
        if (cx_registry_mount_blob(r, &b->d, *from, mounted, err) < 0)
            return -1;
    }
    return 0;
}

static int upload(struct push *p, struct cx_registry *r, const struct pblob *b, cx_error *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    if (!cx_blob_exists(p->s, &b->d))
        return cx_fail(err, 0, "blob sha256:%s is not in the store (its layer came "
                       "unpacked with another image) and the destination does not have it",
                       b->d.hex);
    if (cx_blob_open(p->s, &b->d, &fd, err) < 0)
        return -1;
    if (fstat(fd, &st) < 0)
        return cx_fail_errno(err, "blob sha256:%s: fstat", b->d.hex);
    if (!S_ISREG(st.st_mode) || (b->size >= 0 && st.st_size != b->size))
        return cx_fail(err, 0, "blob sha256:%s: %lld bytes stored, the manifest says "
                       "%lld (run capsactl system check)", b->d.hex, (long long) st.st_size,
                       (long long) b->size);
    uint64_t size = (uint64_t) st.st_size, chunk = p->o->chunk_size;
    if (chunk == 0 && size > CX_PUSH_CHUNKED_MIN)
        chunk = CX_PUSH_CHUNK;
    return cx_registry_put_blob(r, &b->d, size, fd, chunk, err);
}

static int push_blob(struct push *p, struct cx_registry *r, size_t i, cx_error *err)
{
    const struct pblob *b = &p->blobs[i];
    bool exists = false, mounted = false;
    if (cx_registry_blob_exists(r, &b->d, &exists, err) < 0)
        return -1;
    if (exists) {
        report(p, CX_PUSH_BLOB_EXISTS, i);
        return 0;
    }
    if (try_mounts(p, r, b, &mounted, err) < 0)
        return -1;
    if (mounted) {
        report(p, CX_PUSH_BLOB_MOUNTED, i);
        return 0;
    }
    if (upload(p, r, b, err) < 0)
        return -1;
    report(p, CX_PUSH_BLOB_UPLOADED, i);
    return 0;
}

static bool take(struct push *p, size_t *i)
{
    pthread_mutex_lock(&p->mu);
    bool ok = !p->failed && p->next < p->nlayers;
    if (ok)
        *i = p->next++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static void fail_at(struct push *p, size_t i, const cx_error *err)
{
    pthread_mutex_lock(&p->mu);
    p->blobs[i].rc = -1;
    p->blobs[i].err = *err;
    p->failed = true;
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
    struct push *p = arg;
    struct cx_registry *r = NULL;
    cx_error err = { 0 };
    size_t i;
    if (!take(p, &i))
        return NULL;
    if (cx_registry_open(p->ep, p->repo, p->creds, true, &r, &err) < 0) {
        fail_at(p, i, &err);
        return NULL;
    }
    do {
        if (push_blob(p, r, i, &err) < 0) {
            fail_at(p, i, &err);
            break;
        }
    } while (take(p, &i));
    cx_registry_free(r);
    return NULL;
}

static int push_blobs(struct push *p, cx_error *err)
{
    pthread_t threads[CX_PUSH_PARALLEL_MAX];
    size_t nthreads = 0;
    unsigned par = p->o->parallel ? p->o->parallel : 3;
    par = par > CX_PUSH_PARALLEL_MAX ? CX_PUSH_PARALLEL_MAX : par;
    for (; nthreads < par && nthreads < p->nlayers; nthreads++)
        if (pthread_create(&threads[nthreads], NULL, worker, p) != 0)
            break;
    if (nthreads == 0 && p->nlayers > 0)  /* no thread at all: this one works */
        worker(p);
    for (size_t t = 0; t < nthreads; t++)
        pthread_join(threads[t], NULL);
    for (size_t i = 0; i < p->nlayers; i++)
        if (p->blobs[i].rc < 0)
            return *err = p->blobs[i].err, -1;
    return 0;
}

/* The config once the layers are there, then the manifest. */
static int put_config_manifest(struct push *p, const char *body, size_t len,
                               const char *media_type, const struct cx_digest *d, cx_error *err)
{
    struct cx_registry *r = NULL;
    char ref[CX_DIGEST_MAX];
    cx_digest_format(d, ref);
    if (cx_registry_open(p->ep, p->repo, p->creds, true, &r, err) < 0)
        return -1;
    int rc = push_blob(p, r, p->nlayers, err);
    if (rc == 0) {
        report(p, CX_PUSH_MANIFEST, p->n);
        rc = cx_registry_put_manifest(r, p->o->tag ? p->o->tag : ref, media_type, body, len,
                                      err);
    }
    cx_registry_free(r);
    return rc;
}

int cx_push(struct cx_store *s, const struct cx_image_rec *img,
            const struct cx_registry_endpoint *ep, const char *repository,
            const struct cx_registry_creds *creds, const struct cx_push_opts *o,
            struct cx_digest *digest, cx_error *err)
{
    struct cx_digest md;
    _cleanup_free_ char *body = NULL;
    size_t len;
    struct cx_manifest m = { 0 };
    const char *mt = img->manifest_media_type;
    if (cx_digest_parse(img->manifest_digest, &md, "store: manifest digest", err) < 0 ||
        cx_blob_read(s, &md, CX_MANIFEST_MAX, &body, &len, err) < 0)
        return cx_error_prefix(err, "image %.12s", img->id);
    if (cx_manifest_parse(body, len, mt, &m, err) < 0)
        return cx_error_prefix(err, "image %.12s: stored manifest", img->id);
    _cleanup_free_ struct pblob *blobs = cx_calloc(m.nlayers + 1, sizeof *blobs);
    struct push p = { .s = s, .ep = ep, .repo = repository, .creds = creds, .o = o,
                      .blobs = blobs, .n = m.nlayers + 1, .nlayers = m.nlayers,
                      .mu = PTHREAD_MUTEX_INITIALIZER };
    for (size_t i = 0; i < m.nlayers; i++)
        blobs[i] = (struct pblob) { .d = m.layers[i].digest, .size = m.layers[i].size };
    blobs[m.nlayers] = (struct pblob) { .d = m.config.digest, .size = m.config.size,
                                        .config = true };
    /* the transport's type when the store has none: the document's own */
    if (mt == NULL || *mt == '\0')
        mt = m.media_type;
    _cleanup_free_ char *media_type = cx_strdup(mt ? mt : CX_MT_OCI_MANIFEST);
    cx_manifest_free(&m);
    if (push_blobs(&p, err) < 0 || put_config_manifest(&p, body, len, media_type, &md, err) < 0)
        return -1;
    *digest = md;
    return 0;
}
