/* test_misc.c: container ids, number parsing, signal names, JSON paths and
 * the error type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/error.h"
#include "common/jdec.h"
#include "common/util.h"
#include "runtime/container.h"

static mode_t umask_now(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

static void test_id_valid(void **state)
{
    (void) state;
    static const char *good[] = { "a", "abc", "my-container_1", "A.b+c", "...", ".a",
                                  "a..b", "0123456789", "x-" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cx_error err;
        cx_error_clear(&err);
        if (cx_id_check(good[i], &err) != 0)
            fail_msg("\"%s\" rejected: %s", good[i], err.msg);
    }
    char id[1025];
    memset(id, 'a', 1024);
    id[1024] = '\0';
    cx_error err;
    assert_int_equal(cx_id_check(id, &err), 0);
}

static void expect_bad_id(const char *id, const char *msg)
{
    cx_error err;
    cx_error_clear(&err);
    assert_int_equal(cx_id_check(id, &err), -1);
    assert_int_equal(err.errnum, 0); /* a complete message: no errno text appended */
    assert_string_equal(err.msg, msg);
}

static void test_id_invalid(void **state)
{
    (void) state;
    expect_bad_id("", "container id must not be empty");
    expect_bad_id(".", "invalid container id \".\"");
    expect_bad_id("..", "invalid container id \"..\"");
    expect_bad_id("a/b", "invalid container id \"a/b\": only [A-Za-z0-9_+.-] allowed");
    expect_bad_id("a b", "invalid container id \"a b\": only [A-Za-z0-9_+.-] allowed");
    expect_bad_id("/abs", "invalid container id \"/abs\": only [A-Za-z0-9_+.-] allowed");
    expect_bad_id("tab\t", "invalid container id \"tab\t\": only [A-Za-z0-9_+.-] allowed");
    expect_bad_id("caf\xc3\xa9", "invalid container id \"caf\xc3\xa9\": only [A-Za-z0-9_+.-] allowed");
    char id[1026];
    memset(id, 'a', 1025);
    id[1025] = '\0';
    expect_bad_id(id, "container id is longer than 1024 bytes");
}

static void test_parse_u64(void **state)
{
    (void) state;
    uint64_t v = 7;
    assert_int_equal(cx_parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cx_parse_u64("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cx_parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);

    static const char *bad[] = { "", " 1", "1 ", "1x", "-1", "+1", "0x10", "18446744073709551616",
                                 "99999999999999999999999", "-0", "\t5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        if (cx_parse_u64(bad[i], &v) != -1)
            fail_msg("\"%s\" accepted as %llu", bad[i], (unsigned long long) v);
        assert_int_equal(v, 7); /* untouched on failure */
    }
    assert_int_equal(cx_parse_u64(NULL, &v), -1);
}

static void test_parse_i64(void **state)
{
    (void) state;
    int64_t v = 7;
    assert_int_equal(cx_parse_i64("-1", &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(cx_parse_i64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(cx_parse_i64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(cx_parse_i64("0", &v), 0);
    assert_int_equal(v, 0);

    static const char *bad[] = { "", " 1", "1 ", "1x", "-", "x", "9223372036854775808",
                                 "-9223372036854775809", "\n1", "1.0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        if (cx_parse_i64(bad[i], &v) != -1)
            fail_msg("\"%s\" accepted as %lld", bad[i], (long long) v);
        assert_int_equal(v, 7);
    }
    assert_int_equal(cx_parse_i64(NULL, &v), -1);
}

static void test_parse_int(void **state)
{
    (void) state;
    int v = 7;
    assert_int_equal(cx_parse_int("2147483647", &v), 0);
    assert_int_equal(v, INT_MAX);
    assert_int_equal(cx_parse_int("-2147483648", &v), 0);
    assert_int_equal(v, INT_MIN);
    assert_int_equal(cx_parse_int("15", &v), 0);
    assert_int_equal(v, 15);
    v = 7;
    assert_int_equal(cx_parse_int("2147483648", &v), -1);
    assert_int_equal(cx_parse_int("-2147483649", &v), -1);
    assert_int_equal(cx_parse_int("4294967297", &v), -1); /* no wrap to 1 */
    assert_int_equal(cx_parse_int("", &v), -1);
    assert_int_equal(cx_parse_int(" 3", &v), -1);
    assert_int_equal(cx_parse_int("3x", &v), -1);
    assert_int_equal(v, 7);
}

static void test_signal_names(void **state)
{
    (void) state;
    static const struct { const char *s; int sig; } ok[] = {
        { "KILL", SIGKILL }, { "SIGKILL", SIGKILL }, { "kill", SIGKILL },
        { "sigkill", SIGKILL }, { "9", SIGKILL }, { "TERM", SIGTERM },
        { "SIGTERM", SIGTERM }, { "15", SIGTERM }, { "HUP", SIGHUP },
        { "usr1", SIGUSR1 }, { "SIGWINCH", SIGWINCH }, { "CHLD", SIGCHLD },
        { "1", 1 }, { "64", 64 },
        /* 0 probes for existence (kill(2)); runc's strconv.Atoi takes it too */
        { "0", 0 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cx_error err;
        cx_error_clear(&err);
        int sig = cmd_parse_signal(ok[i].s, &err);
        if (sig != ok[i].sig)
            fail_msg("\"%s\": got %d (%s), want %d", ok[i].s, sig, err.msg, ok[i].sig);
    }
}

static void test_signal_realtime(void **state)
{
    (void) state;
    cx_error err;
    assert_int_equal(cmd_parse_signal("RTMIN+1", &err), SIGRTMIN + 1);
    assert_int_equal(cmd_parse_signal("SIGRTMIN+1", &err), SIGRTMIN + 1);
    assert_int_equal(cmd_parse_signal("rtmin+0", &err), SIGRTMIN);
    assert_int_equal(cmd_parse_signal("RTMAX-2", &err), SIGRTMAX - 2);
    assert_int_equal(cmd_parse_signal("RTMIN+30", &err), SIGRTMIN + 30);
    cx_error_clear(&err);
    assert_int_equal(cmd_parse_signal("RTMIN+31", &err), -1); /* past SIGRTMAX */
    assert_string_equal(err.msg, "unknown signal \"RTMIN+31\"");
    assert_int_equal(cmd_parse_signal("RTMAX-31", &err), -1);
    assert_int_equal(cmd_parse_signal("RTMIN+x", &err), -1);
}

static void test_signal_invalid(void **state)
{
    (void) state;
    static const struct { const char *s, *msg; } bad[] = {
        { "65", "invalid signal number 65" },
        { "-9", "invalid signal number -9" },
        { "99999999999", "unknown signal \"99999999999\"" },
        { "FOO", "unknown signal \"FOO\"" },
        { "SIG", "unknown signal \"SIG\"" },
        { "", "unknown signal \"\"" },
        { " 9", "unknown signal \" 9\"" },
        { "SIGKILLX", "unknown signal \"SIGKILLX\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cx_error err;
        cx_error_clear(&err);
        int sig = cmd_parse_signal(bad[i].s, &err);
        if (sig != -1)
            fail_msg("\"%s\" accepted as %d", bad[i].s, sig);
        assert_int_equal(err.errnum, 0);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

static void test_jpath_format(void **state)
{
    (void) state;
    char buf[128];
    jpath_format(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");

    struct jpath linux_ = { NULL, "linux", 0 };
    struct jpath ns = { &linux_, "namespaces", 0 };
    struct jpath elem = { &ns, NULL, 2 };
    struct jpath type = { &elem, "type", 0 };
    jpath_format(&type, buf, sizeof buf);
    assert_string_equal(buf, "linux.namespaces[2].type");
    jpath_format(&elem, buf, sizeof buf);
    assert_string_equal(buf, "linux.namespaces[2]");

    struct jpath top = { NULL, NULL, 7 };
    struct jpath nested = { &top, NULL, 12 };
    struct jpath key = { &nested, "k", 0 };
    jpath_format(&key, buf, sizeof buf);
    assert_string_equal(buf, "[7][12].k");

    /* truncation keeps a NUL-terminated prefix and never overruns */
    char small[8];
    jpath_format(&type, small, sizeof small);
    assert_string_equal(small, "linux.n");
    char tiny[1];
    jpath_format(&type, tiny, sizeof tiny);
    assert_string_equal(tiny, "");
}

static void test_jd_fail(void **state)
{
    (void) state;
    cx_error err;
    struct jd_pool pool = { 0 };
    struct jd_ctx c = { "process.json", &pool, &err };
    struct jpath a = { NULL, "args", 0 }, e = { &a, NULL, 0 };
    cx_error_clear(&err);
    assert_int_equal(jd_fail(&c, &e, "bad %d", 5), -1);
    assert_string_equal(err.msg, "process.json: args[0]: bad 5");
    assert_int_equal(err.errnum, 0);
    assert_int_equal(jd_fail(&c, NULL, "whole document"), -1);
    assert_string_equal(err.msg, "process.json: whole document");
}

static void test_error_format(void **state)
{
    (void) state;
    cx_error err;
    char buf[CX_ERROR_MAX + 64];
    char want[CX_ERROR_MAX + 64];

    cx_error_clear(&err);
    assert_int_equal(cx_fail(&err, 0, "container %s: %s", "c1", "not running"), -1);
    assert_int_equal(err.errnum, 0);
    assert_non_null(err.file);
    assert_true(err.line > 0);
    cx_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "container c1: not running");

    assert_int_equal(cx_fail(&err, ENOENT, "open %s", "/x"), -1);
    cx_error_format(&err, buf, sizeof buf);
    snprintf(want, sizeof want, "open /x: %s", strerror(ENOENT));
    assert_string_equal(buf, want);
    assert_string_equal(err.msg, "open /x"); /* errno kept apart */

    errno = EACCES;
    assert_int_equal(cx_fail_errno(&err, "mkdir %s", "/r"), -1);
    assert_int_equal(err.errnum, EACCES);
    cx_error_format(&err, buf, sizeof buf);
    snprintf(want, sizeof want, "mkdir /r: %s", strerror(EACCES));
    assert_string_equal(buf, want);

    /* a short buffer truncates without overrun */
    char small[6];
    cx_error_format(&err, small, sizeof small);
    assert_string_equal(small, "mkdir");

    cx_error_clear(&err);
    assert_int_equal(err.errnum, 0);
    assert_string_equal(err.msg, "");
    assert_null(err.file);

    assert_int_equal(cx_fail(NULL, EIO, "ignored"), -1);
}

static void test_error_prefix(void **state)
{
    (void) state;
    cx_error err;
    char buf[CX_ERROR_MAX + 64], want[CX_ERROR_MAX + 64];
    cx_error_clear(&err);
    cx_fail(&err, ENOENT, "open state.json");
    assert_int_equal(cx_error_prefix(&err, "container %s", "web"), -1);
    assert_string_equal(err.msg, "container web: open state.json");
    assert_int_equal(err.errnum, ENOENT);
    cx_error_prefix(&err, "delete");
    assert_string_equal(err.msg, "delete: container web: open state.json");
    cx_error_format(&err, buf, sizeof buf);
    snprintf(want, sizeof want, "delete: container web: open state.json: %s",
             strerror(ENOENT));
    assert_string_equal(buf, want);

    /* prefixing a full message truncates, still NUL-terminated */
    char longmsg[CX_ERROR_MAX];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    cx_fail(&err, 0, "%s", longmsg);
    assert_int_equal(strlen(err.msg), CX_ERROR_MAX - 1);
    cx_error_prefix(&err, "pre");
    assert_int_equal(strlen(err.msg), CX_ERROR_MAX - 1);
    assert_true(strncmp(err.msg, "pre: mmm", 8) == 0);

    assert_int_equal(cx_error_prefix(NULL, "x"), -1);
}

static void test_files(void **state)
{
    (void) state;
    char dir[] = "/tmp/capsa-test-misc.XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    cx_error err;
    char *text = NULL;
    size_t len = 0;

    /* larger than the first 4 KiB buffer, so the read loop grows it */
    static char data[10000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char) ('a' + i % 26);
    assert_int_equal(cx_write_file_atomic_at(dfd, "f", data, sizeof data, 0640, &err), 0);
    struct stat sb;
    assert_int_equal(fstatat(dfd, "f", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 0640 & ~umask_now());
    assert_int_equal(cx_read_file_at(dfd, "f", 1 << 20, &text, &len, &err), 0);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(text, data, sizeof data);
    assert_int_equal(text[len], '\0');
    free(text);

    /* replacing leaves no temporary behind */
    assert_int_equal(cx_write_file_atomic_at(dfd, "f", "new", 3, 0600, &err), 0);
    assert_int_equal(cx_read_file_at(dfd, "f", 1 << 20, &text, &len, &err), 0);
    assert_string_equal(text, "new");
    free(text);
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".f.tmp.%d", (int) getpid());
    assert_int_equal(faccessat(dfd, tmp, F_OK, AT_SYMLINK_NOFOLLOW), -1);

    /* well over the limit */
    assert_int_equal(cx_write_file_atomic_at(dfd, "f", data, sizeof data, 0600, &err), 0);
    text = NULL;
    cx_error_clear(&err);
    assert_int_equal(cx_read_file_at(dfd, "f", 8192, &text, NULL, &err), -1);
    assert_null(text);
    assert_int_equal(err.errnum, EFBIG);
    assert_string_equal(err.msg, "read f: larger than 8192 bytes");

    /* the limit is exact at both ends: max bytes pass, max + 1 do not */
    assert_int_equal(cx_write_file_atomic_at(dfd, "f", data, 4096, 0600, &err), 0);
    assert_int_equal(cx_read_file_at(dfd, "f", 4096, &text, &len, &err), 0);
    assert_int_equal(len, 4096);
    free(text);
    text = NULL;
    assert_int_equal(cx_read_file_at(dfd, "f", 4095, &text, NULL, &err), -1);
    assert_int_equal(err.errnum, EFBIG);
    assert_int_equal(cx_write_file_atomic_at(dfd, "f", data, 200, 0600, &err), 0);
    assert_int_equal(cx_read_file_at(dfd, "f", 100, &text, NULL, &err), -1);
    assert_null(text);
    assert_string_equal(err.msg, "read f: larger than 100 bytes");
    assert_int_equal(cx_read_file_at(dfd, "f", 200, &text, &len, &err), 0);
    assert_int_equal(len, 200);
    free(text);
    text = NULL;

    cx_error_clear(&err);
    assert_int_equal(cx_read_file_at(dfd, "nope", 100, &text, NULL, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_string_equal(err.msg, "open nope");

    close(dfd);
    assert_int_equal(cx_rm_rf_at(AT_FDCWD, dir), 0);
    assert_int_equal(access(dir, F_OK), -1);
}

static void test_strings(void **state)
{
    (void) state;
    assert_true(cx_str_has_prefix("SIGKILL", "SIG"));
    assert_true(cx_str_has_prefix("abc", ""));
    assert_false(cx_str_has_prefix("SI", "SIG"));
    char *s = cx_asprintf("%s-%d", "x", 42);
    assert_string_equal(s, "x-42");
    char **v = cx_calloc(3, sizeof *v);
    v[0] = s;
    v[1] = cx_strdup("y");
    assert_int_equal(cx_strv_len(v), 2);
    assert_int_equal(cx_strv_len(NULL), 0);
    cx_strv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_id_invalid),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_signal_names),
        cmocka_unit_test(test_signal_realtime),
        cmocka_unit_test(test_signal_invalid),
        cmocka_unit_test(test_jpath_format),
        cmocka_unit_test(test_jd_fail),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
