/* blobs.c: content-addressed blobs.  A blob is written to an O_TMPFILE in
 * blobs/sha256 (nothing to clean up if the writer dies), hashed as it is
 * written, checked against its digest and size, fsynced, linked under its
 * hex name, and only then recorded.  Only sha256 blobs are stored. */
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"

static int check_alg(const struct cx_digest *d, cx_error *err)
{
    if (d->alg != CX_SHA256)
        return cx_fail(err, ENOTSUP, "blob %s:%.12s: only sha256 blobs are stored",
                       cx_digest_alg_name(d->alg), d->hex);
    return 0;
}

bool cx_blob_exists(struct cx_store *s, const struct cx_digest *d)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char ds[CX_DIGEST_MAX];
    struct stat sb;
    cx_error err = { 0 };
    cx_digest_format(d, ds);
    if (d->alg != CX_SHA256 ||
        cx_db_prepare(&s->db, "SELECT size FROM blobs WHERE digest = ?", &st, &err) < 0)
        return false;
    sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
    return sqlite3_step(st) == SQLITE_ROW &&
           fstatat(s->blobsfd, d->hex, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
           sb.st_size == sqlite3_column_int64(st, 0);
}

int cx_blob_begin(struct cx_store *s, const struct cx_digest *d, int64_t size,
                  const char *media_type, struct cx_blob_writer *w, bool *exists,
                  cx_error *err)
{
    memset(w, 0, sizeof *w);
    w->fd = w->lock.fd = -1;
    if (check_alg(d, err) < 0)
        return -1;
    w->s = s, w->want = *d, w->size = size, w->media_type = media_type;
    if (cx_lock_take(s->locksfd, "blob", d->hex, true, &w->lock, err) < 0)
        return -1;
    *exists = cx_blob_exists(s, d);
    if (*exists) {
        cx_blob_abort(w);
        return 0;
    }
    w->fd = openat(s->blobsfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        cx_blob_abort(w);
        return cx_fail_errno(err, "blob %s: create a temporary file in %s/blobs", d->hex,
                             s->root);
    }
    return cx_hasher_init(&w->h, CX_SHA256, err) < 0 ? (cx_blob_abort(w), -1) : 0;
}

int cx_blob_write(struct cx_blob_writer *w, const void *buf, size_t len, cx_error *err)
{
    if (w->size >= 0 && w->written + len > (uint64_t) w->size)
        return cx_fail(err, EFBIG, "blob sha256:%.12s: more than its declared %lld bytes",
                       w->want.hex, (long long) w->size);
    if (cx_write_all(w->fd, buf, len) < 0)
        return cx_fail_errno(err, "blob sha256:%.12s: write", w->want.hex);
    cx_hasher_update(&w->h, buf, len);
    w->written += len;
    return 0;
}

int cx_blob_reset(struct cx_blob_writer *w, cx_error *err)
{
    if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
        return cx_fail_errno(err, "blob sha256:%.12s: truncate", w->want.hex);
    w->written = 0;
    return cx_hasher_init(&w->h, CX_SHA256, err);
}

/* "remove this blob unless it is recorded": written before the file is
 * linked in place, dropped once it is recorded, so a process killed in
 * between leaves work for cx_store_repair, not an orphan file */
static int intent(struct cx_store *s, const struct cx_digest *d, bool on, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    if (cx_db_prepare(&s->db, on ? "INSERT OR IGNORE INTO removals (kind, key) VALUES ('blob', ?)"
                                 : "DELETE FROM removals WHERE kind = 'blob' AND key = ?",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
    return cx_db_step_done(&s->db, st, err);
}

static int record(struct cx_store *s, const struct cx_digest *d, uint64_t size,
                  const char *media_type, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char ds[CX_DIGEST_MAX];
    cx_digest_format(d, ds);
    if (cx_db_prepare(&s->db, "INSERT OR REPLACE INTO blobs (digest, size, media_type, created) "
                      "VALUES (?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) size);
    sqlite3_bind_text(st, 3, media_type ? media_type : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64) time(NULL));
    return cx_db_step_done(&s->db, st, err);
}

int cx_blob_commit(struct cx_blob_writer *w, cx_error *err)
{
    char what[64], fdpath[32];
    snprintf(what, sizeof what, "blob sha256:%.12s", w->want.hex);
    if (w->size >= 0 && w->written != (uint64_t) w->size)
        return cx_fail(err, EBADMSG, "%s: %llu bytes, expected %lld (truncated)", what,
                       (unsigned long long) w->written, (long long) w->size);
    if (cx_hasher_verify(&w->h, &w->want, what, err) < 0)
        return -1;
    CX_FAULT("blob written");
    if (fsync(w->fd) < 0)
        return cx_fail_errno(err, "%s: fsync", what);
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", w->fd);
    /* a file without a record is what a process killed after this link
       left: we hold the lock, so it is stale */
    unlinkat(w->s->blobsfd, w->want.hex, 0);
    if (intent(w->s, &w->want, true, err) < 0)
        return -1;
    if (linkat(AT_FDCWD, fdpath, w->s->blobsfd, w->want.hex, AT_SYMLINK_FOLLOW) < 0)
        return cx_fail_errno(err, "%s: link into %s/blobs", what, w->s->root);
    if (fsync(w->s->blobsfd) < 0)
        return cx_fail_errno(err, "%s: fsync blobs/", what);
    CX_FAULT("blob linked");
    if (record(w->s, &w->want, w->written, w->media_type, err) < 0 ||
        intent(w->s, &w->want, false, err) < 0)
        return -1;
    cx_blob_abort(w);
    return 0;
}

void cx_blob_abort(struct cx_blob_writer *w)
{
    w->fd = cx_close(w->fd);
    cx_hasher_free(&w->h);
    cx_lock_release(&w->lock);
}

int cx_blob_put(struct cx_store *s, const struct cx_digest *d, const void *buf, size_t len,
                const char *media_type, cx_error *err)
{
    struct cx_blob_writer w;
    bool exists;
    if (cx_blob_begin(s, d, (int64_t) len, media_type, &w, &exists, err) < 0)
        return -1;
    if (exists)
        return 0;
    int rc = cx_blob_write(&w, buf, len, err) < 0 || cx_blob_commit(&w, err) < 0 ? -1 : 0;
    cx_blob_abort(&w);
    return rc;
}

int cx_blob_open(struct cx_store *s, const struct cx_digest *d, int *fd, cx_error *err)
{
    if (check_alg(d, err) < 0)
        return -1;
    *fd = openat(s->blobsfd, d->hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        return cx_fail_errno(err, "blob sha256:%s: open (run capsactl system check)", d->hex);
    return 0;
}

int cx_blob_read(struct cx_store *s, const struct cx_digest *d, size_t max, char **buf,
                 size_t *len, cx_error *err)
{
    struct cx_digest got;
    if (check_alg(d, err) < 0 || cx_read_file_at(s->blobsfd, d->hex, max, buf, len, err) < 0)
        return -1;
    /* small blobs are parsed: check that the disk still holds what was stored */
    if (cx_digest_buffer(CX_SHA256, *buf, *len, &got, err) == 0 && cx_digest_equal(&got, d))
        return 0;
    free(*buf);
    *buf = NULL;
    return cx_fail(err, EBADMSG, "blob sha256:%s is corrupted on disk (run capsactl "
                   "system check --repair)", d->hex);
}
