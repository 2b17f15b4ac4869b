/* repair.c: crash recovery and collection.
 *
 * Every multi-step change is recorded before it starts: an image being
 * written is "incomplete" (its owner holds image-<id>), a layer being
 * unpacked is "incomplete" (its owner holds layer-<hex>), a layer or blob
 * whose record was dropped has a row in `removals` until its files are
 * gone.  A lock that can be taken means its owner died: the next process
 * to open the store undoes the incomplete object, carries out the removal,
 * and collects what nothing refers to any more. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* key: "sha256:<hex>"; the hex was checked when the record was made, and
 * again here before it names a file */
static int remove_one(struct cx_store *s, const char *kind, const char *key, cx_error *err)
{
    struct cx_digest d;
    bool layer = strcmp(kind, "layer") == 0, found;
    _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
    if (cx_digest_parse(key, &d, "store: removal", err) < 0)
        return -1;
    int busy = cx_lock_take(s->locksfd, kind, d.hex, false, &lock, err);
    if (busy != 0)
        return busy < 0 ? -1 : 0;  /* in use: left for later */
    /* recreated since it was dropped: keep it */
    if (cx_db_exists(&s->db, layer ? "SELECT 1 FROM layers WHERE chain_id = ?"
                                   : "SELECT 1 FROM blobs WHERE digest = ?", key, &found, err) < 0)
        return -1;
    if (!found) {
        if (layer && cx_rm_rf_at(s->layersfd, d.hex) < 0 && errno != ENOENT)
            return cx_fail_errno(err, "layer %.12s: remove %s/layers/%s", d.hex, s->root, d.hex);
        if (!layer && unlinkat(s->blobsfd, d.hex, 0) < 0 && errno != ENOENT)
            return cx_fail_errno(err, "blob %.12s: remove", d.hex);
    }
    return cx_db_run(&s->db, "DELETE FROM removals WHERE kind = ? AND key = ?", kind, key, err);
}

static int carry_out_removals(struct cx_store *s, cx_error *err)
{
    _cleanup_strv_ char **rows = NULL;
    size_t n;
    if (cx_db_texts(&s->db, "SELECT kind || ' ' || key FROM removals", NULL, &rows, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *sp = strchr(rows[i], ' ');
        if (!sp)
            continue;
        *sp = '\0';
        if (remove_one(s, rows[i], sp + 1, err) < 0)
            return -1;
    }
    return 0;
}

int cx_store_gc(struct cx_store *s, cx_error *err)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO removals (kind, key) SELECT 'layer', chain_id FROM layers "
        "  WHERE chain_id NOT IN (SELECT chain_id FROM image_layers);"
        "DELETE FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers);"
        "INSERT OR IGNORE INTO removals (kind, key) SELECT 'blob', digest FROM blobs "
        "  WHERE digest NOT IN (SELECT digest FROM image_blobs);"
        "DELETE FROM blobs WHERE digest NOT IN (SELECT digest FROM image_blobs);";
    if (cx_db_begin(&s->db, err) < 0)
        return -1;
    if (cx_db_exec(&s->db, sql, err) < 0 || cx_db_commit(&s->db, err) < 0) {
        cx_db_rollback(&s->db);
        return -1;
    }
    return carry_out_removals(s, err);
}

/* An incomplete image whose lock is free was left by a process that
 * died: drop its record (its layers and blobs go with the collection). */
static int drop_abandoned_images(struct cx_store *s, int *dropped, cx_error *err)
{
    _cleanup_strv_ char **ids = NULL;
    size_t n;
    if (cx_db_texts(&s->db, "SELECT id FROM images WHERE state = 'incomplete'", NULL, &ids, &n,
                    err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
        bool still;
        if (strlen(ids[i]) != 64 || strspn(ids[i], "0123456789abcdef") != 64)
            continue;
        int busy = cx_lock_take(s->locksfd, "image", ids[i], false, &lock, err);
        if (busy < 0)
            return -1;
        if (busy ||
            cx_db_exists(&s->db, "SELECT 1 FROM images WHERE id = ? AND state = 'incomplete'",
                         ids[i], &still, err) < 0)
            continue;
        if (still && cx_db_run(&s->db, "DELETE FROM images WHERE id = ?", ids[i], NULL, err) < 0)
            return -1;
        *dropped += still;
    }
    return 0;
}

/* An incomplete layer whose lock is free: remove what was unpacked. */
static int drop_abandoned_layers(struct cx_store *s, cx_error *err)
{
    _cleanup_strv_ char **keys = NULL;
    size_t n;
    if (cx_db_texts(&s->db, "SELECT chain_id FROM layers WHERE state = 'incomplete'", NULL,
                    &keys, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
        struct cx_digest d;
        bool still;
        if (cx_digest_parse(keys[i], &d, "store: layer", err) < 0)
            return -1;
        int busy = cx_lock_take(s->locksfd, "layer", d.hex, false, &lock, err);
        if (busy < 0)
            return -1;
        if (busy || cx_db_exists(&s->db, "SELECT 1 FROM layers WHERE chain_id = ? AND "
                                 "state = 'incomplete'", keys[i], &still, err) < 0 || !still)
            continue;
        if (cx_rm_rf_at(s->layersfd, d.hex) < 0 && errno != ENOENT)
            return cx_fail_errno(err, "layer %.12s: remove %s/layers/%s", d.hex, s->root, d.hex);
        if (cx_db_run(&s->db, "DELETE FROM layers WHERE chain_id = ?", keys[i], NULL, err) < 0)
            return -1;
    }
    return 0;
}

int cx_store_repair(struct cx_store *s, cx_error *err)
{
    int dropped = 0;
    if (drop_abandoned_images(s, &dropped, err) < 0 || drop_abandoned_layers(s, err) < 0)
        return cx_error_prefix(err, "store %s: repairing", s->root);
    if (dropped)
        return cx_store_gc(s, err);
    return carry_out_removals(s, err);
}
