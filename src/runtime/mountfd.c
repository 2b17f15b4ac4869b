/* mountfd.c: see mountfd.h. */
#include "runtime/mountfd.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/cleanup.h"

static int move_onto(int tree, int dst, const char *what, cx_error *err)
{
    if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return cx_fail_errno(err, "mount on %s", what);
    return 0;
}

int mfd_bind(int src, int dst, bool recursive, const char *what, cx_error *err)
{
    _cleanup_close_ int tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                         AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
        return cx_fail_errno(err, "clone the mount for %s", what);
    return move_onto(tree, dst, what, err);
}

int mfd_new_fs(const char *fstype, uint64_t attrs, int dst, const char *what,
               cx_error *err)
{
    _cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return cx_fail_errno(err, "create a %s for %s", fstype, what);
    _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned) attrs);
    if (mnt < 0)
        return cx_fail_errno(err, "mount a %s for %s", fstype, what);
    return move_onto(mnt, dst, what, err);
}

static int overlay_joined(int fs, const char *const *lowers, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lowers[i]) + 1;
    _cleanup_free_ char *joined = calloc(1, len);
    if (!joined)
        return errno = ENOMEM, -1;
    for (size_t i = 0; i < n; i++) {
        if (strchr(lowers[i], ':') || strchr(lowers[i], ','))
            return errno = EINVAL, -1;
        strcat(joined, lowers[i]);
        if (i + 1 < n)
            strcat(joined, ":");
    }
    return fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", joined, 0);
}

/* A new overlay context for lowers (one by one, or joined), upper and
 * work, created; its fd, or -1 with errno. */
static int overlay_created(const char *const *lowers, size_t n, const char *upper,
                           const char *work, bool one_by_one)
{
    _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; one_by_one && i < n && rc == 0; i++)
        rc = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0);
    if (!one_by_one)
        rc = overlay_joined(fs, lowers, n);
    if (rc == 0 && upper)
        rc = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
                     fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ? -1 : 0;
    if (rc < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    return TAKE_FD(fs);
}

int mfd_overlay(const char *const *lowers, size_t n, const char *upper, const char *work,
                int dst, const char *what, cx_error *err)
{
    /* Before 6.8 there is no "lowerdir+": the kernel refuses it when it is
     * set, or (overlayfs before 6.5 takes options as one legacy string)
     * only when the context is created; either way EINVAL, and the
     * joined string is tried in a new context. */
    _cleanup_close_ int fs = overlay_created(lowers, n, upper, work, true);
    if (fs < 0 && errno == EINVAL)
        fs = overlay_created(lowers, n, upper, work, false);
    if (fs < 0)
        return cx_fail_errno(err, "overlay for %s (%zu lower layers%s%s)", what, n,
                             upper ? ", upper " : "", upper ? upper : "");
    _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY);
    if (mnt < 0)
        return cx_fail_errno(err, "overlay for %s: mount", what);
    return move_onto(mnt, dst, what, err);
}

int mfd_setattr(int fd, uint64_t set, uint64_t clr, bool recursive, const char *what,
                cx_error *err)
{
    struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) < 0)
        return cx_fail_errno(err, "set the mount attributes of %s", what);
    return 0;
}

int mfd_rebind_readonly(int fd, const char *what, cx_error *err)
{
    _cleanup_close_ int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                         AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
        return cx_fail_errno(err, "clone the mount of %s", what);
    if (mfd_setattr(tree, MOUNT_ATTR_RDONLY, 0, true, what, err) < 0)
        return -1;
    return move_onto(tree, fd, what, err);
}
