/* reserve.c: a kubelet's name reserved for a sandbox or a container, and
 * its label selectors (what the sandbox and container handlers share). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/handlers.h"
#include "store/db.h"

/* the row holding name_key now: its id, state and digest; *found false
 * when none */
static int holder(struct cx_db *db, const char *table, const char *name_key, char id[65],
                  char state[16], char digest[CX_ERROR_MAX / 8], bool *found, cx_error *err)
{
    _cleanup_free_ char *sql = cx_asprintf("SELECT id, state, config_digest FROM %s WHERE "
                                           "name_key = ?", table);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, sql, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, name_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cx_db_fail(db, "reading a reservation", err);
    if (*found) {
        snprintf(id, 65, "%s", cx_db_text(st, 0));
        snprintf(state, 16, "%s", cx_db_text(st, 1));
        snprintf(digest, CX_ERROR_MAX / 8, "%s", cx_db_text(st, 2));
    }
    return 0;
}

int cri_reserve(struct cri_ctx *ctx, struct cx_db *db, const struct cri_reservation *r,
                char id[65], bool *existing, cx_error *err)
{
    *existing = false;
    for (;;) {
        char old[65], state[16], digest[CX_ERROR_MAX / 8];
        bool found;
        if (holder(db, r->table, r->name_key, old, state, digest, &found, err) < 0)
            return -1;
        if (!found) {
            if (r->insert(db, r->row, err) == 0)
                return 0;
            if (err->errnum != EEXIST)
                return -1;
            continue;   /* another request took it meanwhile: look again */
        }
        bool creating = strcmp(state, "creating") == 0;
        if (strcmp(digest, r->digest) != 0 || (!creating && strcmp(state, r->reusable) != 0))
            return cx_fail(err, EEXIST, "the %s name %s is taken by %s %s", r->kind,
                           r->name_key, r->kind, old);
        if (!creating) {   /* the same request again: what the first made */
            memcpy(id, old, 65);
            *existing = true;
            return 0;
        }
        if (cri_time_left(ctx) == 0)
            return cx_fail(err, ETIMEDOUT, "the %s %s is still being made by an earlier "
                           "request", r->kind, r->name_key);
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
}

/* Every generated map entry has this layout: base, key, value. */
struct kv {
    ProtobufCMessage base;
    char *key, *value;
};

bool cri_labels_match(void *const *labels, size_t n, void *const *selector, size_t nsel)
{
    for (size_t i = 0; i < nsel; i++) {
        const struct kv *s = selector[i];
        bool hit = false;
        for (size_t j = 0; j < n && !hit; j++) {
            const struct kv *l = labels[j];
            hit = strcmp(l->key, s->key) == 0 && strcmp(l->value, s->value) == 0;
        }
        if (!hit)
            return false;
    }
    return true;
}
