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

int sp_open(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long) (flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
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

int sp_mkdir_all(int rootfd, const char *path, mode_t mode, cx_error *err)
{
    int fd = sp_open(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return cx_fail_errno(err, "open %s in the container", path);
    _cleanup_free_ char *copy = cx_strdup(path);
    const char *leaf;
    const char *parent = split_leaf(copy, &leaf);
    if (strcmp(leaf, "..") == 0 || strcmp(leaf, ".") == 0)
        return cx_fail(err, EINVAL, "%s: refusing a path ending in %s", path, leaf);
    _cleanup_close_ int pfd = sp_mkdir_all(rootfd, parent, mode, err);
    if (pfd < 0)
        return -1;
    /* an O_PATH fd cannot mkdirat: reopen the resolved parent for real */
    char p[32];
    sp_fd_path(pfd, p);
    _cleanup_close_ int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "open %s in the container", parent);
    if (mkdirat(dfd, leaf, mode) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s in the container", path);
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
    _cleanup_close_ int pfd = sp_mkdir_all(rootfd, parent, 0755, err);
    if (pfd < 0)
        return -1;
    char p[32];
    sp_fd_path(pfd, p);
    _cleanup_close_ int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "open %s in the container", parent);
    int f = openat(dfd, leaf, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (f < 0 && errno != EEXIST)
        return cx_fail_errno(err, "create %s in the container", path);
    cx_close(f);
    fd = sp_open(rootfd, path, O_PATH);
    if (fd < 0)
        return cx_fail_errno(err, "open %s in the container", path);
    return fd;
}
