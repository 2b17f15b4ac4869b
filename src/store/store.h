/* store.h: the image store under --root (persistent) and --runroot
 * (volatile), shared by every capsactl process and by capsad:
 *
 *   <root>/capsa.db               SQLite: images, names, layers, blobs
 *   <root>/blobs/sha256/<hex>     content-addressed blobs (verified)
 *   <root>/layers/<chain hex>/diff  an unpacked layer (an overlay layer dir)
 *   <root>/locks/<kind>-<hex>     flock per blob, layer, image
 *   <runroot>/mounts/<id>         merged image mounts (`image mount`)
 *
 * Opening the store completes or undoes what a killed process left
 * (store_repair.c). */
#ifndef CAPSA_STORE_STORE_H
#define CAPSA_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "image/digest.h"
#include "store/db.h"
#include "store/lock.h"

struct cx_store {
    char *root, *runroot;
    int rootfd, blobsfd, layersfd, locksfd, runrootfd;
    struct cx_db db;
    /* bounds on one layer (0: unpack.h's defaults, 64 GiB and 1,000,000) */
    uint64_t layer_max_bytes, layer_max_entries;
};

int cx_store_open(struct cx_store *s, const char *root, const char *runroot, cx_error *err);
void cx_store_close(struct cx_store *s);
/* Redo what killed processes left: incomplete layers and images whose
 * owner is gone, removals recorded but not carried out. */
int cx_store_repair(struct cx_store *s, cx_error *err);

/* ---- blobs (blobs.c) ---- */
struct cx_blob_writer {
    struct cx_store *s;
    struct cx_digest want;
    int64_t size;                 /* -1: unknown */
    const char *media_type;
    int fd;                       /* O_TMPFILE in blobs/: gone if we die */
    struct cx_hasher h;
    uint64_t written;
    struct cx_lock lock;
};
/* Is the blob stored (its record and its file)? */
bool cx_blob_exists(struct cx_store *s, const struct cx_digest *d);
/* Start writing blob d (taking its lock: a second writer of the same blob
 * waits, then finds it stored).  *exists true: nothing to write. */
int cx_blob_begin(struct cx_store *s, const struct cx_digest *d, int64_t size,
                  const char *media_type, struct cx_blob_writer *w, bool *exists,
                  cx_error *err);
int cx_blob_write(struct cx_blob_writer *w, const void *buf, size_t len, cx_error *err);
int cx_blob_reset(struct cx_blob_writer *w, cx_error *err);
/* Verify size and digest, fsync, link it in place, record it. */
int cx_blob_commit(struct cx_blob_writer *w, cx_error *err);
void cx_blob_abort(struct cx_blob_writer *w);
/* Store a small blob held in memory (manifests, configs). */
int cx_blob_put(struct cx_store *s, const struct cx_digest *d, const void *buf, size_t len,
                const char *media_type, cx_error *err);
int cx_blob_open(struct cx_store *s, const struct cx_digest *d, int *fd, cx_error *err);
int cx_blob_read(struct cx_store *s, const struct cx_digest *d, size_t max, char **buf,
                 size_t *len, cx_error *err);


/* ---- layers (layers.c) ---- */
struct cx_layer_req {
    struct cx_digest chain_id, diff_id, blob;
    int comp;                     /* enum cx_compression (decompress.h) */
    /* makes sure the blob is stored: called under the layer's lock, only
       when the layer must be unpacked */
    int (*fetch)(void *ctx, cx_error *err);
    void *ctx;
};
bool cx_layer_complete(struct cx_store *s, const struct cx_digest *chain_id);
/* Unpack the layer unless it is complete: under its lock, recorded as
 * incomplete first, unpacked into layers/<hex>/diff over the lower layers
 * (bottom first), synced, then recorded complete. */
int cx_layer_ensure(struct cx_store *s, const struct cx_layer_req *req,
                    const struct cx_digest *lowers, size_t nlower, cx_error *err);
/* layers/<hex>/diff, as an O_RDONLY|O_DIRECTORY fd. */
int cx_layer_open(struct cx_store *s, const struct cx_digest *chain_id, int *fd, cx_error *err);
/* "<root>/layers/<hex>/diff" */
char *cx_layer_path(struct cx_store *s, const struct cx_digest *chain_id);

/* ---- images (images.c) ---- */
struct cx_image_rec {
    char id[65];                  /* the config's sha256 hex */
    char config_digest[CX_DIGEST_MAX], manifest_digest[CX_DIGEST_MAX];
    char *manifest_media_type, *created;
    int64_t size, added;
    char **names;                 /* repository:tag */
    size_t nnames;
    char **digests;               /* repository@sha256:... */
    size_t ndigests;
    struct cx_digest *layers;     /* chain IDs, bottom first */
    size_t nlayers;
};
void cx_image_rec_free(struct cx_image_rec *r);
void cx_image_recs_free(struct cx_image_rec *r, size_t n);

struct cx_image_new {
    const struct cx_digest *config, *manifest;
    const char *manifest_media_type, *created;
    const struct cx_digest *chain_ids;
    size_t nlayers;
    const struct cx_digest *blobs;   /* every blob it references */
    size_t nblobs;
};
/* Take image id's lock (unless lock holds it already; held until the
 * image is finished or abandoned)
 * and record it as incomplete with its layers and blobs, unless it is
 * complete already (*complete true). */
int cx_image_begin(struct cx_store *s, const struct cx_image_new *img, struct cx_lock *lock,
                   bool *complete, cx_error *err);
/* Mark it complete (size < 0: the sum of its layers), and give it name
 * (repository:tag, moved from any other image; may be NULL) and
 * repo_digests ("repository@sha256:...", a NULL-terminated list or NULL). */
int cx_image_finish(struct cx_store *s, const char *id, int64_t size, const char *name,
                    const char *const *repo_digests, cx_error *err);
/* Record more "repository@sha256:..." an image is known by (after a push). */
int cx_image_add_digests(struct cx_store *s, const char *id, const char *const *digests,
                         cx_error *err);
/* Complete images (all: dangling ones too), newest first. */
int cx_image_list(struct cx_store *s, struct cx_image_rec **out, size_t *n, cx_error *err);
/* By exact name, by "sha256:<id>", or by a unique ID prefix (3+ hex). */
int cx_image_lookup(struct cx_store *s, const char *name, struct cx_image_rec *out,
                    bool *found, cx_error *err);
int cx_image_tag(struct cx_store *s, const char *id, const char *name, cx_error *err);
int cx_image_untag(struct cx_store *s, const char *name, bool *found, cx_error *err);
/* Remove the image record; layers and blobs go with cx_store_gc. */
int cx_image_delete(struct cx_store *s, const char *id, cx_error *err);
/* ---- mounts (mounts.c): <runroot>/mounts/<id>, read-only ---- */
/* The image's layer directories, top first, each checked complete
 * (NULL-terminated, for an overlay's lowers). */
int cx_image_lowers(struct cx_store *s, const struct cx_image_rec *r, char ***out,
                    cx_error *err);
/* Is dirfd/name the root of a mount? */
bool cx_mount_root_at(int dirfd, const char *name);
int cx_image_mount(struct cx_store *s, const struct cx_image_rec *r, char **path, cx_error *err);
int cx_image_unmount(struct cx_store *s, const char *id, bool *was, cx_error *err);
bool cx_image_mounted(struct cx_store *s, const char *id);

/* ---- check.c ---- */
struct cx_check_report {
    size_t blobs, layers, damaged_images;
    char **problems;       /* one line each */
    size_t nproblems;
};
int cx_store_check(struct cx_store *s, bool repair, struct cx_check_report *r, cx_error *err);
void cx_check_report_free(struct cx_check_report *r);

/* `system df`: each image's size, the part shared with other images and
 * its own; the unpacked layers (each stored once) and the compressed
 * blobs kept for push and save. */
struct cx_df_image {
    char id[65];
    char *name, *created;   /* created: the config's, RFC 3339 */
    int64_t size, shared, unique;
};
struct cx_df {
    struct cx_df_image *images;
    size_t nimages, nlayers, nblobs;
    int64_t layers_size, blobs_size;
};
int cx_store_df(struct cx_store *s, struct cx_df *out, cx_error *err);
void cx_df_free(struct cx_df *d);

/* Remove layers and blobs no image refers to (recorded, then done). */
int cx_store_gc(struct cx_store *s, cx_error *err);

#endif
