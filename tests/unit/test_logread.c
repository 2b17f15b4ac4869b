/* test_logread.c: `capsactl logs` over k8s-file logs as capsa-shim writes
 * them: both streams, partial records, bad lines, --since/--until, --tail,
 * -t, and -f across the shim's rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/logread.h"

#define NS 1000000000LL

static char dir[64];
static char logpath[128];

static int setup(void **state)
{
    (void) state;
    strcpy(dir, "/tmp/test_logread.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(logpath, sizeof logpath, "%s/ctr.log", dir);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(cx_write_all(fd, text, strlen(text)), 0);
    close(fd);
}

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(cx_write_all(fd, text, strlen(text)), 0);
    close(fd);
}

/* All of memfd fd, NUL-terminated. */
static char *slurp(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    char *buf = malloc((size_t) size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t) size, 0), size);
    buf[size] = '\0';
    return buf;
}

struct run {
    char *out, *err;
    int rc;
    cx_error e;
};

static struct run run_opts(const struct cx_logread_opts *o)
{
    struct run r = { .rc = 0 };
    int out = memfd_create("out", MFD_CLOEXEC), err = memfd_create("err", MFD_CLOEXEC);
    assert_true(out >= 0 && err >= 0);
    r.rc = cx_logread(logpath, o, out, err, &r.e);
    r.out = slurp(out);
    r.err = slurp(err);
    close(out);
    close(err);
    return r;
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* Read logpath with o; stdout and stderr must be exactly want_out, want_err. */
static void expect(const struct cx_logread_opts *o, const char *want_out, const char *want_err)
{
    struct run r = run_opts(o);
    if (r.rc != 0)
        fail_msg("cx_logread: %s", r.e.msg);
    assert_string_equal(r.out, want_out);
    assert_string_equal(r.err, want_err);
    run_free(&r);
}

/* Options: --tail first (ALL: -1), then the rest. */
#define ALL -1
#define OPTS(n, ...) (&(struct cx_logread_opts) { .tail = (n), __VA_ARGS__ })

/* Times in UTC: hello 09:00:00.000000001, oops 09:00:00.5, part1 :01,
 * part2 :02, err-a :03, end :03, -b :04, the empty line :05, spaced :05,
 * no fraction :06. */
static const char MIXED[] =
    "2023-01-01T10:00:00.000000001+01:00 stdout F hello\n"
    "2023-01-01T09:00:00.500000000+00:00 stderr F oops\n"
    "2023-01-01T10:00:01.000000000+01:00 stdout P part1-\n"
    "2023-01-01T10:00:02.000000000+01:00 stdout P part2-\n"
    "2023-01-01T09:00:03.000000000Z stderr P err-a\n"
    "garbage line without the format\n"
    "2023-01-01T10:00:03.000000000+01:00 stdout F end\n"
    "2023-01-01T04:00:04.000000000-05:00 stderr F -b\n"
    "2023-13-01T10:00:00.000000000Z stdout F bad month\n"
    "2023-01-01T10:00:05.000000000+01:00 stdout F\n"
    "2023-01-01T10:00:05.000000000+01:00 stdout F   spaced  text \n"
    "2023-01-01T10:00:06+01:00 stdout F no fraction\n"
    "2023-01-01T10:00:06.000000000+01:00 stdsth F bad stream\n"
    "2023-01-01T10:00:06.000000000+01:00 stdout X bad tag\n"
    "2023-01-01T10:00:06.000000000+01:00 stdout Fx glued tag\n"
    "\n"
    " \n";

static int64_t utc(int h, int m, int s) { return (1672531200LL + h * 3600 + m * 60 + s) * NS; }

static void test_plain(void **state)
{
    (void) state;
    write_file(logpath, MIXED);
    expect(OPTS(ALL), "hello\npart1-part2-end\n\n  spaced  text \nno fraction\n",
           "oops\nerr-a-b\n");
}

static void test_timestamps(void **state)
{
    (void) state;
    write_file(logpath, MIXED);
    /* a line carries its first record's time, as written; UTC as "Z" */
    expect(OPTS(ALL, .timestamps = true),
           "2023-01-01T10:00:00.000000001+01:00 hello\n"
           "2023-01-01T10:00:01.000000000+01:00 part1-part2-end\n"
           "2023-01-01T10:00:05.000000000+01:00 \n"
           "2023-01-01T10:00:05.000000000+01:00   spaced  text \n"
           "2023-01-01T10:00:06.000000000+01:00 no fraction\n",
           "2023-01-01T09:00:00.500000000Z oops\n"
           "2023-01-01T09:00:03.000000000Z err-a-b\n");
}

static void test_since_until(void **state)
{
    (void) state;
    write_file(logpath, MIXED);
    /* strictly after since, strictly before until; by a line's first record */
    expect(OPTS(ALL, .since_ns = utc(9, 0, 2)), "\n  spaced  text \nno fraction\n", "err-a-b\n");
    expect(OPTS(ALL, .until_ns = utc(9, 0, 3)), "hello\npart1-part2-end\n", "oops\n");
    expect(OPTS(ALL, .since_ns = utc(9, 0, 0), .until_ns = utc(9, 0, 4)),
           "hello\npart1-part2-end\n", "oops\nerr-a-b\n");
    expect(OPTS(ALL, .since_ns = utc(9, 0, 0) + 1),
           "part1-part2-end\n\n  spaced  text \nno fraction\n", "oops\nerr-a-b\n");
    expect(OPTS(ALL, .since_ns = utc(10, 0, 0)), "", "");
}

static void test_tail(void **state)
{
    (void) state;
    write_file(logpath, MIXED);
    expect(OPTS(0), "", "");
    expect(OPTS(1), "no fraction\n", "");
    expect(OPTS(2), "  spaced  text \nno fraction\n", "");
    /* a line's partial records come along, whatever lies between */
    expect(OPTS(5), "part1-part2-end\n\n  spaced  text \nno fraction\n", "err-a-b\n");
    expect(OPTS(6), "part1-part2-end\n\n  spaced  text \nno fraction\n",
           "oops\nerr-a-b\n");
    expect(OPTS(100), "hello\npart1-part2-end\n\n  spaced  text \nno fraction\n",
           "oops\nerr-a-b\n");
    expect(OPTS(2, .timestamps = true, .since_ns = utc(9, 0, 5)),
           "2023-01-01T10:00:06.000000000+01:00 no fraction\n", "");
}

static void test_partial_end(void **state)
{
    (void) state;
    /* the last line has no F yet: it is printed as far as it goes, and
     * counts as a line for --tail; a record cut short is dropped */
    write_file(logpath, "2023-01-01T10:00:00.000000000Z stdout F one\n"
                        "2023-01-01T10:00:01.000000000Z stdout F two\n"
                        "2023-01-01T10:00:02.000000000Z stdout P prompt> \n"
                        "2023-01-01T10:00:03.0000");
    expect(OPTS(ALL), "one\ntwo\nprompt> ", "");
    expect(OPTS(1), "prompt> ", "");
    expect(OPTS(2), "two\nprompt> ", "");
    expect(OPTS(1, .timestamps = true), "2023-01-01T10:00:02.000000000Z prompt> ", "");
    /* a last record with no newline still shows its text */
    write_file(logpath, "2023-01-01T10:00:00.000000000Z stderr F no newline");
    expect(OPTS(ALL), "", "no newline\n");
}

static void test_one_fd(void **state)
{
    (void) state;
    write_file(logpath, MIXED);
    int fd = memfd_create("both", MFD_CLOEXEC);
    cx_error err;
    assert_int_equal(cx_logread(logpath, OPTS(ALL), fd, fd, &err), 0);
    char *all = slurp(fd);
    /* lines in the order they end, never cut by the other stream's */
    assert_string_equal(all, "hello\noops\npart1-part2-end\nerr-a-b\n\n"
                             "  spaced  text \nno fraction\n");
    free(all);
    close(fd);
    /* -1 drops a stream */
    fd = memfd_create("out", MFD_CLOEXEC);
    assert_int_equal(cx_logread(logpath, OPTS(ALL), -1, fd, &err), 0);
    all = slurp(fd);
    assert_string_equal(all, "oops\nerr-a-b\n");
    free(all);
    close(fd);
}

static void test_long_lines(void **state)
{
    (void) state;
    /* a 3 MiB record streams through; a 5 MiB line with no header is skipped */
    size_t big = 3 << 20, junk = 5 << 20;
    const char *ts = "2023-01-01T10:00:00.000000000Z stdout P ";
    size_t tl = strlen(ts);
    char *text = malloc(tl + big + 1 + junk + 1 + 200);
    memcpy(text, ts, tl);
    for (size_t i = 0; i < big; i++)
        text[tl + i] = (char) ('a' + i % 26);
    text[tl + big] = '\n';
    memset(text + tl + big + 1, 'x', junk);
    text[tl + big + 1 + junk] = '\n';
    strcpy(text + tl + big + 2 + junk, "2023-01-01T10:00:01.000000000Z stdout F !\n");
    write_file(logpath, text);
    struct run r = run_opts(OPTS(ALL));
    assert_int_equal(r.rc, 0);
    assert_int_equal(strlen(r.out), big + 2);
    assert_memory_equal(r.out, text + tl, big);
    assert_string_equal(r.out + big, "!\n");
    run_free(&r);
    r = run_opts(OPTS(1));
    assert_int_equal(strlen(r.out), big + 2);
    run_free(&r);
    free(text);
}

static long long rchar(void)
{
    FILE *f = fopen("/proc/self/io", "re");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static void test_tail_big(void **state)
{
    (void) state;
    FILE *f = fopen(logpath, "we");
    assert_non_null(f);
    for (int i = 0; i < 100000; i++) {
        if (i % 1000 == 999)
            fprintf(f, "2023-01-01T10:00:00.%09dZ stderr F warn %d\n", i, i);
        else if (i % 7 == 3)
            fprintf(f, "2023-01-01T10:00:00.%09dZ stdout P part-%d \n"
                       "2023-01-01T10:00:00.%09dZ stdout F rest-%d\n", i, i, i, i);
        else
            fprintf(f, "2023-01-01T10:00:00.%09dZ stdout F line %d\n", i, i);
    }
    fclose(f);
    long long before = rchar();
    expect(OPTS(3), "line 99997\npart-99998 rest-99998\n", "warn 99999\n");
    long long after = rchar();
    /* only the end of the ~5 MB file was read (the memfds read back too) */
    if (before >= 0)
        assert_true(after - before < 512 * 1024);
    expect(OPTS(4), "line 99996\nline 99997\npart-99998 rest-99998\n", "warn 99999\n");
    struct run r = run_opts(OPTS(100000));
    size_t lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 99900);
    assert_string_equal(r.out + strlen(r.out) - 22, "part-99998 rest-99998\n");
    assert_true(strncmp(r.out, "line 0\nline 1\nline 2\npart-3 rest-3\n", 35) == 0);
    run_free(&r);
    r = run_opts(OPTS(1000));
    lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 999);
    assert_string_equal(r.err, "warn 99999\n");
    run_free(&r);
}

static void test_missing_file(void **state)
{
    (void) state;
    unlink(logpath);
    expect(OPTS(ALL), "", "");
    expect(OPTS(3), "", "");
    char bad[160];
    snprintf(bad, sizeof bad, "%s/ctr.log/x", dir);
    write_file(logpath, "x");
    cx_error err;
    assert_int_equal(cx_logread(bad, OPTS(ALL), 1, 2, &err), -1);
    assert_int_equal(err.errnum, ENOTDIR);
    char want[256];
    snprintf(want, sizeof want, "open log file %s", bad);
    assert_string_equal(err.msg, want);
}

/* ---- -f -------------------------------------------------------------- */

static atomic_bool exited;
static atomic_int done_calls;

static bool is_done(void *arg)
{
    (void) arg;
    atomic_fetch_add(&done_calls, 1);
    return atomic_load(&exited);
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* Writes as the shim does: appends, then --log-size-max rotation (a new
 * file renamed over the old one), then the container exits. */
static void *writer(void *arg)
{
    (void) arg;
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", logpath);
    pause_ms(100);
    append(logpath, "2023-01-01T10:00:02.000000000Z stdout F two\n");
    pause_ms(100);
    append(logpath, "2023-01-01T10:00:03.000000000Z stderr F err\n"
                    "2023-01-01T10:00:04.000000000Z stdout P split-");
    pause_ms(100);
    append(logpath, "across-\n");
    /* the rotation: the last of the old file, the rename, the new records */
    int old = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);
    int fd = open(tmp, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const char *last = "2023-01-01T10:00:05.000000000Z stdout P files-\n";
    assert_int_equal(cx_write_all(old, last, strlen(last)), 0);
    assert_int_equal(rename(tmp, logpath), 0);
    close(old);
    pause_ms(100);
    const char *rec = "2023-01-01T10:00:06.000000000Z stdout F done\n"
                      "2023-01-01T10:00:07.000000000Z stdout F after\n";
    assert_int_equal(cx_write_all(fd, rec, strlen(rec)), 0);
    pause_ms(100);
    /* the last words, then exit: done() turns true after them */
    rec = "2023-01-01T10:00:08.000000000Z stderr F bye\n";
    assert_int_equal(cx_write_all(fd, rec, strlen(rec)), 0);
    close(fd);
    atomic_store(&exited, true);
    return NULL;
}

static void follow_case(const struct cx_logread_opts *o, const char *want_out, const char *want_err)
{
    pthread_t th;
    atomic_store(&exited, false);
    atomic_store(&done_calls, 0);
    write_file(logpath, "2023-01-01T10:00:01.000000000Z stdout F one\n");
    assert_int_equal(pthread_create(&th, NULL, writer, NULL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct run r = run_opts(o);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(pthread_join(th, NULL), 0);
    if (r.rc != 0)
        fail_msg("cx_logread: %s", r.e.msg);
    assert_string_equal(r.out, want_out);
    assert_string_equal(r.err, want_err);
    /* it waited for the writer, asking done() along the way, and ended
     * soon after done() said so */
    double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs >= 0.5 && secs < 3);
    assert_true(atomic_load(&done_calls) >= 2);
    run_free(&r);
}

static void test_follow(void **state)
{
    (void) state;
    follow_case(OPTS(ALL, .follow = true, .done = is_done),
                "one\ntwo\nsplit-across-files-done\nafter\n", "err\nbye\n");
    follow_case(OPTS(0, .follow = true, .done = is_done),
                "two\nsplit-across-files-done\nafter\n", "err\nbye\n");
    follow_case(OPTS(ALL, .follow = true, .done = is_done, .timestamps = true,
                     .since_ns = utc(10, 0, 2)),
                "2023-01-01T10:00:04.000000000Z split-across-files-done\n"
                "2023-01-01T10:00:07.000000000Z after\n",
                "2023-01-01T10:00:03.000000000Z err\n2023-01-01T10:00:08.000000000Z bye\n");
}

static void *late_writer(void *arg)
{
    (void) arg;
    pause_ms(150);
    write_file(logpath, "2023-01-01T10:00:01.000000000Z stdout F late\n");
    pause_ms(150);
    append(logpath, "2023-01-01T10:00:01.000000000Z stdout P no end");
    atomic_store(&exited, true);
    return NULL;
}

static void test_follow_created_later(void **state)
{
    (void) state;
    pthread_t th;
    unlink(logpath);
    atomic_store(&exited, false);
    assert_int_equal(pthread_create(&th, NULL, late_writer, NULL), 0);
    expect(OPTS(ALL, .follow = true, .done = is_done), "late\nno end", "");
    assert_int_equal(pthread_join(th, NULL), 0);
    /* exited already: what is there, and out */
    expect(OPTS(1, .follow = true, .done = is_done), "no end", "");
}

/* ---- times ------------------------------------------------------------ */

static void expect_time(const char *s, int64_t now, int64_t want)
{
    cx_error err;
    int64_t got = 0;
    if (cx_logtime_parse(s, now, &got, &err) != 0)
        fail_msg("%s: %s", s, err.msg);
    if (got != want)
        fail_msg("%s: got %lld, want %lld", s, (long long) got, (long long) want);
}

static void expect_bad_time(const char *s)
{
    cx_error err;
    int64_t got = 7;
    char want[300];
    assert_int_equal(cx_logtime_parse(s, 1, &got, &err), -1);
    assert_int_equal(got, 7);
    snprintf(want, sizeof want,
             "invalid time \"%s\": use RFC 3339 (2006-01-02T15:04:05Z07:00), a date "
             "(2006-01-02), unix seconds (1700000000.5) or a duration ago (10m, 1h30m)", s);
    assert_string_equal(err.msg, want);
}

static void test_times(void **state)
{
    (void) state;
    const int64_t t = 1357133017LL * NS; /* 2013-01-02T13:23:37Z */
    const int64_t now = 1700000000LL * NS;
    expect_time("2013-01-02T13:23:37Z", 0, t);
    expect_time("2013-01-02T13:23:37.5+01:00", 0, t - 3600 * NS + 500000000);
    expect_time("2013-01-02T13:23:37.123456789-05:30", 0, t + 19800 * NS + 123456789);
    expect_time("2013-01-02T13:23:37.1Z", 0, t + 100000000);
    expect_time("1970-01-01T00:00:00Z", 5, 0);
    expect_time("2000-02-29T00:00:00Z", 0, 951782400LL * NS);
    expect_time("1700000000", 0, now);
    expect_time("1700000000.25", 0, now + 250000000);
    expect_time("0", 9, 0);
    expect_time("10m", now, now - 600 * NS);
    expect_time("1h30m", now, now - 5400 * NS);
    expect_time("45s", now, now - 45 * NS);
    expect_time("500ms", now, now - 500000000);
    expect_time("2h", now, now - 7200 * NS);
    expect_time("1.5h", now, now - 5400 * NS);
    expect_time("1h0.5m3s", now, now - 3633 * NS);
    expect_time("-10m", now, now + 600 * NS);
    expect_time("3us", now, now - 3000);
    expect_time("3\xc2\xb5s", now, now - 3000);
    expect_time("7ns", now, now - 7);
    expect_time(".5s", now, now - 500000000);
    /* no zone, or the date alone: local time */
    char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "EST5", 1);
    tzset();
    expect_time("2013-01-02", 0, 1357102800LL * NS);
    expect_time("2013-01-02T13:23:37", 0, t + 5 * 3600 * NS);
    expect_time("2013-01-02T13:23:37.25", 0, t + 5 * 3600 * NS + 250000000);
    if (tz)
        setenv("TZ", tz, 1);
    else
        unsetenv("TZ");
    free(tz);
    tzset();
    expect_bad_time("");
    expect_bad_time("yesterday");
    expect_bad_time("10x");
    expect_bad_time("m");
    expect_bad_time("1h30");
    expect_bad_time("-");
    expect_bad_time("1700000000.");
    expect_bad_time("-1700000000");
    expect_bad_time("2013-02-30T00:00:00Z");
    expect_bad_time("2013-13-02T00:00:00Z");
    expect_bad_time("2013-01-02T24:00:00Z");
    expect_bad_time("2013-01-02T13:23:37+1:00");
    expect_bad_time("2013-01-02T13:23:37+01:00x");
    expect_bad_time("2013-01-02T13:23:37.Z");
    expect_bad_time("2013-01-02T13:23:37.1234567891Z");
    expect_bad_time("2013-01-02 13:23:37Z");
    expect_bad_time("2013-1-02");
    expect_bad_time("99999999999999999999");
    expect_bad_time("9999999999999999h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_since_until),  cmocka_unit_test(test_tail),
        cmocka_unit_test(test_partial_end),  cmocka_unit_test(test_one_fd),
        cmocka_unit_test(test_long_lines),   cmocka_unit_test(test_tail_big),
        cmocka_unit_test(test_missing_file), cmocka_unit_test(test_follow),
        cmocka_unit_test(test_follow_created_later), cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
