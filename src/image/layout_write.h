/* layout_write.h: images out of the store: into an OCI image layout
 * directory (`push IMAGE oci:DIR[:TAG]`), into an oci-archive or
 * docker-archive tarball (`save`), written as a stream with libarchive;
 * and `import` (a root file system tarball into the store, through
 * archive.h's blob set).
 *
 * A layout and an oci-archive hold the blobs as stored (the compressed
 * layers as pulled, the manifest unchanged, so the manifest digest and the
 * image ID stay the same).  A docker-archive holds, like podman's,
 * manifest.json ([{Config, RepoTags, Layers}]), the config as
 * "<id>.json" (unchanged: same image ID) and every layer uncompressed as
 * "<diff_id hex>.tar", decompressed from the stored blob twice (once to
 * learn the size a tar header needs first, once to write it), never held
 * in memory or on disk.  Every byte read from the store is checked
 * against its digest again on the way out. */
#ifndef CAPSA_IMAGE_LAYOUT_WRITE_H
#define CAPSA_IMAGE_LAYOUT_WRITE_H

#include <stddef.h>

#include <jansson.h>

#include "common/error.h"
#include "store/store.h"

enum cx_save_format { CX_SAVE_DOCKER_ARCHIVE, CX_SAVE_OCI_ARCHIVE };

struct cx_save_image {
    const struct cx_image_rec *rec;
    /* "repository:tag" names to give it (docker-archive RepoTags; one
       oci-archive index.json entry each, with the ref.name annotation);
       NULL-terminated, or NULL for none */
    const char *const *names;
};

/* Write the images as one archive to fd (not closed; a pipe is fine).
 * oci-archive: blobs/sha256/<hex> (each blob once), index.json, oci-layout.
 * docker-archive: see above; an image with several names lists them all. */
int cx_save(struct cx_store *s, int fd, enum cx_save_format f, const struct cx_save_image *imgs,
            size_t n, cx_error *err);

/* Write (or add to) the OCI layout dir (made when missing): the image's
 * blobs copied from the store (one that is there with its size is kept),
 * oci-layout, and index.json (under an flock on dir, replaced atomically)
 * with an entry for the manifest, annotated with ref_name (the entry that
 * had that name loses it: a tag moves), or without a name (ref_name
 * NULL). */
int cx_layout_push(struct cx_store *s, const struct cx_image_rec *rec, const char *dir,
                   const char *ref_name, cx_error *err);

/* One Dockerfile instruction given as --change (import, commit) applied
 * to an image config's "config" object: CMD, ENTRYPOINT, ENV, EXPOSE,
 * LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR. */
int cx_config_apply_change(json_t *cfg, const char *change, cx_error *err);

#endif
