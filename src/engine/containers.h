/* containers.h: container records in the store's database (schema 2,
 * its runtime since schema 7; src/store/db.c).  Names are unique (the
 * database says so, in the same transaction that records the container,
 * so two `run --name x` at once never both win). */
#ifndef CAPSA_ENGINE_CONTAINERS_H
#define CAPSA_ENGINE_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "store/db.h"

enum cx_ctr_state {
    CX_CTR_CONFIGURED,   /* recorded; bundle or runtime container not made yet */
    CX_CTR_CREATED,      /* the runtime holds it, not started */
    CX_CTR_RUNNING,
    CX_CTR_PAUSED,
    CX_CTR_EXITED,
    CX_CTR_REMOVING,
};

struct cx_ctr {
    char id[65];
    char *name, *image_id, *image_name;
    int64_t created, started, finished;     /* unix ns; 0 = never */
    enum cx_ctr_state state;
    int pid;
    unsigned long long pid_start;           /* guards against pid reuse */
    char *boot_id;
    bool has_exit;
    int exit_code;
    int restarts;
    bool stopped_by_user, oom;
    char *opts;                             /* the run options, JSON */
    char *command;                          /* its command, a JSON array ('': unknown) */
    char *runtime, *runtime_root;           /* another OCI runtime's binary and --root;
                                             * NULL: capsa in process (ctr_runtime.h) */
};

const char *cx_ctr_state_name(enum cx_ctr_state s);
void cx_ctr_free(struct cx_ctr *c);
void cx_ctrs_free(struct cx_ctr *c, size_t n);

/* A new random id (64 hex). */
void cx_ctr_new_id(char id[65]);
/* A free name of the form adjective_noun (podman's style). */
int cx_ctr_new_name(struct cx_db *db, char **name, cx_error *err);
/* A name as podman accepts it: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253. */
int cx_ctr_name_check(const char *name, cx_error *err);

/* A record's columns as cx_ctr_from_row reads them (CX_CTR_NCOLUMNS
 * from column first), of the table or alias p ("" or "c."); _LIGHT reads
 * the options and the command as "": a state is all a list needs, and
 * the options are the longest column. */
#define CX_CTR_STATE_COLUMNS(p)                                                        \
    p "id, " p "name, " p "image_id, " p "image_name, " p "created, " p "state, " p "pid, " \
    p "pid_start, " p "boot_id, " p "exit_code, " p "started, " p "finished, "           \
    p "restarts, " p "stopped_by_user, " p "oom"
#define CX_CTR_COLUMNS(p) \
    CX_CTR_STATE_COLUMNS(p) ", " p "opts, " p "command, " p "runtime, " p "runtime_root"
/* (the runtime is read by lists too: another runtime's state is its own) */
#define CX_CTR_LIGHT_COLUMNS(p) \
    CX_CTR_STATE_COLUMNS(p) ", '', '', " p "runtime, " p "runtime_root"
#define CX_CTR_NCOLUMNS 19
void cx_ctr_from_row(sqlite3_stmt *st, int first, struct cx_ctr *c);
/* The same with the strings copied into block, of cx_ctr_row_size bytes
 * at least, instead of one allocation each (for callers reading many:
 * the block is theirs to free, never the strings one by one). */
size_t cx_ctr_row_size(sqlite3_stmt *st, int first);
void cx_ctr_from_row_in(sqlite3_stmt *st, int first, struct cx_ctr *c, char *block);

/* Record c (state configured); a taken name is EEXIST naming the holder. */
int cx_ctr_insert(struct cx_db *db, const struct cx_ctr *c, cx_error *err);
/* By full id, by name, or by a unique id prefix.  Not found: *found false
 * (found NULL: an error naming what was asked). */
int cx_ctr_lookup(struct cx_db *db, const char *what, struct cx_ctr *out, bool *found,
                  cx_error *err);
/* Every record, oldest first. */
int cx_ctr_list(struct cx_db *db, struct cx_ctr **out, size_t *n, cx_error *err);
/* Write the mutable columns (state, pid, times, exit, counters). */
int cx_ctr_update(struct cx_db *db, const struct cx_ctr *c, cx_error *err);
int cx_ctr_delete(struct cx_db *db, const char *id, cx_error *err);

#endif
