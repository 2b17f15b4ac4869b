/* archive.h: images in tarballs, read: `load` (docker-archive and
 * oci-archive, any outer compression libarchive knows) and `import` (a
 * root file system tarball made into a one-layer image).
 *
 * An archive is hostile.  It is read once, as a stream, and never
 * extracted: every regular member is copied into one spool file (an
 * O_TMPFILE under the store's root: nothing is left if the process dies)
 * and hashed as it passes; names are checked strictly (relative, at most
 * CX_ARCHIVE_DEPTH_MAX components, no "..", no empty component); symbolic
 * and hard links are only aliases between members, resolved by name and
 * never outside the archive.  Then everything is checked before the store
 * is touched: every JSON document is bounded (CX_ARCHIVE_JSON_MAX), every
 * blob named by its digest holds that digest, every layer a manifest or
 * manifest.json names exists, and an uncompressed layer's content is the
 * config's rootfs.diff_ids entry (a compressed one's diff_id is checked by
 * the puller as it unpacks it: a mismatch there is undone by the pull
 * path and leaves no image and no blob).  Only then does each image go into the
 * store through cx_pull, from a cx_source over the spool, so a load is as
 * crash-safe and verified as a pull. */
#ifndef CAPSA_IMAGE_ARCHIVE_H
#define CAPSA_IMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "store/store.h"

#define CX_ARCHIVE_JSON_MAX (8u << 20)      /* manifest.json, index.json, configs */
#define CX_ARCHIVE_ENTRIES_MAX 10000u       /* members of one archive */
#define CX_ARCHIVE_DEPTH_MAX 8              /* components of a member name */
#define CX_ARCHIVE_IMAGES_MAX 1000u         /* images of one archive */

/* One image a load put into the store. */
struct cx_loaded {
    char id[65];
    char **names;       /* NULL-terminated, "repository:tag"; empty: unnamed */
};
void cx_loaded_free(struct cx_loaded *l, size_t n);

/* Load every image of the archive read from fd (not closed).  Names:
 * a docker-archive's RepoTags, an oci-archive's
 * org.opencontainers.image.ref.name annotations, taken as they are when
 * qualified (a domain first) and under "localhost/" otherwise (podman's
 * rule: "busybox" -> localhost/busybox:latest). */
int cx_archive_load(struct cx_store *s, int fd, struct cx_loaded **out, size_t *n,
                    cx_error *err);

struct cx_import_opts {
    const char *name;              /* "repository:tag" or NULL */
    const char *message;           /* the history comment; NULL: "imported from tarball" */
    const char *const *changes;    /* NULL-terminated Dockerfile instructions or NULL:
                                      CMD ENTRYPOINT ENV EXPOSE LABEL STOPSIGNAL USER
                                      VOLUME WORKDIR */
};

/* A root file system tarball (uncompressed, or any compression libarchive
 * knows) read from fd becomes a one-layer image: the tar, gzip-compressed,
 * with a config for the host's os/arch created now.  id: its image ID.
 * (Written in layout_write.c, over the blob set below.) */
int cx_archive_import(struct cx_store *s, int fd, const struct cx_import_opts *o,
                      char id[static 65], cx_error *err);

/* podman's name for what an archive calls an image: "repository:tag",
 * qualified under localhost/ when it has no domain, ":latest" when it has
 * no tag; NULL when raw is not a valid reference or names a digest. */
char *cx_archive_image_name(const char *raw);

/* ---- shared by archive.c and layout_write.c (import), no other callers:
 * a set of blobs by digest, in memory or in a spool file, that pulls its
 * images into the store through a cx_source ---- */
struct cx_blobset;
struct cx_digest;
/* An O_TMPFILE under the store's root (gone with the process). */
int cx_spool_open(struct cx_store *s, int *fd, cx_error *err);
struct cx_blobset *cx_blobset_new(void);
void cx_blobset_free(struct cx_blobset *b);
/* The spool the spooled blobs are read from (owned from now on). */
void cx_blobset_set_spool(struct cx_blobset *b, int fd);
void cx_blobset_add_spooled(struct cx_blobset *b, const struct cx_digest *d, uint64_t off,
                            uint64_t len);
int cx_blobset_add_mem(struct cx_blobset *b, const void *data, size_t len,
                       const char *media_type, struct cx_digest *d, cx_error *err);
void cx_blobset_add_image(struct cx_blobset *b, const struct cx_digest *manifest,
                          const char *name);
int cx_blobset_pull(struct cx_store *s, struct cx_blobset *b, struct cx_loaded **out,
                    size_t *n, cx_error *err);

#endif
