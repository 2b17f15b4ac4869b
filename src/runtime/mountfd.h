/* mountfd.h: mounts made on file descriptors with the new mount API
 * (open_tree, move_mount, fsopen/fsmount, mount_setattr): no path is
 * looked up again between the check and the mount, and no /proc is needed,
 * so they serve after pivot_root, where /proc is the container's. */
#ifndef CAPSA_MOUNTFD_H
#define CAPSA_MOUNTFD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Bind what src refers to (file or directory) onto dst. */
int mfd_bind(int src, int dst, bool recursive, const char *what, cx_error *err);
/* A new filesystem (e.g. "tmpfs") with mount attributes, onto dst. */
int mfd_new_fs(const char *fstype, uint64_t attrs, int dst, const char *what,
               cx_error *err);
/* An overlay of lowers (top first; n >= 1), with upper and work when
 * upper is not NULL (else read-only), onto dst.  The layers are given one
 * by one ("lowerdir+", Linux 6.8), so their number is not bounded by the
 * size of one option string; older kernels get the joined string. */
int mfd_overlay(const char *const *lowers, size_t n, const char *upper, const char *work,
                int dst, const char *what, cx_error *err);
/* Change mount attributes (MOUNT_ATTR_*) of the mount at fd. */
int mfd_setattr(int fd, uint64_t set, uint64_t clr, bool recursive, const char *what,
                cx_error *err);
/* Bind path's mount onto itself read-only (readonlyPaths). */
int mfd_rebind_readonly(int fd, const char *what, cx_error *err);

#endif
