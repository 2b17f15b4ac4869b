/* rootfs.c: see rootfs.h. */
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/mount_opts.h"
#include "runtime/mountfd.h"
#include "runtime/sysctl.h"

static unsigned long propagation_flags(const char *name)
{
    struct mount_opts o;
    const char *opts[] = { name, NULL };
    if (name == NULL || mount_opts_parse(opts, &o, NULL) < 0 || !o.propagation)
        return MS_SLAVE | MS_REC; /* runc's default: host mounts reach in, not out */
    return o.propagation;
}

/* Default devices go into /dev unless the config binds a /dev from the
 * host (as runc decides). */
static bool dev_needs_setup(const struct oci_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct oci_mount *m = &spec->mounts[i];
        struct mount_opts o;
        if (strcmp(m->destination, "/dev") != 0)
            continue;
        if (mount_opts_parse(m->options, &o, NULL) == 0 && mount_is_bind(m, &o))
            return false;
    }
    return true;
}

static int pivot(const char *rootfs, cx_error *err)
{
    _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
        return cx_fail_errno(err, "open %s", rootfs);
    if (fchdir(newroot) < 0)
        return cx_fail_errno(err, "chdir %s", rootfs);
    /* pivot_root(".", "."): the old root ends up stacked under the new one */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return cx_fail_errno(err, "pivot_root %s", rootfs);
    if (fchdir(oldroot) < 0)
        return cx_fail_errno(err, "chdir to the old root");
    /* keep the unmount of the old root from propagating to the host */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "make the old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return cx_fail_errno(err, "unmount the old root");
    if (chdir("/") < 0)
        return cx_fail_errno(err, "chdir /");
    return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
    char *out = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *out++ = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

static bool inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A whole procfs or sysfs mounted outside the root filesystem: the mount
 * point of such a mountinfo line, or NULL. */
static char *revealing_mount(char *line, const char *rootfs)
{
    char root[PATH_MAX], mnt[PATH_MAX], fstype[32];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
        sscanf(sep + 3, "%31s", fstype) != 1)
        return NULL;
    if (strcmp(root, "/") != 0 || (strcmp(fstype, "proc") && strcmp(fstype, "sysfs")))
        return NULL;
    unescape_octal(mnt);
    return inside(mnt, rootfs) ? NULL : cx_strdup(mnt);
}

/* Without pivot_root the host's mount tree stays in the container's mount
 * namespace above its root.  The kernel lets a new procfs or sysfs be
 * mounted (with CAP_SYS_ADMIN in a user namespace of the container's) only
 * when one of the same kind is already fully visible in the namespace: the
 * host's /proc would be that one, although the container cannot reach it
 * after chroot.  So every whole procfs and sysfs outside the root is
 * detached first, or covered with an empty read-only tmpfs where it cannot
 * be; then only the container's own, with its masked paths, are left. */
static int hide_host_pseudo_fs(const char *rootfs, cx_error *err)
{
    _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
    if (mi == NULL)
        return cx_fail_errno(err, "--no-pivot: open /proc/self/mountinfo");
    _cleanup_strv_ char **mnts = NULL;
    size_t n = 0;
    char line[3 * PATH_MAX];
    while (fgets(line, sizeof line, mi)) {
        char *m = revealing_mount(line, rootfs);
        if (m) {
            mnts = cx_realloc(mnts, (n + 2) * sizeof *mnts);
            mnts[n++] = m;
            mnts[n] = NULL;
        }
    }
    while (n-- > 0) { /* the last mounted first: children before parents */
        if (mount(NULL, mnts[n], NULL, MS_SLAVE | MS_REC, NULL) < 0)
            continue; /* gone with a parent detached before it */
        if (umount2(mnts[n], MNT_DETACH) == 0)
            continue;
        if ((errno != EINVAL && errno != EPERM) ||
            mount("tmpfs", mnts[n], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0") < 0)
            return cx_fail_errno(err, "--no-pivot: hide the host's %s", mnts[n]);
    }
    return 0;
}

static int move_root(const char *rootfs, cx_error *err)
{
    if (hide_host_pseudo_fs(rootfs, err) < 0)
        return -1;
    if (chdir(rootfs) < 0)
        return cx_fail_errno(err, "chdir %s", rootfs);
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return cx_fail_errno(err, "move %s to /", rootfs);
    if (chroot(".") < 0 || chdir("/") < 0)
        return cx_fail_errno(err, "chroot %s", rootfs);
    return 0;
}

bool rootfs_has_mount_ns(const struct oci_spec *spec)
{
    return oci_spec_namespace(spec, CLONE_NEWNS) != NULL;
}

/* The mount point of the mount that holds path (the longest mount point
 * above it), made private: pivot_root refuses a new root whose mount or
 * parent mount is shared.  Only that mount: the others keep their peers. */
static int parent_private(const char *path, cx_error *err)
{
    _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
    if (mi == NULL)
        return cx_fail_errno(err, "open /proc/self/mountinfo");
    char line[3 * PATH_MAX], mnt[PATH_MAX], best[PATH_MAX] = "/";
    while (fgets(line, sizeof line, mi)) {
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
            continue;
        unescape_octal(mnt);
        if (inside(path, mnt) && strlen(mnt) >= strlen(best))
            snprintf(best, sizeof best, "%s", mnt);
    }
    if (mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
        return cx_fail_errno(err, "make %s private (for pivot_root)", best);
    return 0;
}

static bool root_shared(const struct oci_spec *spec)
{
    const struct oci_linux *l = spec->linux_;
    return l && l->rootfs_propagation &&
           (propagation_flags(l->rootfs_propagation) & MS_SHARED);
}

int rootfs_prepare(const struct init_ctx *ctx, cx_error *err)
{
    const struct oci_spec *spec = ctx->spec;

    /* without a mount namespace of its own the container shares ours:
     * nothing is mounted, the init only chroots (rootfs_enter) */
    if (!rootfs_has_mount_ns(spec))
        return 0;
    /* host mounts reach in, ours never leak out; linux.rootfsPropagation
     * is applied once the root is in place (rootfs_finish).  A shared one
     * keeps / shared (as runc does), so that a shared bind mount stays a
     * peer of the host's; only the mount holding the root is made
     * private, which pivot_root needs */
    bool shared = root_shared(spec);
    if (mount(NULL, "/", NULL, shared ? MS_SHARED | MS_REC : MS_SLAVE | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "set the propagation of /");
    if (shared && parent_private(ctx->rootfs, err) < 0)
        return -1;
    if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "bind the root filesystem %s", ctx->rootfs);
    _cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return cx_fail_errno(err, "open %s", ctx->rootfs);
    if (mounts_apply(ctx, rootfd, err) < 0)
        return -1;
    if (dev_needs_setup(spec) && devices_create_default(rootfd, err) < 0)
        return -1;
    return devices_create_config(ctx, rootfd, err);
}

static int chroot_only(const char *rootfs, cx_error *err)
{
    if (chroot(rootfs) < 0 || chdir("/") < 0)
        return cx_fail_errno(err, "chroot %s", rootfs);
    return 0;
}

int rootfs_enter(const struct init_ctx *ctx, cx_error *err)
{
    cx_debug("rootfs %s: %s", ctx->rootfs, !rootfs_has_mount_ns(ctx->spec) ? "chroot (no mount "
             "namespace)" : ctx->no_pivot ? "moved to / (--no-pivot)" : "pivot_root");
    if (!rootfs_has_mount_ns(ctx->spec))
        return chroot_only(ctx->rootfs, err);
    return ctx->no_pivot ? move_root(ctx->rootfs, err) : pivot(ctx->rootfs, err);
}

int rootfs_finish(const struct init_ctx *ctx, int console_slave, cx_error *err)
{
    const struct oci_linux *l = ctx->spec->linux_;
    if (!rootfs_has_mount_ns(ctx->spec))
        return sysctl_apply(ctx->spec, err); /* no mounts: they would be the host's */
    if (console_slave >= 0 && console_bind(console_slave, err) < 0)
        return -1;
    if (sysctl_apply(ctx->spec, err) < 0) /* before /proc/sys turns read-only */
        return -1;
    if (l && (paths_mask(l->masked_paths, err) < 0 ||
              paths_readonly(l->readonly_paths, err) < 0))
        return -1;
    if (mounts_dev_readonly_later(ctx->spec)) {
        _cleanup_close_ int dev = open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dev < 0 || mfd_setattr(dev, MOUNT_ATTR_RDONLY, 0, false, "/dev", err) < 0)
            return err->msg[0] ? -1 : cx_fail_errno(err, "open /dev");
    }
    if (ctx->spec->root_readonly) {
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0 || mfd_setattr(root, MOUNT_ATTR_RDONLY, 0, false, "/", err) < 0)
            return err->msg[0] ? cx_error_prefix(err, "root.readonly")
                               : cx_fail_errno(err, "open /");
    }
    if (l && l->rootfs_propagation &&
        mount(NULL, "/", NULL, propagation_flags(l->rootfs_propagation), NULL) < 0)
        return cx_fail_errno(err, "set rootfsPropagation %s", l->rootfs_propagation);
    return 0;
}
