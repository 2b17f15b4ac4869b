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
    sqlite3_stmt **kept;         /* cx_db_prepare_kept's statements */
    size_t nkept;
};

/* For a process whose connections are each used by one thread at a time
 * (capsad: a handler borrows an engine of its own from the pool):
 * connections opened after this call skip SQLite's mutex, taken
 * otherwise around every call, each column read included.  capsactl's
 * pull shares its store between threads and keeps it. */
void cx_db_one_thread_connections(void);

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

/* A statement kept prepared on the connection, for statements run often
 * (capsad's lists): parsing and planning a query costs more than running
 * it over a few hundred rows.  The text is the key, so sql must come from
 * a fixed set (built from constants only).  When the kept one is in use
 * already (a caller inside another's loop), a fresh one.  Hand it back
 * with cx_db_put: a kept statement is reset (so no read transaction stays
 * open) and its bindings cleared, any other finalized. */
int cx_db_prepare_kept(struct cx_db *db, const char *sql, sqlite3_stmt **st, cx_error *err);
void cx_db_put(struct cx_db *db, sqlite3_stmt *st);
bool cx_db_is_kept(const struct cx_db *db, const sqlite3_stmt *st);

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
