/* source.h: where images come from, one interface for all: a registry
 * (source_registry.c), an OCI image layout directory (layout.c), and the
 * archives (archive.c) that unpack to one of those.  A source hands out
 * manifests (by tag or digest) and streams blobs into a sink; the puller
 * (pull.c) verifies every byte against its digest either way. */
#ifndef CAPSA_IMAGE_SOURCE_H
#define CAPSA_IMAGE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/digest.h"
#include "image/registry.h"

struct cx_source_ops {
    /* ref: a tag or "sha256:..."; NULL: the source's only image */
    int (*get_manifest)(void *impl, const char *ref, char **body, size_t *len,
                        char **media_type, struct cx_digest *digest, cx_error *err);
    int (*get_blob)(void *impl, const struct cx_digest *digest, int64_t size, uint64_t max,
                    const struct cx_sink *sink, cx_error *err);
    void (*free)(void *impl);
};

struct cx_source {
    const struct cx_source_ops *ops;
    void *impl;
    char *desc;          /* "127.0.0.1:5000/library/busybox", "oci:/tmp/l" */
    unsigned parallel;   /* blobs fetched at once (1 for a directory) */
};

void cx_source_free(struct cx_source *s);

/* a registry repository (one endpoint) */
int cx_source_registry(struct cx_source *out, const struct cx_registry_endpoint *ep,
                       const char *repository, const struct cx_registry_creds *creds,
                       cx_error *err);
/* an OCI image layout directory */
int cx_source_layout(struct cx_source *out, const char *dir, cx_error *err);

/* A sink into a memory buffer of at most max bytes (manifests, configs). */
struct cx_membuf {
    char *data;
    size_t len, max;
};
void cx_membuf_sink(struct cx_membuf *b, struct cx_sink *sink);

#endif
