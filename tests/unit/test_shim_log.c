/* test_shim_log.c: capsa-shim's k8s-file log writer (src/shim/logfile.c):
 * the record format, partial lines, rotation by size, write errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "shim/logfile.h"

static char dir[] = "/tmp/capsa-test-shimlog-XXXXXX";
static const struct timespec TS = { .tv_sec = 1700000000, .tv_nsec = 5 };

static char *slurp(const char *path)
{
    char *text = NULL;
    cx_error err;
    assert_int_equal(cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err), 0);
    return text;
}

static char *logpath(const char *name)
{
    return cx_asprintf("%s/%s", dir, name);
}

static void test_timestamp_utc_and_offset(void **state)
{
    (void) state;
    char buf[64];
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(shim_log_timestamp(buf, sizeof buf, &TS), 35);
    assert_string_equal(buf, "2023-11-14T22:13:20.000000005+00:00");
    setenv("TZ", "EST5", 1);
    tzset();
    shim_log_timestamp(buf, sizeof buf, &TS);
    assert_string_equal(buf, "2023-11-14T17:13:20.000000005-05:00");
    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_full_and_partial_lines(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err;
    char *p = logpath("a.log");
    assert_int_equal(shim_log_open(&l, p, -1, -1, &err), 0);
    const char out[] = "one\n\ntwo\nthr";
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, out, sizeof out - 1, &TS, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDERR, "ee\n", 3, &TS, &err), 0);
    char *text = slurp(p);
    const char *ts = "2023-11-14T22:13:20.000000005+00:00";
    char *want = cx_asprintf("%s stdout F one\n%s stdout F \n%s stdout F two\n"
                             "%s stdout P thr\n%s stderr F ee\n", ts, ts, ts, ts, ts);
    assert_string_equal(text, want);
    assert_int_equal(l.written, (int64_t) strlen(want));
    shim_log_close(&l);
    free(text);
    free(want);
    free(p);
}

static void test_many_lines_in_one_write(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err;
    char *p = logpath("many.log");
    assert_int_equal(shim_log_open(&l, p, -1, -1, &err), 0);
    char buf[3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = i % 3 == 2 ? '\n' : 'x';  /* 1000 lines "xx" */
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, buf, sizeof buf, &TS, &err), 0);
    char *text = slurp(p);
    int lines = 0;
    for (char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1000);
    assert_non_null(strstr(text, " stdout F xx\n"));
    shim_log_close(&l);
    free(text);
    free(p);
}

static void test_rotation_by_size(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err;
    char *p = logpath("rot.log");
    /* a record of "line-N" is 35 + " stdout " 8 + "F " 2 + 7 = 52 bytes:
     * two fit in 120 */
    assert_int_equal(shim_log_open(&l, p, 120, -1, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "line-1\nline-2\n", 14, &TS, &err), 0);
    assert_int_equal(l.rotations, 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "line-3\n", 7, &TS, &err), 0);
    assert_int_equal(l.rotations, 1);
    char *text = slurp(p);
    assert_null(strstr(text, "line-1"));
    assert_non_null(strstr(text, "stdout F line-3\n"));
    assert_int_equal(strlen(text), 52);
    /* within one write, too; and the file never exceeds the limit */
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "line-4\nline-5\nline-6\n", 21, &TS,
                                    &err), 0);
    free(text);
    text = slurp(p);
    assert_true(strlen(text) <= 120);
    assert_non_null(strstr(text, "line-6"));
    assert_null(strstr(text, "line-4"));
    struct stat st;
    char *tmp = cx_asprintf("%s.tmp", p);
    assert_int_equal(stat(tmp, &st), -1);  /* no leftover */
    shim_log_close(&l);
    free(tmp);
    free(text);
    free(p);
}

static void test_global_limit_stops_writing(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err;
    char *p = logpath("global.log");
    assert_int_equal(shim_log_open(&l, p, -1, 110, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "line-1\nline-2\nline-3\n", 21, &TS,
                                    &err), 0);
    char *text = slurp(p);
    assert_int_equal(strlen(text), 104);
    shim_log_close(&l);
    free(text);
    free(p);
}

static void test_reopen_keeps_writing(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err;
    char *p = logpath("reopen.log");
    char *moved = logpath("reopen.log.1");
    assert_int_equal(shim_log_open(&l, p, -1, -1, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "a\n", 2, &TS, &err), 0);
    assert_int_equal(rename(p, moved), 0);     /* logrotate's move */
    assert_int_equal(shim_log_reopen(&l, false, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "b\n", 2, &TS, &err), 0);
    char *text = slurp(p);
    assert_null(strstr(text, " a\n"));
    assert_non_null(strstr(text, " b\n"));
    shim_log_close(&l);
    free(text);
    free(p);
    free(moved);
}

static void test_full_disk_reports_and_drops(void **state)
{
    (void) state;
    struct shim_log l;
    cx_error err = { 0 };
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(shim_log_open(&l, "/dev/full", -1, -1, &err), 0);
    assert_int_equal(shim_log_write(&l, SHIM_STDOUT, "lost\n", 5, &TS, &err), -1);
    assert_int_equal(err.errnum, ENOSPC);
    assert_non_null(strstr(err.msg, "write log file /dev/full"));
    assert_int_equal(l.dropped, 35 + 8 + 2 + 5);
    shim_log_close(&l);
}

static int setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    tzset();
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    return cx_rm_rf_at(AT_FDCWD, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamp_utc_and_offset),
        cmocka_unit_test(test_full_and_partial_lines),
        cmocka_unit_test(test_many_lines_in_one_write),
        cmocka_unit_test(test_rotation_by_size),
        cmocka_unit_test(test_global_limit_stops_writing),
        cmocka_unit_test(test_reopen_keeps_writing),
        cmocka_unit_test(test_full_disk_reports_and_drops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
