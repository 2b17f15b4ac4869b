/* push.h: copying a stored image to a registry exactly as it is stored:
 * its compressed layer blobs, its config and its manifest, byte for byte,
 * so that every digest (and the image ID) stays what it was.
 *
 * For each layer blob, then the config: HEAD on the destination (there
 * already: skipped); else a cross-repository mount from each repository of
 * o->mount_from in turn (repositories on the same registry the image came
 * from); else an upload from the blob store: one PUT, or PATCH chunks of
 * chunk_size bytes then a closing PUT.  Last, the manifest is PUT under
 * o->tag (its stored media type).  Layer blobs are pushed by a few threads
 * at once, each with its own registry connection. */
#ifndef CAPSA_IMAGE_PUSH_H
#define CAPSA_IMAGE_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/digest.h"
#include "image/registry.h"
#include "store/store.h"

/* Blobs above this size are sent in chunks of CX_PUSH_CHUNK bytes when
 * no chunk size is asked. */
#define CX_PUSH_CHUNKED_MIN (64ull << 20)
#define CX_PUSH_CHUNK (32ull << 20)
#define CX_PUSH_PARALLEL_MAX 8

enum cx_push_event {
    CX_PUSH_BLOB_EXISTS,    /* blob i: the destination has it (HEAD) */
    CX_PUSH_BLOB_MOUNTED,   /* blob i: mounted from another repository */
    CX_PUSH_BLOB_UPLOADED,  /* blob i: uploaded */
    CX_PUSH_MANIFEST,       /* every blob is there: writing the manifest */
};

struct cx_push_progress {
    enum cx_push_event ev;
    size_t blob, nblobs;             /* blobs 0..nblobs-2: layers; nblobs-1: config */
    bool config;                     /* blob is the config */
    const struct cx_digest *digest;  /* the blob's */
};

struct cx_push_opts {
    const char *tag;                 /* the manifest's tag; NULL: put it by digest */
    const char *const *mount_from;   /* repositories on the destination's registry to
                                        mount blobs from (NULL-terminated, or NULL) */
    uint64_t chunk_size;             /* 0: one PUT up to CX_PUSH_CHUNKED_MIN bytes,
                                        CX_PUSH_CHUNK chunks above */
    unsigned parallel;               /* threads: 0 means 3; at most CX_PUSH_PARALLEL_MAX */
    /* called from several threads, one call at a time */
    void (*progress)(void *ctx, const struct cx_push_progress *p);
    void *ctx;
};

/* Push image img (a complete image of store s) to repository on endpoint
 * ep with creds (NULL: anonymous); *digest receives the manifest's digest.
 * A blob the store does not hold (its layer was unpacked for another
 * image that shared it, so pull did not fetch this image's copy) and the
 * destination lacks is an error naming the blob. */
int cx_push(struct cx_store *s, const struct cx_image_rec *img,
            const struct cx_registry_endpoint *ep, const char *repository,
            const struct cx_registry_creds *creds, const struct cx_push_opts *o,
            struct cx_digest *digest, cx_error *err);

#endif
