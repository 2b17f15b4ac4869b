/* rootfs.c: see rootfs.h. */
#include "engine/rootfs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/mountfd.h"

static bool is_mount_root(int dirfd, const char *name)
{
    struct statx st;
    return statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) == 0 &&
           (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool cx_ctr_rootfs_mounted(struct cx_engine *e, const char *id)
{
    cx_error err = { 0 };
    _cleanup_close_ int run = cx_engine_run_dir(e, id, false, &err);
    return run >= 0 && is_mount_root(run, "rootfs");
}

static int make_dir(int dirfd, const char *name, const char *what, cx_error *err)
{
    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s", what);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? cx_fail_errno(err, "open %s", what) : fd;
}

int cx_ctr_rootfs_mount(struct cx_engine *e, const char *id, const struct cx_image_rec *img,
                        char **path, cx_error *err)
{
    struct cx_store *s = &e->store;
    _cleanup_close_ int run = cx_engine_run_dir(e, id, true, err), ctr = -1, target = -1;
    _cleanup_close_ int upperfd = -1, workfd = -1;
    if (run < 0 || (ctr = cx_engine_ctr_dir(e, id, true, err)) < 0)
        return -1;
    *path = cx_engine_run_path(e, id, "rootfs");
    if (is_mount_root(run, "rootfs"))
        return 0;
    _cleanup_free_ char *upper = cx_engine_ctr_path(e, id, "upper");
    _cleanup_free_ char *work = cx_engine_ctr_path(e, id, "work");
    if ((upperfd = make_dir(ctr, "upper", upper, err)) < 0 ||
        (workfd = make_dir(ctr, "work", work, err)) < 0 ||
        (target = make_dir(run, "rootfs", *path, err)) < 0)
        return -1;
    /* the upper is the container's "/": root-owned 0755 unless the image says */
    if (fchmod(upperfd, 0755) < 0)
        return cx_fail_errno(err, "chmod %s", upper);
    _cleanup_strv_ char **lowers = cx_calloc(img->nlayers + 1, sizeof(char *));
    for (size_t i = 0; i < img->nlayers; i++) {
        if (!cx_layer_complete(s, &img->layers[i]))
            return cx_fail(err, ENOENT, "image %.12s: layer %.12s is missing (run capsactl "
                           "system check --repair)", img->id, img->layers[i].hex);
        lowers[img->nlayers - 1 - i] = cx_layer_path(s, &img->layers[i]);
    }
    if (img->nlayers == 0)
        return cx_fail(err, EINVAL, "image %.12s has no layers", img->id);
    return mfd_overlay((const char *const *) lowers, img->nlayers, upper, work, target, *path,
                       err);
}

int cx_ctr_rootfs_unmount(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_close_ int run = openat(e->runctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC);
    if (run < 0)
        return 0;
    _cleanup_free_ char *path = cx_engine_run_path(e, id, "rootfs");
    for (int i = 0; i < 8 && is_mount_root(run, "rootfs"); i++)
        if (umount2(path, UMOUNT_NOFOLLOW) < 0 &&
            umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
            return cx_fail_errno(err, "unmount %s", path);
    if (unlinkat(run, "rootfs", AT_REMOVEDIR) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "rmdir %s", path);
    return 0;
}
