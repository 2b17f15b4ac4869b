/* volumes.h: named and anonymous volumes (podman's local driver): a
 * directory <root>/volumes/<name>/_data and a record; a container's use
 * of one is recorded too, so rm and prune never take a volume in use. */
#ifndef CAPSA_ENGINE_VOLUMES_H
#define CAPSA_ENGINE_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/run_opts.h"
#include "image/manifest.h"

struct cx_volume {
    char *name;
    int64_t created;           /* unix ns */
    bool anonymous;
    char *labels;              /* JSON object */
    char **users;              /* container ids using it */
    size_t nusers;
};

void cx_volume_free(struct cx_volume *v);
void cx_volumes_free(struct cx_volume *v, size_t n);
/* [a-zA-Z0-9][a-zA-Z0-9_.-]* */
int cx_volume_name_check(const char *name, cx_error *err);
/* Create name (NULL: an anonymous one, named by a random id).  exist_ok:
 * an existing one is used (run -v NAME:/dir); else EEXIST. */
int cx_volume_create(struct cx_engine *e, const char *name, const char *labels_json,
                     bool exist_ok, char **created_name, cx_error *err);
int cx_volume_get(struct cx_engine *e, const char *name, struct cx_volume *out, cx_error *err);
int cx_volume_list(struct cx_engine *e, struct cx_volume **out, size_t *n, cx_error *err);
/* Remove an unused volume (in use: EBUSY naming a container). */
int cx_volume_remove(struct cx_engine *e, const char *name, cx_error *err);
/* Remove every volume no container uses; removed (may be NULL) is told each. */
int cx_volumes_prune(struct cx_engine *e, void (*removed)(const char *name), cx_error *err);
/* volume_copyup.c: mark a fresh volume (its directory's fd) to be filled
 * from the image at its first use; at a start, fill each marked volume
 * the container mounts (and is still empty) from the container's root at
 * rootfs_path, where it is mounted. */
void cx_volume_mark_copyup(int voldir);
int cx_volumes_copy_up(struct cx_engine *e, const char *id, const char *rootfs_path,
                       cx_error *err);
/* <root>/volumes/<name>/_data */
char *cx_volume_path(struct cx_engine *e, const char *name);

/* The container's mounts with volumes turned into binds of their
 * directories (made or found, anonymous ones for -v /dir and for the
 * image's Volumes not covered by a mount), each use recorded. *out is
 * a new array the caller frees with cx_mounts_free. */
int cx_volumes_resolve(struct cx_engine *e, const char *ctr_id, const struct cx_run_opts *o,
                       const struct cx_image_config *img, struct cx_mount_req **out,
                       size_t *n, cx_error *err);
void cx_mounts_free(struct cx_mount_req *m, size_t n);
/* Before the container's record goes: its uses dropped, and its anonymous
 * volumes (used by nothing else) removed when remove_anonymous. */
int cx_volumes_release(struct cx_engine *e, const char *ctr_id, bool remove_anonymous,
                       cx_error *err);

#endif
