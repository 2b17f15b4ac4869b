/* test_spec_gen.c: config.json from an image config and the run flags,
 * checked against what podman 4.3 writes, and decoded by capsa's own
 * parser every time: the defaults and what the image's config gives;
 * the flags are test_spec_gen_flags.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "spec_gen_util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CAPS11 "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\"," \
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_SETUID\"," \
    "\"CAP_SYS_CHROOT\""

static bool cgroup2_host(void)
{
    struct statfs s;
    return statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == 0x63677270;
}

static uint64_t expected_limit(int res, uint64_t want)
{
    cap_t c = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    cap_get_flag(c, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
    cap_free(c);
    struct rlimit cur;
    getrlimit(res, &cur);
    return v == CAP_SET || cur.rlim_max >= want ? want : cur.rlim_max;
}

static char *rlimits_json(const char *extra)
{
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    unsigned long long pid_max = 0;
    assert_int_equal(fscanf(f, "%llu", &pid_max), 1);
    fclose(f);
    unsigned long long nofile = expected_limit(RLIMIT_NOFILE, 1048576);
    unsigned long long nproc = expected_limit(RLIMIT_NPROC, pid_max);
    return cx_asprintf("[{\"type\":\"RLIMIT_NOFILE\",\"hard\":%llu,\"soft\":%llu},"
                       "{\"type\":\"RLIMIT_NPROC\",\"hard\":%llu,\"soft\":%llu}%s]",
                       nofile, nofile, nproc, nproc, extra);
}

/* ---- the defaults, as podman writes them ---- */

static void test_defaults_process(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "IMG", "true", NULL);
    is(s, "ociVersion", "\"1.0.2-dev\"");
    is(s, "process.args", "[\"true\"]");
    is(s, "process.env", "[\"" DEFAULT_PATH "\",\"TERM=xterm\",\"container=capsa\","
                         "\"HOME=/root\",\"HOSTNAME=0123456789ab\"]");
    is(s, "process.cwd", "\"/\"");
    is(s, "process.user", "{\"uid\":0,\"gid\":0,\"umask\":18}");
    is(s, "process.capabilities", "{\"bounding\":[" CAPS11 "],\"effective\":[" CAPS11 "],"
                                  "\"permitted\":[" CAPS11 "]}");
    char *rl = rlimits_json("");
    is(s, "process.rlimits", rl);
    free(rl);
    is(s, "process.terminal", NULL);
    is(s, "process.noNewPrivileges", NULL);
    char *root = cx_asprintf("{\"path\":\"%s\"}", f->dir);
    is(s, "root", root);
    free(root);
    is(s, "hostname", "\"0123456789ab\"");
    is(s, "annotations", "{\"io.container.manager\":\"capsa\","
                         "\"org.opencontainers.image.stopSignal\":\"15\"}");
    json_decref(s);
}

static void test_defaults_mounts(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "IMG", "true", NULL);
    is(s, "mounts", "["
       "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","
       "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
       "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
       "\"options\":[\"nosuid\",\"noexec\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
       "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
       "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
       "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
       "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
       "\"gid=5\"]},"
       "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
       "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
       "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
       "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
       "{\"destination\":\"/etc/hostname\",\"type\":\"bind\",\"source\":\"/run/h2/hostname\","
       "\"options\":[\"bind\",\"rprivate\"]},"
       "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/run/h2/hosts\","
       "\"options\":[\"bind\",\"rprivate\"]},"
       "{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\","
       "\"source\":\"/run/h2/resolv.conf\",\"options\":[\"bind\",\"rprivate\"]},"
       "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
       "\"options\":[\"rprivate\",\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}]");
    json_decref(s);
}

static void test_defaults_linux(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, NULL, "IMG", "true", NULL);
    is(s, "linux.resources", "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
                             "\"pids\":{\"limit\":2048}}");
    is(s, "linux.cgroupsPath", "\"/capsa/" ID "\"");
    is(s, "linux.namespaces", cgroup2_host()
       ? "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
         "{\"type\":\"mount\"},{\"type\":\"cgroup\"}]"
       : "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
         "{\"type\":\"mount\"}]");
    is(s, "linux.sysctl", "{\"net.ipv4.ping_group_range\":\"0 0\"}");
    is(s, "linux.maskedPaths", "[\"/proc/acpi\",\"/proc/kcore\",\"/proc/keys\","
       "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
       "\"/proc/sched_debug\",\"/proc/scsi\",\"/sys/firmware\",\"/sys/fs/selinux\","
       "\"/sys/dev/block\"]");
    is(s, "linux.readonlyPaths", "[\"/proc/asound\",\"/proc/bus\",\"/proc/fs\",\"/proc/irq\","
       "\"/proc/sys\",\"/proc/sysrq-trigger\"]");
    is(s, "linux.seccomp", STUB_PROFILE);
    is(s, "linux.devices", NULL);
    is(s, "linux.rootfsPropagation", NULL);
    assert_int_equal(stub_calls, 1);
    assert_true(json_equal(stub_caps, json_object_get(json_object_get(json_object_get(s,
                "process"), "capabilities"), "bounding")));
    json_decref(s);
}

/* ---- the image's config ---- */


static void test_image_config(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, CFG, NULL);
    is(s, "process.args", "[\"/bin/echo\",\"ep\",\"c1\",\"c2\"]");
    is(s, "process.env", "[\"PATH=/img/bin:/bin\",\"TERM=xterm\",\"container=capsa\","
                         "\"FOO=bar\",\"HOME=/usr/sbin\",\"HOSTNAME=0123456789ab\"]");
    is(s, "process.cwd", "\"/w/x\"");
    is(s, "process.user", "{\"uid\":1,\"gid\":1,\"umask\":18,\"additionalGids\":[1,10]}");
    /* another user than root: nothing effective */
    is(s, "process.capabilities", "{\"bounding\":[" CAPS11 "]}");
    is(s, "annotations", "{\"io.container.manager\":\"capsa\","
                         "\"org.opencontainers.image.stopSignal\":\"10\"}");
    /* the working directory was made, the user's */
    char p[128];
    struct stat st;
    snprintf(p, sizeof p, "%s/w/x", f->dir);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, 1);
        assert_int_equal(st.st_gid, 1);
    }
    json_decref(s);
}

static void test_args_rules(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, CFG, "IMG", "a1", "a2", NULL);
    is(s, "process.args", "[\"/bin/echo\",\"ep\",\"a1\",\"a2\"]");
    json_decref(s);
    s = build(f, CFG, "--entrypoint", "/bin/sh", NULL);  /* Cmd goes with the entrypoint */
    is(s, "process.args", "[\"/bin/sh\"]");
    json_decref(s);
    s = build(f, CFG, "--entrypoint", "/bin/sh", "IMG", "x", "y", NULL);
    is(s, "process.args", "[\"/bin/sh\",\"x\",\"y\"]");
    json_decref(s);
    s = build(f, CFG, "--entrypoint", "[\"/bin/sh\",\"-c\"]", "IMG", "echo hi", NULL);
    is(s, "process.args", "[\"/bin/sh\",\"-c\",\"echo hi\"]");
    json_decref(s);
    s = build(f, CFG, "--entrypoint", "", "IMG", "ls", NULL);
    is(s, "process.args", "[\"ls\"]");
    json_decref(s);
    s = build(f, "{\"Cmd\":[\"sh\"]}", NULL);
    is(s, "process.args", "[\"sh\"]");
    json_decref(s);
    build_fails(f, CFG, "img: no command to run: the image has no Entrypoint or Cmd (give one "
                "after the image name)", "--entrypoint", "", NULL);
    build_fails(f, NULL, "img: no command to run: the image has no Entrypoint or Cmd (give one "
                "after the image name)", NULL);
}

static void test_env_merge(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, CFG, "-e", "FOO=new", "-e", "NEW=1", "-e", "PATH=/p", "-e",
                      "TERM=dumb", NULL);
    is(s, "process.env", "[\"PATH=/p\",\"TERM=dumb\",\"container=capsa\",\"FOO=new\","
                         "\"NEW=1\",\"HOME=/usr/sbin\",\"HOSTNAME=0123456789ab\"]");
    json_decref(s);
    s = build(f, NULL, "-e", "HOME=/h", "-e", "HOSTNAME=mine", "-e", "container=x", "IMG", "t",
              NULL);
    is(s, "process.env", "[\"" DEFAULT_PATH "\",\"TERM=xterm\",\"container=x\","
                         "\"HOME=/h\",\"HOSTNAME=mine\"]");
    json_decref(s);
    /* capsad's containers: containerd's defaults (TERM with a tty only) */
    s = build(f, CFG, "CRIENV", NULL);
    is(s, "process.env", "[\"PATH=/img/bin:/bin\",\"FOO=bar\",\"HOME=/usr/sbin\","
                         "\"HOSTNAME=0123456789ab\"]");
    json_decref(s);
    s = build(f, CFG, "CRIENV", "-t", "-e", "A=1", NULL);
    is(s, "process.env", "[\"PATH=/img/bin:/bin\",\"TERM=xterm\",\"FOO=bar\",\"A=1\","
                         "\"HOME=/usr/sbin\",\"HOSTNAME=0123456789ab\"]");
    json_decref(s);
}

static void test_user_and_workdir(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, CFG, "-u", "1000:1000", "-w", "/tmp", NULL);
    is(s, "process.user", "{\"uid\":1000,\"gid\":1000,\"umask\":18,\"additionalGids\":[1000]}");
    is(s, "process.cwd", "\"/tmp\"");
    is(s, "process.env", "[\"PATH=/img/bin:/bin\",\"TERM=xterm\",\"container=capsa\","
                         "\"FOO=bar\",\"HOME=/\",\"HOSTNAME=0123456789ab\"]");
    json_decref(s);
    s = build(f, CFG, "-u", "root", NULL);
    is(s, "process.user", "{\"uid\":0,\"gid\":0,\"umask\":18,\"additionalGids\":[0]}");
    is(s, "process.capabilities.effective", "[" CAPS11 "]");
    json_decref(s);
    /* a directory inside a mount is the mount's business */
    s = build(f, NULL, "-v", "/srv:/data", "-w", "/data/sub", "IMG", "t", NULL);
    is(s, "process.cwd", "\"/data/sub\"");
    json_decref(s);
    build_fails(f, CFG, "--workdir /nope: not a directory in the image", "-w", "/nope", NULL);
    build_fails(f, CFG, "user nosuch: no such user in the image's /etc/passwd", "-u", "nosuch",
                NULL);
    build_fails(f, "{\"User\":\"ghost\",\"Cmd\":[\"x\"]}",
                "user ghost: no such user in the image's /etc/passwd", NULL);
}

static void test_workdir_relative_and_existing(void **state)
{
    struct fixture *f = *state;
    json_t *s = build(f, "{\"WorkingDir\":\"app/./sub/../src\",\"User\":\"daemon\"}",
                      "IMG", "t", NULL);
    is(s, "process.cwd", "\"/app/src\"");
    json_decref(s);
    /* an existing directory keeps its owner */
    s = build(f, "{\"WorkingDir\":\"/etc\",\"User\":\"daemon\"}", "IMG", "t", NULL);
    is(s, "process.cwd", "\"/etc\"");
    struct stat st;
    char p[128];
    snprintf(p, sizeof p, "%s/etc", f->dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, geteuid());
    snprintf(p, sizeof p, "%s/app/src", f->dir);
    assert_int_equal(stat(p, &st), 0);
    if (geteuid() == 0)
        assert_int_equal(st.st_uid, 1);
    json_decref(s);
    build_fails(f, "{\"WorkingDir\":\"/etc/passwd\",\"Cmd\":[\"t\"]}",
                "the image's WorkingDir: /etc/passwd in the container", NULL);
}

static void test_workdir_symlink_stays_inside(void **state)
{
    struct fixture *f = *state;
    char link[128], outside[64] = "/tmp/h2-wd-XXXXXX", target[96], inside[192];
    assert_non_null(mkdtemp(outside));
    rmdir(outside);
    snprintf(link, sizeof link, "%s/w", f->dir);
    snprintf(target, sizeof target, "/../../..%s", outside);
    assert_int_equal(symlink(target, link), 0);
    json_t *s = build(f, CFG, NULL);
    is(s, "process.cwd", "\"/w/x\"");
    struct stat st;
    assert_int_equal(lstat(outside, &st), -1);
    snprintf(inside, sizeof inside, "%s%s/x", f->dir, outside);
    assert_int_equal(stat(inside, &st), 0);
    json_decref(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults_process),
        T(test_defaults_mounts),
        T(test_defaults_linux),
        T(test_image_config),
        T(test_args_rules),
        T(test_env_merge),
        T(test_user_and_workdir),
        T(test_workdir_relative_and_existing),
        T(test_workdir_symlink_stays_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
