/* layer_unpack.c: a layer unpacked once per chain ID, in layers/<hex>/diff.
 *
 * A layer is unpacked by the holder of its lock only, after its record
 * says "incomplete": a process killed while unpacking leaves that record,
 * which cx_store_repair() (or the next cx_layer_ensure) finds with the
 * lock free and undoes.  "complete" is written after syncfs. */
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
#include "image/unpack.h"

static int set_state(struct cx_store *s, const struct cx_layer_req *r, const char *state,
                     int64_t size, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char chain[CX_DIGEST_MAX], diff[CX_DIGEST_MAX], blob[CX_DIGEST_MAX];
    cx_digest_format(&r->chain_id, chain);
    cx_digest_format(&r->diff_id, diff);
    cx_digest_format(&r->blob, blob);
    if (cx_db_prepare(&s->db, "INSERT OR REPLACE INTO layers (chain_id, diff_id, blob_digest, "
                      "size, state, created) VALUES (?, ?, ?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, diff, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, blob, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, size);
    sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64) time(NULL));
    return cx_db_step_done(&s->db, st, err);
}

struct fdvec {
    int *fds;
    size_t n;
};

static void fdvec_free(struct fdvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        cx_close(v->fds[i]);
    free(v->fds);
}

static int make_dir(struct cx_store *s, const struct cx_digest *chain_id, int *fd, cx_error *err)
{
    char rel[80];
    snprintf(rel, sizeof rel, "%s/diff", chain_id->hex);
    if ((mkdirat(s->layersfd, chain_id->hex, 0700) < 0 && errno != EEXIST) ||
        mkdirat(s->layersfd, rel, 0755) < 0 ||
        (*fd = openat(s->layersfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return cx_fail_errno(err, "layer %.12s: make %s/layers/%s", chain_id->hex, s->root, rel);
    return 0;
}

static int unpack(struct cx_store *s, const struct cx_layer_req *r,
                  const struct cx_digest *lowers, size_t nlower, int64_t *size, cx_error *err)
{
    _cleanup_close_ int dirfd = -1, blobfd = -1;
    _cleanup_(fdvec_free) struct fdvec lowerfds = { cx_calloc(nlower + 1, sizeof(int)), 0 };
    for (; lowerfds.n < nlower; lowerfds.n++)
        if (cx_layer_open(s, &lowers[lowerfds.n], &lowerfds.fds[lowerfds.n], err) < 0)
            return -1;
    struct cx_unpack_opts opts = { .lower_fds = lowerfds.fds, .nlower = nlower, .devices = true,
                                   .max_bytes = s->layer_max_bytes,
                                   .max_entries = s->layer_max_entries };
    struct cx_unpack_stats stats = { 0 };
    /* the blob's digest was checked as it was stored (and by system
       check); the diff_id covers what is unpacked: hashing the compressed
       bytes again would cost a fifth of an unpack (bench/README.md) */
    if (make_dir(s, &r->chain_id, &dirfd, err) < 0 || cx_blob_open(s, &r->blob, &blobfd, err) < 0 ||
        cx_unpack_layer(blobfd, (enum cx_compression) r->comp, NULL, &r->diff_id, dirfd,
                        &opts, &stats, err) < 0 ||
        (CX_FAULT("layer extracted"), cx_unpack_syncfs(dirfd, err) < 0))
        return -1;
    *size = (int64_t) stats.bytes;
    return 0;
}

int cx_layer_ensure(struct cx_store *s, const struct cx_layer_req *r,
                    const struct cx_digest *lowers, size_t nlower, cx_error *err)
{
    _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
    int64_t size = 0;
    if (cx_lock_take(s->locksfd, "layer", r->chain_id.hex, true, &lock, err) < 0)
        return -1;
    if (cx_layer_complete(s, &r->chain_id))
        return 0;
    /* whatever a killed unpacker left: we hold the lock, it is stale */
    cx_rm_rf_at(s->layersfd, r->chain_id.hex);
    if (set_state(s, r, "incomplete", 0, err) < 0)
        return -1;
    CX_FAULT("layer recorded incomplete");
    if (r->fetch(r->ctx, err) < 0)
        return -1;
    if (unpack(s, r, lowers, nlower, &size, err) < 0) {
        cx_rm_rf_at(s->layersfd, r->chain_id.hex);
        return -1;
    }
    CX_FAULT("layer unpacked");
    if (set_state(s, r, "complete", size, err) < 0)
        return -1;
    CX_FAULT("layer complete");
    return 0;
}
