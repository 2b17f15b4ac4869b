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
#include "common/util.h"
#include "runtime/copyup.h"
#include "runtime/mount_opts.h"
#include "runtime/mountfd.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_bind(const struct oci_mount *m, const struct mount_opts *o)
{
    return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

/* Resolve a bind source: relative sources are relative to the bundle. */
static char *bind_source(const struct init_ctx *ctx, const struct oci_mount *m)
{
    if (m->source == NULL)
        return NULL;
    if (m->source[0] == '/')
        return cx_strdup(m->source);
    return cx_asprintf("%s/%s", ctx->bundle, m->source);
}

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

/* cgroup v1 without a cgroup namespace: a tmpfs holding a read-only bind of
 * each controller's own cgroup directory, as runc lays it out. */
static int mount_cgroup_v1(int rootfd, const char *dest, unsigned long flags,
                           bool cgroupns, cx_error *err);

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
    return mount_cgroup_v1(rootfd, m->destination, o->flags, cgroupns, err);
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

/* Fill the new mount at dest with the tree of below, then make it
 * read-only if asked (it was mounted writable for the copy). */
static int copy_up(int rootfd, const char *dest, int below, unsigned long flags,
                   cx_error *err)
{
    _cleanup_close_ int top = sp_open(rootfd, dest, O_RDONLY | O_DIRECTORY);
    struct stat st;
    if (top < 0 || fstat(below, &st) < 0)
        return cx_fail_errno(err, "tmpcopyup: reopen %s", dest);
    if (fchown(top, st.st_uid, st.st_gid) < 0 || fchmod(top, st.st_mode & 07777) < 0)
        return cx_fail_errno(err, "tmpcopyup: %s", dest);
    if (copy_tree(below, top, err) < 0)
        return cx_error_prefix(err, "%s", dest);
    if (flags & MS_RDONLY)
        return remount_flags(rootfd, dest, flags & ~(unsigned long) MS_REMOUNT, 0, err);
    return 0;
}

static int mount_one(const struct init_ctx *ctx, int rootfd,
                     const struct oci_mount *m, cx_error *err)
{
    struct mount_opts o;
    if (mount_opts_parse(m->options, &o, err) < 0)
        return -1;
    if (m->type && strcmp(m->type, "cgroup") == 0)
        return mount_cgroup(ctx, rootfd, m, &o, err);
    bool bind = is_bind(m, &o);
    _cleanup_free_ char *src = bind ? bind_source(ctx, m) : NULL;
    if (bind && src == NULL)
        return cx_fail(err, 0, "bind mount on %s has no source", m->destination);
    _cleanup_close_ int fd = open_target(rootfd, m->destination, src, err);
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
    _cleanup_close_ int below = o.copyup ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (o.copyup && below < 0)
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

/* An idmapped bind, prepared by create (idmap.h): move it in place, then
 * give it the mount's flags. */
static int mount_idmapped(int rootfd, const struct oci_mount *m, int tree, cx_error *err)
{
    struct mount_opts o;
    if (mount_opts_parse(m->options, &o, err) < 0)
        return -1;
    struct stat st;
    if (fstat(tree, &st) < 0)
        return cx_fail_errno(err, "idmap: %s", m->destination);
    _cleanup_close_ int fd = S_ISDIR(st.st_mode) ? sp_mkdir_all(rootfd, m->destination, 0755, err)
                                                 : sp_mkfile(rootfd, m->destination, 0644, err);
    if (fd < 0)
        return -1;
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return cx_fail_errno(err, "mount the idmapped %s", m->destination);
    uint64_t set = (o.flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
                   (o.flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
                   (o.flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
                   (o.flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
    _cleanup_close_ int top = sp_open(rootfd, m->destination, O_PATH);
    if (set && (top < 0 || mfd_setattr(top, set, 0, false, m->destination, err) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "reopen %s", m->destination);
    return 0;
}

int mounts_apply(const struct init_ctx *ctx, int rootfd, cx_error *err)
{
    for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
        const struct oci_mount *m = &ctx->spec->mounts[i];
        int tree = ctx->idmap_fds ? ctx->idmap_fds[i] : -1;
        if ((tree >= 0 ? mount_idmapped(rootfd, m, tree, err) : mount_one(ctx, rootfd, m, err)) < 0 ||
            set_recursive(rootfd, m, err) < 0)
            return cx_error_prefix(err, "mounts[%zu]", i);
    }
    return 0;
}

/* One v1 hierarchy from /proc/self/mountinfo: where it is mounted and
 * which cgroup of ours it shows. */
static int bind_controller(int rootfd, const char *dest, const char *mnt,
                           const char *mnt_root, const char *own,
                           unsigned long flags, cx_error *err)
{
    const char *name = strrchr(mnt, '/') + 1;
    const char *rel = own;
    if (strcmp(mnt_root, "/") != 0 && cx_str_has_prefix(own, mnt_root))
        rel = own + strlen(mnt_root);
    _cleanup_free_ char *src = cx_asprintf("%s%s", mnt, rel);
    _cleanup_free_ char *tgt = cx_asprintf("%s/%s", dest, name);
    _cleanup_close_ int fd = sp_mkdir_all(rootfd, tgt, 0755, err);
    char p[32];
    if (fd < 0)
        return -1;
    sp_fd_path(fd, p);
    if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "bind cgroup %s on %s", src, tgt);
    return remount_flags(rootfd, tgt, (flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) &
                         ~(unsigned long) MS_REMOUNT, 0, err);
}

/* Our cgroup path in the hierarchy holding controller list `ctrls`. */
static char *own_cgroup(const char *ctrls)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c = strchr(line, ':');
        char *p = c ? strchr(c + 1, ':') : NULL;
        if (p == NULL)
            continue;
        *p = '\0';
        if (strcmp(c + 1, ctrls) == 0)
            return cx_strdup(p + 1);
    }
    return cx_strdup("/");
}

struct v1_hierarchy {
    char root[PATH_MAX], mnt[PATH_MAX];
    char ctrls[1024];   /* "cpu,cpuacct", "name=systemd": as /proc/self/cgroup names it */
};

static bool generic_option(const char *opt)
{
    static const char *const generic[] = { "rw", "ro", "clone_children", "noprefix",
                                           "xattr", "cpuset_v2_mode", NULL };
    for (const char *const *g = generic; *g; g++)
        if (strcmp(opt, *g) == 0)
            return true;
    return cx_str_has_prefix(opt, "release_agent=");
}

/* The next v1 hierarchy mounted under /sys/fs/cgroup in mountinfo. */
static bool next_v1_hierarchy(FILE *mi, struct v1_hierarchy *h)
{
    char line[4096], fstype[64], super[1024];
    while (fgets(line, sizeof line, mi)) {
        char *sep = strstr(line, " - ");
        if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", h->root, h->mnt) != 2 ||
            sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2 ||
            strcmp(fstype, "cgroup") != 0 || !cx_str_has_prefix(h->mnt, "/sys/fs/cgroup/"))
            continue;
        h->ctrls[0] = '\0';
        for (char *tok = strtok(super, ","); tok; tok = strtok(NULL, ",")) {
            if (generic_option(tok))
                continue;
            size_t used = strlen(h->ctrls);
            snprintf(h->ctrls + used, sizeof h->ctrls - used, "%s%s", used ? "," : "", tok);
        }
        return true;
    }
    return false;
}

/* In a cgroup namespace the hierarchy is mounted afresh: the kernel then
 * shows the namespace's root, the container's own cgroup. */
static int mount_controller(int rootfd, const char *dest, const struct v1_hierarchy *h,
                            unsigned long flags, cx_error *err)
{
    _cleanup_free_ char *tgt = cx_asprintf("%s/%s", dest, strrchr(h->mnt, '/') + 1);
    _cleanup_close_ int fd = sp_mkdir_all(rootfd, tgt, 0755, err);
    char p[32];
    if (fd < 0)
        return -1;
    sp_fd_path(fd, p);
    if (mount("cgroup", p, "cgroup", (flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) &
              ~(unsigned long) MS_REMOUNT, h->ctrls) < 0)
        return cx_fail_errno(err, "mount cgroup %s on %s", h->ctrls, tgt);
    return 0;
}

static int mount_cgroup_v1(int rootfd, const char *dest, unsigned long flags,
                           bool cgroupns, cx_error *err)
{
    _cleanup_close_ int fd = sp_mkdir_all(rootfd, dest, 0755, err);
    char p[32];
    struct v1_hierarchy h;
    if (fd < 0)
        return -1;
    sp_fd_path(fd, p);
    if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return cx_fail_errno(err, "mount tmpfs on %s", dest);
    _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
    if (mi == NULL)
        return cx_fail_errno(err, "open /proc/self/mountinfo");
    while (next_v1_hierarchy(mi, &h)) {
        if (cgroupns) {
            if (mount_controller(rootfd, dest, &h, flags, err) < 0)
                return -1;
            continue;
        }
        _cleanup_free_ char *own = own_cgroup(h.ctrls);
        if (bind_controller(rootfd, dest, h.mnt, h.root, own, flags, err) < 0)
            return -1;
    }
    if (flags & MS_RDONLY)
        return remount_flags(rootfd, dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             0, err);
    return 0;
}
