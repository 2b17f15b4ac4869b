/* test_spec_gen_res.c: config.json from the flags capsad needs (--device,
 * --sysctl, --pid/--ipc/--uts host, CPU sets and CFS, swap, reservation,
 * --oom-score-adj, --group-add, --user forms, --security-opt mask=,
 * unmask= and apparmor=), checked against what podman 4.3 writes, and
 * the refusals that wait until create (a device node, a group name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "spec_gen_util.h"

/* "{...}" of the host node at path, as linux.devices lists it at dest */
static char *node_json(const char *path, const char *dest)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return cx_asprintf("{\"path\":\"%s\",\"type\":\"c\",\"major\":%u,\"minor\":%u,"
                       "\"fileMode\":%u,\"uid\":%u,\"gid\":%u}", dest, major(st.st_rdev),
                       minor(st.st_rdev), (unsigned) (st.st_mode & 07777),
                       (unsigned) st.st_uid, (unsigned) st.st_gid);
}

static void test_devices(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--device", "/dev/null:/dev/mynull:rw", "--device", "/dev/zero",
                      "--device", "/dev/full:/dev/mynull:r", "IMG", "t", NULL);
    /* a later --device at the same path replaces the earlier */
    char *zero = node_json("/dev/zero", "/dev/zero"), *full = node_json("/dev/full",
                                                                        "/dev/mynull");
    char *want = cx_asprintf("[%s,%s]", zero, full);
    is(s, "linux.devices", want);
    is(s, "linux.resources.devices", "[{\"allow\":false,\"access\":\"rwm\"},"
       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rwm\"},"
       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"r\"}]");
    free(want);
    free(zero);
    free(full);
    json_decref(s);
    s = build(f, NULL, "IMG", "t", NULL);
    is(s, "linux.devices", NULL);
    json_decref(s);
}

/* --privileged: the host's nodes, but ours where the paths meet */
static void test_devices_privileged(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--privileged", "--device", "/dev/zero:/dev/null", "IMG", "t",
                      NULL);
    json_t *devs = json_object_get(json_object_get(s, "linux"), "devices");
    size_t i, nulls = 0;
    json_t *d;
    json_array_foreach(devs, i, d)
        if (strcmp(json_string_value(json_object_get(d, "path")), "/dev/null") == 0) {
            nulls++;
            is(d, "minor", "5");
        }
    assert_int_equal(nulls, 1);
    is(json_array_get(devs, json_array_size(devs) - 1), "path", "\"/dev/null\"");
    is(s, "linux.resources.devices", "[{\"allow\":true,\"access\":\"rwm\"},"
       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rwm\"}]");
    json_decref(s);
}

static void test_device_refusals(void **state)
{
    struct fixture *f = *state;
    build_fails(f, NULL, "--device /dev/capsa-no-such-node", "--device",
                "/dev/capsa-no-such-node", "IMG", "t", NULL);
    char dir[128], file[128];
    snprintf(dir, sizeof dir, "%s/etc", f->dir);
    snprintf(file, sizeof file, "%s/etc/passwd", f->dir);
    char *msg = cx_asprintf("--device %s: a directory: give its device nodes one by one", dir);
    build_fails(f, NULL, msg, "--device", dir, "IMG", "t", NULL);
    free(msg);
    msg = cx_asprintf("--device %s: not a character or block device", file);
    build_fails(f, NULL, msg, "--device", file, "IMG", "t", NULL);
    free(msg);
}

static void test_sysctl(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--sysctl", "net.core.somaxconn=100", "--sysctl",
                      "net.ipv4.ping_group_range=1 2", "--sysctl", "kernel.shmmax=5",
                      "--sysctl", "kernel.shmmax=6", "IMG", "t", NULL);
    is(s, "linux.sysctl", "{\"net.ipv4.ping_group_range\":\"1 2\",\"net.core.somaxconn\":"
       "\"100\",\"kernel.shmmax\":\"6\"}");
    json_decref(s);
    s = build(f, NULL, "--network", "host", "--sysctl", "kernel.msgmax=9", "--sysctl",
              "kernel.domainname=d", "IMG", "t", NULL);
    is(s, "linux.sysctl", "{\"kernel.msgmax\":\"9\",\"kernel.domainname\":\"d\"}");
    json_decref(s);
}

static bool has_ns(json_t *s, const char *type)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(json_object_get(s, "linux"), "namespaces"), i, n)
        if (strcmp(json_string_value(json_object_get(n, "type")), type) == 0)
            return true;
    return false;
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

static void test_host_namespaces(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--pid", "host", "--ipc", "host", "--uts", "host", "IMG", "t",
                      NULL);
    assert_false(has_ns(s, "pid") || has_ns(s, "ipc") || has_ns(s, "uts"));
    assert_true(has_ns(s, "network") && has_ns(s, "mount"));
    is(s, "hostname", NULL);  /* the host's, in its namespace */
    is(mount_at(s, "/dev/shm"), "", "{\"destination\":\"/dev/shm\",\"type\":\"bind\","
       "\"source\":\"/dev/shm\",\"options\":[\"rbind\",\"nosuid\",\"noexec\",\"nodev\"]}");
    is(mount_at(s, "/dev/mqueue"), "type", "\"mqueue\"");
    json_decref(s);
    s = build(f, NULL, "--pid", "host", "IMG", "t", NULL);
    assert_true(has_ns(s, "ipc") && has_ns(s, "uts") && !has_ns(s, "pid"));
    is(s, "hostname", "\"0123456789ab\"");
    is(mount_at(s, "/dev/shm"), "type", "\"tmpfs\"");
    json_decref(s);
}

/* a pod member enters its infra's namespaces: sharing the host's is a conflict */
static void test_host_namespace_in_pod(void **state)
{
    struct fixture *f = *state;
    char *argv[] = { "run", "--ipc", "host", "img", "t", NULL };
    struct cx_run_opts o;
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_parse(5, argv, &o, &err), 0);
    o.ns_join[CX_NS_IPC] = strdup(ID);
    struct cx_image_config img = { 0 };
    config(NULL, &img);
    json_t *spec = NULL;
    assert_int_equal(cx_spec_build(&img, &o, &f->ctx, &spec, &err), -1);
    assert_null(spec);
    assert_string_equal(err.msg, "--ipc host: the container enters the ipc namespace of "
                        "container 0123456789ab (its pod's)");
    cx_image_config_free(&img);
    cx_run_opts_free(&o);
}

static void test_resources(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "-m", "100m", "--memory-swap", "300m", "--memory-reservation",
                      "50m", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--cpu-quota",
                      "20000", "--cpu-period", "50000", "--pids-limit", "10", "IMG", "t", NULL);
    is(s, "linux.resources", "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
       "\"memory\":{\"limit\":104857600,\"swap\":314572800,\"reservation\":52428800},"
       "\"cpu\":{\"quota\":20000,\"period\":50000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
       "\"pids\":{\"limit\":10}}");
    json_decref(s);
    s = build(f, NULL, "-m", "100m", "--memory-swap", "-1", "--cpu-period", "10000", "IMG", "t",
              NULL);
    is(s, "linux.resources.memory", "{\"limit\":104857600,\"swap\":-1}");
    is(s, "linux.resources.cpu", "{\"period\":10000}");
    json_decref(s);
    s = build(f, NULL, "--memory-reservation", "1g", "--cpu-quota", "5000", "IMG", "t", NULL);
    is(s, "linux.resources.memory", "{\"reservation\":1073741824}");
    is(s, "linux.resources.cpu", "{\"quota\":5000}");
    json_decref(s);
}

static void test_process(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--oom-score-adj", "-999", "--security-opt", "apparmor=prof",
                      "IMG", "t", NULL);
    is(s, "process.oomScoreAdj", "-999");
    is(s, "process.apparmorProfile", "\"prof\"");
    json_decref(s);
    /* unconfined: no profile, which is what the runtime applies without one */
    s = build(f, NULL, "--security-opt", "apparmor=unconfined", "IMG", "t", NULL);
    is(s, "process.apparmorProfile", NULL);
    is(s, "process.oomScoreAdj", NULL);
    json_decref(s);
}

static void test_users_and_groups(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "-u", "daemon", "--group-add", "wheel", "--group-add",
                      "4242,root", "IMG", "t", NULL);
    is(s, "process.user", "{\"uid\":1,\"gid\":1,\"umask\":18,\"additionalGids\":[1,10,4242,0]}");
    json_decref(s);
    s = build(f, NULL, "-u", "1234:5678", "--group-add", "daemon", "IMG", "t", NULL);
    is(s, "process.user", "{\"uid\":1234,\"gid\":5678,\"umask\":18,"
       "\"additionalGids\":[5678,1]}");
    json_decref(s);
    s = build(f, NULL, "-u", "daemon", "IMG", "t", NULL);
    is(s, "process.user", "{\"uid\":1,\"gid\":1,\"umask\":18,\"additionalGids\":[1,10]}");
    json_decref(s);
    s = build(f, NULL, "-u", "daemon:root", "IMG", "t", NULL);
    is(s, "process.user", "{\"uid\":1,\"gid\":0,\"umask\":18,\"additionalGids\":[0]}");
    json_decref(s);
    s = build(f, NULL, "--group-add", "10", "IMG", "t", NULL);  /* root, nothing else asked */
    is(s, "process.user", "{\"uid\":0,\"gid\":0,\"umask\":18,\"additionalGids\":[10]}");
    json_decref(s);
    build_fails(f, NULL, "--group-add video: no such group in the image's /etc/group",
                "--group-add", "video", "IMG", "t", NULL);
    build_fails(f, NULL, "user nobody: no such user in the image's /etc/passwd",
                "-u", "nobody", "IMG", "t", NULL);
}

static void test_masks(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "--security-opt", "unmask=/proc/kcore:/sys/*:/proc/sys",
                      "--security-opt", "mask=/proc/x:/proc/acpi", "IMG", "t", NULL);
    is(s, "linux.maskedPaths", "[\"/proc/acpi\",\"/proc/keys\",\"/proc/latency_stats\","
       "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/proc/scsi\","
       "\"/sys/fs/selinux\",\"/sys/dev/block\",\"/proc/x\"]");
    is(s, "linux.readonlyPaths", "[\"/proc/asound\",\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
       "\"/proc/sysrq-trigger\"]");
    json_decref(s);
    s = build(f, NULL, "--security-opt", "unmask=ALL", "IMG", "t", NULL);
    is(s, "linux.maskedPaths", "[]");
    is(s, "linux.readonlyPaths", "[]");
    json_decref(s);
    s = build(f, NULL, "--privileged", "--security-opt", "mask=/m", "IMG", "t", NULL);
    is(s, "linux.maskedPaths", "[\"/m\"]");
    is(s, "linux.readonlyPaths", NULL);
    json_decref(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_devices),
        T(test_devices_privileged),
        T(test_device_refusals),
        T(test_sysctl),
        T(test_host_namespaces),
        T(test_host_namespace_in_pod),
        T(test_resources),
        T(test_process),
        T(test_users_and_groups),
        T(test_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
