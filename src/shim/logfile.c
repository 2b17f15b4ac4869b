/* logfile.c: see logfile.h. */
#include "shim/logfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define TS_MAX 48
#define IOV_BATCH 64          /* records per writev */

size_t shim_log_timestamp(char *buf, size_t len, const struct timespec *ts)
{
    struct tm tm;
    time_t sec = ts->tv_sec;
    if (localtime_r(&sec, &tm) == NULL)
        gmtime_r(&sec, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (long) ts->tv_nsec, sign, off / 3600,
                     (off % 3600) / 60);
    return n < 0 ? 0 : (size_t) n < len ? (size_t) n : len - 1;
}

int shim_log_open(struct shim_log *l, const char *path, int64_t size_max,
                  int64_t global_max, cx_error *err)
{
    memset(l, 0, sizeof *l);
    l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0)
        return cx_fail_errno(err, "open log file %s", path);
    l->path = cx_strdup(path);
    l->size_max = size_max;
    l->global_max = global_max;
    off_t end = lseek(l->fd, 0, SEEK_END);
    l->written = end > 0 ? end : 0;
    return 0;
}

int shim_log_reopen(struct shim_log *l, bool truncate, cx_error *err)
{
    if (!l->path)
        return 0;
    _cleanup_free_ char *tmp = cx_asprintf("%s.tmp", l->path);
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    int fd = open(truncate ? tmp : l->path, flags, 0600);
    if (fd < 0)
        return cx_fail_errno(err, "reopen log file %s", l->path);
    if (truncate && rename(tmp, l->path) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return cx_fail(err, e, "rotate log file %s", l->path);
    }
    if (l->fd >= 0) {
        fsync(l->fd);
        /* a reader following the old file (the kubelet's, crictl logs -f)
         * may have seen its rename before the new file existed: a last
         * change of the old file's times, now that the new one is there,
         * wakes it to look again (inotify IN_ATTRIB) */
        futimens(l->fd, NULL);
        close(l->fd);
    }
    l->fd = fd;
    off_t end = lseek(fd, 0, SEEK_END);
    l->written = end > 0 ? end : 0;
    if (truncate)
        l->rotations++;
    return 0;
}

struct batch {
    struct iovec iov[IOV_BATCH * 4];
    int n;
    size_t bytes;
};

static int flush(struct shim_log *l, struct batch *b, cx_error *err)
{
    if (b->n == 0)
        return 0;
    size_t want = b->bytes;
    ssize_t w = writev(l->fd, b->iov, b->n);
    int e = errno;
    b->n = 0;
    b->bytes = 0;
    if (w == (ssize_t) want) {
        l->written += w;
        l->total += w;
        l->last_errno = 0;
        return 0;
    }
    /* a short write leaves a torn record: end it so the next one parses */
    if (w > 0) {
        l->written += w;
        l->total += w;
        (void) !write(l->fd, "\n", 1);
        e = ENOSPC;
    }
    l->dropped += want - (w > 0 ? (size_t) w : 0);
    l->last_errno = e;
    return cx_fail(err, e, "write log file %s", l->path);
}

static void add(struct batch *b, const void *p, size_t len)
{
    b->iov[b->n].iov_base = (void *) p;
    b->iov[b->n].iov_len = len;
    b->n++;
    b->bytes += len;
}

int shim_log_write(struct shim_log *l, enum shim_stream stream, const char *buf,
                   size_t len, const struct timespec *ts, cx_error *err)
{
    char prefix[TS_MAX + 16];
    size_t plen = shim_log_timestamp(prefix, TS_MAX, ts);
    plen += (size_t) snprintf(prefix + plen, sizeof prefix - plen, " %s ",
                              stream == SHIM_STDERR ? "stderr" : "stdout");
    struct batch b = { .n = 0 };
    int rc = 0;
    if (l->fd < 0 && shim_log_reopen(l, false, err) < 0) {
        l->dropped += len;
        return -1;
    }
    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t line = nl ? (size_t) (nl - buf) : len;
        size_t rec = plen + 2 + line + 1;
        if (l->global_max > 0 && l->total + (int64_t) (b.bytes + rec) > l->global_max)
            break;
        if (l->size_max > 0 && l->written + (int64_t) (b.bytes + rec) > l->size_max
            && l->written + (int64_t) b.bytes > 0) {
            if (flush(l, &b, err) < 0)
                rc = -1;
            if (shim_log_reopen(l, true, err) < 0)
                rc = -1;
        }
        add(&b, prefix, plen);
        add(&b, nl ? "F " : "P ", 2);
        add(&b, buf, line);
        add(&b, "\n", 1);
        buf += line + (nl ? 1 : 0);
        len -= line + (nl ? 1 : 0);
        if (b.n >= IOV_BATCH * 4 - 4 && flush(l, &b, err) < 0)
            rc = -1;
    }
    if (flush(l, &b, err) < 0)
        rc = -1;
    return rc;
}

void shim_log_sync(struct shim_log *l)
{
    if (l->fd >= 0)
        fsync(l->fd);
}

void shim_log_close(struct shim_log *l)
{
    l->fd = cx_close(l->fd);
    free(l->path);
    l->path = NULL;
}
