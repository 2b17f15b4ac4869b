/* test_run_opts_res.c: the run flags capsad needs besides podman's common
 * ones (run_opts_res.c, run_opts_sec.c, --log-opt path=): --device,
 * --sysctl, --cgroup-parent, --pid/--ipc/--uts, CPU sets and CFS,
 * --memory-swap, --memory-reservation, --oom-score-adj, --group-add and the
 * --security-opt forms, as parsed, refused and kept in the record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_opts_util.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_defaults(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "img", NULL);
    assert_null(o.devices);
    assert_null(o.sysctls);
    assert_null(o.cgroup_parent);
    assert_false(o.pid_host || o.ipc_host || o.uts_host || o.has_oom_score_adj ||
                 o.no_infra_autostart);
    assert_null(o.cpuset_cpus);
    assert_int_equal(o.memory_swap, 0);
    assert_int_equal(o.memory_reservation, -1);
    assert_null(o.group_add);
    assert_null(o.mask);
    assert_null(o.apparmor);
    assert_null(o.log_path);
    assert_null(o.runtime);
    cx_run_opts_free(&o);
}

static void test_device(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--device", "/dev/fuse", "--device", "/dev/null:/dev/mynull",
       "--device", "/dev/zero:r", "--device", "/dev/sda:/dev/xvda//:rw", "img", NULL);
    strv_is(o.devices, "/dev/fuse:/dev/fuse:rwm", "/dev/null:/dev/mynull:rwm",
            "/dev/zero:/dev/zero:r", "/dev/sda:/dev/xvda:rw", NULL);
    char dev[] = "/dev/null:/dev/x:mr", *h, *c, *p;
    assert_true(cx_device_split(dev, &h, &c, &p));
    assert_string_equal(h, "/dev/null");
    assert_string_equal(c, "/dev/x");
    assert_string_equal(p, "mr");
    char bad1[] = "/dev/null:/dev/x", bad2[] = "/dev/null:/dev/x:rx", bad3[] = "x:/y:r";
    assert_false(cx_device_split(bad1, &h, &c, &p));
    assert_false(cx_device_split(bad2, &h, &c, &p));
    assert_false(cx_device_split(bad3, &h, &c, &p));
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--device|dev/null|img", "--device dev/null: the device paths must be absolute" },
        { "--device|/dev/null:dev/x:rw|img",
          "--device /dev/null:dev/x:rw: the device paths must be absolute" },
        { "--device|/dev/null:rx|img",
          "--device /dev/null:rx: invalid permissions \"rx\" (r, w and m: rwm)" },
        { "--device|/dev/null:/x:rr|img",
          "--device /dev/null:/x:rr: invalid permissions \"rr\" (r, w and m: rwm)" },
        { "--device|/dev/null:/x:rwmr|img",
          "--device /dev/null:/x:rwmr: invalid permissions \"rwmr\" (r, w and m: rwm)" },
        { "--device|/a:/b:r:w|img", "--device /a:/b:r:w: expected HOST[:CONTAINER][:PERMS]" },
        { "--device|/dev/null:/dev|img",
          "--device /dev/null:/dev: \"/dev\" cannot hold a device node" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_sysctl(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=1000",
       "--sysctl", "fs.mqueue.msg_max=20", "--sysctl", "kernel.hostname=a=b",
       "--sysctl", "net.ipv4.ping_group_range=0 100", "img", NULL);
    strv_is(o.sysctls, "net.ipv4.ip_forward=1", "kernel.shmmax=1000", "fs.mqueue.msg_max=20",
            "kernel.hostname=a=b", "net.ipv4.ping_group_range=0 100", NULL);
    cx_run_opts_free(&o);
    /* a private namespace of each kind: allowed */
    ok(&o, "--network", "none", "--ipc", "private", "--uts", "private", "--sysctl",
       "net.core.somaxconn=100", "--sysctl", "kernel.sem=1 2 3 4", "img", NULL);
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--sysctl|net.ipv4.ip_forward|img", "--sysctl net.ipv4.ip_forward: expected "
          "KEY=VALUE" },
        { "--sysctl|=1|img", "--sysctl =1: expected KEY=VALUE" },
        { "--sysctl|net.x=|img", "--sysctl net.x=: expected KEY=VALUE" },
        { "--sysctl|net.x= 1|img", "--sysctl \"net.x= 1\": blanks around the key or the "
          "value" },
        { "--sysctl|net..x=1|img", "--sysctl net..x=1: \"net..x\" is not a kernel "
          "parameter's name" },
        { "--sysctl|net/x=1|img", "--sysctl net/x=1: \"net/x\" is not a kernel parameter's "
          "name" },
        { "--sysctl|kernel.pid_max=100|img", "--sysctl kernel.pid_max=100: \"kernel.pid_max\" "
          "is not allowed: only parameters a namespace of the container isolates (net.*, "
          "fs.mqueue.*, kernel.shm*, kernel.msg*, kernel.sem, kernel.hostname, "
          "kernel.domainname)" },
        { "--sysctl|vm.swappiness=1|img", "--sysctl vm.swappiness=1: \"vm.swappiness\" is not "
          "allowed: only parameters a namespace of the container isolates (net.*, "
          "fs.mqueue.*, kernel.shm*, kernel.msg*, kernel.sem, kernel.hostname, "
          "kernel.domainname)" },
        /* podman's namespace checks */
        { "--network|host|--sysctl|net.ipv4.ip_forward=1|img", "--sysctl net.ipv4.ip_forward: "
          "not allowed with --network host (it would change the host's)" },
        { "--ipc|host|--sysctl|kernel.shmmax=1|img", "--sysctl kernel.shmmax: not allowed with "
          "--ipc host (it would change the host's)" },
        { "--sysctl|fs.mqueue.queues_max=1|--ipc|host|img", "--sysctl fs.mqueue.queues_max: "
          "not allowed with --ipc host (it would change the host's)" },
        { "--uts|host|--sysctl|kernel.domainname=x|img", "--sysctl kernel.domainname: not "
          "allowed with --uts host (it would change the host's)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
    char ctl[] = "net.x=a\nb";
    bad_v("--sysctl net.x: a control character in the value", "--sysctl", ctl, "img", NULL);
}

static void cgroups_path_is(const char *parent, bool systemd, const char *want)
{
    struct cx_run_opts o;
    if (parent)
        ok(&o, "--cgroup-parent", parent, "img", NULL);
    else
        ok(&o, "img", NULL);
    char *got = NULL;
    cx_error err = { 0 };
    if (cx_run_opts_cgroups_path(&o, ID, systemd, &got, &err) != 0)
        fail_msg("cgroups path: %s", err.msg);
    assert_string_equal(got, want);
    free(got);
    cx_run_opts_free(&o);
}

static void cgroups_path_fails(const char *parent, bool systemd, const char *msg)
{
    struct cx_run_opts o;
    ok(&o, "--cgroup-parent", parent, "img", NULL);
    char *got = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_cgroups_path(&o, ID, systemd, &got, &err), -1);
    assert_null(got);
    assert_string_equal(err.msg, msg);
    cx_run_opts_free(&o);
}

static void test_cgroup_parent(void **state)
{
    (void) state;
    cgroups_path_is(NULL, false, "/capsa/" ID);  /* unchanged without the flag */
    cgroups_path_is("/kubepods/besteffort/pod1", false, "/kubepods/besteffort/pod1/capsa-" ID);
    cgroups_path_is("/kubepods//", false, "/kubepods/capsa-" ID);
    cgroups_path_is("/", false, "/capsa-" ID);
    cgroups_path_is("mine", false, "mine/capsa-" ID);  /* below the runtime's own */
    cgroups_path_is(NULL, true, "machine.slice:capsa:" ID);
    cgroups_path_is("kubepods-besteffort-pod1.slice", true,
                    "kubepods-besteffort-pod1.slice:capsa:" ID);
    cgroups_path_fails("/kubepods", true, "--cgroup-parent /kubepods: the runtime uses the "
                       "systemd cgroup driver, which takes a slice (NAME.slice)");
    cgroups_path_fails("/a/b.slice", true, "--cgroup-parent /a/b.slice: the runtime uses the "
                       "systemd cgroup driver, which takes a slice (NAME.slice)");
    cgroups_path_fails("kubepods.slice", false, "--cgroup-parent kubepods.slice: a systemd "
                       "slice, and the runtime uses the cgroupfs driver, which takes a path");
    static const struct bad_case cases[] = {
        { "--cgroup-parent|/a/../b|img", "--cgroup-parent \"/a/../b\": expected a cgroup path "
          "or a systemd slice (no blank, ':' or '..')" },
        { "--cgroup-parent|..|img", "--cgroup-parent \"..\": expected a cgroup path or a "
          "systemd slice (no blank, ':' or '..')" },
        { "--cgroup-parent|a.slice:x|img", "--cgroup-parent \"a.slice:x\": expected a cgroup "
          "path or a systemd slice (no blank, ':' or '..')" },
        { "--cgroup-parent|/a b|img", "--cgroup-parent \"/a b\": expected a cgroup path or a "
          "systemd slice (no blank, ':' or '..')" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
    bad_v("--cgroup-parent \"\": expected a cgroup path or a systemd slice (no blank, ':' or "
          "'..')", "--cgroup-parent", "", "img", NULL);
    struct cx_run_opts o;
    ok(&o, "--cgroup-parent", "/a..b/c..", "img", NULL);  /* not a ".." component */
    assert_string_equal(o.cgroup_parent, "/a..b/c..");
    cx_run_opts_free(&o);
}

static void test_namespaces(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--pid", "host", "--ipc", "host", "--uts", "host", "img", NULL);
    assert_true(o.pid_host && o.ipc_host && o.uts_host);
    cx_run_opts_free(&o);
    ok(&o, "--pid", "host", "--pid", "private", "--ipc", "shareable", "--uts", "private",
       "img", NULL);
    assert_false(o.pid_host || o.ipc_host || o.uts_host);
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--ipc|container:db|img", "--ipc container:db: not supported: host or private (the "
          "members of a pod share its namespaces: --pod)" },
        { "--pid|ns:/proc/1/ns/pid|img", "--pid ns:/proc/1/ns/pid: not supported: host or "
          "private (the members of a pod share its namespaces: --pod)" },
        { "--ipc|none|img", "--ipc: \"none\" is not supported (host or private, shareable)" },
        { "--uts|shareable|img", "--uts: \"shareable\" is not supported (host or private)" },
        { "--pid|HOST|img", "--pid: \"HOST\" is not supported (host or private)" },
        { "--uts|host|--hostname|box|img", "--hostname: conflicts with --uts host (the host's "
          "name)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_cpu(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--cpuset-cpus", "0-3,5,7-7", "--cpuset-mems", "0", "--cpu-quota", "50000",
       "--cpu-period", "200000", "img", NULL);
    assert_string_equal(o.cpuset_cpus, "0-3,5,7-7");
    assert_string_equal(o.cpuset_mems, "0");
    assert_int_equal(o.cpu_quota, 50000);
    assert_int_equal(o.cpu_period, 200000);
    cx_run_opts_free(&o);
    ok(&o, "--cpu-quota", "-1", "--cpuset-cpus", "1", "--cpuset-cpus", "", "img", NULL);
    assert_int_equal(o.cpu_quota, -1);
    assert_int_equal(o.cpu_period, 0);
    assert_null(o.cpuset_cpus);
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--cpuset-cpus|3-1|img", "--cpuset-cpus: \"3-1\" is not a list of numbers and ranges "
          "(0-3,5)" },
        { "--cpuset-cpus|0,,1|img", "--cpuset-cpus: \"0,,1\" is not a list of numbers and "
          "ranges (0-3,5)" },
        { "--cpuset-mems|0-|img", "--cpuset-mems: \"0-\" is not a list of numbers and ranges "
          "(0-3,5)" },
        { "--cpuset-cpus|a|img", "--cpuset-cpus: \"a\" is not a list of numbers and ranges "
          "(0-3,5)" },
        { "--cpuset-cpus|1,|img", "--cpuset-cpus: \"1,\" is not a list of numbers and ranges "
          "(0-3,5)" },
        { "--cpu-quota|999|img", "--cpu-quota: 999 is below the minimum of 1000 "
          "(microseconds), -1 for none" },
        { "--cpu-quota|x|img", "--cpu-quota: invalid number \"x\"" },
        { "--cpu-period|999|img", "--cpu-period: 999 is not between 1000 and 1000000 "
          "(microseconds)" },
        { "--cpu-period|1000001|img", "--cpu-period: 1000001 is not between 1000 and 1000000 "
          "(microseconds)" },
        { "--cpus|1|--cpu-quota|2000|img", "--cpus: conflicts with --cpu-quota and "
          "--cpu-period (give either)" },
        { "--cpu-period|100000|--cpus|2|img", "--cpus: conflicts with --cpu-quota and "
          "--cpu-period (give either)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_memory(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "-m", "100m", "--memory-swap", "200m", "--memory-reservation", "50m", "img", NULL);
    assert_int_equal(o.memory_swap, 200 << 20);
    assert_int_equal(o.memory_reservation, 50 << 20);
    cx_run_opts_free(&o);
    ok(&o, "-m", "100m", "--memory-swap", "-1", "--memory-reservation", "0", "img", NULL);
    assert_int_equal(o.memory_swap, -1);
    assert_int_equal(o.memory_reservation, -1);
    cx_run_opts_free(&o);
    ok(&o, "-m", "100m", "--memory-swap", "100m", "img", NULL);  /* no swap at all */
    cx_run_opts_free(&o);
    ok(&o, "--memory-reservation", "1g", "img", NULL);  /* a soft limit alone */
    assert_int_equal(o.memory_reservation, 1 << 30);
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--memory-swap|1g|img", "--memory-swap: needs --memory (it limits memory and swap "
          "together)" },
        { "--memory-swap|-1|img", "--memory-swap: needs --memory (it limits memory and swap "
          "together)" },
        { "-m|1g|--memory-swap|512m|img", "--memory-swap: below --memory (it limits memory "
          "and swap together)" },
        { "-m|1g|--memory-swap|lots|img", "--memory-swap: invalid size \"lots\"" },
        { "-m|1g|--memory-reservation|2g|img", "--memory-reservation: above --memory (a soft "
          "limit below the hard one)" },
        { "--memory-reservation|-5|img", "--memory-reservation: invalid size \"-5\"" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_oom_score_adj(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--oom-score-adj", "-1000", "img", NULL);
    assert_true(o.has_oom_score_adj);
    assert_int_equal(o.oom_score_adj, -1000);
    cx_run_opts_free(&o);
    ok(&o, "--oom-score-adj", "0", "img", NULL);  /* 0 is a value, not "unset" */
    assert_true(o.has_oom_score_adj);
    assert_int_equal(o.oom_score_adj, 0);
    cx_run_opts_free(&o);
    bad("--oom-score-adj|1001|img", "--oom-score-adj: 1001 is not between -1000 and 1000");
    bad("--oom-score-adj|-1001|img", "--oom-score-adj: -1001 is not between -1000 and 1000");
    bad("--oom-score-adj|1e3|img", "--oom-score-adj: invalid number \"1e3\"");
}

static void test_group_add(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--group-add", "wheel", "--group-add", "10,audio", "img", NULL);
    strv_is(o.group_add, "wheel", "10", "audio", NULL);
    cx_run_opts_free(&o);
    bad("--group-add|keep-groups|img", "--group-add keep-groups: for rootless podman only "
        "(capsactl runs as root)");
    bad_v("--group-add: name a group", "--group-add", "", "img", NULL);
    bad("--group-add|,|img", "--group-add: name a group");
    bad("--group-add|a:b|img", "--group-add: \"a:b\" is not a group name or number");
    bad("--group-add|-1|img", "--group-add: \"-1\" is not a group name or number");
    bad("--group-add|a b|img", "--group-add: \"a b\" is not a group name or number");
}

static void test_security_opt(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--security-opt", "mask=/proc/a:/sys/b", "--security-opt", "mask=/c",
       "--security-opt", "unmask=/proc/kcore:/sys/*", "--security-opt", "apparmor=my-prof",
       "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "img",
       NULL);
    strv_is(o.mask, "/proc/a", "/sys/b", "/c", NULL);
    strv_is(o.unmask, "/proc/kcore", "/sys/*", NULL);
    assert_string_equal(o.apparmor, "my-prof");
    assert_true(o.no_new_privileges);
    assert_string_equal(o.seccomp, "unconfined");
    cx_run_opts_free(&o);
    ok(&o, "--security-opt", "unmask=ALL", "--security-opt", "apparmor=unconfined", "img",
       NULL);
    strv_is(o.unmask, "ALL", NULL);
    assert_string_equal(o.apparmor, "unconfined");
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--security-opt|mask=proc/a|img", "--security-opt mask=proc/a: \"proc/a\" is not an "
          "absolute path" },
        { "--security-opt|unmask=/a:b|img", "--security-opt unmask=/a:b: \"b\" is not an "
          "absolute path (or ALL)" },
        { "--security-opt|mask=:|img", "--security-opt mask: name the paths (/a:/b)" },
        { "--security-opt|mask=/a:ALL|img", "--security-opt mask=/a:ALL: \"ALL\" is not an "
          "absolute path" },
        { "--security-opt|apparmor=|img", "--security-opt apparmor=: not a profile name (or "
          "unconfined)" },
        { "--security-opt|apparmor=a b|img", "--security-opt apparmor=a b: not a profile name "
          "(or unconfined)" },
        { "--security-opt|mask|img", "--security-opt: \"mask\" is not supported "
          "(no-new-privileges, seccomp=unconfined|FILE, label=disable, mask=PATHS, "
          "unmask=ALL|PATHS, apparmor=unconfined|PROFILE)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_log_path(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--log-opt", "path=/var/log/pods/x/0.log", "--log-opt", "max-size=1m", "img", NULL);
    assert_string_equal(o.log_path, "/var/log/pods/x/0.log");
    assert_int_equal(o.log_max_size, 1000000);
    cx_run_opts_free(&o);
    bad("--log-opt|path=rel.log|img", "--log-opt path=rel.log: not an absolute path");
    bad("--log-opt|path=|img", "--log-opt path=: not an absolute path");
    bad("--log-opt|path=/x.log|--log-driver|none|img", "--log-opt path: conflicts with "
        "--log-driver none");
}

static json_t *round_trip(const struct cx_run_opts *o, struct cx_run_opts *back)
{
    json_t *j = cx_run_opts_to_json(o);
    cx_error err = { 0 };
    char *text = json_dumps(j, 0);
    json_t *parsed = json_loads(text, 0, NULL);
    free(text);
    if (cx_run_opts_from_json(parsed, back, &err) != 0)
        fail_msg("from_json: %s", err.msg);
    json_decref(parsed);
    return j;
}

static void test_json(void **state)
{
    (void) state;
    struct cx_run_opts o, back;
    ok(&o, "--device", "/dev/null:/dev/n:rw", "--sysctl", "net.core.somaxconn=10",
       "--cgroup-parent", "/kube/pod1", "--pid", "host", "--ipc", "host", "--uts", "host",
       "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--cpu-quota", "20000", "--cpu-period",
       "50000", "-m", "1g", "--memory-swap", "-1", "--memory-reservation", "512m",
       "--oom-score-adj", "-5", "--group-add", "wheel", "--security-opt", "mask=/m",
       "--security-opt", "unmask=ALL", "--security-opt", "apparmor=p",
       "--log-opt", "path=/l/c.log", "img", NULL);
    o.runtime = strdup("/usr/bin/crun");
    o.no_infra_autostart = true;
    o.cri_env = true;
    json_t *j = round_trip(&o, &back);
    json_t *j2 = cx_run_opts_to_json(&back);
    assert_true(json_equal(j, j2));
    strv_is(back.devices, "/dev/null:/dev/n:rw", NULL);
    strv_is(back.sysctls, "net.core.somaxconn=10", NULL);
    assert_string_equal(back.cgroup_parent, "/kube/pod1");
    assert_true(back.pid_host && back.ipc_host && back.uts_host && back.has_oom_score_adj &&
                back.no_infra_autostart && back.cri_env);
    assert_string_equal(back.cpuset_cpus, "0-1");
    assert_string_equal(back.cpuset_mems, "0");
    assert_int_equal(back.cpu_quota, 20000);
    assert_int_equal(back.cpu_period, 50000);
    assert_int_equal(back.memory_swap, -1);
    assert_int_equal(back.memory_reservation, 512 << 20);
    assert_int_equal(back.oom_score_adj, -5);
    strv_is(back.group_add, "wheel", NULL);
    strv_is(back.mask, "/m", NULL);
    strv_is(back.unmask, "ALL", NULL);
    assert_string_equal(back.apparmor, "p");
    assert_string_equal(back.log_path, "/l/c.log");
    assert_string_equal(back.runtime, "/usr/bin/crun");
    json_decref(j);
    json_decref(j2);
    cx_run_opts_free(&o);
    cx_run_opts_free(&back);
}

/* a record written before these fields existed loads with their defaults */
static void test_json_old_record(void **state)
{
    (void) state;
    json_t *j = json_loads("{\"image\":\"img\",\"memory\":104857600,\"network\":\"none\"}",
                           0, NULL);
    struct cx_run_opts o;
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_from_json(j, &o, &err), 0);
    assert_int_equal(o.memory_swap, 0);
    assert_int_equal(o.memory_reservation, -1);
    assert_false(o.has_oom_score_adj || o.pid_host || o.no_infra_autostart);
    assert_null(o.devices);
    assert_null(o.log_path);
    char *cg = NULL;
    assert_int_equal(cx_run_opts_cgroups_path(&o, ID, false, &cg, &err), 0);
    assert_string_equal(cg, "/capsa/" ID);
    free(cg);
    cx_run_opts_free(&o);
    json_decref(j);
    j = json_loads("{\"devices\":[\"/dev/null\",3]}", 0, NULL);
    assert_int_equal(cx_run_opts_from_json(j, &o, &err), -1);
    assert_string_equal(err.msg, "run options: devices: expected an array of strings");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_device),
        cmocka_unit_test(test_sysctl),
        cmocka_unit_test(test_cgroup_parent),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_oom_score_adj),
        cmocka_unit_test(test_group_add),
        cmocka_unit_test(test_security_opt),
        cmocka_unit_test(test_log_path),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_old_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
