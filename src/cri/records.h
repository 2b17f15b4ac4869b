/* records.h: capsad's rows beside the engine's (schema 6): one per
 * sandbox (the pod of the same id) and per container, holding the
 * kubelet's name for it (name_key, unique: the reservation), the config
 * it sent (packed, answered back as sent), and the CRI state.  A row is
 * written first ("creating") and the engine object after, so a capsad
 * killed in between leaves a row that start-up recovery finds.  Rows are
 * read with the engine's record of the container (of a sandbox: of its
 * infra container) in the same query, kept prepared on the connection:
 * a list costs one query, not one per item. */
#ifndef CAPSA_CRI_RECORDS_H
#define CAPSA_CRI_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/containers.h"
#include "store/db.h"

/* A row read from the database keeps its strings, its config and its
 * engine record's strings in one block (mem), freed with it: a list of n
 * rows costs n allocations, not a dozen per row.  Never free a field of
 * such a row alone, nor cx_ctr_free its record. */
struct cri_sandbox {
    char *mem;
    char id[65];
    char *name_key, *state, *digest, *handler;
    uint8_t *config;
    size_t config_len;
    int64_t created;
    char *infra_id;             /* the pod's ("" when the pod is gone) */
    bool pod_exists;
    struct cx_ctr infra;        /* its record, light (CX_CTR_LIGHT_COLUMNS), */
    bool infra_exists;          /* when there */
};

void cri_sandbox_free(struct cri_sandbox *s);
void cri_sandboxes_free(struct cri_sandbox *v, size_t n);
/* Insert in state "creating"; a taken name_key: EEXIST. */
int cri_sandbox_insert(struct cx_db *db, const struct cri_sandbox *s, cx_error *err);
/* By full id or a unique prefix; by_name: by name_key.  Absent: *found false. */
int cri_sandbox_get(struct cx_db *db, const char *what, bool by_name, struct cri_sandbox *out,
                    bool *found, cx_error *err);
int cri_sandbox_list(struct cx_db *db, struct cri_sandbox **out, size_t *n, cx_error *err);
int cri_sandbox_set_state(struct cx_db *db, const char *id, const char *state, cx_error *err);
int cri_sandbox_delete(struct cx_db *db, const char *id, cx_error *err);

struct cri_container {
    char *mem;                  /* as struct cri_sandbox's */
    char id[65];
    char *sandbox_id, *name_key, *state, *digest, *log_path, *start_error;
    uint8_t *config;
    size_t config_len;
    int64_t created;
    bool ctr_exists;            /* the engine's container is there, */
    struct cx_ctr c;            /* and its record, light (CX_CTR_LIGHT_COLUMNS) */
};

void cri_container_free(struct cri_container *c);
void cri_containers_free(struct cri_container *v, size_t n);
int cri_container_insert(struct cx_db *db, const struct cri_container *c, cx_error *err);
int cri_container_get(struct cx_db *db, const char *what, bool by_name,
                      struct cri_container *out, bool *found, cx_error *err);
/* Every row, or a sandbox's (sandbox_id not NULL). */
int cri_container_list(struct cx_db *db, const char *sandbox_id, struct cri_container **out,
                       size_t *n, cx_error *err);
/* The config kept for container id replaced (its reservation digest stays:
 * the kubelet's retry of the create is still the same request). */
int cri_container_set_config(struct cx_db *db, const char *id, const uint8_t *config,
                             size_t len, cx_error *err);
int cri_container_set(struct cx_db *db, const char *id, const char *column, const char *value,
                      cx_error *err);
/* Replace the row's config (packed): the resources UpdateContainerResources
 * set, which ContainerStatus answers from then on; the config digest (a
 * retried create's identity) stays the one of the config as created. */
int cri_container_set_config(struct cx_db *db, const char *id, const uint8_t *config,
                             size_t len, cx_error *err);
int cri_container_delete(struct cx_db *db, const char *id, cx_error *err);

/* What the two kinds of rows share: selecting them (where: " WHERE ..."
 * with ?1 bound to arg), and finding one by ID, unique ID prefix or name
 * key.  k describes the kind. */
struct cri_rows {
    const char *what;                 /* "sandbox": messages */
    const char *select;               /* "SELECT ... FROM ..." */
    /* the lists' order (created, then id), sorted here: SQLite would sort
     * the rows, configs and all, in a temporary b-tree */
    int (*cmp)(const void *a, const void *b);
    const char *id_col, *key_col;
    size_t size;                      /* of one row */
    void (*from_row)(sqlite3_stmt *st, void *row);
    void (*free_row)(void *row);
};
/* Columns of st as a row keeps them, in its block: the size of the
 * copies of cols[0..n) (texts and blobs, each NUL-terminated), and one
 * column copied at *at (moved on), its length in *len when len. */
size_t cri_cols_size(sqlite3_stmt *st, const int *cols, size_t n);
char *cri_col_copy(sqlite3_stmt *st, int col, char **at, size_t *len);

int cri_rows_select(struct cx_db *db, const struct cri_rows *k, const char *where,
                    const char *arg, void **out, size_t *n, cx_error *err);
int cri_rows_get(struct cx_db *db, const struct cri_rows *k, const char *what, bool by_name,
                 void *out, bool *found, cx_error *err);
void cri_rows_free(const struct cri_rows *k, void *v, size_t n);

#endif
