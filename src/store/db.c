/* db.c: see db.h.  Migrations run in one IMMEDIATE transaction, so two
 * processes opening a fresh store at once end with one schema. */
#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "store/lock.h"

/* Migration N takes the schema from version N to N + 1. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE blobs ("
    "  digest TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  media_type TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    /* unpacked layers, once per chain ID; state: incomplete while being
       unpacked (or left so by a killed process), complete after its syncfs */
    "CREATE TABLE layers ("
    "  chain_id TEXT PRIMARY KEY,"
    "  diff_id TEXT NOT NULL,"
    "  parent TEXT,"
    "  blob_digest TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL CHECK (state IN ('incomplete', 'complete')),"
    "  created INTEGER NOT NULL);"
    /* images, by ID (the config's digest); incomplete while a pull,
       load or import is writing it: never listed, repaired by the next
       command that finds its owner gone */
    "CREATE TABLE images ("
    "  id TEXT PRIMARY KEY,"
    "  config_digest TEXT NOT NULL,"
    "  manifest_digest TEXT NOT NULL,"
    "  manifest_media_type TEXT NOT NULL,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  created TEXT NOT NULL DEFAULT '',"
    "  added INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('incomplete', 'complete')),"
    "  owner INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE image_layers ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  chain_id TEXT NOT NULL,"
    "  PRIMARY KEY (image_id, idx));"
    "CREATE INDEX image_layers_chain ON image_layers(chain_id);"
    /* the blobs an image needs to be pushed or saved as it was pulled */
    "CREATE TABLE image_blobs ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  digest TEXT NOT NULL,"
    "  PRIMARY KEY (image_id, digest));"
    "CREATE INDEX image_blobs_digest ON image_blobs(digest);"
    /* names (repository:tag) and the digests an image was pulled by */
    "CREATE TABLE names ("
    "  name TEXT PRIMARY KEY,"
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  added INTEGER NOT NULL);"
    "CREATE INDEX names_image ON names(image_id);"
    "CREATE TABLE repo_digests ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (image_id, name));"
    /* intents of removal: recorded in the transaction that drops the
       record, carried out after it (under the object's lock); a process
       killed in between leaves them for the next store open */
    "CREATE TABLE removals ("
    "  kind TEXT NOT NULL CHECK (kind IN ('layer', 'blob')),"
    "  key TEXT NOT NULL,"
    "  PRIMARY KEY (kind, key));",
    /* 1 -> 2: containers and volumes (src/engine).  A container pins its
       image (rmi refuses while one exists); state is what the engine last
       recorded, read together with the shim's exit file and the pid's
       start time, so a record left by a killed capsactl reads truthfully */
    "CREATE TABLE containers ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  image_id TEXT NOT NULL REFERENCES images(id),"
    "  image_name TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('configured', 'created', 'running',"
    "    'paused', 'exited', 'removing')),"
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  pid_start INTEGER NOT NULL DEFAULT 0,"
    "  boot_id TEXT NOT NULL DEFAULT '',"
    "  exit_code INTEGER,"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0,"
    "  restarts INTEGER NOT NULL DEFAULT 0,"
    "  stopped_by_user INTEGER NOT NULL DEFAULT 0,"
    "  oom INTEGER NOT NULL DEFAULT 0,"
    "  opts TEXT NOT NULL);"
    "CREATE INDEX containers_image ON containers(image_id);"
    "CREATE TABLE volumes ("
    "  name TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  labels TEXT NOT NULL DEFAULT '{}');"
    "CREATE TABLE container_volumes ("
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  volume TEXT NOT NULL REFERENCES volumes(name),"
    "  PRIMARY KEY (container_id, volume));"
    "CREATE INDEX container_volumes_volume ON container_volumes(volume);",
    /* 2 -> 3: the container's command (a JSON array), so `ps` reads no
       config.json ('': recorded before it, read from config.json) */
    "ALTER TABLE containers ADD COLUMN command TEXT NOT NULL DEFAULT '';",
    /* 3 -> 4: networks (CNI bridge networks; the conflist is made from
       the record) and which container is on which, with its address */
    "CREATE TABLE networks ("
    "  name TEXT PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  bridge TEXT NOT NULL UNIQUE,"
    "  subnet TEXT NOT NULL,"
    "  gateway TEXT NOT NULL,"
    "  internal INTEGER NOT NULL DEFAULT 0,"
    "  labels TEXT NOT NULL DEFAULT '{}',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE container_networks ("
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  network TEXT NOT NULL REFERENCES networks(name),"
    "  ifname TEXT NOT NULL,"
    "  aliases TEXT NOT NULL DEFAULT '[]',"
    "  ip TEXT NOT NULL DEFAULT '',"
    "  mac TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (container_id, network));"
    "CREATE INDEX container_networks_network ON container_networks(network);",
    /* 4 -> 5: pods (opts: what `pod create` was given, JSON) and their
       containers, the infra container among them */
    "CREATE TABLE pods ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  infra_id TEXT NOT NULL DEFAULT '',"
    "  opts TEXT NOT NULL DEFAULT '{}',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE pod_containers ("
    "  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,"
    "  pod_id TEXT NOT NULL REFERENCES pods(id));"
    "CREATE INDEX pod_containers_pod ON pod_containers(pod_id);",
    /* 5 -> 6: what capsad (the CRI server) adds to pods and containers:
       the kubelet's name for each (name_key: unique, so a retried request
       finds what the first made), its config as the kubelet sent it (a
       packed protobuf), and the CRI states the engine does not have.  The
       rows are written before the pod or container exists and have no
       foreign key: a row whose object is gone is removed at start */
    "CREATE TABLE cri_sandboxes ("
    "  id TEXT PRIMARY KEY,"
    "  name_key TEXT NOT NULL UNIQUE,"
    "  state TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'stopped')),"
    "  config BLOB NOT NULL,"
    "  config_digest TEXT NOT NULL,"
    "  runtime_handler TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE cri_containers ("
    "  id TEXT PRIMARY KEY,"
    "  sandbox_id TEXT NOT NULL,"
    "  name_key TEXT NOT NULL UNIQUE,"
    "  state TEXT NOT NULL CHECK (state IN ('creating', 'created', 'started')),"
    "  config BLOB NOT NULL,"
    "  config_digest TEXT NOT NULL,"
    "  log_path TEXT NOT NULL DEFAULT '',"
    "  start_error TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX cri_containers_sandbox ON cri_containers(sandbox_id);"
    /* and networks whose configuration is a file of a CNI directory
       (capsad's pods' network, as the node's admin wrote it) */
    "ALTER TABLE networks ADD COLUMN conf_file TEXT NOT NULL DEFAULT '';",
    /* 6 -> 7: the OCI runtime a container runs under: '' for capsa's
       library in process, else another runtime's binary (runc, crun) and
       the --root its state is kept in (src/engine/ctr_runtime.h) */
    ("ALTER TABLE containers ADD COLUMN runtime TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE containers ADD COLUMN runtime_root TEXT NOT NULL DEFAULT '';"),
};

int cx_db_fail(struct cx_db *db, const char *what, cx_error *err)
{
    int code = sqlite3_errcode(db->h);
    int e = code == SQLITE_BUSY || code == SQLITE_LOCKED ? EBUSY
          : code == SQLITE_FULL ? ENOSPC : code == SQLITE_READONLY ? EROFS : EIO;
    return cx_fail(err, e, "store database %s: %s: %s", db->path, what,
                   sqlite3_errmsg(db->h));
}

int cx_db_exec(struct cx_db *db, const char *sql, cx_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    char what[64];
    snprintf(what, sizeof what, "%.40s", sql);
    cx_db_fail(db, what, err);
    sqlite3_free(msg);
    return -1;
}

int cx_db_prepare(struct cx_db *db, const char *sql, sqlite3_stmt **st, cx_error *err)
{
    if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    char what[64];
    snprintf(what, sizeof what, "%.40s", sql);
    return cx_db_fail(db, what, err);
}

bool cx_db_is_kept(const struct cx_db *db, const sqlite3_stmt *st)
{
    for (size_t i = 0; i < db->nkept; i++)
        if (db->kept[i] == st)
            return true;
    return false;
}

int cx_db_prepare_kept(struct cx_db *db, const char *sql, sqlite3_stmt **st, cx_error *err)
{
    for (size_t i = 0; i < db->nkept; i++) {
        if (strcmp(sqlite3_sql(db->kept[i]), sql) != 0)
            continue;
        if (sqlite3_stmt_busy(db->kept[i]))
            return cx_db_prepare(db, sql, st, err);
        *st = db->kept[i];
        return 0;
    }
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "%.40s", sql);
        return cx_db_fail(db, what, err);
    }
    db->kept = cx_realloc(db->kept, (db->nkept + 1) * sizeof *db->kept);
    db->kept[db->nkept++] = *st;
    return 0;
}

void cx_db_put(struct cx_db *db, sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    if (!cx_db_is_kept(db, st)) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int cx_db_step_done(struct cx_db *db, sqlite3_stmt *st, cx_error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    char what[64];
    snprintf(what, sizeof what, "%.40s", sqlite3_sql(st));
    return cx_db_fail(db, what, err);
}

int cx_db_run(struct cx_db *db, const char *sql, const char *a, const char *b, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, sql, &st, err) < 0)
        return -1;
    if (a)
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    return cx_db_step_done(db, st, err);
}

int cx_db_exists(struct cx_db *db, const char *sql, const char *key, bool *found, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, sql, &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    *found = sqlite3_step(st) == SQLITE_ROW;
    return 0;
}

int cx_db_texts(struct cx_db *db, const char *sql, const char *arg, char ***out, size_t *n,
                cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    size_t cap = 4;
    *n = 0;
    *out = cx_calloc(cap, sizeof(char *));
    if (cx_db_prepare(db, sql, &st, err) < 0)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n + 2 > cap)
            *out = cx_realloc(*out, (cap *= 2) * sizeof(char *));
        (*out)[(*n)++] = cx_strdup(cx_db_text(st, 0));
        (*out)[*n] = NULL;
    }
    return 0;
}

const char *cx_db_text(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? (const char *) s : "";
}

int cx_db_begin(struct cx_db *db, cx_error *err)
{
    return cx_db_exec(db, "BEGIN IMMEDIATE", err);
}

int cx_db_commit(struct cx_db *db, cx_error *err)
{
    return cx_db_exec(db, "COMMIT", err);
}

void cx_db_rollback(struct cx_db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

static int user_version(struct cx_db *db, int *v, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(db, "PRAGMA user_version", &st, err) < 0)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return cx_db_fail(db, "reading the schema version", err);
    *v = sqlite3_column_int(st, 0);
    return 0;
}

static int migrate(struct cx_db *db, cx_error *err)
{
    int v = 0;
    const int want = (int) (sizeof migrations / sizeof migrations[0]);
    if (user_version(db, &v, err) < 0)
        return -1;
    if (v == want)
        return 0;
    if (cx_db_begin(db, err) < 0)
        return -1;
    if (user_version(db, &v, err) < 0)
        return cx_db_rollback(db), -1;
    if (v > want) {
        cx_db_rollback(db);
        return cx_fail(err, EPROTO, "store database %s has schema version %d, newer than "
                       "this capsactl's %d: use a newer capsactl", db->path, v, want);
    }
    for (; v < want; v++) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (cx_db_exec(db, migrations[v], err) < 0 || cx_db_exec(db, pragma, err) < 0) {
            cx_db_rollback(db);
            return cx_error_prefix(err, "migrating the store to schema %d", v + 1);
        }
    }
    return cx_db_commit(db, err);
}

/* Switching to WAL needs a moment alone with the file; SQLite does not call the
 * busy handler for it, so it is retried here, for as long as the busy time-out. */
static int wal(struct cx_db *db, cx_error *err)
{
    for (int tries = 0; tries < 6000; tries++) {
        int rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return cx_db_exec(db, "PRAGMA journal_mode = WAL", err);
}

/* The journal mode and the migrations are settled by one opener at a time: SQLite
 * answers "database is locked" at once, without its busy handler, to a second
 * connection switching a fresh database to WAL. */
static int settle(struct cx_db *db, int locksfd, cx_error *err)
{
    struct cx_lock lock = { .fd = -1 };
    if (cx_lock_take(locksfd, "db", "open", true, &lock, err) < 0)
        return -1;
    int r = (wal(db, err) < 0 || migrate(db, err) < 0) ? -1 : 0;
    cx_lock_release(&lock);
    return r;
}

static bool one_thread;

void cx_db_one_thread_connections(void)
{
    one_thread = true;
}

int cx_db_open(struct cx_db *db, int locksfd, const char *dir, cx_error *err)
{
    db->path = cx_asprintf("%s/capsa.db", dir);
    db->kept = NULL;
    db->nkept = 0;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                (one_thread ? SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_FULLMUTEX);
    if (sqlite3_open_v2(db->path, &db->h, flags, NULL) != SQLITE_OK) {
        cx_db_fail(db, "open", err);
        cx_db_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->h, 60000);
    sqlite3_extended_result_codes(db->h, 0);
    if (cx_db_exec(db, "PRAGMA synchronous = FULL", err) < 0 ||
        cx_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0 || settle(db, locksfd, err) < 0) {
        cx_db_close(db);
        return -1;
    }
    return 0;
}

void cx_db_close(struct cx_db *db)
{
    for (size_t i = 0; i < db->nkept; i++)
        sqlite3_finalize(db->kept[i]);
    free(db->kept);
    db->kept = NULL;
    db->nkept = 0;
    if (db->h)
        sqlite3_close(db->h);
    db->h = NULL;
    free((char *) db->path);
    db->path = NULL;
}
