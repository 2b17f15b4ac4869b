/* mount.c: the cgroup v1 mount layout inside a container (see cgroup.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/internal.h"
#include "runtime/mountfd.h"
#include "runtime/safepath.h"

static int mount_one(int rootfd, const char *dest, const struct cg_hier *h,
                     unsigned long flags, bool cgroupns, cx_error *err)
{
    _cleanup_free_ char *tgt = cx_asprintf("%s/%s", dest, strrchr(h->mnt, '/') + 1);
    _cleanup_close_ int fd = sp_mkdir_all(rootfd, tgt, 0755, err);
    char p[32];
    if (fd < 0)
        return -1;
    sp_fd_path(fd, p);
    unsigned long fl = (flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~(unsigned long) MS_REMOUNT;
    if (cgroupns) {
        if (mount("cgroup", p, "cgroup", fl, h->ctrls) < 0)
            return cx_fail_errno(err, "mount cgroup %s on %s", h->ctrls, tgt);
        return 0;
    }
    /* our own cgroup, as the mount shows it (its root may not be /) */
    const char *rel = h->own;
    if (strcmp(h->root, "/") != 0 && cx_str_has_prefix(h->own, h->root))
        rel = h->own + strlen(h->root);
    _cleanup_free_ char *src = cx_asprintf("%s%s", h->mnt, strcmp(rel, "/") ? rel : "");
    if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "bind cgroup %s on %s", src, tgt);
    _cleanup_close_ int top = sp_open(rootfd, tgt, O_PATH);
    uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                     (fl & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
    if (top < 0)
        return cx_fail_errno(err, "reopen %s", tgt);
    return mfd_setattr(top, attrs, 0, false, tgt, err);
}

int cgroup_mount_v1(int rootfd, const char *dest, unsigned long flags, bool cgroupns,
                    cx_error *err)
{
    struct cg_layout l;
    _cleanup_close_ int fd = sp_mkdir_all(rootfd, dest, 0755, err);
    char p[32];
    if (fd < 0 || cg_layout_detect(&l, err) < 0)
        return -1;
    sp_fd_path(fd, p);
    if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return cx_fail_errno(err, "mount tmpfs on %s", dest);
    for (int i = 0; i < l.n; i++)
        if (!l.h[i].v2 && mount_one(rootfd, dest, &l.h[i], flags, cgroupns, err) < 0)
            return -1;
    if (!(flags & MS_RDONLY))
        return 0;
    _cleanup_close_ int top = sp_open(rootfd, dest, O_PATH);
    if (top < 0)
        return cx_fail_errno(err, "reopen %s", dest);
    return mfd_setattr(top, MOUNT_ATTR_RDONLY, 0, false, dest, err);
}
