/* records_ctr.c: capsad's container rows (records.h). */
#include "cri/records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

void cri_container_free(struct cri_container *c)
{
    free(c->mem);
    memset(c, 0, sizeof *c);
}

void cri_containers_free(struct cri_container *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cri_container_free(&v[i]);
    free(v);
}

int cri_container_insert(struct cx_db *db, const struct cri_container *c, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "INSERT INTO cri_containers (id, sandbox_id, name_key, state, config, "
                      "config_digest, log_path, created) VALUES (?, ?, ?, 'creating', ?, ?, ?, "
                      "?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->sandbox_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->name_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, c->config, (int) c->config_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->log_path ? c->log_path : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, c->created);
    if (sqlite3_step(st) == SQLITE_DONE)
        return 0;
    if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE)
        return cx_fail(err, EEXIST, "the container name %s is reserved", c->name_key);
    return cx_db_fail(db, "recording the container", err);
}

#define COLUMNS "r.id, r.sandbox_id, r.name_key, r.state, r.config, r.config_digest, " \
                "r.log_path, r.start_error, r.created, c.id IS NOT NULL, " \
                CX_CTR_LIGHT_COLUMNS("c.")
#define FROM " FROM cri_containers r LEFT JOIN containers c ON c.id = r.id"

/* the text and blob columns, in the block's order */
static const int texts[] = { 1, 2, 3, 4, 5, 6, 7 };

static void from_row(sqlite3_stmt *st, struct cri_container *c)
{
    memset(c, 0, sizeof *c);
    size_t n = cri_cols_size(st, texts, sizeof texts / sizeof texts[0]);
    char *at = c->mem = cx_calloc(1, n + cx_ctr_row_size(st, 10));
    snprintf(c->id, sizeof c->id, "%s", cx_db_text(st, 0));
    c->sandbox_id = cri_col_copy(st, 1, &at, NULL);
    c->name_key = cri_col_copy(st, 2, &at, NULL);
    c->state = cri_col_copy(st, 3, &at, NULL);
    c->config = (uint8_t *) cri_col_copy(st, 4, &at, &c->config_len);
    c->digest = cri_col_copy(st, 5, &at, NULL);
    c->log_path = cri_col_copy(st, 6, &at, NULL);
    c->start_error = cri_col_copy(st, 7, &at, NULL);
    c->created = sqlite3_column_int64(st, 8);
    c->ctr_exists = sqlite3_column_int(st, 9) != 0;
    cx_ctr_from_row_in(st, 10, &c->c, at);
}

static void ctr_free_row(void *row)
{
    cri_container_free(row);
}

static void ctr_from_row(sqlite3_stmt *st, void *row)
{
    from_row(st, row);
}

static int ctr_cmp(const void *a, const void *b)
{
    const struct cri_container *x = a, *y = b;
    return x->created != y->created ? (x->created > y->created ? 1 : -1) : strcmp(x->id, y->id);
}

static const struct cri_rows container_rows = {
    "container", "SELECT " COLUMNS FROM, ctr_cmp, "r.id", "r.name_key",
    sizeof(struct cri_container), ctr_from_row, ctr_free_row,
};

int cri_container_get(struct cx_db *db, const char *what, bool by_name,
                      struct cri_container *out, bool *found, cx_error *err)
{
    return cri_rows_get(db, &container_rows, what, by_name, out, found, err);
}

int cri_container_list(struct cx_db *db, const char *sandbox_id, struct cri_container **out,
                       size_t *n, cx_error *err)
{
    return cri_rows_select(db, &container_rows, sandbox_id ? " WHERE r.sandbox_id = ?1" : "",
                           sandbox_id, (void **) out, n, err);
}

int cri_container_set(struct cx_db *db, const char *id, const char *column, const char *value,
                      cx_error *err)
{
    /* column: one of ours, never from a request */
    _cleanup_free_ char *sql = cx_asprintf("UPDATE cri_containers SET %s = ?2 WHERE id = ?1",
                                           column);
    return cx_db_run(db, sql, id, value, err);
}

int cri_container_set_config(struct cx_db *db, const char *id, const uint8_t *config,
                             size_t len, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "UPDATE cri_containers SET config = ?2 WHERE id = ?1", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, config, (int) len, SQLITE_STATIC);
    return cx_db_step_done(db, st, err);
}

int cri_container_delete(struct cx_db *db, const char *id, cx_error *err)
{
    return cx_db_run(db, "DELETE FROM cri_containers WHERE id = ?1", id, NULL, err);
}
