/* copyup.c: see copyup.h. */
#include "runtime/copyup.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static int copy_data(int in, int out)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS)
            return -1;
        char buf[65536]; /* fall back to read + write */
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (cx_write_all(out, buf, (size_t) n) < 0)
                return -1;
        return n < 0 ? -1 : 0;
    }
}

static int copy_file(int src, int dst, const char *name, const struct stat *st)
{
    _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return -1;
    _cleanup_close_ int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                     O_CLOEXEC, st->st_mode & 07777);
    if (out < 0 || copy_data(in, out) < 0)
        return -1;
    return fchown(out, st->st_uid, st->st_gid) < 0 ? -1 : fchmod(out, st->st_mode & 07777);
}

static int copy_entry(int src, int dst, const char *name, dev_t dev, cx_error *err)
{
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return cx_fail_errno(err, "copy up: stat %s", name);
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != dev)
            return 0; /* another mount: not part of the image directory */
        _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || mkdirat(dst, name, st.st_mode & 07777) < 0)
            return cx_fail_errno(err, "copy up: directory %s", name);
        _cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0 || fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
            return cx_fail_errno(err, "copy up: directory %s", name);
        return copy_tree(s, d, err);
    } else if (S_ISREG(st.st_mode)) {
        rc = copy_file(src, dst, name, &st);
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, name, target, sizeof target - 1);
        if (n < 0)
            return cx_fail_errno(err, "copy up: readlink %s", name);
        target[n] = '\0';
        rc = symlinkat(target, dst, name);
    } else {
        rc = mknodat(dst, name, st.st_mode, st.st_rdev);
    }
    if (rc == 0 && !S_ISREG(st.st_mode))
        rc = fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    return rc < 0 ? cx_fail_errno(err, "copy up: copy %s", name) : 0;
}

int copy_tree(int src, int dst, cx_error *err)
{
    struct stat top;
    if (fstat(src, &top) < 0)
        return cx_fail_errno(err, "copy up: stat");
    int fd = dup(src);
    if (fd < 0)
        return cx_fail_errno(err, "copy up: dup");
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return cx_fail_errno(err, "copy up: read directory");
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (copy_entry(src, dst, de->d_name, top.st_dev, err) < 0)
            return -1;
    }
    return 0;
}
