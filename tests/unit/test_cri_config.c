/* test_cri_config.c: capsad's configuration (src/cri/config.c): defaults,
 * the file, flags over the file, runtime handlers, every refusal naming
 * where the value came from, and --help made from the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cri/config.h"

#define NO_FILE "/nonexistent/capsad.conf"

static char conf_path[] = "/tmp/test_cri_config.XXXXXX";

static void write_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void) state;
    int fd = mkstemp(conf_path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    unlink(conf_path);
    return 0;
}

/* argv is NULL-ended, without the program's name */
static int load(struct cri_config *c, const char *default_file, cx_error *err,
                const char *const *argv)
{
    char *args[32] = { "capsad" };
    int argc = 1;
    for (; argv && argv[argc - 1]; argc++)
        args[argc] = (char *) argv[argc - 1];
    memset(err, 0, sizeof *err);
    return cri_config_load_from(c, argc, args, default_file, err);
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void load_ok(struct cri_config *c, const char *default_file, const char *const *argv)
{
    cx_error err;
    if (load(c, default_file, &err, argv) != 0)
        fail_msg("%s", err.msg);
}

static void load_bad(const char *default_file, const char *const *argv, const char *msg)
{
    struct cri_config c;
    cx_error err;
    if (load(&c, default_file, &err, argv) != -1)
        fail_msg("loaded");
    assert_string_equal(err.msg, msg);
    assert_null(c.runtimes);
}

/* the same message with the temporary file's name in front */
static void file_bad(const char *text, const char *msg)
{
    char want[512];
    write_conf(text);
    snprintf(want, sizeof want, "%s:%s", conf_path, msg);
    load_bad(conf_path, NULL, want);
}

static void test_defaults(void **state)
{
    (void) state;
    struct cri_config c;
    load_ok(&c, NO_FILE, NULL);   /* a missing default file is fine */
    assert_string_equal(c.listen_path, "/run/capsad/capsad.sock");
    assert_string_equal(c.root, "/var/lib/capsa");
    assert_string_equal(c.runroot, "/run/capsa-engine");
    assert_string_equal(c.registries_conf, "/etc/containers/registries.conf");
    assert_string_equal(c.cni_conf_dir, "/etc/cni/net.d");
    assert_string_equal(c.cni_bin_dir, "/usr/lib/cni:/opt/cni/bin");
    assert_null(c.cni_conf_template);
    assert_string_equal(c.cgroup_manager, "cgroupfs");
    assert_null(c.pause_image);
    assert_string_equal(c.default_runtime, "capsa");
    assert_string_equal(c.stream_address, "127.0.0.1");
    assert_int_equal(c.stream_port, 0);
    assert_int_equal(c.stream_idle_timeout, 14400);
    assert_string_equal(c.log_level, "info");
    assert_false(c.help);
    assert_false(c.version);
    assert_int_equal(c.nruntimes, 1);
    const struct cri_runtime *rt = cri_config_runtime(&c, "");
    assert_non_null(rt);
    assert_string_equal(rt->name, "capsa");
    assert_null(rt->path);
    assert_ptr_equal(cri_config_runtime(&c, NULL), rt);
    assert_ptr_equal(cri_config_runtime(&c, "capsa"), rt);
    assert_null(cri_config_runtime(&c, "runc"));
    cri_config_free(&c);
    assert_null(c.root);
}

static const char every_key[] =
    "# every key\n"
    "listen = \"unix:///tmp/c/capsad.sock\"\n"
    "root = \"/srv/capsa\"\n"
    "runroot = \"/run/c\"\n"
    "registries_conf = \"/etc/c/registries.conf\"\n"
    "cni_conf_dir = \"/etc/c/net.d\"\n"
    "cni_bin_dir = \"/opt/a:/opt/b\"\n"
    "cni_conf_template = \"/etc/c/template.conflist\"\n"
    "cgroup_manager = \"systemd\"\n"
    "pause_image = \"registry.k8s.io/pause:3.9\"\n"
    "default_runtime = \"runc\"\n"
    "stream_address = \"::1\"\n"
    "stream_port = 10010\n"
    "stream_idle_timeout = 0\n"
    "log_level = \"debug\"\n"
    "\n"
    "[runtimes.runc]\n"
    "path = \"/usr/bin/runc\"\n"
    "root = \"/run/runc-k8s\"\n"
    "[runtimes.crun]\n"
    "path = \"/usr/bin/crun\"\n";

static void test_every_key(void **state)
{
    (void) state;
    struct cri_config c;
    write_conf(every_key);
    load_ok(&c, NO_FILE, ARGS("--config", conf_path));
    assert_string_equal(c.listen_path, "/tmp/c/capsad.sock");
    assert_string_equal(c.root, "/srv/capsa");
    assert_string_equal(c.runroot, "/run/c");
    assert_string_equal(c.registries_conf, "/etc/c/registries.conf");
    assert_string_equal(c.cni_conf_dir, "/etc/c/net.d");
    assert_string_equal(c.cni_bin_dir, "/opt/a:/opt/b");
    assert_string_equal(c.cni_conf_template, "/etc/c/template.conflist");
    assert_string_equal(c.cgroup_manager, "systemd");
    assert_string_equal(c.pause_image, "registry.k8s.io/pause:3.9");
    assert_string_equal(c.default_runtime, "runc");
    assert_string_equal(c.stream_address, "::1");
    assert_int_equal(c.stream_port, 10010);
    assert_int_equal(c.stream_idle_timeout, 0);
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.nruntimes, 3);
    const struct cri_runtime *rt = cri_config_runtime(&c, "");
    assert_string_equal(rt->name, "runc");
    assert_string_equal(rt->path, "/usr/bin/runc");
    assert_string_equal(rt->root, "/run/runc-k8s");
    rt = cri_config_runtime(&c, "crun");
    assert_string_equal(rt->path, "/usr/bin/crun");
    assert_null(rt->root);
    assert_null(cri_config_runtime(&c, "runsc"));
    cri_config_free(&c);
    /* the same file as the default one */
    load_ok(&c, conf_path, NULL);
    assert_int_equal(c.stream_port, 10010);
    cri_config_free(&c);
}

static void test_flags_win(void **state)
{
    (void) state;
    struct cri_config c;
    write_conf(every_key);
    load_ok(&c, conf_path, ARGS("--stream-port", "1234", "--listen=/tmp/x.sock",
                                "--root", "/a", "--cgroup_manager", "cgroupfs",
                                "--pause-image=", "--cni-conf-template", "",
                                "--runtime", "runc=/opt/runc",
                                "--runtime=kata=/opt/kata:/run/kata",
                                "--default-runtime", "kata"));
    assert_int_equal(c.stream_port, 1234);
    assert_string_equal(c.listen_path, "/tmp/x.sock");
    assert_string_equal(c.root, "/a");
    assert_string_equal(c.runroot, "/run/c");               /* the file's */
    assert_string_equal(c.cgroup_manager, "cgroupfs");
    assert_null(c.pause_image);                             /* "" is the default */
    assert_null(c.cni_conf_template);
    assert_int_equal(c.nruntimes, 4);
    const struct cri_runtime *rt = cri_config_runtime(&c, "runc");
    assert_string_equal(rt->path, "/opt/runc");             /* the flag's, whole */
    assert_null(rt->root);
    rt = cri_config_runtime(&c, NULL);
    assert_string_equal(rt->name, "kata");
    assert_string_equal(rt->root, "/run/kata");
    cri_config_free(&c);
    /* a flag repeated: the last one */
    load_ok(&c, NO_FILE, ARGS("--log-level", "warn", "--log-level", "error"));
    assert_string_equal(c.log_level, "error");
    cri_config_free(&c);
}

static void test_file_errors(void **state)
{
    (void) state;
    file_bad("root = \"/r\"\n\nfoo = 1\n", "3: unknown key \"foo\" (see capsad --help)");
    file_bad("[listen]\n", "1: listen must be a string");
    file_bad("[server]\nx = 1\n", "1: unknown key \"server\" (see capsad --help)");
    file_bad("cgroup_manager = \"foo\"\n",
             "1: cgroup_manager \"foo\": want cgroupfs or systemd");
    file_bad("log_level = \"trace\"\n", "1: log_level \"trace\": want error, warn, info or debug");
    file_bad("stream_port = 70000\n", "1: stream_port \"70000\": not in 0..65535");
    file_bad("stream_port = -1\n", "1: stream_port \"-1\": not in 0..65535");
    file_bad("stream_port = \"80\"\n", "1: stream_port must be an integer");
    file_bad("root = 1\n", "1: root must be a string");
    file_bad("listen = \"tcp://x:1\"\n", "1: listen \"tcp://x:1\": only unix:///PATH or an "
             "absolute PATH (a unix socket) is supported");
    file_bad("listen = \"unix://run/x\"\n", "1: listen \"unix://run/x\": only unix:///PATH or an "
             "absolute PATH (a unix socket) is supported");
    file_bad("\nroot = \"var/lib/capsa\"\n", "2: root \"var/lib/capsa\": not an absolute path");
    file_bad("runroot = \"\"\n", "1: runroot \"\": must not be empty");
    file_bad("cni_bin_dir = \"/a::/b\"\n",
             "1: cni_bin_dir \"/a::/b\": each directory must be an absolute path");
    file_bad("stream_address = \"localhost\"\n",
             "1: stream_address \"localhost\": not an IPv4 or IPv6 address");
    file_bad("default_runtime = \"runc\"\n",
             "1: default_runtime \"runc\": no runtime handler has that name");
    file_bad("[runtimes.runc]\nroot = \"/r\"\n",
             "1: runtimes.runc: no path (the runtime's binary)");
    file_bad("[runtimes.runc]\npath = \"runc\"\n",
             "2: runtimes.runc \"runc\": the runtime's path must be absolute");
    file_bad("[runtimes.runc]\npath = \"/r\"\nargs = 1\n",
             "3: unknown key \"args\" in [runtimes.runc] (path, root)");
    file_bad("[runtimes.capsa]\npath = \"/usr/bin/capsa\"\n",
             "2: runtimes.capsa \"capsa\": the built-in handler cannot be redefined");
    file_bad("runtimes = 1\n", "1: runtimes must be tables: [runtimes.NAME] with path and root");
    file_bad("[runtimes]\nrunc = \"/usr/bin/runc\"\n",
             "2: runtimes.runc must be a table: [runtimes.runc] with path and root");
    /* the reader's own errors name the line too */
    file_bad("root = \"/a\"\nroot = \"/b\"\n", "2: duplicate key \"root\"");
}

static void test_flag_errors(void **state)
{
    (void) state;
    load_bad(NO_FILE, ARGS("--foo", "1"), "unknown flag --foo (see capsad --help)");
    load_bad(NO_FILE, ARGS("--root"), "--root needs a value");
    load_bad(NO_FILE, ARGS("serve"), "unexpected argument \"serve\" (see capsad --help)");
    load_bad(NO_FILE, ARGS("--cgroup-manager", "foo"),
             "--cgroup-manager \"foo\": want cgroupfs or systemd");
    load_bad(NO_FILE, ARGS("--stream-port=70000"), "--stream-port \"70000\": not in 0..65535");
    load_bad(NO_FILE, ARGS("--stream-port", "12ab"), "--stream-port \"12ab\": not an integer");
    load_bad(NO_FILE, ARGS("--listen", "tcp://0.0.0.0:1"), "--listen \"tcp://0.0.0.0:1\": only "
             "unix:///PATH or an absolute PATH (a unix socket) is supported");
    load_bad(NO_FILE, ARGS("--root", "relative"), "--root \"relative\": not an absolute path");
    load_bad(NO_FILE, ARGS("--runtime", "runc"),
             "--runtime \"runc\": want NAME=PATH or NAME=PATH:ROOT");
    load_bad(NO_FILE, ARGS("--runtime", "a/b=/x"),
             "--runtime \"a/b\": a handler name is letters, digits, '-', '_' and '.'");
    load_bad(NO_FILE, ARGS("--runtime", "r=/x:rel"),
             "--runtime \"rel\": the runtime's root must be an absolute path");
    load_bad(NO_FILE, ARGS("--default-runtime", "runc"),
             "--default-runtime \"runc\": no runtime handler has that name");
    load_bad(NO_FILE, ARGS("--config", ""), "--config needs a path");
    /* a --config file must exist, the default one need not */
    struct cri_config c;
    cx_error err;
    assert_int_equal(load(&c, NO_FILE, &err, ARGS("--config", NO_FILE)), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_non_null(strstr(err.msg, NO_FILE));
    /* flags are checked after the file: the file's error comes first */
    write_conf("foo = 1\n");
    assert_int_equal(load(&c, conf_path, &err, ARGS("--root", "rel")), -1);
    assert_non_null(strstr(err.msg, "unknown key \"foo\""));
}

static void test_help(void **state)
{
    (void) state;
    /* --help and --version read no file, not even a broken one */
    struct cri_config c;
    write_conf("foo = 1\n");
    load_ok(&c, conf_path, ARGS("--root", "rel", "--help"));
    assert_true(c.help);
    cri_config_free(&c);
    load_ok(&c, NO_FILE, ARGS("--config", NO_FILE, "-v"));
    assert_true(c.version);
    cri_config_free(&c);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cri_config_usage(f);
    fclose(f);
    static const char *const names[] = {
        "listen", "root", "runroot", "registries_conf", "cni_conf_dir", "cni_bin_dir",
        "cni_conf_template", "cgroup_manager", "pause_image", "default_runtime",
        "stream_address", "stream_port", "stream_idle_timeout", "log_level",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[64], flag[64];
        snprintf(key, sizeof key, "(%s = ", names[i]);
        snprintf(flag, sizeof flag, "  --%s ", names[i]);
        for (char *p = flag; *p; p++)
            *p = *p == '_' ? '-' : *p;
        if (strstr(text, key) == NULL || strstr(text, flag) == NULL)
            fail_msg("--help lacks %s", names[i]);
    }
    assert_non_null(strstr(text, "(listen = \"unix:///run/capsad/capsad.sock\")"));
    assert_non_null(strstr(text, "(stream_idle_timeout = 14400)"));
    assert_non_null(strstr(text, "--runtime NAME=PATH[:ROOT]  ([runtimes.NAME]"));
    assert_non_null(strstr(text, "--config FILE"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_flags_win),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_flag_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
