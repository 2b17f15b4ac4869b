/* images.c: image records, their names and their references to layers
 * and blobs.  An image is recorded "incomplete" (with every layer and blob
 * it needs, so no concurrent rmi's collection takes them) before any of
 * its content is written, and "complete" in the transaction that names it. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

void cx_image_rec_free(struct cx_image_rec *r)
{
    free(r->manifest_media_type);
    free(r->created);
    cx_strv_free(r->names);
    cx_strv_free(r->digests);
    free(r->layers);
    memset(r, 0, sizeof *r);
}

void cx_image_recs_free(struct cx_image_rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cx_image_rec_free(&r[i]);
    free(r);
}

static int bind_exec(struct cx_store *s, const char *sql, const char *a, const char *b,
                     int64_t n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, sql, &st, err) < 0)
        return -1;
    int i = 1;
    if (a)
        sqlite3_bind_text(st, i++, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, i++, b, -1, SQLITE_STATIC);
    if (n >= 0)
        sqlite3_bind_int64(st, i, n);
    return cx_db_step_done(&s->db, st, err);
}

static int image_state(struct cx_store *s, const char *id, bool *complete, bool *exists,
                       cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, "SELECT state FROM images WHERE id = ?", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    *exists = sqlite3_step(st) == SQLITE_ROW;
    *complete = *exists && strcmp(cx_db_text(st, 0), "complete") == 0;
    return 0;
}

static int record_new(struct cx_store *s, const struct cx_image_new *img, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char cfg[CX_DIGEST_MAX], man[CX_DIGEST_MAX], d[CX_DIGEST_MAX];
    cx_digest_format(img->config, cfg);
    cx_digest_format(img->manifest, man);
    if (bind_exec(s, "DELETE FROM images WHERE id = ?", img->config->hex, NULL, -1, err) < 0 ||
        cx_db_prepare(&s->db, "INSERT INTO images (id, config_digest, manifest_digest, "
                      "manifest_media_type, created, added, state, owner) "
                      "VALUES (?, ?, ?, ?, ?, ?, 'incomplete', ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, img->config->hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cfg, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, man, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, img->manifest_media_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, img->created ? img->created : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64) time(NULL));
    sqlite3_bind_int64(st, 7, getpid());
    if (cx_db_step_done(&s->db, st, err) < 0)
        return -1;
    for (size_t i = 0; i < img->nlayers; i++) {
        cx_digest_format(&img->chain_ids[i], d);
        if (bind_exec(s, "INSERT INTO image_layers (image_id, chain_id, idx) VALUES (?, ?, ?)",
                      img->config->hex, d, (int64_t) i, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < img->nblobs; i++) {
        cx_digest_format(&img->blobs[i], d);
        if (bind_exec(s, "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)",
                      img->config->hex, d, -1, err) < 0)
            return -1;
    }
    return 0;
}

int cx_image_begin(struct cx_store *s, const struct cx_image_new *img, struct cx_lock *lock,
                   bool *complete, cx_error *err)
{
    bool exists;
    if (lock->fd < 0 && cx_lock_take(s->locksfd, "image", img->config->hex, true, lock, err) < 0)
        return -1;
    if (cx_db_begin(&s->db, err) < 0)
        return cx_lock_release(lock), -1;
    if (image_state(s, img->config->hex, complete, &exists, err) < 0 ||
        (!*complete && record_new(s, img, err) < 0) || cx_db_commit(&s->db, err) < 0) {
        cx_db_rollback(&s->db);
        cx_lock_release(lock);
        return -1;
    }
    return 0;
}

int cx_image_add_digests(struct cx_store *s, const char *id, const char *const *digests,
                         cx_error *err)
{
    for (; digests && *digests; digests++)
        if (bind_exec(s, "INSERT OR IGNORE INTO repo_digests (name, image_id) VALUES (?, ?)",
                      *digests, id, -1, err) < 0)
            return -1;
    return 0;
}

int cx_image_finish(struct cx_store *s, const char *id, int64_t size, const char *name,
                    const char *const *repo_digests, cx_error *err)
{
    int64_t now = (int64_t) time(NULL);
    if (cx_db_begin(&s->db, err) < 0)
        return -1;
    if (bind_exec(s, "UPDATE images SET state = 'complete', owner = 0, "
                  "size = CASE WHEN ?2 >= 0 THEN ?2 ELSE (SELECT COALESCE(SUM(l.size), 0) "
                  "FROM layers l JOIN image_layers il ON il.chain_id = l.chain_id "
                  "WHERE il.image_id = ?1) END WHERE id = ?1", id, NULL,
                  size, err) < 0 ||
        (name && bind_exec(s, "INSERT OR REPLACE INTO names (name, image_id, added) "
                           "VALUES (?, ?, ?)", name, id, now, err) < 0) ||
        cx_image_add_digests(s, id, repo_digests, err) < 0 ||
        cx_db_commit(&s->db, err) < 0) {
        cx_db_rollback(&s->db);
        return -1;
    }
    return 0;
}

static int fill_layers(struct cx_store *s, struct cx_image_rec *r, cx_error *err)
{
    _cleanup_strv_ char **chains = NULL;
    size_t n;
    if (cx_db_texts(&s->db, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx",
                    r->id, &chains, &n, err) < 0)
        return -1;
    r->layers = cx_calloc(n + 1, sizeof(struct cx_digest));
    for (r->nlayers = 0; r->nlayers < n; r->nlayers++)
        if (cx_digest_parse(chains[r->nlayers], &r->layers[r->nlayers], "store: layer", err) < 0)
            return -1;
    return 0;
}

#define IMAGE_COLS "id, config_digest, manifest_digest, manifest_media_type, created, size, added"

static int fill(struct cx_store *s, sqlite3_stmt *st, struct cx_image_rec *r, cx_error *err)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", cx_db_text(st, 0));
    snprintf(r->config_digest, sizeof r->config_digest, "%s", cx_db_text(st, 1));
    snprintf(r->manifest_digest, sizeof r->manifest_digest, "%s", cx_db_text(st, 2));
    r->manifest_media_type = cx_strdup(cx_db_text(st, 3));
    r->created = cx_strdup(cx_db_text(st, 4));
    r->size = sqlite3_column_int64(st, 5);
    r->added = sqlite3_column_int64(st, 6);
    if (cx_db_texts(&s->db, "SELECT name FROM names WHERE image_id = ? ORDER BY added DESC, name",
                    r->id, &r->names, &r->nnames, err) < 0 ||
        cx_db_texts(&s->db, "SELECT name FROM repo_digests WHERE image_id = ? ORDER BY name",
                    r->id, &r->digests, &r->ndigests, err) < 0 ||
        fill_layers(s, r, err) < 0)
        return cx_image_rec_free(r), -1;
    return 0;
}

int cx_image_list(struct cx_store *s, struct cx_image_rec **out, size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    size_t cap = 8;
    *n = 0;
    *out = cx_calloc(cap, sizeof **out);
    if (cx_db_prepare(&s->db, "SELECT " IMAGE_COLS " FROM images WHERE state = 'complete' "
                      "ORDER BY created DESC, added DESC", &st, err) < 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap)
            *out = cx_realloc(*out, (cap *= 2) * sizeof **out);
        if (fill(s, st, &(*out)[*n], err) < 0)
            return cx_image_recs_free(*out, *n), *out = NULL, -1;
        ++*n;
    }
    return 0;
}

static bool is_hex(const char *s, size_t min)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n >= min && n <= 64 && !s[n];
}

int cx_image_lookup(struct cx_store *s, const char *name, struct cx_image_rec *out,
                    bool *found, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    _cleanup_free_ char *prefix = NULL;
    const char *id = cx_str_has_prefix(name, "sha256:") ? name + 7 : name;
    *found = false;
    if (cx_db_prepare(&s->db, "SELECT " IMAGE_COLS " FROM images WHERE state = 'complete' AND "
                      "id IN (SELECT image_id FROM names WHERE name = ?1 UNION "
                      "SELECT image_id FROM repo_digests WHERE name = ?1)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        return *found = true, fill(s, st, out, err);
    if (!is_hex(id, 3))
        return 0;
    sqlite3_finalize(st);
    st = NULL;
    prefix = cx_asprintf("%s*", id);
    if (cx_db_prepare(&s->db, "SELECT " IMAGE_COLS " FROM images WHERE state = 'complete' AND "
                      "id GLOB ? LIMIT 2", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return 0;
    if (fill(s, st, out, err) < 0)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        cx_image_rec_free(out);
        return cx_fail(err, EINVAL, "image ID prefix %s is ambiguous: give more of it", id);
    }
    *found = true;
    return 0;
}

int cx_image_tag(struct cx_store *s, const char *id, const char *name, cx_error *err)
{
    return bind_exec(s, "INSERT OR REPLACE INTO names (name, image_id, added) VALUES (?, ?, ?)",
                     name, id, (int64_t) time(NULL), err);
}

int cx_image_untag(struct cx_store *s, const char *name, bool *found, cx_error *err)
{
    if (bind_exec(s, "DELETE FROM names WHERE name = ?", name, NULL, -1, err) < 0)
        return -1;
    *found = sqlite3_changes(s->db.h) > 0;
    return 0;
}

int cx_image_delete(struct cx_store *s, const char *id, cx_error *err)
{
    _cleanup_strv_ char **users = NULL;
    size_t n = 0;
    if (cx_db_texts(&s->db, "SELECT name FROM containers WHERE image_id = ? ORDER BY name",
                    id, &users, &n, err) < 0)
        return -1;
    if (n > 0)
        return cx_fail(err, EBUSY, "image %.12s is in use by container %s%s (remove it "
                       "first)", id, users[0], n > 1 ? " and others" : "");
    return bind_exec(s, "DELETE FROM images WHERE id = ?", id, NULL, -1, err);
}
