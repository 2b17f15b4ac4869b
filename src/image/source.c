/* source.c: the registry source, and what every source shares. */
#include "image/source.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void cx_source_free(struct cx_source *s)
{
    if (s->ops && s->impl)
        s->ops->free(s->impl);
    free(s->desc);
    memset(s, 0, sizeof *s);
}

static int mem_write(void *ctx, const void *buf, size_t len, cx_error *err)
{
    struct cx_membuf *b = ctx;
    if (len > b->max - b->len)
        return cx_fail(err, EFBIG, "more than %zu bytes", b->max);
    b->data = cx_realloc(b->data, b->len + len + 1);
    memcpy(b->data + b->len, buf, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static int mem_reset(void *ctx, cx_error *err)
{
    (void) err;
    ((struct cx_membuf *) ctx)->len = 0;
    return 0;
}

void cx_membuf_sink(struct cx_membuf *b, struct cx_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->write = mem_write;
    sink->reset = mem_reset;
    sink->ctx = b;
}

/* A registry connection serves one thread at a time: the source keeps
 * one per concurrent fetch, opened when first needed. */
#define REG_CONNS 8

struct reg_pool {
    pthread_mutex_t mu;
    struct cx_registry *conn[REG_CONNS];
    bool busy[REG_CONNS];
    struct cx_registry_endpoint ep;
    char *host, *repo, *user, *pass;
    bool has_creds;
};

static struct cx_registry *reg_take(struct reg_pool *p, cx_error *err)
{
    pthread_mutex_lock(&p->mu);
    size_t i = 0;
    while (i < REG_CONNS && p->busy[i])
        i++;
    if (i == REG_CONNS) {
        pthread_mutex_unlock(&p->mu);
        return cx_fail(err, EBUSY, "registry %s: too many concurrent requests", p->host), NULL;
    }
    p->busy[i] = true;
    pthread_mutex_unlock(&p->mu);
    struct cx_registry_creds creds = { p->user, p->pass };
    if (!p->conn[i] && cx_registry_open(&p->ep, p->repo, p->has_creds ? &creds : NULL, false,
                                        &p->conn[i], err) < 0) {
        pthread_mutex_lock(&p->mu);
        p->busy[i] = false;
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    return p->conn[i];
}

static void reg_give(struct reg_pool *p, struct cx_registry *r)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < REG_CONNS; i++)
        if (p->conn[i] == r)
            p->busy[i] = false;
    pthread_mutex_unlock(&p->mu);
}

static int reg_manifest(void *impl, const char *ref, char **body, size_t *len, char **mt,
                        struct cx_digest *digest, cx_error *err)
{
    struct cx_registry *r = reg_take(impl, err);
    if (!r)
        return -1;
    int rc = cx_registry_get_manifest(r, ref ? ref : "latest", body, len, mt, digest, err);
    reg_give(impl, r);
    return rc;
}

static int reg_blob(void *impl, const struct cx_digest *digest, int64_t size, uint64_t max,
                    const struct cx_sink *sink, cx_error *err)
{
    struct cx_registry *r = reg_take(impl, err);
    if (!r)
        return -1;
    int rc = cx_registry_get_blob(r, digest, size, max, sink, err);
    reg_give(impl, r);
    return rc;
}

static void reg_free(void *impl)
{
    struct reg_pool *p = impl;
    for (size_t i = 0; i < REG_CONNS; i++)
        if (p->conn[i])
            cx_registry_free(p->conn[i]);
    if (p->pass)
        explicit_bzero(p->pass, strlen(p->pass));
    free(p->host), free(p->repo), free(p->user), free(p->pass);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static const struct cx_source_ops registry_ops = { reg_manifest, reg_blob, reg_free };

int cx_source_registry(struct cx_source *out, const struct cx_registry_endpoint *ep,
                       const char *repository, const struct cx_registry_creds *creds,
                       cx_error *err)
{
    struct reg_pool *p = cx_calloc(1, sizeof *p);
    memset(out, 0, sizeof *out);
    pthread_mutex_init(&p->mu, NULL);
    p->ep = *ep;
    p->ep.host = p->host = cx_strdup(ep->host);
    p->repo = cx_strdup(repository);
    p->has_creds = creds != NULL;
    p->user = creds && creds->user ? cx_strdup(creds->user) : NULL;
    p->pass = creds && creds->pass ? cx_strdup(creds->pass) : NULL;
    out->ops = &registry_ops;
    out->impl = p;
    out->desc = cx_asprintf("%s/%s", ep->host, repository);
    out->parallel = 3;
    /* the first connection now: a bad endpoint fails before any work */
    struct cx_registry *r = reg_take(p, err);
    if (!r)
        return cx_source_free(out), -1;
    reg_give(p, r);
    return 0;
}
