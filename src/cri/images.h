/* images.h: what the ImageService's handlers (image_list.c, image_pull.c,
 * image_remove.c, image_fs.c) share.  Images live in the store capsactl
 * uses (store.h), so `capsactl images` lists what the kubelet pulled and
 * the kubelet sees what capsactl pulled.  An image's CRI id is
 * "sha256:<config digest hex>" (the store's id with its algorithm), the
 * same string PullImage answers as image_ref (ContainerStatus.image_ref
 * is a digested reference: cri_image_digested_ref). */
#ifndef CAPSA_CRI_IMAGES_H
#define CAPSA_CRI_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri.pb-c.h"
#include "cri/server.h"
#include "store/store.h"

/* The image a CRI request names: a reference (normalized as containerd
 * shows names: "busybox" is docker.io/library/busybox:latest; a digest
 * reference matches the repo_digests), an id ("sha256:<hex>", the hex,
 * or a unique prefix), or a name exactly as stored.  *found false when
 * there is none (not an error). */
int cri_image_find(struct cx_store *s, const char *name, struct cx_image_rec *out, bool *found,
                   cx_error *err);
/* The same for a request's ImageSpec (INVALID_ARGUMENT when it names
 * none), with the call's engine in *e. */
int cri_image_of(struct cri_ctx *ctx, const Runtime__V1__ImageSpec *spec, struct cx_engine **e,
                 struct cx_image_rec *out, bool *found, cx_error *err);

/* The CRI's Image of a store record, in the call's arena.  The user comes
 * from the image's config; a config that cannot be read leaves it unset
 * (logged) rather than failing a whole listing. */
Runtime__V1__Image *cri_image_msg(struct cri_ctx *ctx, struct cx_store *s,
                                  const struct cx_image_rec *r);

/* ContainerStatus.image_ref of a container of image id (hex), which
 * asked for the image as asked: a digested reference,
 * "repository@sha256:...", the kubelet shows as the pod's imageID (as
 * containerd and CRI-O answer), preferring asked's repository and the
 * digest its tag resolved to; "sha256:<id>" when the image has no repo
 * digest or is gone.  ListContainers keeps the id: the kubelet's image
 * collection matches it against the images' ids. */
char *cri_image_digested_ref(struct cri_ctx *ctx, struct cx_store *s, const char *id,
                             const char *asked);

/* A failed pull's message (capsactl's last line) says the registry has
 * no such repository or manifest: PullImage answers NOT_FOUND then, as
 * containerd does, and UNKNOWN for every other failure. */
bool cri_pull_not_found(const char *msg);

/* The config's User ("1000", "1000:50", "nginx", "nginx:www", "") as the
 * CRI reports it: 1 and *uid for a numeric user, 0 and the name in
 * name[len] for a named one, -1 when there is none (or the name does not
 * fit). */
int cri_image_user(const char *user, int64_t *uid, char *name, size_t len);

#endif
