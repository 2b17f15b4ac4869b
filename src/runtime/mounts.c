/* mounts.c: the config's mounts, in order, each made on an fd resolved
 * inside the rootfs (see safepath.h). */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/copyup.h"
#include "runtime/mount_opts.h"
#include "runtime/mountfd.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Open (creating if needed) the mount target inside the rootfs: a file for
 * a bind of a non-directory, a directory otherwise. */
static int open_target(int rootfd, const char *dest, const char *src, cx_error *err)
{
    struct stat st;
    if (src && stat(src, &st) == 0 && !S_ISDIR(st.st_mode))
        return sp_mkfile(rootfd, dest, 0644, err);
    return sp_mkdir_all(rootfd, dest, 0755, err);
}

static int remount_flags(int rootfd, const char *dest, unsigned long flags,
                         unsigned long prop, cx_error *err)
{
    _cleanup_close_ int fd = sp_open(rootfd, dest, O_PATH);
    char p[32];
    if (fd < 0)
        return cx_fail_errno(err, "reopen mount %s", dest);
    sp_fd_path(fd, p);
    if (flags && mount(NULL, p, NULL, flags | MS_REMOUNT | MS_BIND, NULL) < 0)
        return cx_fail_errno(err, "remount %s", dest);
    if (prop && mount(NULL, p, NULL, prop, NULL) < 0)
        return cx_fail_errno(err, "set propagation of %s", dest);
    return 0;
}

static int mount_cgroup(const struct init_ctx *ctx, int rootfd, const struct oci_mount *m,
                        const struct mount_opts *o, cx_error *err)
{
    struct statfs sfs;
    if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
        _cleanup_close_ int fd = sp_mkdir_all(rootfd, m->destination, 0755, err);
        char p[32];
        if (fd < 0)
            return -1;
        sp_fd_path(fd, p);
        if (mount("cgroup2", p, "cgroup2", o->flags, NULL) < 0)
            return cx_fail_errno(err, "mount cgroup2 on %s", m->destination);
        return 0;
    }
    bool cgroupns = oci_spec_namespace(ctx->spec, CLONE_NEWCGROUP) != NULL;
    return cgroup_mount_v1(rootfd, m->destination, o->flags, cgroupns, err);
}

/* linux.mountLabel: the SELinux context of the filesystems capsa creates
 * (not proc and sysfs, which keep theirs); ignored without SELinux, as
 * crun does. */
static int add_mount_label(const struct init_ctx *ctx, const struct oci_mount *m,
                           struct mount_opts *o, cx_error *err)
{
    const char *label = ctx->spec->linux_ ? ctx->spec->linux_->mount_label : NULL;
    if (label == NULL || label[0] == '\0' || m->type == NULL ||
        strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0 ||
        access("/sys/fs/selinux/enforce", F_OK) < 0)
        return 0;
    size_t used = strlen(o->data);
    int n = snprintf(o->data + used, sizeof o->data - used, "%scontext=\"%s\"",
                     used ? "," : "", label);
    if (n < 0 || (size_t) n >= sizeof o->data - used)
        return cx_fail(err, 0, "linux.mountLabel: mount options too long for %s",
                       m->destination);
    return 0;
}

static int tmpfs_mode_of(int dir, struct mount_opts *o, const struct oci_mount *m,
                         cx_error *err)
{
    struct stat st;
    if (fstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || strncmp(o->data, "mode=", 5) == 0 ||
        strstr(o->data, ",mode=") != NULL)
        return 0;
    size_t used = strlen(o->data);
    int n = snprintf(o->data + used, sizeof o->data - used, "%smode=%04o", used ? "," : "",
                     (unsigned) (st.st_mode & 07777));
    if (n < 0 || (size_t) n >= sizeof o->data - used)
        return cx_fail(err, 0, "mount options too long for %s", m->destination);
    return 0;
}

/* Fill the new mount at dest with the tree of below, then make it
 * read-only if asked (it was mounted writable for the copy). The mount
 * takes the owner and mode of a directory the image has (below >= 0); on
 * one made for it, it keeps its own (mode=, else tmpfs's 1777), as in
 * runc: `podman run --tmpfs /scratch` is world-writable. */
static int copy_up(int rootfd, const char *dest, int below, unsigned long flags,
                   cx_error *err)
{
    _cleanup_close_ int top = sp_open(rootfd, dest, O_RDONLY | O_DIRECTORY);
    struct stat st;
    if (top < 0 || (below >= 0 && fstat(below, &st) < 0))
        return cx_fail_errno(err, "tmpcopyup: reopen %s", dest);
    if (below < 0)
        goto done;
    if (fchown(top, st.st_uid, st.st_gid) < 0 || fchmod(top, st.st_mode & 07777) < 0)
        return cx_fail_errno(err, "tmpcopyup: %s", dest);
    if (copy_tree(below, top, err) < 0)
        return cx_error_prefix(err, "%s", dest);
done:
    if (flags & MS_RDONLY)
        return remount_flags(rootfd, dest, flags & ~(unsigned long) MS_REMOUNT, 0, err);
    return 0;
}

/* proc and sysfs go on a directory reached through no symlink: through
 * one (an image's /proc -> /, or a directory swapped for a symlink while we
 * mount) the masked and read-only paths meant for them would miss
 * (CVE-2019-19921, CVE-2023-28642). */
static int open_plain_dir(int rootfd, const struct oci_mount *m, cx_error *err)
{
    int fd = sp_open_nosymlinks(rootfd, m->destination, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
        _cleanup_close_ int made = sp_mkdir_all(rootfd, m->destination, 0755, err);
        if (made < 0)
            return -1;
        fd = sp_open_nosymlinks(rootfd, m->destination, O_PATH | O_DIRECTORY);
    }
    if (fd < 0)
        return cx_fail_errno(err, "%s must be mounted on a directory of the rootfs, not "
                                  "through a symlink: %s", m->type, m->destination);
    return fd;
}

/* "/dev", "/dev/", "//dev" */
static bool is_dev(const char *dest)
{
    while (*dest == '/')
        dest++;
    return strncmp(dest, "dev", 3) == 0 && strspn(dest + 3, "/") == strlen(dest + 3);
}

static bool dev_readonly_later(const struct oci_mount *m, const struct mount_opts *o)
{
    return is_dev(m->destination) && (o->flags & MS_RDONLY) && !mount_is_bind(m, o);
}

bool mounts_dev_readonly_later(const struct oci_spec *spec)
{
    bool later = false;
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct mount_opts o;
        if (is_dev(spec->mounts[i].destination)) /* the last /dev mount counts */
            later = mount_opts_parse(spec->mounts[i].options, &o, NULL) == 0 &&
                    dev_readonly_later(&spec->mounts[i], &o);
    }
    return later;
}

static int mount_one(const struct init_ctx *ctx, int rootfd,
                     const struct oci_mount *m, cx_error *err)
{
    struct mount_opts o;
    if (mount_opts_parse(m->options, &o, err) < 0)
        return -1;
    if (dev_readonly_later(m, &o))
        o.flags &= ~(unsigned long) MS_RDONLY;
    if (m->type && strcmp(m->type, "cgroup") == 0)
        return mount_cgroup(ctx, rootfd, m, &o, err);
    bool bind = mount_is_bind(m, &o);
    _cleanup_free_ char *src = bind ? mount_bind_source(m, ctx->bundle) : NULL;
    if (bind && src == NULL)
        return cx_fail(err, 0, "bind mount on %s has no source", m->destination);
    /* tmpcopyup: is there an image directory to copy (or one made here)?
     * a tmpfs over one the image has takes its mode unless given mode=, as
     * in runc (`docker run --tmpfs /run` is not world-writable) */
    bool tmpfs = !bind && m->type && strcmp(m->type, "tmpfs") == 0;
    _cleanup_close_ int had = (o.copyup || tmpfs) && !bind
                                  ? sp_open(rootfd, m->destination, O_PATH) : -1;
    if (tmpfs && had >= 0 && tmpfs_mode_of(had, &o, m, err) < 0)
        return -1;
    bool plain = !bind && m->type &&
                 (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0);
    _cleanup_close_ int fd = plain ? open_plain_dir(rootfd, m, err)
                                   : open_target(rootfd, m->destination, src, err);
    if (fd < 0)
        return -1;
    char p[32];
    sp_fd_path(fd, p);
    if (bind) {
        unsigned long bflags = MS_BIND | (o.recursive ? MS_REC : 0);
        if (mount(src, p, NULL, bflags, NULL) < 0)
            return cx_fail_errno(err, "bind %s on %s", src, m->destination);
        unsigned long extra = o.flags & ~(unsigned long) MS_REMOUNT;
        return remount_flags(rootfd, m->destination, extra, o.propagation, err);
    }
    const char *source = m->source ? m->source : (m->type ? m->type : "none");
    if (add_mount_label(ctx, m, &o, err) < 0)
        return -1;
    /* tmpcopyup: keep a handle on what the tmpfs is about to cover */
    _cleanup_close_ int below = o.copyup && had >= 0
                                    ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (o.copyup && had >= 0 && below < 0)
        return cx_fail_errno(err, "tmpcopyup: open %s", m->destination);
    if (mount(source, p, m->type, o.flags & ~(o.copyup ? MS_RDONLY : 0),
              o.data[0] ? o.data : NULL) < 0)
        return cx_fail_errno(err, "mount %s (%s) on %s", source,
                             m->type ? m->type : "no type", m->destination);
    if (o.copyup && copy_up(rootfd, m->destination, below, o.flags, err) < 0)
        return -1;
    if (o.propagation)
        return remount_flags(rootfd, m->destination, 0, o.propagation, err);
    return 0;
}

/* rro, rnosuid, ...: on the mount at dest and every mount below it */
static int set_recursive(int rootfd, const struct oci_mount *m, cx_error *err)
{
    struct mount_opts o;
    if (mount_opts_parse(m->options, &o, err) < 0)
        return -1;
    if (o.rec_set == 0 && o.rec_clr == 0)
        return 0;
    _cleanup_close_ int fd = sp_open(rootfd, m->destination, O_PATH);
    if (fd < 0)
        return cx_fail_errno(err, "reopen mount %s", m->destination);
    return mfd_setattr(fd, o.rec_set, o.rec_clr, true, m->destination, err);
}

/* A bind prepared by create (idmap.h: idmapped, or any bind with a user
 * namespace): move it in place, then give it the mount's flags. */
static int mount_prepared(int rootfd, const struct oci_mount *m, int tree, cx_error *err)
{
    struct mount_opts o;
    if (mount_opts_parse(m->options, &o, err) < 0)
        return -1;
    struct stat st;
    if (fstat(tree, &st) < 0)
        return cx_fail_errno(err, "prepared mount %s", m->destination);
    _cleanup_close_ int fd = S_ISDIR(st.st_mode) ? sp_mkdir_all(rootfd, m->destination, 0755, err)
                                                 : sp_mkfile(rootfd, m->destination, 0644, err);
    if (fd < 0)
        return -1;
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return cx_fail_errno(err, "mount the prepared %s", m->destination);
    uint64_t set = (o.flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
                   (o.flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
                   (o.flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
                   (o.flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
                   (o.flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0);
    /* one atime mode replaces the clone's */
    uint64_t atime = o.flags & MS_NOATIME ? MOUNT_ATTR_NOATIME
                     : o.flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
                     : o.flags & MS_RELATIME ? MOUNT_ATTR_RELATIME : UINT64_MAX;
    uint64_t clr = 0;
    if (atime != UINT64_MAX) {
        set |= atime;
        clr = MOUNT_ATTR__ATIME;
    }
    _cleanup_close_ int top = sp_open(rootfd, m->destination, O_PATH);
    if ((set || clr) &&
        (top < 0 || mfd_setattr(top, set, clr, false, m->destination, err) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "reopen %s", m->destination);
    if (o.propagation)
        return remount_flags(rootfd, m->destination, 0, o.propagation, err);
    return 0;
}

int mounts_apply(const struct init_ctx *ctx, int rootfd, cx_error *err)
{
    for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
        const struct oci_mount *m = &ctx->spec->mounts[i];
        int tree = ctx->idmap_fds ? ctx->idmap_fds[i] : -1;
        cx_debug("mounts[%zu]: %s (%s) on %s%s", i, m->source ? m->source : "none",
                 m->type ? m->type : "no type", m->destination,
                 tree >= 0 ? ", prepared by the runtime" : "");
        if ((tree >= 0 ? mount_prepared(rootfd, m, tree, err) : mount_one(ctx, rootfd, m, err)) < 0 ||
            set_recursive(rootfd, m, err) < 0)
            return cx_error_prefix(err, "mounts[%zu]", i);
    }
    return 0;
}
