/* test_spec_gen_flags.c: config.json from the run flags (capabilities,
 * resources, network, mounts, init, seccomp, stop signal), checked against
 * what podman 4.3 writes; the defaults are test_spec_gen.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "spec_gen_util.h"

/* ---- flags ---- */

static void test_tty_nnp_annotations(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "-t", "--security-opt", "no-new-privileges", "--annotation",
                      "k=v=w", "--stop-signal", "KILL", "-l", "lab=1", "IMG", "t", NULL);
    is(s, "process.terminal", "true");
    is(s, "process.noNewPrivileges", "true");
    is(s, "annotations", "{\"io.container.manager\":\"capsa\","
                         "\"org.opencontainers.image.stopSignal\":\"9\",\"k\":\"v=w\"}");
    json_decref(s);
}

static void test_caps_flags(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--cap-add", "net_admin,sys_time", "--cap-drop", "CHOWN,cap_kill",
                      "IMG", "t", NULL);
    const char *want = "[\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_NET_ADMIN\","
                       "\"CAP_NET_BIND_SERVICE\",\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\","
                       "\"CAP_SETUID\",\"CAP_SYS_CHROOT\",\"CAP_SYS_TIME\"]";
    is(s, "process.capabilities.bounding", want);
    is(s, "process.capabilities.effective", want);
    is(stub_caps, "", want);
    json_decref(s);
    s = build(f, NULL, "--cap-drop", "ALL", "--cap-add", "NET_RAW", "IMG", "t", NULL);
    is(s, "process.capabilities", "{\"bounding\":[\"CAP_NET_RAW\"],\"effective\":"
       "[\"CAP_NET_RAW\"],\"permitted\":[\"CAP_NET_RAW\"]}");
    json_decref(s);
    s = build(f, NULL, "-u", "daemon", "--cap-add", "NET_ADMIN", "IMG", "t", NULL);
    is(s, "process.capabilities", "{\"bounding\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\","
       "\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\",\"CAP_NET_ADMIN\",\"CAP_NET_BIND_SERVICE\","
       "\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_SETUID\",\"CAP_SYS_CHROOT\"],"
       "\"effective\":[\"CAP_NET_ADMIN\"],\"permitted\":[\"CAP_NET_ADMIN\"],"
       "\"inheritable\":[\"CAP_NET_ADMIN\"],\"ambient\":[\"CAP_NET_ADMIN\"]}");
    json_decref(s);
    build_fails(f, NULL, "--cap-add ALL and --cap-drop ALL cannot go together",
                "--cap-add", "all", "--cap-drop", "ALL", "IMG", "t", NULL);
    build_fails(f, NULL, "CAP_KILL is both in --cap-add and --cap-drop",
                "--cap-add", "kill", "--cap-drop", "KILL", "IMG", "t", NULL);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* What the engine's own bounding set holds, sorted by name. */
static json_t *host_caps(void)
{
    char *names[128];
    size_t n = 0;
    for (int c = 0; c < 64; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) {
            char *name = cap_to_name(c);
            if (name[0] >= 'a' && name[0] <= 'z') {
                for (char *p = name; *p; p++)
                    *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                names[n++] = strdup(name);
            }
            cap_free(name);
        }
    qsort(names, n, sizeof *names, by_name);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(names[i]));
        free(names[i]);
    }
    return a;
}

static void test_privileged(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--privileged", "--cap-drop", "chown", "IMG", "t", NULL);
    json_t *caps = host_caps();
    json_t *got = json_object_get(json_object_get(s, "process"), "capabilities");
    assert_true(json_equal(json_object_get(got, "bounding"), caps));
    assert_true(json_equal(json_object_get(got, "effective"), caps));
    assert_true(json_equal(json_object_get(got, "permitted"), caps));
    json_decref(caps);
    is(s, "linux.seccomp", NULL);
    assert_int_equal(stub_calls, 0);
    is(s, "linux.maskedPaths", NULL);
    is(s, "linux.readonlyPaths", NULL);
    is(s, "linux.resources.devices", "[{\"allow\":true,\"access\":\"rwm\"}]");
    json_t *devs = json_object_get(json_object_get(s, "linux"), "devices");
    bool null_dev = false;
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d) {
        const char *path = json_string_value(json_object_get(d, "path"));
        assert_true(strncmp(path, "/dev/", 5) == 0);
        assert_false(strncmp(path, "/dev/pts/", 9) == 0 || strcmp(path, "/dev/console") == 0);
        if (i > 0)
            assert_true(strcmp(json_string_value(json_object_get(json_array_get(devs, i - 1),
                                                                  "path")), path) < 0);
        if (strcmp(path, "/dev/null") == 0) {
            is(d, "type", "\"c\"");
            is(d, "major", "1");
            is(d, "minor", "3");
            is(d, "fileMode", "8630");
            null_dev = true;
        }
    }
    assert_true(null_dev);
    json_t *mounts = json_object_get(s, "mounts");
    is(json_array_get(mounts, 2), "options",
       "[\"rprivate\",\"nosuid\",\"noexec\",\"nodev\",\"rw\"]");
    is(json_array_get(mounts, json_array_size(mounts) - 1), "options",
       "[\"rprivate\",\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"rw\"]");
    json_decref(s);
}

static void test_resources(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "-m", "100m", "--cpus", "1.5", "--cpu-shares", "512",
                      "--pids-limit", "100", "IMG", "t", NULL);
    is(s, "linux.resources", "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
       "\"memory\":{\"limit\":104857600,\"swap\":209715200},"
       "\"cpu\":{\"shares\":512,\"quota\":150000,\"period\":100000},\"pids\":{\"limit\":100}}");
    json_decref(s);
    s = build(f, NULL, "--pids-limit", "0", "--cpu-shares", "2", "IMG", "t", NULL);
    is(s, "linux.resources", "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
       "\"cpu\":{\"shares\":2},\"pids\":{\"limit\":-1}}");
    json_decref(s);
}

static void test_rlimits(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--ulimit", "nofile=1024:2048", "--ulimit", "core=-1",
                      "--ulimit", "memlock=100:200", "IMG", "t", NULL);
    json_t *rl = json_object_get(json_object_get(s, "process"), "rlimits");
    assert_int_equal(json_array_size(rl), 4);
    is(json_array_get(rl, 0), "", "{\"type\":\"RLIMIT_NOFILE\",\"hard\":2048,\"soft\":1024}");
    is(json_array_get(rl, 1), "type", "\"RLIMIT_NPROC\"");
    is(json_array_get(rl, 2), "type", "\"RLIMIT_CORE\"");
    is(json_array_get(rl, 2), "hard", "9223372036854775807");
    is(json_array_get(rl, 2), "soft", "9223372036854775807");
    is(json_array_get(rl, 3), "hard", "200");
    is(json_array_get(rl, 3), "soft", "100");
    json_decref(s);
    s = build(f, NULL, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
              "IMG", "t", NULL);
    is(s, "process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024},"
                             "{\"type\":\"RLIMIT_NPROC\",\"hard\":1024,\"soft\":1024}]");
    json_decref(s);
}

static void test_network(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--network", "host", "IMG", "t", NULL);
    json_t *ns = json_object_get(json_object_get(s, "linux"), "namespaces");
    size_t i;
    json_t *n;
    json_array_foreach(ns, i, n)
        assert_string_not_equal(json_string_value(json_object_get(n, "type")), "network");
    is(s, "linux.sysctl", NULL);
    json_decref(s);
    s = build(f, NULL, "--network", "none", "IMG", "t", NULL);
    is(json_array_get(json_object_get(json_object_get(s, "linux"), "namespaces"), 1), "type",
       "\"network\"");
    json_t *mounts = json_object_get(s, "mounts");
    json_array_foreach(mounts, i, n)
        assert_string_not_equal(json_string_value(json_object_get(n, "destination")),
                                "/etc/resolv.conf");
    is(s, "linux.sysctl", "{\"net.ipv4.ping_group_range\":\"0 0\"}");
    json_decref(s);
}

/* the destinations of the mounts, comma separated */
static char *dests(json_t *s)
{
    char *out = strdup("");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(s, "mounts"), i, m) {
        char *n = cx_asprintf("%s%s%s", out, i ? "," : "",
                              json_string_value(json_object_get(m, "destination")));
        free(out);
        out = n;
    }
    return out;
}

static json_t *mount_at(json_t *s, const char *dest)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(s, "mounts"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
            return m;
    fail_msg("no mount at %s", dest);
    return NULL;
}

static void test_read_only(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--read-only", "--tmpfs", "/run", "IMG", "t", NULL);
    is(s, "root.readonly", "true");
    char *d = dests(s);
    assert_string_equal(d, "/proc,/dev,/sys,/tmp,/run,/dev/pts,/dev/mqueue,/dev/shm,/var/tmp,"
                           "/etc/hostname,/etc/hosts,/etc/resolv.conf,/sys/fs/cgroup");
    free(d);
    is(mount_at(s, "/tmp"), "options",
       "[\"rw\",\"rprivate\",\"nosuid\",\"nodev\",\"tmpcopyup\"]");
    is(mount_at(s, "/var/tmp"), "type", "\"tmpfs\"");
    is(mount_at(s, "/etc/hosts"), "options",
       "[\"bind\",\"rprivate\",\"ro\",\"nosuid\",\"noexec\",\"nodev\"]");
    json_decref(s);
}

static void test_user_mounts(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "-v", "/h/b:/a/b:ro", "-v", "/h/a:/a", "--tmpfs",
                      "/dev/shm:size=1m", "--mount", "type=bind,src=/h,dst=/sh,"
                      "bind-propagation=rslave", "IMG", "t", NULL);
    char *d = dests(s);
    assert_string_equal(d, "/proc,/dev,/sys,/a,/sh,/dev/pts,/dev/mqueue,/etc/hostname,"
                           "/etc/hosts,/etc/resolv.conf,/a/b,/dev/shm,/sys/fs/cgroup");
    free(d);
    is(mount_at(s, "/a/b"), "type", "\"bind\"");
    is(mount_at(s, "/a/b"), "source", "\"/h/b\"");
    is(mount_at(s, "/a/b"), "options", "[\"ro\",\"rprivate\",\"rbind\"]");
    is(mount_at(s, "/dev/shm"), "source", "\"tmpfs\"");
    is(mount_at(s, "/dev/shm"), "options",
       "[\"size=1m\",\"rw\",\"rprivate\",\"nosuid\",\"nodev\",\"tmpcopyup\"]");
    is(s, "linux.rootfsPropagation", "\"rslave\"");
    json_decref(s);
    s = build(f, NULL, "-v", "/h:/p:rshared", "-v", "/g:/q:slave", "IMG", "t", NULL);
    is(s, "linux.rootfsPropagation", "\"shared\"");
    json_decref(s);
    /* volumes must have been resolved to binds by the engine */
    build_fails(f, NULL, "mount at /v: volume data was not resolved to a directory",
                "-v", "data:/v", "IMG", "t", NULL);
}

static void test_init(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, CFG, "--init", "--tmpfs", "/run", NULL);
    is(s, "process.args", "[\"/run/capsa-init\",\"--\",\"/bin/echo\",\"ep\",\"c1\",\"c2\"]");
    is(mount_at(s, "/run/capsa-init"), "source", "\"/usr/libexec/capsa-init\"");
    is(mount_at(s, "/run/capsa-init"), "options", "[\"bind\",\"ro\",\"rprivate\"]");
    char *d = dests(s);  /* after the /run tmpfs, which would hide it */
    assert_non_null(strstr(d, "/run,"));
    assert_true(strstr(d, "/run,") < strstr(d, "/run/capsa-init"));
    free(d);
    json_decref(s);
    f->ctx.init_path = NULL;
    build_fails(f, CFG, "--init: capsa-init was not found", "--init", NULL);
}

static char *profile(const char *text)
{
    char *path = strdup("/tmp/h2-seccomp-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

static void test_seccomp_choices(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--security-opt", "seccomp=unconfined", "IMG", "t", NULL);
    is(s, "linux.seccomp", NULL);
    assert_int_equal(stub_calls, 0);
    json_decref(s);
    const char *oci = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                      "[\"swapon\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}";
    char *p = profile(oci), *opt = cx_asprintf("seccomp=%s", p);
    s = build(f, NULL, "--security-opt", opt, "IMG", "t", NULL);
    is(s, "linux.seccomp", oci);
    assert_int_equal(stub_calls, 0);
    json_decref(s);
    unlink(p);
    free(p);
    free(opt);
}

static void test_seccomp_file_errors(void **state)
{
    struct fixture *f = *state;
    const struct { const char *text, *msg; } cases[] = {
        { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[],\"syscalls\":[]}",
          "seccomp profile %s: a docker/podman profile (archMap, includes/excludes); capsa "
          "takes the OCI linux.seccomp object a runtime receives" },
        { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
          "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}",
          "seccomp profile %s: a docker/podman profile (archMap, includes/excludes); capsa "
          "takes the OCI linux.seccomp object a runtime receives" },
        { "{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
          "seccomp profile %s: defaultAction: unknown action \"SCMP_ACT_NOPE\"" },
        { "[1]", "seccomp profile %s: not a JSON object" },
        { "{", "seccomp profile %s: invalid JSON at line 1: string or '}' expected near end of "
          "file" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = profile(cases[i].text), *opt = cx_asprintf("seccomp=%s", p);
        char *msg = cx_asprintf(cases[i].msg, p);
        build_fails(f, NULL, msg, "--security-opt", opt, "IMG", "t", NULL);
        unlink(p);
        free(p);
        free(opt);
        free(msg);
    }
    cx_error err = { 0 };
    json_t *s = NULL;
    struct cx_run_opts o;
    char *argv[] = { "run", "--security-opt", "seccomp=/nonexistent/h2.json", "img", "t", NULL };
    assert_int_equal(cx_run_opts_parse(5, argv, &o, &err), 0);
    struct cx_image_config img = { 0 };
    config(NULL, &img);
    assert_int_equal(cx_spec_build(&img, &o, &f->ctx, &s, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_non_null(strstr(err.msg, "--security-opt seccomp: "));
    assert_non_null(strstr(err.msg, "/nonexistent/h2.json"));
    cx_image_config_free(&img);
    cx_run_opts_free(&o);
}

static void test_stop_signal(void **state)
{
    (void) state;
    const struct { const char *cfg, *flag; int sig; } cases[] = {
        { NULL, NULL, SIGTERM }, { "{\"StopSignal\":\"SIGQUIT\"}", NULL, SIGQUIT },
        { "{\"StopSignal\":\"10\"}", NULL, 10 }, { "{\"StopSignal\":\"\"}", NULL, SIGTERM },
        { "{\"StopSignal\":\"SIGQUIT\"}", "KILL", SIGKILL }, { NULL, "rtmin+1", SIGRTMIN + 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cx_image_config img = { 0 };
        struct cx_run_opts o;
        cx_error err = { 0 };
        char *argv[] = { "run", "--stop-signal", (char *) cases[i].flag, "img", NULL };
        char *plain[] = { "run", "img", NULL };
        assert_int_equal(cases[i].flag ? cx_run_opts_parse(4, argv, &o, &err)
                                       : cx_run_opts_parse(2, plain, &o, &err), 0);
        config(cases[i].cfg, &img);
        int sig = -1;
        assert_int_equal(cx_spec_stop_signal(&img, &o, &sig, &err), 0);
        assert_int_equal(sig, cases[i].sig);
        cx_image_config_free(&img);
        cx_run_opts_free(&o);
    }
    struct cx_image_config img = { 0 };
    struct cx_run_opts o;
    cx_error err = { 0 };
    char *plain[] = { "run", "img", NULL };
    assert_int_equal(cx_run_opts_parse(2, plain, &o, &err), 0);
    config("{\"StopSignal\":\"SIGBOGUS\"}", &img);
    int sig = -1;
    assert_int_equal(cx_spec_stop_signal(&img, &o, &sig, &err), -1);
    assert_string_equal(err.msg, "the image's StopSignal: invalid signal \"SIGBOGUS\"");
    cx_image_config_free(&img);
    cx_run_opts_free(&o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tty_nnp_annotations),
        T(test_caps_flags),
        T(test_privileged),
        T(test_resources),
        T(test_rlimits),
        T(test_network),
        T(test_read_only),
        T(test_user_mounts),
        T(test_init),
        T(test_seccomp_choices),
        T(test_seccomp_file_errors),
        T(test_stop_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
