/* db.h: the store's SQLite database (<root>/capsa.db): WAL, a busy
 * time-out, foreign keys, and a schema version with migrations.  Every
 * capsactl process (and capsad) opens it; SQLite serializes the records,
 * the lock files (lock.h) serialize the slow work. */
#ifndef CAPSA_STORE_DB_H
#define CAPSA_STORE_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define CX_DB_SCHEMA_VERSION 1

struct cx_db {
    sqlite3 *h;
    const char *path;
};

/* Open (creating and migrating as needed) dir/capsa.db. */
/* Opens DIR/capsa.db; LOCKSFD is the store's lock directory. */
int cx_db_open(struct cx_db *db, int locksfd, const char *dir, cx_error *err);
void cx_db_close(struct cx_db *db);

/* BEGIN IMMEDIATE (a writer from the start: no deadlocked upgrades). */
int cx_db_begin(struct cx_db *db, cx_error *err);
int cx_db_commit(struct cx_db *db, cx_error *err);
void cx_db_rollback(struct cx_db *db);
int cx_db_exec(struct cx_db *db, const char *sql, cx_error *err);
/* Prepare sql; the error names the statement's first words. */
int cx_db_prepare(struct cx_db *db, const char *sql, sqlite3_stmt **st, cx_error *err);
/* Step a statement that returns no row (INSERT/UPDATE/DELETE). */
int cx_db_step_done(struct cx_db *db, sqlite3_stmt *st, cx_error *err);
int cx_db_fail(struct cx_db *db, const char *what, cx_error *err);

static inline void cx_stmt_finalizep(sqlite3_stmt **st) { sqlite3_finalize(*st); }
#define _cleanup_stmt_ __attribute__((cleanup(cx_stmt_finalizep)))

/* Run sql binding the texts a and b (each when not NULL) as ?1, ?2. */
int cx_db_run(struct cx_db *db, const char *sql, const char *a, const char *b, cx_error *err);
/* Whether sql, with key bound as ?1, returns a row. */
int cx_db_exists(struct cx_db *db, const char *sql, const char *key, bool *found, cx_error *err);
/* The first column of every row of sql (arg bound as ?1 when not NULL),
 * as a NULL-terminated vector of *n strings (free with cx_strv_free). */
int cx_db_texts(struct cx_db *db, const char *sql, const char *arg, char ***out, size_t *n,
                cx_error *err);
/* A column as a C string ("" for NULL). */
const char *cx_db_text(sqlite3_stmt *st, int col);

#endif
