/* volumes.c: see volumes.h. */
#include "engine/volumes.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/spec_mounts.h"

void cx_volume_free(struct cx_volume *v)
{
    free(v->name);
    free(v->labels);
    cx_strv_free(v->users);
    memset(v, 0, sizeof *v);
}

void cx_volumes_free(struct cx_volume *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cx_volume_free(&v[i]);
    free(v);
}

int cx_volume_name_check(const char *name, cx_error *err)
{
    if (strlen(name) > 253 || !cx_name_valid(name))
        return cx_fail(err, EINVAL, "volume name \"%.64s\" is invalid: names match "
                       "[a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
    return 0;
}

char *cx_volume_path(struct cx_engine *e, const char *name)
{
    return cx_asprintf("%s/volumes/%s/_data", e->store.root, name);
}

static int make_dirs(struct cx_engine *e, const char *name, cx_error *err)
{
    if (mkdirat(e->store.rootfd, "volumes", 0700) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s/volumes", e->store.root);
    _cleanup_close_ int vols = openat(e->store.rootfd, "volumes", O_RDONLY | O_DIRECTORY |
                                      O_NOFOLLOW | O_CLOEXEC);
    if (vols < 0 || (mkdirat(vols, name, 0700) < 0 && errno != EEXIST))
        return cx_fail_errno(err, "mkdir %s/volumes/%s", e->store.root, name);
    _cleanup_close_ int v = openat(vols, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (v < 0)
        return cx_fail_errno(err, "open %s/volumes/%s", e->store.root, name);
    if (mkdirat(v, "_data", 0755) == 0)
        cx_volume_mark_copyup(v);
    else if (errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s/volumes/%s/_data", e->store.root, name);
    return 0;
}

static int insert(struct cx_engine *e, const char *name, bool anonymous, const char *labels,
                  bool exist_ok, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&e->store.db, exist_ok
                      ? "INSERT OR IGNORE INTO volumes (name, created, anonymous, labels) "
                        "VALUES (?, ?, ?, ?)"
                      : "INSERT INTO volumes (name, created, anonymous, labels) "
                        "VALUES (?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cx_now_ns());
    sqlite3_bind_int(st, 3, anonymous);
    sqlite3_bind_text(st, 4, labels ? labels : "{}", -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_DONE)
        return 0;
    if (sqlite3_errcode(e->store.db.h) == SQLITE_CONSTRAINT)
        return cx_fail(err, EEXIST, "volume %s already exists", name);
    return cx_db_fail(&e->store.db, "recording a volume", err);
}

int cx_volume_create(struct cx_engine *e, const char *name, const char *labels_json,
                     bool exist_ok, char **created_name, cx_error *err)
{
    char id[65];
    if (!name) {
        cx_ctr_new_id(id);
        name = id;
    } else if (cx_volume_name_check(name, err) < 0)
        return -1;
    /* directory first: a record never names a missing directory */
    if (make_dirs(e, name, err) < 0 || insert(e, name, name == id, labels_json, exist_ok,
                                              err) < 0)
        return -1;
    if (created_name)
        *created_name = cx_strdup(name);
    return 0;
}

static void volume_from_row(struct cx_engine *e, sqlite3_stmt *st, struct cx_volume *v)
{
    cx_error ignored = { 0 };
    size_t n = 0;
    v->name = cx_strdup(cx_db_text(st, 0));
    v->created = sqlite3_column_int64(st, 1);
    v->anonymous = sqlite3_column_int(st, 2) != 0;
    v->labels = cx_strdup(cx_db_text(st, 3));
    if (cx_db_texts(&e->store.db, "SELECT container_id FROM container_volumes WHERE "
                    "volume = ? ORDER BY container_id", v->name, &v->users, &n, &ignored) < 0)
        v->users = NULL;
    v->nusers = n;
}

static int select_volumes(struct cx_engine *e, const char *name, struct cx_volume **out,
                          size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, name
                      ? "SELECT name, created, anonymous, labels FROM volumes WHERE name = ?"
                      : "SELECT name, created, anonymous, labels FROM volumes ORDER BY name",
                      &st, err) < 0)
        return -1;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = cx_realloc(*out, cap * sizeof **out);
        }
        memset(&(*out)[*n], 0, sizeof **out);
        volume_from_row(e, st, &(*out)[(*n)++]);
    }
    return 0;
}

int cx_volume_get(struct cx_engine *e, const char *name, struct cx_volume *out, cx_error *err)
{
    struct cx_volume *v;
    size_t n;
    if (select_volumes(e, name, &v, &n, err) < 0)
        return -1;
    if (n == 0)
        return cx_fail(err, ENOENT, "no volume with name \"%.80s\" found", name);
    *out = v[0];
    free(v);
    return 0;
}

int cx_volume_list(struct cx_engine *e, struct cx_volume **out, size_t *n, cx_error *err)
{
    return select_volumes(e, NULL, out, n, err);
}

int cx_volume_remove(struct cx_engine *e, const char *name, cx_error *err)
{
    if (cx_db_begin(&e->store.db, err) < 0)
        return -1;
    struct cx_volume v;
    if (cx_volume_get(e, name, &v, err) < 0) {
        cx_db_rollback(&e->store.db);
        return -1;
    }
    int r = 0;
    if (v.nusers > 0)
        r = cx_fail(err, EBUSY, "volume %s is in use by container %.12s: remove the "
                    "container first", name, v.users[0]);
    else
        r = cx_db_run(&e->store.db, "DELETE FROM volumes WHERE name = ?", name, NULL, err);
    if (r == 0)
        r = cx_db_commit(&e->store.db, err);
    if (r < 0) {
        cx_db_rollback(&e->store.db);
        cx_volume_free(&v);
        return -1;
    }
    cx_volume_free(&v);
    /* the record is gone: nothing can start using the directory now */
    _cleanup_close_ int vols = openat(e->store.rootfd, "volumes", O_RDONLY | O_DIRECTORY |
                                      O_NOFOLLOW | O_CLOEXEC);
    if (vols >= 0 && cx_rm_rf_at(vols, name) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "removing %s/volumes/%s", e->store.root, name);
    return 0;
}

void cx_mounts_free(struct cx_mount_req *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].source);
        free(m[i].dest);
        cx_strv_free(m[i].options);
    }
    free(m);
}

/* volume name (NULL: a new anonymous one) as a bind at dest */
static int volume_bind(struct cx_engine *e, const char *ctr_id, const char *name,
                       const char *dest, char *const *options, struct cx_mount_req *m,
                       cx_error *err)
{
    _cleanup_free_ char *made = NULL;
    if (cx_volume_create(e, name, NULL, true, &made, err) < 0 ||
        cx_db_run(&e->store.db, "INSERT OR IGNORE INTO container_volumes (container_id, "
                  "volume) VALUES (?, ?)", ctr_id, made, err) < 0)
        return -1;
    m->kind = CX_MOUNT_BIND;
    m->source = cx_volume_path(e, made);
    m->dest = cx_strdup(dest);
    m->options = cx_strv_copy(options);
    return 0;
}

static bool covered(const struct cx_mount_req *m, size_t n, const char *dest)
{
    size_t len = strlen(dest);
    while (len > 1 && dest[len - 1] == '/')
        len--;
    for (size_t i = 0; i < n; i++)
        if (strncmp(m[i].dest, dest, len) == 0 &&
            (m[i].dest[len] == '\0' || strcmp(m[i].dest + len, "/") == 0))
            return true;
    return false;
}

int cx_volumes_resolve(struct cx_engine *e, const char *ctr_id, const struct cx_run_opts *o,
                       const struct cx_image_config *img, struct cx_mount_req **out,
                       size_t *n, cx_error *err)
{
    size_t nimg = img && json_is_object(img->volumes) ? json_object_size(img->volumes) : 0;
    struct cx_mount_req *m = cx_calloc(o->nmounts + nimg + 1, sizeof *m);
    size_t k = 0;
    for (size_t i = 0; i < o->nmounts; i++, k++) {
        const struct cx_mount_req *r = &o->mounts[i];
        if (r->kind == CX_MOUNT_VOLUME) {
            if (volume_bind(e, ctr_id, r->source, r->dest, r->options, &m[k], err) < 0)
                return cx_mounts_free(m, k), -1;
            continue;
        }
        m[k] = (struct cx_mount_req){ r->kind, r->source ? cx_strdup(r->source) : NULL,
                                      cx_strdup(r->dest), cx_strv_copy(r->options) };
    }
    const char *dest;
    json_t *unused;
    if (nimg)
        json_object_foreach(img->volumes, dest, unused) {
            if (dest[0] != '/' || covered(m, k, dest))
                continue;
            char *const opts[] = { "rbind", NULL };
            if (volume_bind(e, ctr_id, NULL, dest, opts, &m[k], err) < 0)
                return cx_mounts_free(m, k), -1;
            k++;
        }
    *out = m;
    *n = k;
    return 0;
}

int cx_volumes_release(struct cx_engine *e, const char *ctr_id, bool remove_anonymous,
                       cx_error *err)
{
    _cleanup_strv_ char **used = NULL;
    size_t n = 0;
    if (cx_db_texts(&e->store.db, "SELECT v.name FROM container_volumes cv JOIN volumes v "
                    "ON v.name = cv.volume WHERE cv.container_id = ? AND v.anonymous = 1",
                    ctr_id, &used, &n, err) < 0 ||
        cx_db_run(&e->store.db, "DELETE FROM container_volumes WHERE container_id = ?",
                  ctr_id, NULL, err) < 0)
        return -1;
    for (size_t i = 0; remove_anonymous && i < n; i++) {
        cx_error one = { 0 };
        if (cx_volume_remove(e, used[i], &one) < 0 && one.errnum != EBUSY) {
            *err = one;
            return -1;
        }
    }
    return 0;
}

int cx_volumes_prune(struct cx_engine *e, void (*removed)(const char *name), cx_error *err)
{
    struct cx_volume *v;
    size_t n;
    if (cx_volume_list(e, &v, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (v[i].nusers == 0) {
            rc = cx_volume_remove(e, v[i].name, err);
            if (rc == 0 && removed)
                removed(v[i].name);
        }
    cx_volumes_free(v, n);
    return rc;
}
