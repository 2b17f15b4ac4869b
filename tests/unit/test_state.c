/* test_state.c: state.json round trip, rejection of torn and foreign files,
 * status derivation from the live process, and the OCI state document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/procinfo.h"
#include "runtime/state.h"

struct fixture {
    char dir[64];
    int dirfd;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/capsa-test-state.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dirfd < 0) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->dirfd);
    int rc = cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f);
    return rc;
}

/* A state describing this test process (alive, right start time). */
static struct cx_state *self_state(const char *id)
{
    struct cx_state *st = calloc(1, sizeof *st);
    uint64_t start = 0;
    assert_non_null(st);
    assert_int_equal(proc_stat(getpid(), &start, NULL), 0);
    st->id = cx_strdup(id);
    st->bundle = cx_strdup("/run/bundles/b1");
    st->rootfs = cx_strdup("/run/bundles/b1/rootfs");
    st->created = cx_strdup("2026-11-24T01:13:29.789173332Z");
    st->owner = cx_strdup("root");
    st->oci_version = cx_strdup("1.2.1");
    st->pid = getpid();
    st->pid_start = start;
    st->boot_id = cx_strdup(proc_boot_id());
    st->annotations = json_pack("{s:s,s:s}", "org.example", "1", "k", "v");
    st->config = json_pack("{s:s,s:{s:s}}", "ociVersion", "1.2.1", "root", "path", "rootfs");
    st->status = CX_RUNNING;
    return st;
}

static void write_text(int dirfd, const char *name, const char *text)
{
    cx_error err;
    if (cx_write_file_atomic_at(dirfd, name, text, strlen(text), 0600, &err) < 0)
        fail_msg("%s", err.msg);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *st = self_state("web-1"), *back = NULL;
    cx_error_clear(&err);
    assert_int_equal(cx_state_write(f->dirfd, st, &err), 0);

    struct stat sb;
    assert_int_equal(fstatat(f->dirfd, "state.json", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);

    if (cx_state_read(f->dirfd, "web-1", &back, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(back->id, "web-1");
    assert_string_equal(back->bundle, "/run/bundles/b1");
    assert_string_equal(back->rootfs, "/run/bundles/b1/rootfs");
    assert_string_equal(back->created, "2026-11-24T01:13:29.789173332Z");
    assert_string_equal(back->owner, "root");
    assert_string_equal(back->oci_version, "1.2.1");
    assert_int_equal(back->pid, getpid());
    assert_int_equal(back->pid_start, st->pid_start);
    assert_string_equal(back->boot_id, proc_boot_id());
    assert_false(back->partial);
    assert_non_null(back->annotations);
    assert_true(json_equal(back->annotations, st->annotations));
    /* the config lives in config.json beside it, not in state.json */
    assert_null(back->config);
    cx_state_free(back);
    char *cfg = NULL;
    assert_int_equal(cx_read_file_at(f->dirfd, "config.json", 1 << 20, &cfg, NULL, &err), 0);
    json_t *cdoc = json_loads(cfg, 0, NULL);
    free(cfg);
    assert_non_null(cdoc);
    assert_true(json_equal(cdoc, st->config));
    json_decref(cdoc);

    /* the file carries "created", not the in-memory status */
    char *text = NULL;
    assert_int_equal(cx_read_file_at(f->dirfd, "state.json", 1 << 20, &text, NULL, &err), 0);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "created");
    assert_int_equal(json_integer_value(json_object_get(doc, "pid")), getpid());
    json_decref(doc);
    cx_state_free(st);
}

static void test_round_trip_no_annotations(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *st = self_state("bare"), *back = NULL;
    json_decref(st->annotations);
    json_decref(st->config);
    st->annotations = st->config = NULL;
    assert_int_equal(cx_state_write(f->dirfd, st, &err), 0);
    assert_int_equal(cx_state_read(f->dirfd, "bare", &back, &err), 0);
    assert_null(back->annotations);
    assert_null(back->config);
    assert_int_equal(back->pid, getpid());
    cx_state_free(back);
    cx_state_free(st);
}

static void test_missing(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *back = NULL;
    cx_error_clear(&err);
    assert_int_equal(cx_state_read(f->dirfd, "gone", &back, &err), -1);
    assert_null(back);
    assert_int_equal(err.errnum, ENOENT);
    assert_string_equal(err.msg, "container gone: open state.json");
}

static void test_torn(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *st = self_state("t"), *back = NULL;
    assert_int_equal(cx_state_write(f->dirfd, st, &err), 0);
    cx_state_free(st);

    struct stat sb;
    assert_int_equal(fstatat(f->dirfd, "state.json", &sb, 0), 0);
    int fd = openat(f->dirfd, "state.json", O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, sb.st_size / 2), 0);
    close(fd);

    cx_error_clear(&err);
    assert_int_equal(cx_state_read(f->dirfd, "t", &back, &err), -1);
    assert_null(back);
    assert_non_null(strstr(err.msg, "torn"));
    assert_true(strncmp(err.msg, "container t: state.json: line 1: ", 33) == 0);

    write_text(f->dirfd, "state.json", "");
    assert_int_equal(cx_state_read(f->dirfd, "t", &back, &err), -1);
    assert_non_null(strstr(err.msg, "torn"));
}

static void test_foreign(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *back = NULL;
    static const char *foreign[] = {
        /* runc's own state.json shape, without capsa's keys */
        "{\"id\":\"x\",\"init_process_pid\":1234,\"init_process_start\":5,"
        "\"created\":\"2026-01-01T00:00:00Z\",\"config\":{}}",
        /* the OCI state document, but no "capsa" object */
        "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"pid\":12,\"status\":\"created\","
        "\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"c\",\"owner\":\"\"}",
        /* "capsa" of the wrong shape */
        "{\"id\":\"x\",\"pid\":12,\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"c\","
        "\"owner\":\"\",\"capsa\":{\"pidStart\":\"5\",\"bootId\":\"b\"}}",
        /* a pid that cannot be a process */
        "{\"id\":\"x\",\"pid\":0,\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"c\","
        "\"owner\":\"\",\"capsa\":{\"pidStart\":5,\"bootId\":\"b\"}}",
        "[1,2,3]",
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        write_text(f->dirfd, "state.json", foreign[i]);
        cx_error_clear(&err);
        if (cx_state_read(f->dirfd, "x", &back, &err) != -1)
            fail_msg("foreign file %zu accepted", i);
        assert_null(back);
        assert_string_equal(err.msg, "container x: state.json: not a capsa state file");
    }
}

static void test_wrong_id(void **state)
{
    struct fixture *f = *state;
    cx_error err;
    struct cx_state *st = self_state("alpha"), *back = NULL;
    assert_int_equal(cx_state_write(f->dirfd, st, &err), 0);
    cx_state_free(st);
    cx_error_clear(&err);
    assert_int_equal(cx_state_read(f->dirfd, "beta", &back, &err), -1);
    assert_null(back);
    assert_string_equal(err.msg, "container beta: state.json: not a capsa state file");
}

static void test_refresh_live(void **state)
{
    struct fixture *f = *state;
    struct cx_state *st = self_state("live");

    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_RUNNING);

    assert_int_equal(mkfifoat(f->dirfd, "start.sock", 0600), 0);
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_CREATED);
    assert_int_equal(unlinkat(f->dirfd, "start.sock", 0), 0);

    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_RUNNING);
    cx_state_free(st);
}

static void test_refresh_stopped(void **state)
{
    struct fixture *f = *state;
    struct cx_state *st = self_state("dead");
    assert_int_equal(mkfifoat(f->dirfd, "start.sock", 0600), 0);

    /* our pid, but a different start time: a reused pid */
    st->pid_start += 1;
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_STOPPED);
    st->pid_start -= 1;

    /* another boot */
    free(st->boot_id);
    st->boot_id = cx_strdup("00000000-0000-0000-0000-000000000000");
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_STOPPED);
    free(st->boot_id);
    st->boot_id = cx_strdup(proc_boot_id());

    /* a directory without a readable state.json */
    st->partial = true;
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_STOPPED);
    st->partial = false;

    /* a pid beyond any pid_max */
    st->pid = (1 << 22) - 1;
    if (proc_stat(st->pid, NULL, NULL) < 0) {
        cx_state_refresh(f->dirfd, st);
        assert_int_equal(st->status, CX_STOPPED);
    }

    /* a child that exited: first a zombie, then reaped */
    signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would reap it at once */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    uint64_t start;
    assert_int_equal(proc_stat(child, &start, NULL), 0);
    st->pid = child;
    st->pid_start = start;
    char pstate = 0;
    for (int i = 0; i < 500 && pstate != 'Z'; i++) {   /* up to 5 s */
        assert_int_equal(proc_stat(child, NULL, &pstate), 0);
        if (pstate != 'Z')
            usleep(10000);
    }
    assert_int_equal(pstate, 'Z');
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_STOPPED);

    int wst;
    assert_int_equal(waitpid(child, &wst, 0), child);
    st->status = CX_CREATED;
    cx_state_refresh(f->dirfd, st);
    assert_int_equal(st->status, CX_STOPPED);

    json_t *oci = cx_state_to_oci(st, true);
    assert_int_equal(json_integer_value(json_object_get(oci, "pid")), 0);
    assert_string_equal(json_string_value(json_object_get(oci, "status")), "stopped");
    json_decref(oci);
    cx_state_free(st);
}

static void test_to_oci(void **state)
{
    (void) state;
    struct cx_state *st = self_state("doc");
    st->status = CX_RUNNING;
    json_t *o = cx_state_to_oci(st, true);
    assert_string_equal(json_string_value(json_object_get(o, "ociVersion")), "1.2.1");
    assert_string_equal(json_string_value(json_object_get(o, "id")), "doc");
    assert_int_equal(json_integer_value(json_object_get(o, "pid")), getpid());
    assert_string_equal(json_string_value(json_object_get(o, "status")), "running");
    assert_string_equal(json_string_value(json_object_get(o, "bundle")), "/run/bundles/b1");
    assert_string_equal(json_string_value(json_object_get(o, "rootfs")), "/run/bundles/b1/rootfs");
    assert_string_equal(json_string_value(json_object_get(o, "created")),
                        "2026-11-24T01:13:29.789173332Z");
    assert_string_equal(json_string_value(json_object_get(o, "owner")), "root");
    assert_true(json_equal(json_object_get(o, "annotations"), st->annotations));
    assert_null(json_object_get(o, "capsa"));
    assert_null(json_object_get(o, "config"));
    json_decref(o);

    st->status = CX_CREATED;
    o = cx_state_to_oci(st, false);
    assert_string_equal(json_string_value(json_object_get(o, "owner")), "");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "created");
    assert_int_equal(json_integer_value(json_object_get(o, "pid")), getpid());
    json_decref(o);

    st->status = CX_STOPPED;
    json_decref(st->annotations);
    st->annotations = json_object();
    o = cx_state_to_oci(st, true);
    assert_int_equal(json_integer_value(json_object_get(o, "pid")), 0);
    assert_null(json_object_get(o, "annotations")); /* empty: omitted */
    json_decref(o);
    cx_state_free(st);

    assert_string_equal(cx_status_name(CX_CREATING), "creating");
    assert_string_equal(cx_status_name(CX_PAUSED), "paused");
}

static void test_rfc3339_now(void **state)
{
    (void) state;
    char buf[64];
    regex_t re;
    assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                  "\\.[0-9]{9}Z$", REG_EXTENDED | REG_NOSUB), 0);
    time_t before = time(NULL);
    cx_rfc3339_now(buf, sizeof buf);
    time_t after = time(NULL);
    int m = regexec(&re, buf, 0, NULL, 0);
    regfree(&re);
    if (m != 0)
        fail_msg("\"%s\" is not RFC 3339 with nanoseconds", buf);

    /* and it is now, in UTC */
    struct tm tm = { 0 };
    char *rest = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(rest);
    assert_int_equal(rest[0], '.');
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_round_trip_no_annotations),
        T(test_missing),
        T(test_torn),
        T(test_foreign),
        T(test_wrong_id),
        T(test_refresh_live),
        T(test_refresh_stopped),
        T(test_to_oci),
        T(test_rfc3339_now),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
