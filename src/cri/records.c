/* records.c: see records.h. */
#include "cri/records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

void cri_sandbox_free(struct cri_sandbox *s)
{
    free(s->mem);
    memset(s, 0, sizeof *s);
}

void cri_sandboxes_free(struct cri_sandbox *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cri_sandbox_free(&v[i]);
    free(v);
}

int cri_sandbox_insert(struct cx_db *db, const struct cri_sandbox *s, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "INSERT INTO cri_sandboxes (id, name_key, state, config, "
                      "config_digest, runtime_handler, created) VALUES (?, ?, 'creating', ?, "
                      "?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->name_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, s->config, (int) s->config_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->handler, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, s->created);
    if (sqlite3_step(st) == SQLITE_DONE)
        return 0;
    if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE)
        return cx_fail(err, EEXIST, "the sandbox name %s is reserved", s->name_key);
    return cx_db_fail(db, "recording the sandbox", err);
}

#define COLUMNS "s.id, s.name_key, s.state, s.config, s.config_digest, s.runtime_handler, " \
                "s.created, p.infra_id, p.id IS NOT NULL, i.id IS NOT NULL, " \
                CX_CTR_LIGHT_COLUMNS("i.")
#define FROM " FROM cri_sandboxes s LEFT JOIN pods p ON p.id = s.id " \
             "LEFT JOIN containers i ON i.id = p.infra_id"

/* the text and blob columns, in the block's order */
static const int texts[] = { 1, 2, 3, 4, 5, 7 };

static void from_row(sqlite3_stmt *st, struct cri_sandbox *s)
{
    memset(s, 0, sizeof *s);
    size_t n = cri_cols_size(st, texts, sizeof texts / sizeof texts[0]);
    char *at = s->mem = cx_calloc(1, n + cx_ctr_row_size(st, 10));
    snprintf(s->id, sizeof s->id, "%s", cx_db_text(st, 0));
    s->name_key = cri_col_copy(st, 1, &at, NULL);
    s->state = cri_col_copy(st, 2, &at, NULL);
    s->config = (uint8_t *) cri_col_copy(st, 3, &at, &s->config_len);
    s->digest = cri_col_copy(st, 4, &at, NULL);
    s->handler = cri_col_copy(st, 5, &at, NULL);
    s->created = sqlite3_column_int64(st, 6);
    s->infra_id = cri_col_copy(st, 7, &at, NULL);
    s->pod_exists = sqlite3_column_int(st, 8) != 0;
    s->infra_exists = sqlite3_column_int(st, 9) != 0;
    cx_ctr_from_row_in(st, 10, &s->infra, at);
}

static void sandbox_free_row(void *row)
{
    cri_sandbox_free(row);
}

static void sandbox_from_row(sqlite3_stmt *st, void *row)
{
    from_row(st, row);
}

static int sandbox_cmp(const void *a, const void *b)
{
    const struct cri_sandbox *x = a, *y = b;
    return x->created != y->created ? (x->created > y->created ? 1 : -1) : strcmp(x->id, y->id);
}

static const struct cri_rows sandbox_rows = {
    "sandbox", "SELECT " COLUMNS FROM, sandbox_cmp, "s.id", "s.name_key",
    sizeof(struct cri_sandbox), sandbox_from_row, sandbox_free_row,
};

int cri_sandbox_get(struct cx_db *db, const char *what, bool by_name, struct cri_sandbox *out,
                    bool *found, cx_error *err)
{
    return cri_rows_get(db, &sandbox_rows, what, by_name, out, found, err);
}

int cri_sandbox_list(struct cx_db *db, struct cri_sandbox **out, size_t *n, cx_error *err)
{
    return cri_rows_select(db, &sandbox_rows, "", NULL, (void **) out, n, err);
}

/* ---- what both kinds of rows share ---- */

size_t cri_cols_size(sqlite3_stmt *st, const int *cols, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        sqlite3_column_blob(st, cols[i]);   /* (bytes are counted as it will be read) */
        size += (size_t) sqlite3_column_bytes(st, cols[i]) + 1;
    }
    return size;
}

char *cri_col_copy(sqlite3_stmt *st, int col, char **at, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t) sqlite3_column_bytes(st, col);
    char *out = *at;
    if (n > 0)
        memcpy(out, p, n);
    out[n] = '\0';
    *at += n + 1;
    if (len)
        *len = n;
    return out;
}

void cri_rows_free(const struct cri_rows *k, void *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        k->free_row((char *) v + i * k->size);
    free(v);
}

int cri_rows_select(struct cx_db *db, const struct cri_rows *k, const char *where,
                    const char *arg, void **out, size_t *n, cx_error *err)
{
    sqlite3_stmt *st = NULL;
    _cleanup_free_ char *sql = cx_asprintf("%s%s", k->select, where);
    *out = NULL;
    *n = 0;
    /* the texts come from the constants of the kinds and their callers */
    if (cx_db_prepare_kept(db, sql, &st, err) < 0)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int rc;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = cx_realloc(*out, cap * k->size);
        }
        k->from_row(st, (char *) *out + (*n)++ * k->size);
    }
    if (rc != SQLITE_DONE) {
        cri_rows_free(k, *out, *n);
        *out = NULL;
        *n = 0;
        cx_db_fail(db, "reading the rows", err);
        cx_db_put(db, st);
        return -1;
    }
    cx_db_put(db, st);
    if (*n > 1)
        qsort(*out, *n, k->size, k->cmp);
    return 0;
}

int cri_rows_get(struct cx_db *db, const struct cri_rows *k, const char *what, bool by_name,
                 void *out, bool *found, cx_error *err)
{
    void *v;
    size_t n;
    *found = false;
    if (by_name) {
        _cleanup_free_ char *where = cx_asprintf(" WHERE %s = ?1", k->key_col);
        if (cri_rows_select(db, k, where, what, &v, &n, err) < 0)
            return -1;
    } else {
        /* an ID or a unique prefix of one: hex only, so GLOB sees no pattern */
        if (what[0] == '\0' || strspn(what, "0123456789abcdef") != strlen(what) ||
            strlen(what) > 64)
            return 0;
        _cleanup_free_ char *glob = cx_asprintf("%s*", what);
        _cleanup_free_ char *where = cx_asprintf(" WHERE %s GLOB ?1", k->id_col);
        if (cri_rows_select(db, k, where, glob, &v, &n, err) < 0)
            return -1;
        if (n > 1) {
            cri_rows_free(k, v, n);
            return cx_fail(err, EINVAL, "%s ID prefix %s is ambiguous", k->what, what);
        }
    }
    if (n == 1) {
        memcpy(out, v, k->size);
        *found = true;
        free(v);
        return 0;
    }
    cri_rows_free(k, v, n);
    return 0;
}

int cri_sandbox_set_state(struct cx_db *db, const char *id, const char *state, cx_error *err)
{
    return cx_db_run(db, "UPDATE cri_sandboxes SET state = ?2 WHERE id = ?1", id, state, err);
}

int cri_sandbox_delete(struct cx_db *db, const char *id, cx_error *err)
{
    return cx_db_run(db, "DELETE FROM cri_sandboxes WHERE id = ?1", id, NULL, err);
}
