/* pull.h: copying an image from a source into the store: the manifest
 * (through an index, for the platform asked), the config, and the layers,
 * fetched several at once and unpacked in order as they arrive. */
#ifndef CAPSA_IMAGE_PULL_H
#define CAPSA_IMAGE_PULL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/platform.h"
#include "image/source.h"
#include "store/store.h"

enum cx_pull_event {
    CX_PULL_RESOLVED,       /* manifest and config known: nlayers set */
    CX_PULL_LAYER_EXISTS,   /* layer i already in the store */
    CX_PULL_LAYER_BYTES,    /* layer i: done of total bytes fetched */
    CX_PULL_LAYER_FETCHED,  /* layer i's blob stored */
    CX_PULL_LAYER_UNPACKED, /* layer i unpacked */
};

struct cx_pull_progress {
    enum cx_pull_event ev;
    size_t layer, nlayers;
    const struct cx_digest *digest;   /* the layer's blob */
    uint64_t done, total;
};

struct cx_pull_opts {
    struct cx_platform platform;
    const char *name;        /* "repository:tag" to give the image, or NULL */
    const char *repository;  /* for the repo digest "repository@sha256:...", or NULL */
    unsigned parallel;       /* 0: the source's default */
    /* called from several threads, one call at a time */
    void (*progress)(void *ctx, const struct cx_pull_progress *p);
    void *ctx;
};

/* Pull ref (a tag, a digest, or NULL for a source's only image) from src;
 * id receives the image ID (the config's sha256 hex). */
int cx_pull(struct cx_store *s, struct cx_source *src, const char *ref,
            const struct cx_pull_opts *o, char id[static 65], cx_error *err);

#endif
