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

bool cx_ctr_rootfs_mounted(struct cx_engine *e, const char *id)
{
    cx_error err = { 0 };
    _cleanup_close_ int run = cx_engine_run_dir(e, id, false, &err);
    return run >= 0 && cx_mount_root_at(run, "rootfs");
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
    if (cx_mount_root_at(run, "rootfs"))
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
    _cleanup_strv_ char **lowers = NULL;
    if (img->nlayers == 0)
        return cx_fail(err, EINVAL, "image %.12s has no layers", img->id);
    if (cx_image_lowers(s, img, &lowers, err) < 0)
        return -1;
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
    for (int i = 0; i < 8 && cx_mount_root_at(run, "rootfs"); i++)
        if (umount2(path, UMOUNT_NOFOLLOW) < 0 &&
            umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
            return cx_fail_errno(err, "unmount %s", path);
    if (unlinkat(run, "rootfs", AT_REMOVEDIR) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "rmdir %s", path);
    return 0;
}
