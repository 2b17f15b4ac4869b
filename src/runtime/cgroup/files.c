/* files.c: reading and writing cgroup interface files. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"

int cg_write(const char *dir, const char *file, const char *value, cx_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return cx_fail_errno(err, "cgroup: open %s", path);
    ssize_t n;
    do
        n = write(fd, value, strlen(value));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return cx_fail_errno(err, "cgroup: write \"%s\" to %s", value, path);
    return 0;
}

int cg_writef(const char *dir, const char *file, cx_error *err, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    return cg_write(dir, file, value, err);
}

int cg_read(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int) n;
}

bool cg_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}
