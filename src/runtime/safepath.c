/* safepath.c: see safepath.h. */
#include "runtime/safepath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static int open_in_root(int rootfd, const char *path, int flags, unsigned long long resolve)
{
    struct open_how how = {
        .flags = (unsigned long long) (flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
    };
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    int fd;
    do
        fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    return fd;
}

int sp_open(int rootfd, const char *path, int flags)
{
    return open_in_root(rootfd, path, flags, 0);
}

int sp_open_nosymlinks(int rootfd, const char *path, int flags)
{
    return open_in_root(rootfd, path, flags, RESOLVE_NO_SYMLINKS);
}

void sp_fd_path(int fd, char buf[static 32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* Split "a/b/c" into parent "a/b" and leaf "c" (in place). */
static const char *split_leaf(char *path, const char **leaf)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *leaf = path;
        return "/";
    }
    *slash = '\0';
    *leaf = slash + 1;
    return path[0] ? path : "/";
}

/* The leaf of path is a dangling symlink in dfd: the path to create
 * instead, resolved as the kernel would inside the root (absolute targets
 * from the root, relative ones from the parent).  NULL if not a symlink. */
static char *symlink_target(int dfd, const char *parent, const char *leaf)
{
    char target[4096];
    ssize_t n = readlinkat(dfd, leaf, target, sizeof target - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    if (target[0] == '/')
        return cx_strdup(target);
    return cx_asprintf("%s/%s", parent, target);
}

static int mkdir_all(int rootfd, const char *path, mode_t mode, int depth,
                     cx_error *err);
static int mkdir_open(int rootfd, const char *path, mode_t mode, int depth,
                      cx_error *err);

int sp_mkdir_all(int rootfd, const char *path, mode_t mode, cx_error *err)
{
    return mkdir_all(rootfd, path, mode, 0, err);
}

/* mkdir_all, then a real directory fd (an O_PATH fd cannot mkdirat) */
static int mkdir_open(int rootfd, const char *path, mode_t mode, int depth,
                      cx_error *err)
{
    _cleanup_close_ int pfd = mkdir_all(rootfd, path, mode, depth, err);
    char p[32];
    if (pfd < 0)
        return -1;
    sp_fd_path(pfd, p);
    int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "open %s in the container", path);
    return dfd;
}

int sp_mkdir_open(int rootfd, const char *path, mode_t mode, cx_error *err)
{
    return mkdir_open(rootfd, path, mode, 0, err);
}

static int mkdir_all(int rootfd, const char *path, mode_t mode, int depth,
                     cx_error *err)
{
    if (depth > 40)
        return cx_fail(err, ELOOP, "create %s in the container", path);
    int fd = sp_open(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return cx_fail_errno(err, "open %s in the container", path);
    _cleanup_free_ char *copy = cx_strdup(path);
    const char *leaf;
    const char *parent = split_leaf(copy, &leaf);
    if (strcmp(leaf, "..") == 0 || strcmp(leaf, ".") == 0)
        return cx_fail(err, 0, "%s: refusing a path ending in %s", path, leaf);
    _cleanup_close_ int dfd = mkdir_open(rootfd, parent, mode, depth + 1, err);
    if (dfd < 0)
        return -1;
    if (mkdirat(dfd, leaf, mode) < 0) {
        if (errno != EEXIST)
            return cx_fail_errno(err, "mkdir %s in the container", path);
        _cleanup_free_ char *target = symlink_target(dfd, parent, leaf);
        if (target)  /* a dangling symlink: create what it points to, inside */
            return mkdir_all(rootfd, target, mode, depth + 1, err);
    }
    fd = sp_open(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd < 0)
        return cx_fail_errno(err, "open %s in the container", path);
    return fd;
}

int sp_mkfile(int rootfd, const char *path, mode_t mode, cx_error *err)
{
    int fd = sp_open(rootfd, path, O_PATH);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return cx_fail_errno(err, "open %s in the container", path);
    _cleanup_free_ char *copy = cx_strdup(path);
    const char *leaf;
    const char *parent = split_leaf(copy, &leaf);
    _cleanup_close_ int dfd = sp_mkdir_open(rootfd, parent, 0755, err);
    if (dfd < 0)
        return -1;
    int f = openat(dfd, leaf, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (f < 0 && errno != EEXIST)
        return cx_fail_errno(err, "create %s in the container", path);
    cx_close(f);
    fd = sp_open(rootfd, path, O_PATH);
    if (fd < 0)
        return cx_fail_errno(err, "open %s in the container", path);
    return fd;
}
