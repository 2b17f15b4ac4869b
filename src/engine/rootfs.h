/* rootfs.h: a container's root filesystem: an overlay of its image's
 * layers (lower, any number: "lowerdir+" one by one) with the container's
 * own upper and work directories, mounted by fd at
 * <runroot>/containers/<id>/rootfs. */
#ifndef CAPSA_ENGINE_ROOTFS_H
#define CAPSA_ENGINE_ROOTFS_H

#include <stdbool.h>

#include "engine/engine.h"

/* Mount it unless mounted; *path is the mount point. */
int cx_ctr_rootfs_mount(struct cx_engine *e, const char *id, const struct cx_image_rec *img,
                        char **path, cx_error *err);
/* Unmount it when mounted (detaching if busy); a missing one is fine. */
int cx_ctr_rootfs_unmount(struct cx_engine *e, const char *id, cx_error *err);
bool cx_ctr_rootfs_mounted(struct cx_engine *e, const char *id);

#endif
