/* test_run_opts.c: `capsactl run/create` flags, as podman reads them, and
 * the record they are kept in; the mount flags are test_run_opts_mounts.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "run_opts_util.h"

/* ---- basics ---- */

static void test_defaults(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "img", NULL);
    assert_string_equal(o.image, "img");
    strv_is(o.args, NULL);
    assert_non_null(o.args);
    assert_int_equal(o.memory, -1);
    assert_int_equal(o.cpu_quota, -1);
    assert_int_equal(o.cpu_period, 0);
    assert_int_equal(o.cpu_shares, 0);
    assert_int_equal(o.pids_limit, -1);
    assert_int_equal(o.stop_timeout, -1);
    assert_int_equal(o.log_max_size, -1);
    assert_int_equal(o.restart, CX_RESTART_NO);
    /* no --network: the default network */
    assert_int_equal(o.network, CX_NET_CNI);
    assert_string_equal(o.networks[0], "capsa");
    assert_null(o.networks[1]);
    assert_int_equal(o.pull, CX_PULL_MISSING);
    assert_false(o.rm || o.detach || o.tty || o.interactive || o.entrypoint_set || o.log_none);
    assert_null(o.env);
    assert_null(o.name);
    assert_int_equal(o.nmounts, 0);
    cx_run_opts_free(&o);
}

static void test_stops_at_image(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "-d", "--rm", "busybox:1", "-e", "X=1", "--rm", "ls", NULL);
    assert_true(o.detach);
    assert_true(o.rm);
    assert_string_equal(o.image, "busybox:1");
    strv_is(o.args, "-e", "X=1", "--rm", "ls", NULL);
    assert_null(o.env);
    cx_run_opts_free(&o);
    ok(&o, "--", "img", "--version", NULL);
    assert_string_equal(o.image, "img");
    strv_is(o.args, "--version", NULL);
    cx_run_opts_free(&o);
}

static void test_bools(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "-dit", "--privileged", "--read-only", "--init", "img", NULL);
    assert_true(o.detach && o.interactive && o.tty && o.privileged && o.read_only && o.init);
    cx_run_opts_free(&o);
    ok(&o, "--tty", "--tty=false", "--rm=true", "--interactive=true", "img", NULL);
    assert_false(o.tty);
    assert_true(o.rm && o.interactive);
    cx_run_opts_free(&o);
    bad("--rm=yes|img", "--rm: invalid value \"yes\" (true or false)");
}

static void test_usage_errors(void **state)
{
    (void) state;
    bad("--bogus|img", "run: unknown flag --bogus (see --help)");
    bad("-Q|img", "run: unknown flag -Q (see --help)");
    bad("--name", "run: flag --name needs a value");
    bad("--rm", "run: an image is required (usage: capsactl run [FLAGS] IMAGE [COMMAND "
        "[ARG...]])");
    bad("--rm|--restart|always|img", "--restart: conflicts with --rm (a removed container cannot "
        "restart)");
}

static void test_name_workdir_user_hostname(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--name", "web_1.a-b", "-w", "/srv", "-u", "1000:100", "-h", "box", "img", NULL);
    assert_string_equal(o.name, "web_1.a-b");
    assert_string_equal(o.workdir, "/srv");
    assert_string_equal(o.user, "1000:100");
    assert_string_equal(o.hostname, "box");
    cx_run_opts_free(&o);
    ok(&o, "--name=a", "--name", "b", "--user=", "img", NULL);
    assert_string_equal(o.name, "b");
    assert_null(o.user);
    cx_run_opts_free(&o);
    bad("--name|-x|i", "--name: \"-x\" is not a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
    bad("--name|a b|i", "--name: \"a b\" is not a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
    bad("-w|srv|img", "--workdir: \"srv\" is not an absolute path");
#define A65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    bad("--hostname|" A65 "|img", "--hostname: \"" A65 "\" is not a valid hostname (letters, "
        "digits, '-', '_' and '.', at most 64)");
}

/* ---- environment, labels, annotations ---- */

static void test_env(void **state)
{
    (void) state;
    struct cx_run_opts o;
    setenv("H2_FROM_HOST", "host value", 1);
    unsetenv("H2_UNSET");
    ok(&o, "-e", "A=1", "--env", "B=x=y", "-e", "H2_FROM_HOST", "-e", "H2_UNSET", "-e", "E=",
       "img", NULL);
    strv_is(o.env, "A=1", "B=x=y", "H2_FROM_HOST=host value", "E=", NULL);
    cx_run_opts_free(&o);
    bad("-e|=x|img", "--env: invalid environment variable \"=x\" (KEY=VALUE or KEY)");
    bad_v("--env: invalid environment variable \"\" (KEY=VALUE or KEY)", "-e", "", "img", NULL);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/h2-envfile-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

static void test_env_file(void **state)
{
    (void) state;
    setenv("H2_FROM_HOST", "h", 1);
    unsetenv("H2_UNSET");
    char *path = write_tmp("# a comment\n\n  A=1\r\nB= spaced value \nH2_FROM_HOST\n"
                           "H2_UNSET\n\t# indented comment\nC=last");
    struct cx_run_opts o;
    ok(&o, "-e", "Z=0", "--env-file", path, "-e", "A=2", "img", NULL);
    strv_is(o.env, "Z=0", "A=1", "B= spaced value ", "H2_FROM_HOST=h", "C=last", "A=2", NULL);
    cx_run_opts_free(&o);
    unlink(path);
    free(path);
    path = write_tmp("OK=1\nBAD KEY=2\n");
    char msg[256];
    snprintf(msg, sizeof msg, "--env-file %s: line 2: the name \"BAD KEY\" contains whitespace",
             path);
    bad_v(msg, "--env-file", path, "img", NULL);
    unlink(path);
    free(path);
}

static void test_env_file_missing(void **state)
{
    (void) state;
    struct cx_run_opts o;
    cx_error err = { 0 };
    char *argv[] = { "run", "--env-file", "/nonexistent/h2", "img", NULL };
    assert_int_equal(cx_run_opts_parse(4, argv, &o, &err), -1);
    assert_true(strncmp(err.msg, "--env-file: ", 12) == 0);
    assert_non_null(strstr(err.msg, "/nonexistent/h2"));
    assert_int_equal(err.errnum, ENOENT);
}

static void test_labels_annotations(void **state)
{
    (void) state;
    char *path = write_tmp("# labels\nfile=1\nbare\n");
    struct cx_run_opts o;
    ok(&o, "-l", "a=b", "--label", "c", "--label-file", path, "--annotation", "x=y=z",
       "--annotation", "empty=", "img", NULL);
    strv_is(o.labels, "a=b", "c=", "file=1", "bare=", NULL);
    strv_is(o.annotations, "x=y=z", "empty=", NULL);
    cx_run_opts_free(&o);
    unlink(path);
    free(path);
    bad("--annotation|x|img", "--annotation: \"x\": expected KEY=VALUE");
    bad("-l|=v|img", "--label: invalid label \"=v\" (KEY=VALUE or KEY)");
}

/* ---- entrypoint ---- */

static void test_entrypoint(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--entrypoint", "/bin/sh", "img", NULL);
    assert_true(o.entrypoint_set);
    strv_is(o.entrypoint, "/bin/sh", NULL);
    cx_run_opts_free(&o);
    ok(&o, "--entrypoint", "[\"/bin/sh\",\"-c\"]", "img", "echo hi", NULL);
    strv_is(o.entrypoint, "/bin/sh", "-c", NULL);
    strv_is(o.args, "echo hi", NULL);
    cx_run_opts_free(&o);
    ok(&o, "--entrypoint=", "img", NULL);
    assert_true(o.entrypoint_set);
    assert_non_null(o.entrypoint);
    assert_null(o.entrypoint[0]);
    cx_run_opts_free(&o);
    /* not a JSON array of strings: one word */
    ok(&o, "--entrypoint", "[1, 2]", "img", NULL);
    strv_is(o.entrypoint, "[1, 2]", NULL);
    cx_run_opts_free(&o);
    ok(&o, "--entrypoint", "/a b", "img", NULL);
    strv_is(o.entrypoint, "/a b", NULL);
    cx_run_opts_free(&o);
}

/* ---- security ---- */

static void test_caps(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--cap-add", "net_admin,SYS_TIME", "--cap-add", "cap_kill", "--cap-drop", "all",
       "--cap-drop", "Cap_Chown", "img", NULL);
    strv_is(o.cap_add, "CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_KILL", NULL);
    strv_is(o.cap_drop, "ALL", "CAP_CHOWN", NULL);
    cx_run_opts_free(&o);
    bad("--cap-add|foo|img", "--cap-add: unknown capability \"CAP_FOO\"");
    bad("--cap-drop|cap_|img", "--cap-drop: unknown capability \"CAP_\"");
    bad("--cap-add|12|img", "--cap-add: unknown capability \"CAP_12\"");
    bad("--cap-add|net-admin|img", "--cap-add: unknown capability \"CAP_NET-ADMIN\"");
}

static void test_security_opt(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--security-opt", "no-new-privileges", "--security-opt", "seccomp=/p.json",
       "--security-opt", "label=disable", "img", NULL);
    assert_true(o.no_new_privileges);
    assert_string_equal(o.seccomp, "/p.json");
    cx_run_opts_free(&o);
    ok(&o, "--security-opt", "no-new-privileges:true", "--security-opt", "seccomp=unconfined",
       "--security-opt", "no-new-privileges=false", "img", NULL);
    assert_false(o.no_new_privileges);
    assert_string_equal(o.seccomp, "unconfined");
    cx_run_opts_free(&o);
    bad("--security-opt|label=type:x|img", "--security-opt: \"label=type:x\" is not supported "
        "(no-new-privileges, seccomp=unconfined|FILE, label=disable, mask=PATHS, "
        "unmask=ALL|PATHS, apparmor=unconfined|PROFILE)");
    bad("--security-opt|seccomp=|img", "--security-opt: \"seccomp=\" is not supported "
        "(no-new-privileges, seccomp=unconfined|FILE, label=disable, mask=PATHS, "
        "unmask=ALL|PATHS, apparmor=unconfined|PROFILE)");
    bad("--security-opt|no-new-privileges=1|img", "--security-opt no-new-privileges: invalid "
        "value \"1\" (true or false)");
}

/* ---- resources ---- */

static void memory_is(const char *arg, int64_t want)
{
    struct cx_run_opts o;
    ok(&o, "-m", arg, "img", NULL);
    assert_int_equal(o.memory, want);
    cx_run_opts_free(&o);
}

static void test_memory(void **state)
{
    (void) state;
    memory_is("100m", 104857600);
    memory_is("100M", 104857600);
    memory_is("1.5g", 1610612736);
    memory_is("1.5GiB", 1610612736);
    memory_is("6291456", 6291456);
    memory_is("10000kb", 10240000);
    memory_is("7 MB", 7340032);
    memory_is("1t", 1099511627776);
    memory_is("0", -1);
    bad("-m|12q|img", "--memory: invalid size \"12q\"");
    bad("--memory|-1|img", "--memory: invalid size \"-1\"");
    bad("--memory|1.g|img", "--memory: invalid size \"1.g\"");
    bad("--memory=|img", "--memory: invalid size \"\"");
    bad("-m|5m|img", "--memory: 5m is below the minimum of 6MiB");
    bad("-m|100|img", "--memory: 100 is below the minimum of 6MiB");
}

static void test_cpus(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--cpus", "1.5", "-c", "512", "img", NULL);
    assert_int_equal(o.cpu_quota, 150000);
    assert_int_equal(o.cpu_period, 100000);
    assert_int_equal(o.cpu_shares, 512);
    cx_run_opts_free(&o);
    ok(&o, "--cpus", "0.01", "--cpu-shares", "2", "img", NULL);
    assert_int_equal(o.cpu_quota, 1000);
    assert_int_equal(o.cpu_shares, 2);
    cx_run_opts_free(&o);
    ok(&o, "--cpus", "2", "--cpus", "0", "img", NULL);
    assert_int_equal(o.cpu_quota, -1);
    assert_int_equal(o.cpu_period, 0);
    cx_run_opts_free(&o);
    bad("--cpus|0.001|img", "--cpus: 0.001 is below the minimum of 0.01");
    bad("--cpus|-1|img", "--cpus: invalid number \"-1\"");
    bad("--cpus|1.5x|img", "--cpus: invalid number \"1.5x\"");
    bad("--cpu-shares|abc|img", "--cpu-shares: invalid number \"abc\"");
}

static void test_pids_limit(void **state)
{
    (void) state;
    const struct { const char *arg; int64_t want; } cases[] = {
        { "100", 100 }, { "0", 0 }, { "-1", 0 }, { "-5", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cx_run_opts o;
        ok(&o, "--pids-limit", cases[i].arg, "img", NULL);
        assert_int_equal(o.pids_limit, cases[i].want);
        cx_run_opts_free(&o);
    }
    bad("--pids-limit|many|img", "--pids-limit: invalid number \"many\"");
}

static void test_ulimit(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--ulimit", "nofile=1024:2048", "--ulimit", "core=-1", "--ulimit", "memlock=100",
       "--ulimit", "nofile=10", "--ulimit", "stack=-1:-1", "img", NULL);
    assert_int_equal(o.nulimits, 4);
    assert_int_equal(o.ulimits[0].resource, RLIMIT_NOFILE);
    assert_string_equal(o.ulimits[0].name, "RLIMIT_NOFILE");
    assert_int_equal(o.ulimits[0].soft, 10);   /* the last one given wins */
    assert_int_equal(o.ulimits[0].hard, 10);
    assert_int_equal(o.ulimits[1].resource, RLIMIT_CORE);
    assert_true(o.ulimits[1].soft == UINT64_MAX && o.ulimits[1].hard == UINT64_MAX);
    assert_string_equal(o.ulimits[2].name, "RLIMIT_MEMLOCK");
    assert_int_equal(o.ulimits[2].soft, 100);
    assert_int_equal(o.ulimits[2].hard, 100);
    assert_string_equal(o.ulimits[3].name, "RLIMIT_STACK");
    cx_run_opts_free(&o);
    bad("--ulimit|nofile=10:5|img", "--ulimit: \"nofile=10:5\": the soft limit is above the hard "
        "limit");
    bad("--ulimit|nofile=-1:5|img", "--ulimit: \"nofile=-1:5\": the soft limit is above the hard "
        "limit");
    bad("--ulimit|bogus=1|img", "--ulimit: unknown limit \"bogus\" (core, cpu, data, fsize, "
        "locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)");
    bad("--ulimit|nofile|img", "--ulimit: \"nofile\": expected NAME=SOFT[:HARD]");
    bad("--ulimit|nofile=unlimited|img", "--ulimit: \"nofile=unlimited\": limits are integers, "
        "-1 for unlimited");
    bad("--ulimit|nofile=-2|img", "--ulimit: \"nofile=-2\": limits are integers, -1 for unlimited");
}

/* ---- policies and the rest ---- */

static void test_restart(void **state)
{
    (void) state;
    const struct { const char *arg; enum cx_restart_policy p; unsigned max; } cases[] = {
        { "no", CX_RESTART_NO, 0 }, { "always", CX_RESTART_ALWAYS, 0 },
        { "unless-stopped", CX_RESTART_UNLESS_STOPPED, 0 },
        { "on-failure", CX_RESTART_ON_FAILURE, 0 }, { "on-failure:3", CX_RESTART_ON_FAILURE, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cx_run_opts o;
        ok(&o, "--restart", cases[i].arg, "img", NULL);
        assert_int_equal(o.restart, cases[i].p);
        assert_int_equal(o.restart_max, cases[i].max);
        cx_run_opts_free(&o);
    }
    bad("--restart|sometimes|img", "--restart: \"sometimes\" is not a policy (no, "
        "on-failure[:N], always, unless-stopped)");
    bad("--restart|always:3|img", "--restart: \"always:3\": a retry count :N goes with "
        "on-failure only, N >= 0");
    bad("--restart|on-failure:-1|img", "--restart: \"on-failure:-1\": a retry count :N goes with "
        "on-failure only, N >= 0");
    struct cx_run_opts o;
    ok(&o, "--rm", "--restart", "no", "img", NULL);  /* "no" goes with --rm */
    cx_run_opts_free(&o);
}

static void test_network_pull_logs(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--network", "host", "--pull", "never", "--log-driver", "none", "img", NULL);
    assert_int_equal(o.network, CX_NET_HOST);
    assert_int_equal(o.pull, CX_PULL_NEVER);
    assert_true(o.log_none);
    cx_run_opts_free(&o);
    ok(&o, "--net", "none", "--pull", "newer", "--log-driver", "k8s-file",
       "--log-opt", "max-size=10k", "img", NULL);
    assert_int_equal(o.network, CX_NET_NONE);
    assert_int_equal(o.pull, CX_PULL_ALWAYS);
    assert_false(o.log_none);
    assert_int_equal(o.log_max_size, 10000);
    cx_run_opts_free(&o);
    ok(&o, "--network=bridge", "--pull=always", "--log-opt", "max-size=1.5MB", "img", NULL);
    /* bridge: the default CNI network, as podman's */
    assert_int_equal(o.network, CX_NET_CNI);
    assert_string_equal(o.networks[0], "capsa");
    assert_null(o.networks[1]);
    assert_int_equal(o.log_max_size, 1500000);
    cx_run_opts_free(&o);
    ok(&o, "--network", "a,b.c", "-p", "8080:80", "-P", "img", NULL);
    assert_int_equal(o.network, CX_NET_CNI);
    assert_string_equal(o.networks[1], "b.c");
    assert_string_equal(o.publish[0], "8080:80");
    assert_true(o.publish_all);
    cx_run_opts_free(&o);
    ok(&o, "--network", "a", "--network", "private", "img", NULL);
    assert_int_equal(o.network, CX_NET_CNI);
    assert_string_equal(o.networks[0], "capsa");
    assert_null(o.networks[1]);
    cx_run_opts_free(&o);
    ok(&o, "--network", "a", "--network", "container:web", "img", NULL);
    assert_int_equal(o.network, CX_NET_CONTAINER);
    assert_string_equal(o.networks[0], "web");
    assert_null(o.networks[1]);
    cx_run_opts_free(&o);
    bad("--network|-bad|img", "--network: network name \"-bad\": want a letter or digit, "
        "then letters, digits, '_', '.' or '-' (at most 200)");
    bad("--hostname|a/b|img", "--hostname: \"a/b\" is not a valid hostname (letters, digits, "
        "'-', '_' and '.', at most 64)");
    bad("-h|-x|img", "--hostname: \"-x\" is not a valid hostname (letters, digits, '-', '_' "
        "and '.', at most 64)");
    bad("--pod|p|--network|none|img", "--pod: the network, published ports and hostname are "
        "the pod's: give --network, -p or --hostname to pod create");
    bad("--pod|p|-p|80|img", "--pod: the network, published ports and hostname are the pod's: "
        "give --network, -p or --hostname to pod create");
    bad("--pod|p|--hostname|ok_name.x-1|img", "--pod: the network, published ports and "
        "hostname are the pod's: give --network, -p or --hostname to pod create");
    ok(&o, "--pod", "p", "img", NULL);
    /* the pod's network: resolved at create, not the default network */
    assert_int_equal(o.network, CX_NET_DEFAULT);
    assert_string_equal(o.pod, "p");
    cx_run_opts_free(&o);
    bad("--network|ns:/run/netns/x|img", "--network ns:/run/netns/x: not supported: use "
        "container:NAME or a network");
    bad("--network|container:|img", "--network container: name a container");
    bad("--network|slirp4netns|img", "--network slirp4netns: rootless networking is not "
        "supported (capsactl runs as root): name a network, or none or host");
    bad("--network|host|-p|8080:80|img", "-p/-P: published ports need a network (not "
        "--network none, host or container:)");
    bad("--network|container:x|-P|img", "-p/-P: published ports need a network (not "
        "--network none, host or container:)");
    bad("--network|n|-p|80/sctp|img", "-p 80/sctp: the protocol is tcp or udp");
    bad("--pull|sometimes|img", "--pull: \"sometimes\" is not supported (always, missing, never, "
        "newer)");
    bad("--log-driver|journald|img", "--log-driver: \"journald\" is not supported (k8s-file or "
        "none)");
    bad("--log-opt|tag=x|img", "--log-opt: \"tag=x\" is not supported (max-size=SIZE, "
        "path=PATH)");
    bad("--log-opt|max-size=big|img", "--log-opt: invalid size \"big\"");
}

static void test_stop_and_detach_keys(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--stop-signal", "sigusr1", "--stop-timeout", "5", "--detach-keys", "ctrl-a,x,ctrl-@",
       "img", NULL);
    assert_string_equal(o.stop_signal, "sigusr1");
    assert_int_equal(o.stop_timeout, 5);
    assert_string_equal(o.detach_keys, "ctrl-a,x,ctrl-@");
    cx_run_opts_free(&o);
    ok(&o, "--detach-keys", "", "img", NULL);
    assert_string_equal(o.detach_keys, "");
    cx_run_opts_free(&o);
    bad("--stop-signal|foo|img", "--stop-signal: invalid signal \"foo\"");
    bad("--stop-signal|65|img", "--stop-signal: signal 65: valid signals are 1 through 64");
    bad("--stop-timeout|-5|img", "--stop-timeout: invalid number \"-5\"");
    bad("--detach-keys|foo|img", "--detach-keys: invalid key \"foo\" (ctrl-<a-z@^[\\]_> or a "
        "single character, comma separated)");
    bad("--detach-keys|ctrl-1|img", "--detach-keys: invalid key \"ctrl-1\" (ctrl-<a-z@^[\\]_> or "
        "a single character, comma separated)");
}

static void test_signal_parse(void **state)
{
    (void) state;
    const struct { const char *in; int sig; } good[] = {
        { "SIGTERM", SIGTERM }, { "TERM", SIGTERM }, { "term", SIGTERM }, { "sigkill", SIGKILL },
        { "15", 15 }, { "1", 1 }, { "64", 64 }, { "HUP", SIGHUP }, { "SIGUSR2", SIGUSR2 },
        { "IOT", SIGABRT }, { "CLD", SIGCHLD }, { "SIGPOLL", SIGIO }, { "WINCH", SIGWINCH },
        { "RTMIN", SIGRTMIN }, { "SIGRTMIN+3", SIGRTMIN + 3 }, { "rtmax-2", SIGRTMAX - 2 },
        { "RTMAX", SIGRTMAX }, { "SYS", SIGSYS },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int sig = -1;
        cx_error err = { 0 };
        if (cx_signal_parse(good[i].in, &sig, &err) != 0)
            fail_msg("%s: %s", good[i].in, err.msg);
        assert_int_equal(sig, good[i].sig);
    }
    const struct { const char *in, *msg; } bads[] = {
        { "0", "signal 0: valid signals are 1 through 64" },
        { "65", "signal 65: valid signals are 1 through 64" },
        { "-9", "invalid signal \"-9\"" },
        { "", "invalid signal \"\"" },
        { "SIG", "invalid signal \"SIG\"" },
        { "KILLX", "invalid signal \"KILLX\"" },
        { "RTMIN+99", "invalid signal \"RTMIN+99\"" },
        { "RTMIN-1", "invalid signal \"RTMIN-1\"" },
        { "RTMAX+1", "invalid signal \"RTMAX+1\"" },
        { "RTMIN+", "invalid signal \"RTMIN+\"" },
    };
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        int sig = 1234;
        cx_error err = { 0 };
        assert_int_equal(cx_signal_parse(bads[i].in, &sig, &err), -1);
        assert_string_equal(err.msg, bads[i].msg);
        assert_int_equal(sig, 1234);
    }
}

/* ---- the record ---- */

static json_t *round_trip(const struct cx_run_opts *o, struct cx_run_opts *back)
{
    json_t *j = cx_run_opts_to_json(o);
    cx_error err = { 0 };
    char *text = json_dumps(j, 0);  /* through text, as the record is stored */
    json_t *parsed = json_loads(text, 0, NULL);
    free(text);
    if (cx_run_opts_from_json(parsed, back, &err) != 0)
        fail_msg("from_json: %s", err.msg);
    json_decref(parsed);
    return j;
}

static void test_json_round_trip(void **state)
{
    (void) state;
    setenv("H2_FROM_HOST", "h", 1);
    struct cx_run_opts o, back;
    ok(&o, "--name", "web", "-dit", "--detach-keys", "ctrl-x", "-e", "A=1",
       "-e", "H2_FROM_HOST", "-w", "/srv", "-u", "daemon", "-h", "box",
       "--entrypoint", "[\"/bin/sh\",\"-c\"]", "-v", "/h:/data:ro", "-v", "vol:/v",
       "--tmpfs", "/t:size=1m", "--read-only", "--privileged", "--security-opt",
       "no-new-privileges", "--security-opt", "seccomp=/p.json", "--init",
       "--cap-add", "net_admin", "--cap-drop", "ALL", "-m", "1g", "--cpus", "0.5",
       "--cpu-shares", "100", "--pids-limit", "0", "--ulimit", "core=-1",
       "--ulimit", "nofile=5:6", "--restart", "on-failure:4", "--network", "none",
       "--pull", "never", "-l", "a=b", "--annotation", "k=v", "--stop-signal", "USR1",
       "--stop-timeout", "7", "--log-opt", "max-size=2k", "--log-driver", "none",
       "img:tag", "echo", "hi there", NULL);
    json_t *j = round_trip(&o, &back);
    json_t *j2 = cx_run_opts_to_json(&back);
    assert_true(json_equal(j, j2));
    /* a few fields by hand: the record really holds them */
    assert_string_equal(back.name, "web");
    assert_false(back.rm);
    assert_true(back.detach && back.interactive && back.tty && back.read_only &&
                back.privileged && back.no_new_privileges && back.init && back.log_none &&
                back.entrypoint_set);
    strv_is(back.env, "A=1", "H2_FROM_HOST=h", NULL);
    strv_is(back.entrypoint, "/bin/sh", "-c", NULL);
    strv_is(back.args, "echo", "hi there", NULL);
    assert_int_equal(back.nmounts, 3);
    assert_int_equal(back.mounts[1].kind, CX_MOUNT_VOLUME);
    assert_string_equal(back.mounts[1].source, "vol");
    assert_null(back.mounts[2].source);
    strv_is(back.mounts[0].options, "ro", "rprivate", "rbind", NULL);
    assert_int_equal(back.memory, 1073741824);
    assert_int_equal(back.cpu_quota, 50000);
    assert_int_equal(back.cpu_period, 100000);
    assert_int_equal(back.cpu_shares, 100);
    assert_int_equal(back.pids_limit, 0);
    assert_int_equal(back.nulimits, 2);
    assert_true(back.ulimits[0].soft == UINT64_MAX && back.ulimits[0].resource == RLIMIT_CORE);
    assert_string_equal(back.ulimits[1].name, "RLIMIT_NOFILE");
    assert_int_equal(back.ulimits[1].hard, 6);
    assert_int_equal(back.restart, CX_RESTART_ON_FAILURE);
    assert_int_equal(back.restart_max, 4);
    assert_int_equal(back.network, CX_NET_NONE);
    assert_int_equal(back.pull, CX_PULL_NEVER);
    assert_int_equal(back.stop_timeout, 7);
    assert_int_equal(back.log_max_size, 2000);
    assert_string_equal(back.stop_signal, "USR1");
    strv_is(back.cap_drop, "ALL", NULL);
    json_decref(j);
    json_decref(j2);
    cx_run_opts_free(&o);
    cx_run_opts_free(&back);
}

static void test_json_round_trip_minimal(void **state)
{
    (void) state;
    struct cx_run_opts o, back;
    ok(&o, "img", NULL);
    json_t *j = round_trip(&o, &back);
    assert_null(json_object_get(j, "entrypoint"));  /* unset stays unset */
    assert_false(back.entrypoint_set);
    assert_int_equal(back.memory, -1);
    assert_int_equal(back.pids_limit, -1);
    assert_int_equal(back.stop_timeout, -1);
    assert_string_equal(back.image, "img");
    strv_is(back.args, NULL);
    json_decref(j);
    cx_run_opts_free(&o);
    cx_run_opts_free(&back);
    /* an empty --entrypoint is kept as an empty list, not as unset */
    ok(&o, "--entrypoint", "", "img", NULL);
    j = round_trip(&o, &back);
    assert_true(back.entrypoint_set);
    assert_non_null(back.entrypoint);
    assert_null(back.entrypoint[0]);
    json_decref(j);
    cx_run_opts_free(&o);
    cx_run_opts_free(&back);
}

static void from_json_bad(const char *text, const char *msg)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    struct cx_run_opts o;
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_from_json(j, &o, &err), -1);
    assert_string_equal(err.msg, msg);
    assert_null(o.name);
    cx_run_opts_free(&o);
    json_decref(j);
}

static void test_json_errors(void **state)
{
    (void) state;
    from_json_bad("[]", "run options: expected a JSON object");
    from_json_bad("{\"name\":\"a\",\"rm\":1}", "run options: rm: expected a boolean");
    from_json_bad("{\"memory\":\"1g\"}", "run options: memory: expected an integer");
    from_json_bad("{\"cpu_shares\":-1}", "run options: cpu_shares: expected a non-negative "
                  "integer");
    from_json_bad("{\"env\":[\"A=1\",2]}", "run options: env: expected an array of strings");
    from_json_bad("{\"name\":\"a\",\"restart\":\"sometimes\"}",
                  "run options: restart: expected a known name");
    from_json_bad("{\"mounts\":[{\"kind\":\"nfs\",\"dest\":\"/x\",\"options\":[]}]}",
                  "run options: mounts: expected objects of kind (bind, volume, tmpfs), dest, "
                  "source and options (strings)");
    from_json_bad("{\"ulimits\":[{\"name\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}",
                  "run options: ulimits: expected objects of a known name, soft and hard");
    from_json_bad("{\"mounts\":{}}", "run options: mounts: expected an array");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_stops_at_image),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_name_workdir_user_hostname),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_file),
        cmocka_unit_test(test_env_file_missing),
        cmocka_unit_test(test_labels_annotations),
        cmocka_unit_test(test_entrypoint),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_security_opt),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_pids_limit),
        cmocka_unit_test(test_ulimit),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_network_pull_logs),
        cmocka_unit_test(test_stop_and_detach_keys),
        cmocka_unit_test(test_signal_parse),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_round_trip_minimal),
        cmocka_unit_test(test_json_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
