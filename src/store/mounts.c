/* mounts.c: an image's merged root filesystem, read-only, at
 * <runroot>/mounts/<id> (`capsactl image mount`): an overlay of its layer
 * directories, mounted by fd. */
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/mountfd.h"

bool cx_mount_root_at(int dirfd, const char *name)
{
    struct statx st;
    return statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) == 0 &&
           (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int mounts_dir(struct cx_store *s, cx_error *err)
{
    if (mkdirat(s->runrootfd, "mounts", 0700) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s/mounts", s->runroot);
    int fd = openat(s->runrootfd, "mounts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open %s/mounts", s->runroot);
    return fd;
}

bool cx_image_mounted(struct cx_store *s, const char *id)
{
    cx_error err = { 0 };
    _cleanup_close_ int dir = mounts_dir(s, &err);
    return dir >= 0 && cx_mount_root_at(dir, id);
}

int cx_image_lowers(struct cx_store *s, const struct cx_image_rec *r, char ***out,
                    cx_error *err)
{
    _cleanup_strv_ char **lowers = cx_calloc(r->nlayers + 1, sizeof(char *));
    for (size_t i = 0; i < r->nlayers; i++) {
        if (!cx_layer_complete(s, &r->layers[i]))
            return cx_fail(err, ENOENT, "image %.12s: layer %.12s is missing (run capsactl "
                           "system check --repair)", r->id, r->layers[i].hex);
        lowers[r->nlayers - 1 - i] = cx_layer_path(s, &r->layers[i]);
    }
    *out = TAKE_PTR(lowers);
    return 0;
}

int cx_image_mount(struct cx_store *s, const struct cx_image_rec *r, char **path, cx_error *err)
{
    _cleanup_close_ int dir = mounts_dir(s, err), target = -1;
    if (dir < 0)
        return -1;
    *path = cx_asprintf("%s/mounts/%s", s->runroot, r->id);
    if (cx_mount_root_at(dir, r->id))
        return 0;
    if (r->nlayers == 0)
        return cx_fail(err, EINVAL, "image %.12s has no layers to mount", r->id);
    _cleanup_strv_ char **lowers = NULL;
    if (cx_image_lowers(s, r, &lowers, err) < 0)
        return -1;
    if ((mkdirat(dir, r->id, 0755) < 0 && errno != EEXIST) ||
        (target = openat(dir, r->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return cx_fail_errno(err, "mkdir %s", *path);
    if (r->nlayers == 1) {
        /* overlay wants two layers when it has no upper: bind the one */
        _cleanup_close_ int src = open(lowers[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tree = src < 0 ? -1 : open_tree(src, "", OPEN_TREE_CLONE |
                                                            OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0 || mfd_setattr(tree, MOUNT_ATTR_RDONLY, 0, false, *path, err) < 0 ||
            move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH |
                       MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return err->msg[0] ? -1 : cx_fail_errno(err, "mount %s", *path);
        return 0;
    }
    return mfd_overlay((const char *const *) lowers, r->nlayers, NULL, NULL, target, *path,
                       err);
}

int cx_image_unmount(struct cx_store *s, const char *id, bool *was, cx_error *err)
{
    _cleanup_close_ int dir = mounts_dir(s, err);
    if (dir < 0)
        return -1;
    *was = cx_mount_root_at(dir, id);
    _cleanup_free_ char *path = cx_asprintf("%s/mounts/%s", s->runroot, id);
    if (*was && umount2(path, UMOUNT_NOFOLLOW) < 0 &&
        umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
        return cx_fail_errno(err, "unmount %s", path);
    if (unlinkat(dir, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "rmdir %s", path);
    return 0;
}
