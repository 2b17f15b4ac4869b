/* rootfs.h: building the container's root filesystem, in the init, in its
 * new mount namespace.  Order:
 *   rootfs_prepare(): propagation of "/", bind the rootfs on itself, the
 *                    config's mounts in order (mounts.c), default devices
 *                    and /dev symlinks (devices.c)
 *   (the createRuntime and createContainer hooks run here, in init.c)
 *   rootfs_enter():  pivot_root (or MS_MOVE + chroot with --no-pivot)
 *   rootfs_finish(): /dev/console, masked and read-only paths (devices.c),
 *                    read-only root -- after pivot, before the user switch.
 */
#ifndef CAPSA_ROOTFS_H
#define CAPSA_ROOTFS_H

#include "common/error.h"
#include "runtime/init.h"

/* Without a mount namespace (neither new nor joined) the container shares
 * the caller's mounts: nothing is mounted or unmounted, the init chroots. */
bool rootfs_has_mount_ns(const struct oci_spec *spec);
int rootfs_prepare(const struct init_ctx *ctx, cx_error *err);
int rootfs_enter(const struct init_ctx *ctx, cx_error *err);
int rootfs_finish(const struct init_ctx *ctx, int console_slave, cx_error *err);

/* mounts.c */
int mounts_apply(const struct init_ctx *ctx, int rootfd, cx_error *err);
/* A /dev the config mounts read-only (not a bind): mounted writable by
 * mounts_apply, so that the default nodes, /dev/pts and the console can be
 * made in it, and made read-only by rootfs_finish, as runc does. */
bool mounts_dev_readonly_later(const struct oci_spec *spec);
/* devices.c */
int devices_create_default(int rootfd, cx_error *err);
int devices_create_config(const struct init_ctx *ctx, int rootfd, cx_error *err);
/* create.c, for a new user namespace (where mknod is refused): the nodes
 * of linux.devices made on the host in the container's state directory
 * (dev-N), each cloned as a detached mount (trees[i]) for the init to move
 * in place (a detached mount crosses into its mount namespace). */
int devices_prepare_host_nodes(const struct oci_spec *spec, int dirfd, int *trees,
                               cx_error *err);
void devices_close_host_nodes(int *trees, size_t n);
int paths_mask(const char **paths, cx_error *err);
int paths_readonly(const char **paths, cx_error *err);
int console_bind(int slave_fd, cx_error *err);

#endif
