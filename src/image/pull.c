/* pull.c: see pull.h.
 *
 * Order of work, so that a process killed at any point leaves nothing
 * that looks whole: the manifest and config are fetched into memory and
 * checked; the image is recorded incomplete with every layer and blob it
 * needs (cx_image_begin, under the image's lock: a second pull of the same
 * image waits here, then finds it complete); blobs are fetched by a few
 * threads into the blob store; layers are unpacked in order by this
 * thread as their blobs arrive; the image is marked complete and named in
 * one transaction. */
#include "image/pull.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"
#include "image/decompress.h"
#include "image/manifest.h"

#define PARALLEL_MAX 8

struct job {
    size_t i;
    struct cx_digest blob;
    int64_t size;
    const char *media_type;
    bool scheduled, done;
    int rc;
    cx_error err;
};

struct pull {
    struct cx_store *s;
    struct cx_source *src;
    const struct cx_pull_opts *o;
    struct job *jobs;
    size_t njobs, next;
    bool abort;
    pthread_mutex_t mu;
    pthread_cond_t cond;
};

static void report(struct pull *p, enum cx_pull_event ev, size_t i, uint64_t done,
                   uint64_t total)
{
    if (!p->o->progress)
        return;
    struct cx_pull_progress pr = { ev, i, p->njobs, i < p->njobs ? &p->jobs[i].blob : NULL,
                                   done, total };
    pthread_mutex_lock(&p->mu);
    p->o->progress(p->o->ctx, &pr);
    pthread_mutex_unlock(&p->mu);
}

/* ---- manifests and config ---- */

static int fetch_manifest(struct cx_source *src, const char *ref, char **body, size_t *len,
                          char **mt, struct cx_digest *digest, cx_error *err)
{
    struct cx_digest got;
    if (src->ops->get_manifest(src->impl, ref, body, len, mt, digest, err) < 0)
        return -1;
    if (cx_digest_buffer(digest->alg, *body, *len, &got, err) < 0 ||
        !cx_digest_equal(&got, digest)) {
        char a[CX_DIGEST_MAX], b[CX_DIGEST_MAX];
        cx_digest_format(digest, a);
        cx_digest_format(&got, b);
        free(*body), free(*mt);
        *body = *mt = NULL;
        return cx_fail(err, EBADMSG, "%s: manifest digest mismatch: expected %s, got %s",
                       src->desc, a, b);
    }
    return 0;
}

struct resolved {
    char *index, *body, *mt;
    size_t index_len, len;
    struct cx_digest index_digest, digest;
    struct cx_manifest m;
    struct cx_membuf config;
    struct cx_image_config cfg;
};

static void resolved_free(struct resolved *r)
{
    free(r->index), free(r->body), free(r->mt), free(r->config.data);
    cx_manifest_free(&r->m);
    cx_image_config_free(&r->cfg);
}

static int select_platform(struct pull *p, struct resolved *r, cx_error *err)
{
    struct cx_index x;
    const struct cx_descriptor *d;
    char ref[CX_DIGEST_MAX];
    if (cx_index_parse(r->body, r->len, r->mt, &x, err) < 0)
        return -1;
    if (cx_index_select(&x, &p->o->platform, &d, err) < 0) {
        cx_index_free(&x);
        return cx_error_prefix(err, "%s", p->src->desc);
    }
    cx_digest_format(&d->digest, ref);
    cx_index_free(&x);
    r->index = TAKE_PTR(r->body), r->index_len = r->len, r->index_digest = r->digest;
    free(r->mt);
    r->mt = NULL;
    return fetch_manifest(p->src, ref, &r->body, &r->len, &r->mt, &r->digest, err);
}

static int fetch_config(struct pull *p, struct resolved *r, cx_error *err)
{
    const struct cx_descriptor *c = &r->m.config;
    struct cx_sink sink;
    struct cx_digest got;
    char what[40];
    snprintf(what, sizeof what, "config sha256:%.12s", c->digest.hex);
    if (c->size < 0 || c->size > (int64_t) CX_CONFIG_MAX)
        return cx_fail(err, EFBIG, "%s: %s of %lld bytes is over the %u-byte limit",
                       p->src->desc, what, (long long) c->size, CX_CONFIG_MAX);
    r->config.max = (size_t) c->size;
    cx_membuf_sink(&r->config, &sink);
    /* stored already (a pull of this image finished while we waited for
       its lock): no second download */
    if (cx_blob_exists(p->s, &c->digest)) {
        if (cx_blob_read(p->s, &c->digest, CX_CONFIG_MAX, &r->config.data, &r->config.len,
                         err) < 0)
            return -1;
    } else if (p->src->ops->get_blob(p->src->impl, &c->digest, c->size, CX_CONFIG_MAX, &sink,
                                     err) < 0)
        return cx_error_prefix(err, "%s: %s", p->src->desc, what);
    if (cx_digest_buffer(c->digest.alg, r->config.data ? r->config.data : "", r->config.len,
                         &got, err) < 0)
        return cx_error_prefix(err, "%s: %s", p->src->desc, what);
    if (!cx_digest_equal(&got, &c->digest) || r->config.len != (size_t) c->size)
        return cx_fail(err, EBADMSG, "%s: %s: content does not match its digest",
                       p->src->desc, what);
    if (cx_image_config_parse(r->config.data, r->config.len, &r->cfg, err) < 0)
        return cx_error_prefix(err, "%s", p->src->desc);
    if (r->cfg.ndiff_ids != r->m.nlayers)
        return cx_fail(err, EINVAL, "%s: the manifest has %zu layers, its config %zu diff_ids",
                       p->src->desc, r->m.nlayers, r->cfg.ndiff_ids);
    return 0;
}

static int resolve(struct pull *p, const char *ref, struct resolved *r, struct cx_lock *lock,
                   cx_error *err)
{
    enum cx_doc_kind kind;
    if (fetch_manifest(p->src, ref, &r->body, &r->len, &r->mt, &r->digest, err) < 0 ||
        cx_doc_kind(r->body, r->len, r->mt, &kind, err) < 0)
        return -1;
    if (kind == CX_DOC_INDEX && (select_platform(p, r, err) < 0 ||
                                 cx_doc_kind(r->body, r->len, r->mt, &kind, err) < 0))
        return -1;
    if (kind != CX_DOC_MANIFEST)
        return cx_fail(err, EINVAL, "%s: an index entry points at another index", p->src->desc);
    if (cx_manifest_parse(r->body, r->len, r->mt, &r->m, err) < 0)
        return cx_error_prefix(err, "%s", p->src->desc);
    if (r->m.config.digest.alg != CX_SHA256)
        return cx_fail(err, ENOTSUP, "%s: the config's digest is not sha256", p->src->desc);
    /* the image's lock before its config: a second pull of the same image
       waits here for the first, then finds everything stored */
    if (cx_lock_take(p->s->locksfd, "image", r->m.config.digest.hex, true, lock, err) < 0)
        return -1;
    return fetch_config(p, r, err);
}

/* ---- blobs, fetched by a few threads ---- */

struct blob_sink {
    struct pull *p;
    struct job *j;
    struct cx_blob_writer w;
};

static int bs_write(void *ctx, const void *buf, size_t len, cx_error *err)
{
    struct blob_sink *b = ctx;
    if (__atomic_load_n(&b->p->abort, __ATOMIC_RELAXED))
        return cx_fail(err, ECANCELED, "pull cancelled");
    return cx_blob_write(&b->w, buf, len, err);
}

static int bs_reset(void *ctx, cx_error *err)
{
    return cx_blob_reset(&((struct blob_sink *) ctx)->w, err);
}

static void bs_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct blob_sink *b = ctx;
    report(b->p, CX_PULL_LAYER_BYTES, b->j->i, done, total);
}

static int fetch_blob(struct pull *p, struct job *j, cx_error *err)
{
    struct blob_sink b = { p, j, { 0 } };
    struct cx_sink sink = { bs_write, bs_reset, bs_progress, &b };
    bool exists;
    if (cx_blob_begin(p->s, &j->blob, j->size, j->media_type, &b.w, &exists, err) < 0)
        return -1;
    if (exists)
        return 0;
    int rc = p->src->ops->get_blob(p->src->impl, &j->blob, j->size, (uint64_t) j->size, &sink,
                                   err);
    if (rc == 0)
        rc = cx_blob_commit(&b.w, err);
    cx_blob_abort(&b.w);
    if (rc < 0)
        return -1;  /* the source's error names it and the blob */
    report(p, CX_PULL_LAYER_FETCHED, j->i, (uint64_t) j->size, (uint64_t) j->size);
    return 0;
}

static void *worker(void *arg)
{
    struct pull *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->next < p->njobs && !p->jobs[p->next].scheduled)
            p->next++;
        struct job *j = p->next < p->njobs && !p->abort ? &p->jobs[p->next++] : NULL;
        pthread_mutex_unlock(&p->mu);
        if (!j)
            return NULL;
        int rc = fetch_blob(p, j, &j->err);
        pthread_mutex_lock(&p->mu);
        j->rc = rc;
        j->done = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->mu);
    }
}

/* the layer's fetch callback: wait for its download, or fetch it now */
struct fetch_ctx {
    struct pull *p;
    struct job *j;
};

static int fetch_for_layer(void *ctx, cx_error *err)
{
    struct fetch_ctx *f = ctx;
    struct job *j = f->j;
    if (j->scheduled) {
        pthread_mutex_lock(&f->p->mu);
        while (!j->done)
            pthread_cond_wait(&f->p->cond, &f->p->mu);
        pthread_mutex_unlock(&f->p->mu);
        if (j->rc < 0)
            return *err = j->err, -1;
    }
    /* not scheduled (it was stored), or gone since: fetch it here */
    if (!cx_blob_exists(f->p->s, &j->blob))
        return fetch_blob(f->p, j, err);
    return 0;
}

static int unpack_layers(struct pull *p, const struct resolved *r, const struct cx_digest *chains,
                         cx_error *err)
{
    for (size_t i = 0; i < r->m.nlayers; i++) {
        struct fetch_ctx f = { p, &p->jobs[i] };
        struct cx_layer_req req = { chains[i], r->cfg.diff_ids[i], p->jobs[i].blob,
                                    CX_COMP_DETECT, fetch_for_layer, &f };
        if (cx_layer_ensure(p->s, &req, chains, i, err) < 0)
            return cx_error_prefix(err, "%s: layer %zu/%zu", p->src->desc, i + 1, r->m.nlayers);
        report(p, CX_PULL_LAYER_UNPACKED, i, 0, 0);
    }
    return 0;
}

static int fetch_layers(struct pull *p, const struct resolved *r, const struct cx_digest *chains,
                        cx_error *err)
{
    pthread_t threads[PARALLEL_MAX];
    size_t nthreads = 0, want = 0;
    unsigned par = p->o->parallel ? p->o->parallel : p->src->parallel;
    for (size_t i = 0; i < p->njobs; i++) {
        struct job *j = &p->jobs[i];
        /* its blob even when the layer is unpacked already (from a blob of
           another compression, for another image): push and save send the
           image as it was pulled */
        j->scheduled = !cx_blob_exists(p->s, &j->blob);
        want += j->scheduled;
        if (!j->scheduled)
            report(p, CX_PULL_LAYER_EXISTS, i, 0, 0);
    }
    par = par < 1 ? 1 : par > PARALLEL_MAX ? PARALLEL_MAX : par;
    for (; nthreads < par && nthreads < want; nthreads++)
        if (pthread_create(&threads[nthreads], NULL, worker, p) != 0)
            break;
    /* no thread at all: every blob is fetched by its layer, in order */
    for (size_t i = 0; nthreads == 0 && i < p->njobs; i++)
        p->jobs[i].scheduled = false;
    int rc = unpack_layers(p, r, chains, err);
    if (rc < 0)  /* the fetches still running are of no use now */
        __atomic_store_n(&p->abort, true, __ATOMIC_RELAXED);
    for (size_t t = 0; t < nthreads; t++)
        pthread_join(threads[t], NULL);
    /* blobs of layers that were unpacked already were fetched too */
    for (size_t i = 0; rc == 0 && i < p->njobs; i++)
        if (p->jobs[i].scheduled && p->jobs[i].done && p->jobs[i].rc < 0)
            *err = p->jobs[i].err, rc = -1;
    return rc;
}

/* ---- the whole pull ---- */

static int store_docs(struct pull *p, const struct resolved *r, cx_error *err)
{
    if (r->index && cx_blob_put(p->s, &r->index_digest, r->index, r->index_len,
                                CX_MT_OCI_INDEX, err) < 0)
        return -1;
    return cx_blob_put(p->s, &r->digest, r->body, r->len, r->m.media_type, err) < 0 ||
           cx_blob_put(p->s, &r->m.config.digest, r->config.data, r->config.len,
                       r->m.config.media_type, err) < 0 ? -1 : 0;
}

static int record(struct pull *p, struct resolved *r, const struct cx_digest *chains,
                  struct cx_lock *lock, bool *complete, cx_error *err)
{
    size_t n = r->m.nlayers;
    _cleanup_free_ struct cx_digest *blobs = cx_calloc(n + 3, sizeof *blobs);
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        blobs[nb++] = r->m.layers[i].digest;
    blobs[nb++] = r->digest;
    blobs[nb++] = r->m.config.digest;
    if (r->index)
        blobs[nb++] = r->index_digest;
    struct cx_image_new img = { &r->m.config.digest, &r->digest, r->m.media_type,
                                r->cfg.created, chains, n, blobs, nb };
    return cx_image_begin(p->s, &img, lock, complete, err);
}

int cx_pull(struct cx_store *s, struct cx_source *src, const char *ref,
            const struct cx_pull_opts *o, char id[static 65], cx_error *err)
{
    _cleanup_(resolved_free) struct resolved r = { 0 };
    _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
    struct pull p = { .s = s, .src = src, .o = o, .mu = PTHREAD_MUTEX_INITIALIZER,
                      .cond = PTHREAD_COND_INITIALIZER };
    bool complete;
    if (resolve(&p, ref, &r, &lock, err) < 0)
        return -1;
    _cleanup_free_ struct cx_digest *chains = cx_calloc(r.m.nlayers + 1, sizeof *chains);
    _cleanup_free_ struct job *jobs = cx_calloc(r.m.nlayers + 1, sizeof *jobs);
    p.jobs = jobs, p.njobs = r.m.nlayers;
    for (size_t i = 0; i < p.njobs; i++) {
        jobs[i].i = i, jobs[i].blob = r.m.layers[i].digest, jobs[i].size = r.m.layers[i].size;
        jobs[i].media_type = r.m.layers[i].media_type;
    }
    if (cx_chain_ids(r.cfg.diff_ids, r.m.nlayers, chains, err) < 0)
        return -1;
    report(&p, CX_PULL_RESOLVED, r.m.nlayers, 0, 0);
    if (record(&p, &r, chains, &lock, &complete, err) < 0)
        return -1;
    CX_FAULT("image recorded incomplete");
    if (!complete && (store_docs(&p, &r, err) < 0 || fetch_layers(&p, &r, chains, err) < 0)) {
        /* undo now, under the image's lock, rather than leave it to the
           next command's repair: the store is as it was */
        cx_error ignored = { 0 };
        if (cx_image_delete(s, r.m.config.digest.hex, &ignored) == 0)
            cx_store_gc(s, &ignored);
        return -1;
    }
    for (size_t i = 0; complete && i < p.njobs; i++)
        report(&p, CX_PULL_LAYER_EXISTS, i, 0, 0);
    CX_FAULT("layers done");
    snprintf(id, 65, "%s", r.m.config.digest.hex);
    /* the digests it can be pulled by again: its manifest's, its index's */
    char d1[CX_DIGEST_MAX], d2[CX_DIGEST_MAX];
    cx_digest_format(&r.digest, d1);
    cx_digest_format(&r.index_digest, d2);
    _cleanup_free_ char *rd1 = o->repository ? cx_asprintf("%s@%s", o->repository, d1) : NULL;
    _cleanup_free_ char *rd2 = o->repository && r.index
        ? cx_asprintf("%s@%s", o->repository, d2) : NULL;
    const char *const digests[] = { rd1, rd2, NULL };
    if (cx_image_finish(s, id, -1, o->name, digests, err) < 0)
        return -1;
    CX_FAULT("image complete");
    return 0;
}
