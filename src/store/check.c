/* check.c: `system check` and `system df`.
 *
 * check: every blob's file is there with its recorded size and digest,
 * every complete layer's directory is there, nothing is on disk that no
 * record names.  With repair, damaged images are removed (their name is
 * reported: pull it again), the records of what is gone are dropped, and
 * files no record names are deleted; then what nothing refers to is
 * collected. */
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static void problem(struct cx_check_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct cx_check_report *r, const char *fmt, ...)
{
    va_list ap;
    char *line = NULL;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    if (!line)
        return;
    r->problems = cx_realloc(r->problems, (r->nproblems + 2) * sizeof(char *));
    r->problems[r->nproblems++] = line;
    r->problems[r->nproblems] = NULL;
}

void cx_check_report_free(struct cx_check_report *r)
{
    cx_strv_free(r->problems);
    memset(r, 0, sizeof *r);
}

static int hash_file(int dirfd, const char *name, struct cx_digest *out, uint64_t *size,
                     cx_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open blob %s", name);
    struct cx_hasher h = { 0 };
    _cleanup_free_ char *buf = cx_calloc(1, 1 << 20);
    if (cx_hasher_init(&h, CX_SHA256, err) < 0)
        return -1;
    ssize_t n;
    while ((n = read(fd, buf, 1 << 20)) > 0)
        cx_hasher_update(&h, buf, (size_t) n);
    *size = h.bytes;
    cx_hasher_final(&h, out);
    cx_hasher_free(&h);
    return n < 0 ? cx_fail_errno(err, "read blob %s", name) : 0;
}

#define DAMAGE_BY_BLOB \
    "INSERT OR IGNORE INTO temp.damaged SELECT image_id FROM image_blobs WHERE digest = ?"
#define DAMAGE_BY_LAYER \
    "INSERT OR IGNORE INTO temp.damaged SELECT image_id FROM image_layers WHERE chain_id = ?"

static int check_blobs(struct cx_store *s, struct cx_check_report *r, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, "SELECT digest, size FROM blobs", &st, err) < 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cx_digest want, got;
        const char *ds = cx_db_text(st, 0);
        uint64_t size = 0;
        cx_error e = { 0 };
        r->blobs++;
        if (cx_digest_parse(ds, &want, "blob", &e) < 0) {
            problem(r, "blob record \"%s\" is not a digest", ds);
            continue;
        }
        if (hash_file(s->blobsfd, want.hex, &got, &size, &e) < 0)
            problem(r, "blob %s: missing", ds);
        else if (size != (uint64_t) sqlite3_column_int64(st, 1) || !cx_digest_equal(&got, &want))
            problem(r, "blob %s: corrupted (content does not match its digest)", ds);
        else
            continue;
        if (cx_db_run(&s->db, DAMAGE_BY_BLOB, ds, NULL, err) < 0 ||
            cx_db_run(&s->db, "INSERT INTO temp.lost VALUES ('blob', ?)", ds, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int check_layers(struct cx_store *s, struct cx_check_report *r, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, "SELECT chain_id FROM layers WHERE state = 'complete'", &st,
                      err) < 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cx_digest d;
        const char *ds = cx_db_text(st, 0);
        struct stat sb;
        char rel[80];
        cx_error e = { 0 };
        r->layers++;
        if (cx_digest_parse(ds, &d, "layer", &e) < 0)
            continue;
        snprintf(rel, sizeof rel, "%s/diff", d.hex);
        if (fstatat(s->layersfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
            continue;
        problem(r, "layer %s: its directory %s/layers/%s is missing", ds, s->root, rel);
        if (cx_db_run(&s->db, DAMAGE_BY_LAYER, ds, NULL, err) < 0 ||
            cx_db_run(&s->db, "INSERT INTO temp.lost VALUES ('layer', ?)", ds, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* files of blobs/ and layers/ that no record names */
static int check_orphans(struct cx_store *s, int dirfd, const char *kind, const char *sql,
                         bool repair, struct cx_check_report *r, cx_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d)
        return cx_fail_errno(err, "store: list %s", kind);
    fd = -1;
    _cleanup_closedir_ DIR *dir = d;
    struct dirent *de;
    while ((de = readdir(dir))) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *key = cx_asprintf("sha256:%s", de->d_name);
        if (cx_db_prepare(&s->db, sql, &st, err) < 0)
            return -1;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            continue;
        problem(r, "%s %s: on disk but not recorded%s", kind, de->d_name,
                repair ? " (removed)" : "");
        _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
        struct cx_digest dg;
        cx_error e = { 0 };
        if (repair && cx_digest_parse(key, &dg, kind, &e) == 0 &&
            cx_lock_take(s->locksfd, kind, dg.hex, false, &lock, &e) == 0)
            cx_rm_rf_at(dirfd, de->d_name);
    }
    return 0;
}

static int repair_damage(struct cx_store *s, struct cx_check_report *r, cx_error *err)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO removals (kind, key) SELECT kind, key FROM temp.lost;"
        "DELETE FROM blobs WHERE digest IN (SELECT key FROM temp.lost WHERE kind = 'blob');"
        "DELETE FROM layers WHERE chain_id IN (SELECT key FROM temp.lost WHERE kind = 'layer');"
        "DELETE FROM images WHERE id IN (SELECT id FROM temp.damaged);";
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, "SELECT d.id, COALESCE((SELECT name FROM names WHERE image_id "
                      "= d.id LIMIT 1), '') FROM temp.damaged d", &st, err) < 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        problem(r, "image %.12s %s: damaged, removed (pull it again)", cx_db_text(st, 0),
                cx_db_text(st, 1));
    if (cx_db_begin(&s->db, err) < 0)
        return -1;
    if (cx_db_exec(&s->db, sql, err) < 0 || cx_db_commit(&s->db, err) < 0)
        return cx_db_rollback(&s->db), -1;
    return cx_store_gc(s, err);
}

int cx_store_check(struct cx_store *s, bool repair, struct cx_check_report *r, cx_error *err)
{
    memset(r, 0, sizeof *r);
    if (cx_db_exec(&s->db, "CREATE TEMP TABLE IF NOT EXISTS damaged (id TEXT PRIMARY KEY);"
                   "CREATE TEMP TABLE IF NOT EXISTS lost (kind TEXT, key TEXT);"
                   "DELETE FROM temp.damaged; DELETE FROM temp.lost;", err) < 0 ||
        check_blobs(s, r, err) < 0 || check_layers(s, r, err) < 0 ||
        check_orphans(s, s->blobsfd, "blob", "SELECT 1 FROM blobs WHERE digest = ?", repair, r,
                      err) < 0 ||
        check_orphans(s, s->layersfd, "layer", "SELECT 1 FROM layers WHERE chain_id = ?", repair,
                      r, err) < 0)
        return -1;
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&s->db, "SELECT count(*) FROM temp.damaged", &st, err) < 0)
        return -1;
    r->damaged_images = sqlite3_step(st) == SQLITE_ROW ? (size_t) sqlite3_column_int64(st, 0) : 0;
    if (repair && (r->damaged_images || r->nproblems))
        return repair_damage(s, r, err);
    return 0;
}

int cx_store_df(struct cx_store *s, struct cx_df *out, cx_error *err)
{
    static const char per_image[] =
        "SELECT i.id, COALESCE((SELECT name FROM names WHERE image_id = i.id "
        "  ORDER BY added DESC LIMIT 1), ''), i.created,"
        " COALESCE(SUM(l.size), 0),"
        " COALESCE(SUM(CASE WHEN (SELECT count(DISTINCT image_id) FROM image_layers x"
        "   WHERE x.chain_id = l.chain_id) > 1 THEN l.size ELSE 0 END), 0)"
        " FROM images i LEFT JOIN image_layers il ON il.image_id = i.id"
        " LEFT JOIN layers l ON l.chain_id = il.chain_id"
        " WHERE i.state = 'complete' GROUP BY i.id ORDER BY i.added DESC";
    _cleanup_stmt_ sqlite3_stmt *st = NULL, *tot = NULL;
    memset(out, 0, sizeof *out);
    if (cx_db_prepare(&s->db, per_image, &st, err) < 0)
        return -1;
    size_t cap = 8;
    out->images = cx_calloc(cap, sizeof *out->images);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->nimages == cap)
            out->images = cx_realloc(out->images, (cap *= 2) * sizeof *out->images);
        struct cx_df_image *im = &out->images[out->nimages++];
        snprintf(im->id, sizeof im->id, "%s", cx_db_text(st, 0));
        im->name = cx_strdup(cx_db_text(st, 1));
        im->created = cx_strdup(cx_db_text(st, 2));
        im->size = sqlite3_column_int64(st, 3);
        im->shared = sqlite3_column_int64(st, 4);
        im->unique = im->size - im->shared;
    }
    if (cx_db_prepare(&s->db, "SELECT (SELECT COALESCE(SUM(size), 0) FROM layers),"
                      " (SELECT count(*) FROM layers), (SELECT COALESCE(SUM(size), 0) FROM blobs),"
                      " (SELECT count(*) FROM blobs)", &tot, err) < 0)
        return cx_df_free(out), -1;
    if (sqlite3_step(tot) == SQLITE_ROW) {
        out->layers_size = sqlite3_column_int64(tot, 0);
        out->nlayers = (size_t) sqlite3_column_int64(tot, 1);
        out->blobs_size = sqlite3_column_int64(tot, 2);
        out->nblobs = (size_t) sqlite3_column_int64(tot, 3);
    }
    return 0;
}

void cx_df_free(struct cx_df *d)
{
    for (size_t i = 0; i < d->nimages; i++)
        free(d->images[i].name), free(d->images[i].created);
    free(d->images);
    memset(d, 0, sizeof *d);
}
