/* test_oci_cli.c: what the engine makes of another runtime's answers
 * (engine/oci_cli.c): `state` JSON as runc and crun print it, and every
 * way it can be wrong; `ps --format json`; the message of a failed step;
 * the command lines it runs. */
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
#include "engine/ctr_runtime.h"
#include "engine/oci_cli.h"

static int parse(const char *text, struct cx_oci_state *st, cx_error *err)
{
    memset(err, 0, sizeof *err);
    return cx_oci_state_parse("/usr/bin/runc", text, strlen(text), st, err);
}

static void test_state_of_runc_and_crun(void **state)
{
    (void) state;
    struct cx_oci_state st;
    cx_error err;
    /* runc 1.1's answer, as it prints it */
    const char *runc = "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"c1\",\n"
                       "  \"pid\": 25385,\n  \"status\": \"running\",\n"
                       "  \"bundle\": \"/b\",\n  \"rootfs\": \"/b/rootfs\",\n"
                       "  \"created\": \"2026-12-05T01:08:44.37837169Z\",\n  \"owner\": \"\"\n}";
    assert_int_equal(parse(runc, &st, &err), 0);
    assert_int_equal(st.status, CX_RUNNING);
    assert_int_equal(st.pid, 25385);
    /* stopped: pid 0; crun adds fields of its own (ignored) */
    assert_int_equal(parse("{\"id\":\"c1\",\"pid\":0,\"status\":\"stopped\","
                           "\"systemd-scope\":\"x.scope\",\"annotations\":{}}", &st, &err), 0);
    assert_int_equal(st.status, CX_STOPPED);
    assert_int_equal(st.pid, 0);
    static const struct { const char *name; enum cx_status s; } all[] = {
        { "creating", CX_CREATING }, { "created", CX_CREATED }, { "running", CX_RUNNING },
        { "paused", CX_PAUSED }, { "stopped", CX_STOPPED },
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char doc[128];
        snprintf(doc, sizeof doc, "{\"id\":\"x\",\"status\":\"%s\"}", all[i].name);
        assert_int_equal(parse(doc, &st, &err), 0);
        assert_int_equal(st.status, all[i].s);
        assert_int_equal(st.pid, 0);   /* absent: none */
    }
}

/* Each bad answer: an error naming the runtime, the field, what is wrong. */
static void test_state_refusals(void **state)
{
    (void) state;
    static const struct { const char *text, *want; } bad[] = {
        { "", "runc state: not JSON" },
        { "time=\"x\" level=error msg=\"boom\"", "runc state: not JSON" },
        { "{\"id\":\"x\",\"status\":\"running\"", "runc state: not JSON" },
        { "[1,2]", "runc state: expected an object, got array" },
        { "null", "runc state: expected an object, got null" },
        { "{\"id\":\"x\"}", "runc state: status: required" },
        { "{\"status\":\"running\"}", "runc state: id: required" },
        { "{\"id\":\"x\",\"status\":\"sleeping\"}", "runc state: status: unknown status "
                                                    "\"sleeping\"" },
        { "{\"id\":\"x\",\"status\":7}", "runc state: status: expected a string" },
        { "{\"id\":\"x\",\"status\":\"running\",\"pid\":\"12\"}",
          "runc state: pid: expected an integer" },
        { "{\"id\":\"x\",\"status\":\"running\",\"pid\":-4}", "runc state: pid: -4 is out of "
                                                             "range" },
        { "{\"id\":\"x\",\"status\":\"running\",\"pid\":99999999999}",
          "runc state: pid: 99999999999 is out of range" },
        { "{\"id\":\"x\",\"id\":\"y\",\"status\":\"running\"}", "runc state: not JSON" },
        { "{\"id\":\"a\\u0000b\",\"status\":\"running\"}", "runc state: not JSON" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cx_oci_state st = { .status = CX_RUNNING, .pid = 42 };
        cx_error err;
        assert_int_equal(parse(bad[i].text, &st, &err), -1);
        if (strstr(err.msg, bad[i].want) == NULL)
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, err.msg, bad[i].want);
        assert_int_equal(err.errnum, EPROTO);
    }
    /* a long answer is shown cut, never overrun */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct cx_oci_state st;
    cx_error err;
    assert_int_equal(parse(big, &st, &err), -1);
    assert_true(strlen(err.msg) < 400);
    /* not NUL-terminated: only len bytes are read */
    const char text[] = "{\"id\":\"x\",\"status\":\"paused\"}garbage";
    assert_int_equal(cx_oci_state_parse("crun", text, sizeof text - 1 - 7, &st, &err), 0);
    assert_int_equal(st.status, CX_PAUSED);
}

static void test_pids(void **state)
{
    (void) state;
    pid_t *pids;
    size_t n;
    cx_error err = { 0 };
    const char *ok = "[25385,25390, 7]\n";
    assert_int_equal(cx_oci_pids_parse("runc", ok, strlen(ok), &pids, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(pids[0], 25385);
    assert_int_equal(pids[2], 7);
    free(pids);
    assert_int_equal(cx_oci_pids_parse("runc", "[]", 2, &pids, &n, &err), 0);
    assert_int_equal(n, 0);
    free(pids);
    assert_int_equal(cx_oci_pids_parse("crun", "null", 4, &pids, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(pids);
    static const struct { const char *text, *want; } bad[] = {
        { "PID\n123\n", "crun ps: not JSON" },
        { "{\"pids\":[1]}", "crun ps: expected an array, got object" },
        { "[1,\"2\"]", "crun ps: [1]: expected a pid" },
        { "[1,0]", "crun ps: [1]: expected a pid" },
        { "[-3]", "crun ps: [0]: expected a pid" },
        { "[1.5]", "crun ps: [0]: expected a pid" },
        { "[4294967297]", "crun ps: [0]: expected a pid" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pids = (pid_t *) 1;
        assert_int_equal(cx_oci_pids_parse("/usr/bin/crun", bad[i].text, strlen(bad[i].text),
                                           &pids, &n, &err), -1);
        if (strstr(err.msg, bad[i].want) == NULL)
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, err.msg, bad[i].want);
        assert_null(pids);
        assert_int_equal(n, 0);
    }
}

static void test_message(void **state)
{
    (void) state;
    char m[256];
    const char *runc = "time=\"2026-12-05T01:08:48Z\" level=error msg=\"container does not "
                       "exist\"\n";
    cx_oci_cli_message(runc, strlen(runc), m, sizeof m);
    assert_string_equal(m, "container does not exist");
    const char *quoted = "level=error msg=\"exec: \\\"nope\\\": executable file not found\"";
    cx_oci_cli_message(quoted, strlen(quoted), m, sizeof m);
    assert_string_equal(m, "exec: \"nope\": executable file not found");
    /* crun: plain lines, the last one says it */
    const char *crun = "warning: something\nerror opening file `/r/c1/status`: No such file "
                       "or directory\n\n";
    cx_oci_cli_message(crun, strlen(crun), m, sizeof m);
    assert_string_equal(m, "error opening file `/r/c1/status`: No such file or directory");
    cx_oci_cli_message("", 0, m, sizeof m);
    assert_string_equal(m, "");
    cx_oci_cli_message("\n \n", 3, m, sizeof m);
    assert_string_equal(m, "");
    /* cut to the buffer */
    char small[8];
    cx_oci_cli_message("level=error msg=\"0123456789\"", 28, small, sizeof small);
    assert_string_equal(small, "0123456");
    cx_oci_cli_message("0123456789", 10, small, sizeof small);
    assert_string_equal(small, "0123456");
    /* an unterminated msg= keeps what there is */
    cx_oci_cli_message("level=fatal msg=\"half", 21, m, sizeof m);
    assert_string_equal(m, "half");
}

static void test_argv(void **state)
{
    (void) state;
    const char *v[16];
    struct cx_oci_cli r = { .bin = "/usr/bin/runc", .root = "/run/x/runtimes/runc" };
    const char *kill[] = { "kill", "--all", "c1", "9", NULL };
    assert_int_equal(cx_oci_cli_argv(&r, kill, v, 16), 7);
    const char *want[] = { "/usr/bin/runc", "--root", "/run/x/runtimes/runc", "kill", "--all",
                           "c1", "9" };
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(v[i], want[i]);
    assert_null(v[7]);
    /* the systemd driver: a global flag, before the command */
    r.systemd = true;
    const char *del[] = { "delete", "--force", "c1", NULL };
    assert_int_equal(cx_oci_cli_argv(&r, del, v, 16), 7);
    assert_string_equal(v[3], "--systemd-cgroup");
    assert_string_equal(v[4], "delete");
    assert_string_equal(v[6], "c1");
    assert_null(v[7]);
    /* too long for v: refused, never overrun */
    assert_int_equal(cx_oci_cli_argv(&r, del, v, 7), -1);
    assert_int_equal(cx_oci_cli_argv(&r, del, v, 8), 7);
    assert_int_equal(cx_oci_cli_argv(&r, NULL, v, 5), 4);
    assert_null(v[4]);
}

/* Which runtime a create asks for: a name on PATH, a path, capsa (none:
 * in process), the engine's default; the root it gets. */
static void test_resolve(void **state)
{
    (void) state;
    char dir[] = "/tmp/test_oci_cli.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *rt = cx_asprintf("%s/fakert", dir), *noexec = cx_asprintf("%s/plain", dir);
    int fd = open(rt, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);
    fd = open(noexec, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    close(fd);
    char *old_path = getenv("PATH") ? cx_strdup(getenv("PATH")) : NULL;
    char *path = cx_asprintf("/nonexistent:relative:%s", dir);
    setenv("PATH", path, 1);
    struct cx_engine e = { .store = { .runroot = "/run/eng" } };
    char *bin, *root;
    cx_error err = { 0 };
    assert_int_equal(cx_rt_resolve(&e, "fakert", NULL, &bin, &root, &err), 0);
    assert_string_equal(bin, rt);
    assert_string_equal(root, "/run/eng/runtimes/fakert");
    free(bin), free(root);
    assert_int_equal(cx_rt_resolve(&e, rt, "/run/handler", &bin, &root, &err), 0);
    assert_string_equal(bin, rt);
    assert_string_equal(root, "/run/handler");
    free(bin), free(root);
    /* capsa, or nothing asked: in process */
    assert_int_equal(cx_rt_resolve(&e, "capsa", "/ignored", &bin, &root, &err), 0);
    assert_null(bin);
    assert_null(root);
    assert_int_equal(cx_rt_resolve(&e, NULL, NULL, &bin, &root, &err), 0);
    assert_null(bin);
    /* the global --runtime, for containers that ask for none */
    e.default_runtime = "fakert";
    assert_int_equal(cx_rt_resolve(&e, NULL, NULL, &bin, &root, &err), 0);
    assert_string_equal(bin, rt);
    free(bin), free(root);
    assert_int_equal(cx_rt_resolve(&e, "capsa", NULL, &bin, &root, &err), 0);
    assert_null(bin);
    /* refusals, nothing returned */
    static const struct { const char *want, *root, *msg; int errnum; } bad[] = {
        { "nope", NULL, "runtime \"nope\": not found on PATH", ENOENT },
        { "plain", NULL, "runtime \"plain\": not found on PATH", ENOENT },
        { "bin/runc", NULL, "runtime bin/runc: a runtime's path must be absolute", EINVAL },
        { "/nonexistent/runc", NULL, "runtime /nonexistent/runc", ENOENT },
        { "fakert", "relative", "runtime root relative: not an absolute path", EINVAL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bin = root = (char *) 1;
        assert_int_equal(cx_rt_resolve(&e, bad[i].want, bad[i].root, &bin, &root, &err), -1);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("%s: got \"%s\"", bad[i].want, err.msg);
        assert_int_equal(err.errnum, bad[i].errnum);
        assert_null(bin);
        assert_null(root);
    }
    assert_int_equal(cx_rt_resolve(&e, noexec, NULL, &bin, &root, &err), -1);
    assert_int_equal(err.errnum, EACCES);
    if (old_path)
        setenv("PATH", old_path, 1);
    free(old_path);
    free(path);
    unlink(rt);
    unlink(noexec);
    rmdir(dir);
    free(rt);
    free(noexec);
}

/* inspect's OCIRuntime */
static void test_name(void **state)
{
    (void) state;
    struct cx_ctr c = { .runtime = NULL };
    assert_string_equal(cx_rt_name(&c), "capsa");
    c.runtime = "/usr/bin/crun";
    assert_string_equal(cx_rt_name(&c), "crun");
    struct cx_engine e = { .runtime = "/opt/capsa", .runtime_root = "/run/e/runtime" };
    struct cx_rt rt;
    cx_rt_of(&e, &c, &rt);   /* a record without its root: "" for the runtime to refuse */
    assert_true(rt.cli);
    assert_string_equal(rt.bin, "/usr/bin/crun");
    assert_string_equal(rt.root, "");
    c.runtime_root = "/run/e/runtimes/crun";
    cx_rt_of(&e, &c, &rt);
    assert_string_equal(rt.root, "/run/e/runtimes/crun");
    c.runtime = NULL;
    cx_rt_of(&e, &c, &rt);
    assert_false(rt.cli);
    assert_string_equal(rt.bin, "/opt/capsa");
    assert_string_equal(rt.root, "/run/e/runtime");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_of_runc_and_crun),
        cmocka_unit_test(test_state_refusals),
        cmocka_unit_test(test_pids),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
