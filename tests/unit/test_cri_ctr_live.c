/* test_cri_ctr_live.c: capsad's cheap reading of many containers' states
 * (src/cri/ctr_live.c) against real processes: a running init is known by
 * its pidfd and stays running without the full reading; one that ended,
 * one whose start time is not the record's, one of another boot are
 * read the full way (cx_ctr_sync) and found exited; records at rest are
 * left as they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/ctr_live.h"
#include "engine/engine.h"
#include "engine/lifecycle.h"

struct fx {
    char dir[64];
    struct cx_engine e;
    pid_t kids[2];
};

static pid_t child(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        for (;;)
            pause();
    }
    /* its start time is there once it runs */
    for (int i = 0; i < 1000 && cx_pid_start(p) == 0; i++)
        usleep(1000);
    return p;
}

static void reap(pid_t *p)
{
    if (*p > 0) {
        kill(*p, SIGKILL);
        waitpid(*p, NULL, 0);
    }
    *p = 0;
}

static int setup(void **state)
{
    struct fx *f = cx_calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/capsa-ctr-live-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    /* what cx_ctr_sync reads: the run directories (no exit file, no shim) */
    f->e.runctrsfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->e.runctrsfd >= 0);
    f->e.ctrsfd = -1;
    f->e.shim = cx_strdup("/nonexistent/capsa-shim");
    f->e.runtime_root = cx_asprintf("%s/runtime", f->dir);
    cri_live_clear();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 2; i++)
        reap(&f->kids[i]);
    cri_live_clear();
    close(f->e.runctrsfd);
    free(f->e.shim);
    free(f->e.runtime_root);
    cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f);
    return 0;
}

/* A record of a running container whose init is pid. */
static void running(struct cx_ctr *c, const char *id, pid_t pid)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    c->state = CX_CTR_RUNNING;
    c->pid = pid;
    c->pid_start = cx_pid_start(pid);
    c->boot_id = (char *) cx_boot_id();
}

static void test_running_known(void **state)
{
    struct fx *f = *state;
    f->kids[0] = child();
    struct cx_ctr c;
    running(&c, "a1", f->kids[0]);
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_RUNNING);
    assert_int_equal(cri_live_size(), 1);
    /* again: from the pidfd, no new one */
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_RUNNING);
    assert_int_equal(cri_live_size(), 1);
}

/* b's init ends between two lists: exited at the next one, its pidfd let go */
static void test_exit_seen_by_next_list(void **state)
{
    struct fx *f = *state;
    f->kids[0] = child();
    f->kids[1] = child();
    struct cx_ctr a, b;
    running(&a, "a1", f->kids[0]);
    running(&b, "b2", f->kids[1]);
    struct cx_ctr *v[] = { &a, &b };
    cri_ctrs_sync_quick(&f->e, v, 2);
    assert_int_equal(cri_live_size(), 2);
    reap(&f->kids[1]);
    running(&a, "a1", f->kids[0]);
    b.state = CX_CTR_RUNNING;   /* the record still says so */
    cri_ctrs_sync_quick(&f->e, v, 2);
    assert_int_equal(a.state, CX_CTR_RUNNING);
    assert_int_equal(b.state, CX_CTR_EXITED);
    assert_false(b.has_exit);   /* no exit file: its code is unknown */
    assert_int_equal(cri_live_size(), 1);
}

/* a pid whose start time is not the record's is another process */
static void test_reused_pid(void **state)
{
    struct fx *f = *state;
    f->kids[0] = child();
    struct cx_ctr c;
    running(&c, "a1", f->kids[0]);
    c.pid_start += 1;
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_EXITED);
    assert_int_equal(cri_live_size(), 0);
}

static void test_other_boot(void **state)
{
    struct fx *f = *state;
    f->kids[0] = child();
    struct cx_ctr c;
    running(&c, "a1", f->kids[0]);
    c.boot_id = "00000000-0000-0000-0000-000000000000";
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_EXITED);
    assert_int_equal(cri_live_size(), 0);
}

/* the exit file a shim left is read by the full way (an init that ended) */
static void test_exit_file(void **state)
{
    struct fx *f = *state;
    f->kids[0] = child();
    struct cx_ctr c;
    running(&c, "c3", f->kids[0]);
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_RUNNING);
    cx_error err = { 0 };
    _cleanup_free_ char *dir = cx_asprintf("%s/c3", f->dir);
    assert_int_equal(cx_mkdir_p(dir, 0700, &err), 0);
    _cleanup_free_ char *exitf = cx_asprintf("%s/c3/exit", f->dir);
    FILE *fp = fopen(exitf, "w");
    assert_non_null(fp);
    fputs("3\n", fp);
    fclose(fp);
    reap(&f->kids[0]);
    cri_ctr_sync_quick(&f->e, &c);
    assert_int_equal(c.state, CX_CTR_EXITED);
    assert_true(c.has_exit);
    assert_int_equal(c.exit_code, 3);
}

/* records at rest: nothing read, nothing kept */
static void test_at_rest(void **state)
{
    struct fx *f = *state;
    struct cx_ctr c = { .state = CX_CTR_EXITED, .has_exit = true, .exit_code = 7,
                        .pid = 1, .boot_id = (char *) cx_boot_id() };
    struct cx_ctr d = { .state = CX_CTR_CONFIGURED, .boot_id = (char *) cx_boot_id() };
    struct cx_ctr *v[] = { &c, &d };
    cri_ctrs_sync_quick(&f->e, v, 2);
    assert_int_equal(c.state, CX_CTR_EXITED);
    assert_int_equal(c.exit_code, 7);
    assert_int_equal(d.state, CX_CTR_CONFIGURED);
    assert_int_equal(cri_live_size(), 0);
    cri_ctrs_sync_quick(&f->e, v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_running_known, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_seen_by_next_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reused_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_rest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
