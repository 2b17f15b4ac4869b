/* test_store.c: the store's records: blobs verified on the way in, images
 * recorded incomplete then complete, names, lookups, collection, and the
 * repair of what a killed process left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "store/store.h"

struct fx {
    char dir[64];
    char *root, *runroot;
    struct cx_store s;
};

static int setup(void **state)
{
    struct fx *f = cx_calloc(1, sizeof *f);
    cx_error err = { 0 };
    snprintf(f->dir, sizeof f->dir, "/tmp/capsa-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->root = cx_asprintf("%s/root", f->dir);
    f->runroot = cx_asprintf("%s/run", f->dir);
    assert_int_equal(cx_store_open(&f->s, f->root, f->runroot, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    cx_store_close(&f->s);
    cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f->root), free(f->runroot), free(f);
    return 0;
}

static void digest_of(const char *s, struct cx_digest *d)
{
    cx_error err = { 0 };
    assert_int_equal(cx_digest_buffer(CX_SHA256, s, strlen(s), d, &err), 0);
}

static void test_blob_roundtrip(void **state)
{
    struct fx *f = *state;
    struct cx_digest d;
    cx_error err = { 0 };
    char *buf = NULL;
    size_t len;
    digest_of("hello", &d);
    assert_false(cx_blob_exists(&f->s, &d));
    assert_int_equal(cx_blob_put(&f->s, &d, "hello", 5, "text", &err), 0);
    assert_true(cx_blob_exists(&f->s, &d));
    assert_int_equal(cx_blob_read(&f->s, &d, 100, &buf, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "hello", 5);
    free(buf);
    /* stored again: nothing written, no error */
    assert_int_equal(cx_blob_put(&f->s, &d, "hello", 5, "text", &err), 0);
}

static void test_blob_mismatch(void **state)
{
    struct fx *f = *state;
    struct cx_digest d;
    cx_error err = { 0 };
    digest_of("hello", &d);
    assert_int_equal(cx_blob_put(&f->s, &d, "hellO", 5, "text", &err), -1);
    assert_non_null(strstr(err.msg, "digest mismatch"));
    assert_false(cx_blob_exists(&f->s, &d));
    /* more than declared */
    struct cx_blob_writer w;
    bool exists;
    cx_error_clear(&err);
    assert_int_equal(cx_blob_begin(&f->s, &d, 3, "x", &w, &exists, &err), 0);
    assert_int_equal(cx_blob_write(&w, "hello", 5, &err), -1);
    assert_non_null(strstr(err.msg, "more than its declared 3 bytes"));
    cx_blob_abort(&w);
    /* truncated */
    cx_error_clear(&err);
    assert_int_equal(cx_blob_begin(&f->s, &d, 5, "x", &w, &exists, &err), 0);
    assert_int_equal(cx_blob_write(&w, "hel", 3, &err), 0);
    assert_int_equal(cx_blob_commit(&w, &err), -1);
    assert_non_null(strstr(err.msg, "truncated"));
    cx_blob_abort(&w);
    /* nothing left behind in blobs/ */
    char *p = cx_asprintf("%s/blobs/sha256/%s", f->root, d.hex);
    struct stat sb;
    assert_int_equal(stat(p, &sb), -1);
    free(p);
}

static void new_image(struct fx *f, const char *cfg, struct cx_digest *id, bool finish,
                      const char *name)
{
    struct cx_digest man, blobs[2];
    struct cx_lock lock = CX_LOCK_INIT;
    cx_error err = { 0 };
    bool complete;
    digest_of(cfg, id);
    digest_of("manifest", &man);
    blobs[0] = *id, blobs[1] = man;
    struct cx_image_new img = { id, &man, "application/vnd.oci.image.manifest.v1+json",
                                "2024-01-01T00:00:00Z", NULL, 0, blobs, 2 };
    assert_int_equal(cx_image_begin(&f->s, &img, &lock, &complete, &err), 0);
    assert_false(complete);
    assert_int_equal(cx_blob_put(&f->s, id, cfg, strlen(cfg), "c", &err), 0);
    if (finish)
        assert_int_equal(cx_image_finish(&f->s, id->hex, -1, name, NULL, &err), 0);
    cx_lock_release(&lock);
}

static void test_images(void **state)
{
    struct fx *f = *state;
    struct cx_digest a, b;
    struct cx_image_rec *recs, r;
    size_t n;
    bool found;
    cx_error err = { 0 };
    new_image(f, "config-a", &a, true, "docker.io/library/a:latest");
    new_image(f, "config-b", &b, false, NULL);
    /* the incomplete one is never listed */
    assert_int_equal(cx_image_list(&f->s, &recs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(recs[0].id, a.hex);
    assert_int_equal(recs[0].nnames, 1);
    cx_image_recs_free(recs, n);
    /* by name, by ID, by prefix */
    assert_int_equal(cx_image_lookup(&f->s, "docker.io/library/a:latest", &r, &found, &err), 0);
    assert_true(found);
    cx_image_rec_free(&r);
    char pfx[8];
    snprintf(pfx, sizeof pfx, "%.5s", a.hex);
    assert_int_equal(cx_image_lookup(&f->s, pfx, &r, &found, &err), 0);
    assert_true(found);
    cx_image_rec_free(&r);
    assert_int_equal(cx_image_lookup(&f->s, b.hex, &r, &found, &err), 0);
    assert_false(found);
    /* a tag moves */
    assert_int_equal(cx_image_tag(&f->s, a.hex, "localhost/x:1", &err), 0);
    assert_int_equal(cx_image_untag(&f->s, "docker.io/library/a:latest", &found, &err), 0);
    assert_true(found);
    assert_int_equal(cx_image_lookup(&f->s, "localhost/x:1", &r, &found, &err), 0);
    assert_true(found);
    assert_int_equal(r.nnames, 1);
    cx_image_rec_free(&r);
}

static void test_repair_and_gc(void **state)
{
    struct fx *f = *state;
    struct cx_digest a, b;
    cx_error err = { 0 };
    new_image(f, "config-a", &a, true, "localhost/a:1");
    /* b's owner "died": its lock was released without finishing */
    new_image(f, "config-b", &b, false, NULL);
    assert_true(cx_blob_exists(&f->s, &b));
    cx_store_close(&f->s);
    assert_int_equal(cx_store_open(&f->s, f->root, f->runroot, &err), 0);
    /* b's record is gone, and with it its config blob; a's is kept */
    assert_false(cx_blob_exists(&f->s, &b));
    assert_true(cx_blob_exists(&f->s, &a));
    assert_int_equal(cx_image_delete(&f->s, a.hex, &err), 0);
    assert_int_equal(cx_store_gc(&f->s, &err), 0);
    assert_false(cx_blob_exists(&f->s, &a));
    char *p = cx_asprintf("%s/blobs/sha256/%s", f->root, a.hex);
    struct stat sb;
    assert_int_equal(stat(p, &sb), -1);
    free(p);
}

static void test_incomplete_kept_while_owned(void **state)
{
    struct fx *f = *state;
    struct cx_digest b, man;
    struct cx_lock lock = CX_LOCK_INIT;
    cx_error err = { 0 };
    bool complete;
    digest_of("config-c", &b);
    digest_of("manifest", &man);
    struct cx_image_new img = { &b, &man, "m", "", NULL, 0, &b, 1 };
    assert_int_equal(cx_image_begin(&f->s, &img, &lock, &complete, &err), 0);
    assert_int_equal(cx_blob_put(&f->s, &b, "config-c", 8, "c", &err), 0);
    /* another opener repairs: the owner holds its lock, nothing is dropped */
    struct cx_store other;
    assert_int_equal(cx_store_open(&other, f->root, f->runroot, &err), 0);
    assert_int_equal(cx_store_gc(&other, &err), 0);
    assert_true(cx_blob_exists(&other, &b));
    cx_store_close(&other);
    cx_lock_release(&lock);
}

static void test_schema_newer(void **state)
{
    struct fx *f = *state;
    cx_error err = { 0 };
    assert_int_equal(cx_db_exec(&f->s.db, "PRAGMA user_version = 99", &err), 0);
    cx_store_close(&f->s);
    assert_int_equal(cx_store_open(&f->s, f->root, f->runroot, &err), -1);
    assert_non_null(strstr(err.msg, "schema version 99, newer than"));
    cx_error_clear(&err);
    /* a fresh database opens again (teardown closes it) */
    char *p = cx_asprintf("%s/capsa.db", f->root);
    assert_int_equal(unlink(p), 0);
    free(p);
    assert_int_equal(cx_store_open(&f->s, f->root, f->runroot, &err), 0);
}

/* A kept statement is prepared once and reset when handed back; one in
 * use already (a caller nested in another's loop) gets a fresh one, which
 * cx_db_put finalizes. */
static void test_kept_statements(void **state)
{
    struct fx *f = *state;
    struct cx_db *db = &f->s.db;
    cx_error err = { 0 };
    const char *sql = "SELECT name FROM sqlite_master WHERE type = ?1";
    sqlite3_stmt *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(cx_db_prepare_kept(db, sql, &a, &err), 0);
    assert_true(cx_db_is_kept(db, a));
    sqlite3_bind_text(a, 1, "table", -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(a), SQLITE_ROW);
    assert_int_equal(cx_db_prepare_kept(db, sql, &b, &err), 0);   /* a is busy */
    assert_ptr_not_equal(a, b);
    assert_false(cx_db_is_kept(db, b));
    cx_db_put(db, b);
    cx_db_put(db, a);
    assert_false(sqlite3_stmt_busy(a));   /* reset: no read transaction left */
    assert_int_equal(cx_db_prepare_kept(db, sql, &c, &err), 0);
    assert_ptr_equal(a, c);
    /* its bindings were cleared */
    assert_int_equal(sqlite3_step(c), SQLITE_DONE);
    cx_db_put(db, c);
    assert_int_equal(db->nkept, 1);
    cx_db_put(db, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blob_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repair_and_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_kept_while_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_statements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
