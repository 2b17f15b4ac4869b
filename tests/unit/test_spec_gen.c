/* test_spec_gen.c: config.json from an image config and the run flags,
 * checked against what podman 4.3 writes, and decoded by capsa's own
 * parser every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/run_opts.h"
#include "engine/seccomp_default.h"
#include "engine/spec_gen.h"
#include "oci/spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CAPS11 "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\"," \
    "\"CAP_NET_BIND_SERVICE\",\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_SETUID\"," \
    "\"CAP_SYS_CHROOT\""
#define STUB_PROFILE "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38," \
    "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"read\"]," \
    "\"action\":\"SCMP_ACT_ALLOW\"}]}"

/* The default profile is another file's work: here a stub that records
 * the capabilities it was asked for. */
static json_t *stub_caps;
static int stub_calls;

int cx_seccomp_default(const char *const *caps, json_t **out, cx_error *err)
{
    (void) err;
    stub_calls++;
    json_decref(stub_caps);
    stub_caps = json_array();
    for (; caps && *caps; caps++)
        json_array_append_new(stub_caps, json_string(*caps));
    *out = json_loads(STUB_PROFILE, 0, NULL);
    return 0;
}

struct fixture {
    char dir[64];
    struct cx_spec_ctx ctx;
};

static void put(const char *dir, const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void mkdir_in(const char *dir, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/h2-specgen-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mkdir_in(f->dir, "etc");
    mkdir_in(f->dir, "tmp");
    put(f->dir, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                              "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n");
    put(f->dir, "etc/group", "root:x:0:\ndaemon:x:1:\nwheel:x:10:daemon\n");
    f->ctx = (struct cx_spec_ctx) {
        .id = ID, .rootfs = f->dir, .hostname = "0123456789ab",
        .hostname_file = "/run/h2/hostname", .hosts_file = "/run/h2/hosts",
        .resolv_file = "/run/h2/resolv.conf", .init_path = "/usr/libexec/capsa-init",
        .cgroups_path = "/capsa/" ID,
    };
    f->ctx.rootfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->ctx.rootfd >= 0);
    stub_calls = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->ctx.rootfd);
    cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f);
    json_decref(stub_caps);
    stub_caps = NULL;
    return 0;
}

static void config(const char *cfg, struct cx_image_config *img)
{
    char *doc = cx_asprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                            "{\"type\":\"layers\",\"diff_ids\":[]},\"config\":%s}",
                            cfg ? cfg : "{}");
    cx_error err = { 0 };
    if (cx_image_config_parse(doc, strlen(doc), img, &err) != 0)
        fail_msg("image config: %s", err.msg);
    free(doc);
}

/* Build with image config cfg and the flags (then "img" and the command
 * given after a "--" marker argument, if any); NULL and err set on error. */
static json_t *build_v(struct fixture *f, const char *cfg, cx_error *err, va_list ap)
{
    char *argv[96] = { "run" };
    int argc = 1;
    bool cmd = false;
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 90;) {
        if (strcmp(a, "IMG") == 0)
            cmd = true;
        argv[argc++] = strcmp(a, "IMG") == 0 ? "img" : a;
    }
    if (!cmd)
        argv[argc++] = "img";
    struct cx_run_opts o;
    if (cx_run_opts_parse(argc, argv, &o, err) != 0)
        fail_msg("flags: %s", err->msg);
    struct cx_image_config img = { 0 };
    config(cfg, &img);
    json_t *spec = NULL;
    int r = cx_spec_build(&img, &o, &f->ctx, &spec, err);
    cx_image_config_free(&img);
    cx_run_opts_free(&o);
    if (r != 0) {
        assert_null(spec);
        return NULL;
    }
    /* capsa's runtime must read what the engine writes */
    char *text = json_dumps(spec, JSON_INDENT(2));
    struct oci_spec *parsed = NULL;
    cx_error perr = { 0 };
    if (oci_spec_parse(text, "config.json", &parsed, &perr) != 0)
        fail_msg("capsa cannot parse the spec: %s\n%s", perr.msg, text);
    oci_spec_free(parsed);
    free(text);
    return spec;
}

static json_t *build(struct fixture *f, const char *cfg, ...)
{
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, cfg);
    json_t *spec = build_v(f, cfg, &err, ap);
    va_end(ap);
    if (spec == NULL)
        fail_msg("build: %s", err.msg);
    return spec;
}

static void build_fails(struct fixture *f, const char *cfg, const char *msg, ...)
{
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, msg);
    json_t *spec = build_v(f, cfg, &err, ap);
    va_end(ap);
    assert_null(spec);
    assert_string_equal(err.msg, msg);
}

/* spec at the dotted path ("" for spec itself) equals the JSON text want,
 * or is absent when want is NULL */
static void is(json_t *spec, const char *path, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = spec;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
         k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (want == NULL) {
        if (v)
            fail_msg("%s: expected absent, got %s", path, json_dumps(v, JSON_ENCODE_ANY));
        return;
    }
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    if (w == NULL)
        fail_msg("bad JSON in test: %s", want);
    if (!v || !json_equal(v, w)) {
        char *got = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("(absent)");
        fail_msg("%s:\n got  %s\n want %s", path, got, want);
    }
    json_decref(w);
}

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

#define CFG "{\"User\":\"daemon\",\"Env\":[\"FOO=bar\",\"PATH=/img/bin:/bin\",\"NOEQ\"]," \
    "\"Entrypoint\":[\"/bin/echo\",\"ep\"],\"Cmd\":[\"c1\",\"c2\"],\"WorkingDir\":\"/w/x\"," \
    "\"StopSignal\":\"10\",\"Labels\":{\"lab\":\"val\"}}"

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
        T(test_defaults_process),
        T(test_defaults_mounts),
        T(test_defaults_linux),
        T(test_image_config),
        T(test_args_rules),
        T(test_env_merge),
        T(test_user_and_workdir),
        T(test_workdir_relative_and_existing),
        T(test_workdir_symlink_stays_inside),
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
