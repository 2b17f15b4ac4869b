/* source.c: the registry source, and what every source shares. */
#include "image/source.h"

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

static int reg_manifest(void *impl, const char *ref, char **body, size_t *len, char **mt,
                        struct cx_digest *digest, cx_error *err)
{
    return cx_registry_get_manifest(impl, ref ? ref : "latest", body, len, mt, digest, err);
}

static int reg_blob(void *impl, const struct cx_digest *digest, int64_t size, uint64_t max,
                    const struct cx_sink *sink, cx_error *err)
{
    return cx_registry_get_blob(impl, digest, size, max, sink, err);
}

static void reg_free(void *impl)
{
    cx_registry_free(impl);
}

static const struct cx_source_ops registry_ops = { reg_manifest, reg_blob, reg_free };

int cx_source_registry(struct cx_source *out, const struct cx_registry_endpoint *ep,
                       const char *repository, const struct cx_registry_creds *creds,
                       cx_error *err)
{
    struct cx_registry *r;
    memset(out, 0, sizeof *out);
    if (cx_registry_open(ep, repository, creds, false, &r, err) < 0)
        return -1;
    out->ops = &registry_ops;
    out->impl = r;
    out->desc = cx_asprintf("%s/%s", ep->host, repository);
    out->parallel = 3;
    return 0;
}
