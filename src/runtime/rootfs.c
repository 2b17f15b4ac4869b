/* rootfs.c: see rootfs.h. */
#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
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
        if ((m->type && strcmp(m->type, "bind") == 0) ||
            (mount_opts_parse(m->options, &o, NULL) == 0 && o.bind))
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

static int move_root(const char *rootfs, cx_error *err)
{
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

int rootfs_prepare(const struct init_ctx *ctx, cx_error *err)
{
    const struct oci_spec *spec = ctx->spec;

    /* without a mount namespace of its own the container shares ours:
     * nothing is mounted, the init only chroots (rootfs_enter) */
    if (!rootfs_has_mount_ns(spec))
        return 0;
    /* host mounts reach in, ours never leak out; linux.rootfsPropagation
     * is applied once the root is in place (rootfs_finish): shared or
     * unbindable here would make pivot_root and the bind fail */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return cx_fail_errno(err, "set the propagation of /");
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
