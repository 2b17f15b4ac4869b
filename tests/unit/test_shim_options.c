/* test_shim_options.c: capsa-shim's command line (src/shim/options.c) as
 * podman 4.3 writes it, its errors, and the runtime command built from it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "shim/options.h"
#include "shim/shim.h"

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])))

static int parse(int argc, const char **argv, struct shim_opts *o, cx_error *err)
{
    return shim_opts_parse(argc, (char **) argv, o, err);
}

static void test_podman_create_line(void **state)
{
    (void) state;
    const char *argv[] = {
        "capsa-shim", "--api-version", "1", "-c", "abc", "-u", "abc", "-r", "/usr/sbin/runc",
        "-b", "/b/userdata", "-p", "/b/userdata/pidfile", "-n", "web", "--exit-dir", "/x/exits",
        "--full-attach", "-s", "-l", "k8s-file:/b/userdata/ctr.log", "--log-level", "warning",
        "--log-size-max", "1048576", "--runtime-arg", "--log-format=json", "--runtime-arg",
        "--log", "--runtime-arg=/b/userdata/oci-log", "-t", "--timeout=30", "--no-new-keyring",
        "--conmon-pidfile", "/b/userdata/conmon.pid", "--exit-command", "/usr/bin/podman",
        "--exit-command-arg", "--root", "--exit-command-arg", "/var/lib/containers/storage",
        "--exit-command-arg", "container", "--exit-command-arg", "cleanup",
        "--exit-command-arg", "abc", "--runtime-opt", "--preserve-fds", "--runtime-opt", "2",
    };
    struct shim_opts o;
    cx_error err = { 0 };
    assert_int_equal(parse(ARGC(argv), argv, &o, &err), 0);
    assert_int_equal(o.api_version, 1);
    assert_string_equal(o.cid, "abc");
    assert_string_equal(o.name, "web");
    assert_string_equal(o.bundle, "/b/userdata");
    assert_string_equal(o.log_path, "/b/userdata/ctr.log");
    assert_int_equal(o.log_size_max, 1048576);
    assert_int_equal(o.timeout, 30);
    assert_true(o.terminal && o.full_attach && o.systemd_cgroup && o.no_new_keyring);
    assert_false(o.stdin_open || o.exec);
    assert_int_equal(cx_strv_len(o.runtime_args), 3);
    assert_string_equal(o.runtime_args[2], "/b/userdata/oci-log");
    assert_int_equal(cx_strv_len(o.exit_args), 5);
    assert_string_equal(o.exit_args[4], "abc");

    char **rt = runtime_argv(&o, "/tmp/cs/console.sock");
    const char *want[] = { "/usr/sbin/runc", "--systemd-cgroup", "--log-format=json", "--log",
                           "/b/userdata/oci-log", "create", "--bundle", "/b/userdata",
                           "--pid-file", "/b/userdata/pidfile", "--no-new-keyring",
                           "--preserve-fds", "2", "--console-socket", "/tmp/cs/console.sock",
                           "abc", NULL };
    for (int i = 0; want[i]; i++)
        assert_string_equal(rt[i], want[i]);
    assert_null(rt[ARGC(want) - 1]);
    cx_strv_free(rt);
    shim_opts_free(&o);
}

static void test_podman_exec_line(void **state)
{
    (void) state;
    const char *argv[] = {
        "capsa-shim", "--api-version", "1", "-c", "ctr", "-u", "sess", "-r", "/rt", "-b",
        "/e/sess", "-p", "/e/sess/exec_pid", "-n", "n", "--exit-dir", "/e/sess/exit",
        "--full-attach", "-l", "none", "--log-level", "error", "-i", "-e", "--exec-attach",
        "--exec-process-spec", "/e/sess/exec-process-1",
    };
    struct shim_opts o;
    cx_error err = { 0 };
    assert_int_equal(parse(ARGC(argv), argv, &o, &err), 0);
    assert_true(o.exec && o.exec_attach && o.stdin_open);
    assert_null(o.log_path);
    char **rt = runtime_argv(&o, NULL);
    const char *want[] = { "/rt", "exec", "--pid-file", "/e/sess/exec_pid", "--process",
                           "/e/sess/exec-process-1", "--detach", "ctr", NULL };
    for (int i = 0; want[i]; i++)
        assert_string_equal(rt[i], want[i]);
    assert_null(rt[ARGC(want) - 1]);
    cx_strv_free(rt);
    shim_opts_free(&o);
}

static void test_log_path_forms(void **state)
{
    (void) state;
    struct { const char *arg, *path; int ok; } cases[] = {
        { "k8s-file:/l/a.log", "/l/a.log", 1 },
        { "/l/plain.log", "/l/plain.log", 1 },
        { "none", NULL, 1 }, { "off", NULL, 1 }, { "null", NULL, 1 },
        { "k8s-file:", NULL, 0 }, { "syslog:/x", NULL, 0 },
        { "journald:", NULL, 0 }, { "journald", NULL, 0 }, { "passthrough", NULL, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "-l", cases[i].arg };
        struct shim_opts o;
        cx_error err = { 0 };
        int rc = parse(ARGC(argv), argv, &o, &err);
        assert_int_equal(rc, cases[i].ok ? 0 : -1);
        if (cases[i].ok && cases[i].path)
            assert_string_equal(o.log_path, cases[i].path);
        if (cases[i].ok && !cases[i].path)
            assert_null(o.log_path);
        if (!strncmp(cases[i].arg, "journald", 8))
            assert_non_null(strstr(err.msg, "journald log driver is not supported"));
        shim_opts_free(&o);
    }
}

static void expect_error(int argc, const char **argv, const char *msg)
{
    struct shim_opts o;
    cx_error err = { 0 };
    assert_int_equal(parse(argc, argv, &o, &err), -1);
    if (!strstr(err.msg, msg))
        fail_msg("error \"%s\" does not contain \"%s\"", err.msg, msg);
    shim_opts_free(&o);
}

static void test_errors(void **state)
{
    (void) state;
    const char *unknown[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "--frobnicate" };
    expect_error(ARGC(unknown), unknown, "unknown option --frobnicate");
    const char *unknown_short[] = { "s", "-c", "c", "-Z" };
    expect_error(ARGC(unknown_short), unknown_short, "unknown option -Z");
    const char *novalue[] = { "s", "-u", "u", "-r", "/rt", "-c" };
    expect_error(ARGC(novalue), novalue, "option -c needs a value");
    const char *stray[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "extra" };
    expect_error(ARGC(stray), stray, "unexpected argument \"extra\"");
    const char *nocid[] = { "s", "-u", "u", "-r", "/rt" };
    expect_error(ARGC(nocid), nocid, "container ID not provided: use --cid");
    const char *nouuid[] = { "s", "-c", "c", "-r", "/rt" };
    expect_error(ARGC(nouuid), nouuid, "container UUID not provided");
    const char *nort[] = { "s", "-c", "c", "-u", "u" };
    expect_error(ARGC(nort), nort, "runtime path not provided");
    const char *nospec[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "-e" };
    expect_error(ARGC(nospec), nospec, "exec process spec not provided");
    const char *attach[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "--exec-attach" };
    expect_error(ARGC(attach), attach, "--exec-attach needs --exec");
    const char *badnum[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "--log-size-max", "1k" };
    expect_error(ARGC(badnum), badnum, "--log-size-max: invalid value \"1k\"");
    const char *neg[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "--exit-delay", "-1" };
    expect_error(ARGC(neg), neg, "--exit-delay: invalid value \"-1\"");
    const char *notify[] = { "s", "-c", "c", "-u", "u", "-r", "/rt", "--sdnotify-socket", "/n" };
    expect_error(ARGC(notify), notify, "sd_notify is not supported");
}

static void test_version_needs_nothing_else(void **state)
{
    (void) state;
    const char *argv[] = { "s", "--version" };
    struct shim_opts o;
    cx_error err = { 0 };
    assert_int_equal(parse(ARGC(argv), argv, &o, &err), 0);
    assert_true(o.version);
    shim_opts_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_podman_create_line),
        cmocka_unit_test(test_podman_exec_line),
        cmocka_unit_test(test_log_path_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_version_needs_nothing_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
