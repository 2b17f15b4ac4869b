/* devices.c: /dev contents (default devices, symlinks, linux.devices, the
 * console) and masked / read-only paths. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/mountfd.h"
#include "runtime/rootfs.h"
#include "runtime/safepath.h"

static const struct {
    const char *name;
    unsigned major, minor;
} default_devices[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
    const char *target, *link;
} default_links[] = {
    { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    { "pts/ptmx", "ptmx" },
};

/* mknod, or -- where that is not allowed (user namespaces) -- a bind
 * mount of the host's device node on an empty file. */
static int make_device(int devfd, const char *name, mode_t type, mode_t mode,
                       dev_t dev, const char *host_path, cx_error *err)
{
    if (mknodat(devfd, name, type | mode, dev) == 0)
        return fchmodat(devfd, name, mode, 0) < 0
            ? cx_fail_errno(err, "chmod /dev/%s", name) : 0;
    if (errno == EEXIST)
        return 0;
    if (errno != EPERM)
        return cx_fail_errno(err, "mknod /dev/%s", name);
    _cleanup_close_ int f = openat(devfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
        return cx_fail_errno(err, "create /dev/%s", name);
    char p[32];
    sp_fd_path(f, p);
    if (mount(host_path, p, NULL, MS_BIND, NULL) < 0)
        return cx_fail_errno(err, "bind %s on /dev/%s", host_path, name);
    return 0;
}

int devices_prepare_host_nodes(const struct oci_spec *spec, int dirfd, int *trees,
                               cx_error *err)
{
    const struct oci_linux *l = spec->linux_;
    for (size_t i = 0; l && i < l->n_devices; i++)
        trees[i] = -1;
    for (size_t i = 0; l && i < l->n_devices; i++) {
        const struct oci_device *d = &l->devices[i];
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        char name[32];
        snprintf(name, sizeof name, "dev-%zu", i);
        if (mknodat(dirfd, name, type | 0600, makedev((unsigned) d->major,
                                                      (unsigned) d->minor)) < 0 ||
            fchmodat(dirfd, name, d->has_file_mode ? d->file_mode : 0666, 0) < 0 ||
            fchownat(dirfd, name, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, 0) < 0 ||
            (trees[i] = open_tree(dirfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0) {
            int e = errno;
            devices_close_host_nodes(trees, l->n_devices);
            return cx_fail(err, e, "linux.devices[%zu]: make %s on the host", i, d->path);
        }
    }
    return 0;
}

void devices_close_host_nodes(int *trees, size_t n)
{
    for (size_t i = 0; trees && i < n; i++)
        trees[i] = cx_close(trees[i]);
}

/* In a user namespace: the node create made on the host, as a detached
 * mount (devices_prepare_host_nodes), moved onto an empty file here. */
static int bind_prepared(int devfd, const char *name, int tree, const char *what,
                         cx_error *err)
{
    _cleanup_close_ int f = openat(devfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
        return cx_fail_errno(err, "create %s", what);
    if (move_mount(tree, "", f, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return cx_fail_errno(err, "bind the host's node on %s", what);
    return 0;
}

int devices_create_default(int rootfd, cx_error *err)
{
    _cleanup_close_ int devfd = sp_mkdir_open(rootfd, "/dev", 0755, err);
    if (devfd < 0)
        return -1;
    mode_t old = umask(0);
    for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
        char host[64];
        snprintf(host, sizeof host, "/dev/%s", default_devices[i].name);
        if (make_device(devfd, default_devices[i].name, S_IFCHR, 0666,
                        makedev(default_devices[i].major, default_devices[i].minor),
                        host, err) < 0) {
            umask(old);
            return -1;
        }
    }
    umask(old);
    for (size_t i = 0; i < sizeof default_links / sizeof default_links[0]; i++)
        if (symlinkat(default_links[i].target, devfd, default_links[i].link) < 0 &&
            errno != EEXIST)
            return cx_fail_errno(err, "symlink /dev/%s", default_links[i].link);
    /* /dev/core only where the kernel has a /proc/kcore, as runc does */
    if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
        errno != EEXIST)
        return cx_fail_errno(err, "symlink /dev/core");
    for (const char *d = "pts\0shm\0mqueue\0"; *d; d += strlen(d) + 1)
        if (mkdirat(devfd, d, 0755) < 0 && errno != EEXIST)
            return cx_fail_errno(err, "mkdir /dev/%s", d);
    return 0;
}

int devices_create_config(const struct init_ctx *ctx, int rootfd, cx_error *err)
{
    const struct oci_linux *l = ctx->spec->linux_;
    for (size_t i = 0; l && i < l->n_devices; i++) {
        const struct oci_device *d = &l->devices[i];
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        mode_t mode = d->has_file_mode ? d->file_mode : 0666;
        _cleanup_free_ char *copy = cx_strdup(d->path);
        char *slash = strrchr(copy, '/');
        *slash = '\0';
        _cleanup_close_ int dfd = sp_mkdir_open(rootfd, copy, 0755, err);
        if (dfd < 0)
            return -1;
        mode_t old = umask(0);
        int rc;
        if (ctx->device_trees && ctx->device_trees[i] >= 0)
            rc = bind_prepared(dfd, slash + 1, ctx->device_trees[i], d->path, err);
        else
            rc = make_device(dfd, slash + 1, type, mode,
                             makedev((unsigned) d->major, (unsigned) d->minor), d->path, err);
        umask(old);
        if (rc < 0)
            return cx_error_prefix(err, "linux.devices[%zu]", i);
        if ((d->has_uid || d->has_gid) &&
            fchownat(dfd, slash + 1, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                     AT_SYMLINK_NOFOLLOW) < 0)
            return cx_fail_errno(err, "linux.devices[%zu]: chown %s", i, d->path);
    }
    return 0;
}

int console_bind(int slave_fd, cx_error *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int f = sp_mkfile(root, "/dev/console", 0600, err);
    if (f < 0)
        return -1;
    /* an image's /dev/console linked elsewhere (/etc/passwd, a /proc file)
     * would get the pty bound over that file instead (CVE-2025-52565) */
    _cleanup_close_ int plain = sp_open_nosymlinks(root, "/dev/console", O_PATH);
    struct stat a, b;
    if (plain < 0 || fstat(plain, &a) < 0 || fstat(f, &b) < 0 ||
        a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return cx_fail(err, plain < 0 ? errno : 0, "/dev/console in the container is a "
                                                 "symlink: refusing to bind the console there");
    return mfd_bind(slave_fd, f, false, "/dev/console", err);
}

/* Masking binds /dev/null over files: first make sure the node we bind is
 * the real null device, then bind that very fd. */
static int open_dev_null(int rootfd, cx_error *err)
{
    struct stat st;
    int fd = sp_open(rootfd, "/dev/null", O_PATH);
    if (fd < 0)
        return cx_fail_errno(err, "open /dev/null");
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
        major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
        close(fd);
        return cx_fail(err, 0, "/dev/null in the container is not the null device (1:3)");
    }
    return fd;
}

int paths_mask(const char **paths, cx_error *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int null = -1;
    for (size_t i = 0; paths && paths[i]; i++) {
        /* through no symlink: a /proc swapped for one must not make a
         * mask miss (CVE-2019-19921) */
        _cleanup_close_ int fd = sp_open_nosymlinks(root, paths[i], O_PATH);
        struct stat st;
        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0 || fstat(fd, &st) < 0)
            return cx_fail_errno(err, "maskedPaths: open %s", paths[i]);
        if (S_ISDIR(st.st_mode)) {
            if (mfd_new_fs("tmpfs", MOUNT_ATTR_RDONLY, fd, paths[i], err) < 0)
                return cx_error_prefix(err, "maskedPaths");
            continue;
        }
        if (null < 0 && (null = open_dev_null(root, err)) < 0)
            return -1;
        if (mfd_bind(null, fd, false, paths[i], err) < 0)
            return cx_error_prefix(err, "maskedPaths");
    }
    return 0;
}

int paths_readonly(const char **paths, cx_error *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; paths && paths[i]; i++) {
        _cleanup_close_ int fd = sp_open_nosymlinks(root, paths[i], O_PATH);
        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0)
            return cx_fail_errno(err, "readonlyPaths: open %s", paths[i]);
        if (mfd_rebind_readonly(fd, paths[i], err) < 0)
            return cx_error_prefix(err, "readonlyPaths");
    }
    return 0;
}
