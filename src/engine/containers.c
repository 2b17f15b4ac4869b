/* containers.c: see containers.h. */
#include "engine/containers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/spec_mounts.h"

static const char *const state_names[] = {
    [CX_CTR_CONFIGURED] = "configured", [CX_CTR_CREATED] = "created",
    [CX_CTR_RUNNING] = "running",       [CX_CTR_PAUSED] = "paused",
    [CX_CTR_EXITED] = "exited",         [CX_CTR_REMOVING] = "removing",
};

const char *cx_ctr_state_name(enum cx_ctr_state s)
{
    return s <= CX_CTR_REMOVING ? state_names[s] : "unknown";
}

static enum cx_ctr_state state_parse(const char *s)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (enum cx_ctr_state) i;
    return CX_CTR_EXITED;
}

void cx_ctr_free(struct cx_ctr *c)
{
    free(c->name);
    free(c->image_id);
    free(c->image_name);
    free(c->boot_id);
    free(c->opts);
    free(c->command);
    free(c->runtime);
    free(c->runtime_root);
    memset(c, 0, sizeof *c);
}

void cx_ctrs_free(struct cx_ctr *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cx_ctr_free(&c[i]);
    free(c);
}

void cx_ctr_new_id(char id[65])
{
    unsigned char r[32];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n > 0)
            got += (size_t) n;
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(id + 2 * i, 3, "%02x", r[i]);
    /* an all-digit prefix would read as a number in places; docker avoids it too */
    if (strspn(id, "0123456789") >= 12)
        id[0] = 'a';
}

int cx_ctr_name_check(const char *name, cx_error *err)
{
    if (strlen(name) > 253 || !cx_name_valid(name))
        return cx_fail(err, EINVAL, "container name \"%.64s\" is invalid: names match "
                       "[a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 253 characters)", name);
    return 0;
}

int cx_ctr_new_name(struct cx_db *db, char **name, cx_error *err)
{
    static const char *const adj[] = {
        "amber", "brave", "calm", "deft", "eager", "fond", "glad", "hardy", "keen", "lucid",
        "merry", "noble", "proud", "quiet", "rapid", "sharp", "tidy", "vivid", "witty", "zesty",
    };
    static const char *const noun[] = {
        "otter", "heron", "lynx", "badger", "falcon", "marten", "ibex", "puffin", "newt",
        "osprey", "beaver", "crane", "gecko", "hare", "koala", "lemur", "mole", "raven",
        "stoat", "wren",
    };
    for (int attempt = 0; attempt < 64; attempt++) {
        unsigned r = 0;
        if (getrandom(&r, sizeof r, 0) != sizeof r)
            r = (unsigned) attempt * 7919u;
        _cleanup_free_ char *n = attempt < 32
            ? cx_asprintf("%s_%s", adj[r % 20], noun[(r / 20) % 20])
            : cx_asprintf("%s_%s%u", adj[r % 20], noun[(r / 20) % 20], (r / 400) % 1000);
        bool taken = false;
        if (cx_db_exists(db, "SELECT 1 FROM containers WHERE name = ?", n, &taken, err) < 0)
            return -1;
        if (!taken) {
            *name = TAKE_PTR(n);
            return 0;
        }
    }
    return cx_fail(err, EEXIST, "could not find a free container name: give one with --name");
}

int cx_ctr_insert(struct cx_db *db, const struct cx_ctr *c, cx_error *err)
{
    _cleanup_strv_ char **holder = NULL;
    size_t n = 0;
    if (cx_db_texts(db, "SELECT id FROM containers WHERE name = ?", c->name, &holder, &n,
                    err) < 0)
        return -1;
    if (n > 0)
        return cx_fail(err, EEXIST, "the container name \"%s\" is already in use by %.12s: "
                       "remove that container or choose another name", c->name, holder[0]);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "INSERT INTO containers (id, name, image_id, image_name, created, "
                      "state, boot_id, opts, command, runtime, runtime_root) VALUES (?, ?, ?, "
                      "?, ?, ?, ?, ?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->image_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->image_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, c->created);
    sqlite3_bind_text(st, 6, cx_ctr_state_name(c->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, c->boot_id ? c->boot_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, c->opts ? c->opts : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, c->command ? c->command : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, c->runtime ? c->runtime : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, c->runtime_root ? c->runtime_root : "", -1, SQLITE_STATIC);
    return cx_db_step_done(db, st, err);
}

#define CTR_COLUMNS CX_CTR_COLUMNS("")

/* The text columns, by offset from the first, and where they go. */
static const int text_cols[] = { 1, 2, 3, 8, 15, 16 };

static char **text_field(struct cx_ctr *c, size_t i)
{
    char **f[] = { &c->name, &c->image_id, &c->image_name, &c->boot_id, &c->opts,
                   &c->command };
    return f[i];
}

/* The runtime and its root (columns 17, 18): '' (capsa in process) stays
 * NULL, so the common case allocates nothing; the others are copied into
 * block when there is one (cx_ctr_from_row_in), else duplicated. */
static void runtime_from_row(sqlite3_stmt *st, int first, struct cx_ctr *c, char *block)
{
    char **f[] = { &c->runtime, &c->runtime_root };
    for (int i = 0; i < 2; i++) {
        const char *t = cx_db_text(st, first + 17 + i);
        size_t n = strlen(t) + 1;
        if (n == 1)
            *f[i] = NULL;
        else if (block) {
            *f[i] = memcpy(block, t, n);
            block += n;
        } else {
            *f[i] = cx_strdup(t);
        }
    }
}

/* The other columns (c zeroed). */
static void numbers_from_row(sqlite3_stmt *st, int first, struct cx_ctr *c)
{
    snprintf(c->id, sizeof c->id, "%s", cx_db_text(st, first));
    c->created = sqlite3_column_int64(st, first + 4);
    c->state = state_parse(cx_db_text(st, first + 5));
    c->pid = sqlite3_column_int(st, first + 6);
    c->pid_start = (unsigned long long) sqlite3_column_int64(st, first + 7);
    c->has_exit = sqlite3_column_type(st, first + 9) != SQLITE_NULL;
    c->exit_code = sqlite3_column_int(st, first + 9);
    c->started = sqlite3_column_int64(st, first + 10);
    c->finished = sqlite3_column_int64(st, first + 11);
    c->restarts = sqlite3_column_int(st, first + 12);
    c->stopped_by_user = sqlite3_column_int(st, first + 13) != 0;
    c->oom = sqlite3_column_int(st, first + 14) != 0;
}

void cx_ctr_from_row(sqlite3_stmt *st, int first, struct cx_ctr *c)
{
    memset(c, 0, sizeof *c);
    numbers_from_row(st, first, c);
    for (size_t i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++)
        *text_field(c, i) = cx_strdup(cx_db_text(st, first + text_cols[i]));
    runtime_from_row(st, first, c, NULL);
}

size_t cx_ctr_row_size(sqlite3_stmt *st, int first)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++)
        n += strlen(cx_db_text(st, first + text_cols[i])) + 1;
    for (int i = 17; i <= 18; i++)
        n += strlen(cx_db_text(st, first + i)) + 1;
    return n;
}

void cx_ctr_from_row_in(sqlite3_stmt *st, int first, struct cx_ctr *c, char *block)
{
    memset(c, 0, sizeof *c);
    numbers_from_row(st, first, c);
    for (size_t i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++) {
        const char *t = cx_db_text(st, first + text_cols[i]);
        size_t n = strlen(t) + 1;
        *text_field(c, i) = memcpy(block, t, n);
        block += n;
    }
    runtime_from_row(st, first, c, block);
}

/* The rows of sql with one text argument; at most max (0: all). */
static int select_ctrs(struct cx_db *db, const char *sql, const char *arg, size_t max,
                       struct cx_ctr **out, size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(db, sql, &st, err) < 0)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (max == 0 || *n < max)) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = cx_realloc(*out, cap * sizeof **out);
        }
        cx_ctr_from_row(st, 0, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cx_ctrs_free(*out, *n);
        *out = NULL;
        *n = 0;
        return cx_db_fail(db, "listing containers", err);
    }
    return 0;
}

int cx_ctr_lookup(struct cx_db *db, const char *what, struct cx_ctr *out, bool *found,
                  cx_error *err)
{
    struct cx_ctr *r = NULL;
    size_t n = 0;
    if (found)
        *found = false;
    if (select_ctrs(db, "SELECT " CTR_COLUMNS " FROM containers WHERE id = ?1 OR name = ?1",
                    what, 1, &r, &n, err) < 0)
        return -1;
    size_t len = strlen(what);
    if (n == 0 && len >= 3 && len < 64 && strspn(what, "0123456789abcdef") == len) {
        _cleanup_free_ char *like = cx_asprintf("%s*", what);
        if (select_ctrs(db, "SELECT " CTR_COLUMNS " FROM containers WHERE id GLOB ?", like,
                        2, &r, &n, err) < 0)
            return -1;
        if (n > 1) {
            cx_ctrs_free(r, n);
            return cx_fail(err, EINVAL, "more than one container matches the ID prefix "
                           "\"%s\": give more of it", what);
        }
    }
    if (n == 0) {
        if (found)
            return 0;
        return cx_fail(err, ENOENT, "no container with name or ID \"%.80s\" found", what);
    }
    *out = r[0];
    free(r);
    if (found)
        *found = true;
    return 0;
}

int cx_ctr_list(struct cx_db *db, struct cx_ctr **out, size_t *n, cx_error *err)
{
    return select_ctrs(db, "SELECT " CTR_COLUMNS " FROM containers ORDER BY created, id",
                       NULL, 0, out, n, err);
}

int cx_ctr_update(struct cx_db *db, const struct cx_ctr *c, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "UPDATE containers SET state = ?, pid = ?, pid_start = ?, "
                      "boot_id = ?, exit_code = ?, started = ?, finished = ?, restarts = ?, "
                      "stopped_by_user = ?, oom = ? WHERE id = ?", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, cx_ctr_state_name(c->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, c->pid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64) c->pid_start);
    sqlite3_bind_text(st, 4, c->boot_id ? c->boot_id : "", -1, SQLITE_STATIC);
    if (c->has_exit)
        sqlite3_bind_int(st, 5, c->exit_code);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, c->started);
    sqlite3_bind_int64(st, 7, c->finished);
    sqlite3_bind_int(st, 8, c->restarts);
    sqlite3_bind_int(st, 9, c->stopped_by_user);
    sqlite3_bind_int(st, 10, c->oom);
    sqlite3_bind_text(st, 11, c->id, -1, SQLITE_STATIC);
    return cx_db_step_done(db, st, err);
}

int cx_ctr_delete(struct cx_db *db, const char *id, cx_error *err)
{
    return cx_db_run(db, "DELETE FROM containers WHERE id = ?", id, NULL, err);
}
