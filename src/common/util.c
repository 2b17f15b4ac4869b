/* util.c: see util.h. */
#include "common/util.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

static void oom(void)
{
    static const char msg[] = "capsa: out of memory\n";
    (void) !write(STDERR_FILENO, msg, sizeof msg - 1);
    abort();
}

int cx_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || !isdigit((unsigned char) *s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cx_parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || isspace((unsigned char) *s))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cx_parse_int(const char *s, int *out)
{
    int64_t v;
    if (cx_parse_i64(s, &v) < 0 || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int) v;
    return 0;
}

char *cx_strdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        oom();
    return d;
}

char *cx_asprintf(const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return s;
}

void *cx_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom();
    return p;
}

void *cx_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        oom();
    return q;
}

bool cx_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t cx_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void cx_strv_free(char **v)
{
    cx_strv_freep(&v);
}

void cx_strv_push(char ***v, char *s)
{
    size_t n = cx_strv_len(*v);
    *v = cx_realloc(*v, (n + 2) * sizeof **v);
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

int cx_read_file_at(int dirfd, const char *path, size_t max, char **out,
                    size_t *len, cx_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cx_fail_errno(err, "open %s", path);
    return cx_read_fd(fd, path, max, out, len, err);
}

int cx_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, cx_error *err)
{
    /* one byte more than max is read to tell "exactly max" from "more" */
    size_t cap = max < 4096 ? max + 1 : 4096, n = 0;
    _cleanup_free_ char *buf = malloc(cap + 1);
    if (buf == NULL)
        oom();
    for (;;) {
        if (n == cap) {
            if (cap > max)
                return cx_fail(err, EFBIG, "read %s: larger than %zu bytes", path, max);
            cap = cap * 2 > max ? max + 1 : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL)
                oom();
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return cx_fail_errno(err, "read %s", path);
        }
        if (r == 0)
            break;
        n += (size_t) r;
    }
    if (n > max)
        return cx_fail(err, EFBIG, "read %s: larger than %zu bytes", path, max);
    buf[n] = '\0';
    if (len)
        *len = n;
    *out = TAKE_PTR(buf);
    return 0;
}

int cx_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

int cx_write_file_atomic_at(int dirfd, const char *name, const void *data,
                            size_t len, mode_t mode, cx_error *err)
{
    _cleanup_free_ char *tmp = cx_asprintf(".%s.tmp.%d", name, (int) getpid());
    _cleanup_close_ int fd = openat(dirfd, tmp,
        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return cx_fail_errno(err, "create %s", tmp);
    if (cx_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return cx_fail(err, e, "write %s", name);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return cx_fail(err, e, "rename %s", name);
    }
    return 0;
}

int cx_rm_rf_at(int dirfd, const char *name)
{
    struct stat st, parent;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    if (fstat(dirfd, &parent) == 0 && parent.st_dev != st.st_dev) {
        errno = EBUSY; /* a mount point: never descend into it */
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (cx_rm_rf_at(fd, de->d_name) < 0)
            rc = -1;
    }
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int cx_mkdir_p(const char *path, mode_t mode, cx_error *err)
{
    _cleanup_free_ char *p = cx_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return cx_fail_errno(err, "mkdir %s", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s", p);
    return 0;
}

void cx_user_name(uid_t uid, char *buf, size_t len)
{
    char line[1024];
    buf[0] = '\0';
    FILE *f = fopen("/etc/passwd", "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f)) {
        /* name:password:uid:... */
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
        if (c3 == NULL)
            continue;
        *c1 = *c3 = '\0';
        int64_t v;
        if (cx_parse_i64(c2 + 1, &v) == 0 && v == (int64_t) uid) {
            snprintf(buf, len, "%s", line);
            break;
        }
    }
    fclose(f);
}

const char *cx_printable(const char *s, char buf[static 112])
{
    size_t i = 0;
    for (; s[i] && i < 100; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    strcpy(buf + i, s[i] ? "..." : "");
    return buf;
}
