/* test_cri_ctr_config.c: CreateContainer's and RunPodSandbox's configs as
 * capsad maps them to the engine's options: command and args against the
 * image's, env, the security context's forms (users, capabilities,
 * seccomp old and new, masked and read-only paths, privileged), mounts and
 * their propagation, the log path, the memory limit and its swap, and the
 * refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cri/ctr_config.h"
#include "cri/sandbox_config.h"

#define IMG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
    Runtime__V1__ContainerConfig c;
    Runtime__V1__ContainerMetadata md;
    Runtime__V1__ImageSpec image;
    Runtime__V1__LinuxContainerConfig linux;
    Runtime__V1__LinuxContainerSecurityContext sc;
    Runtime__V1__PodSandboxConfig pod;
    const char *runtime, *runtime_root;   /* the pod's, NULL: capsa */
};

static void init(struct fixture *f)
{
    runtime__v1__container_config__init(&f->c);
    runtime__v1__container_metadata__init(&f->md);
    runtime__v1__image_spec__init(&f->image);
    runtime__v1__linux_container_config__init(&f->linux);
    runtime__v1__linux_container_security_context__init(&f->sc);
    runtime__v1__pod_sandbox_config__init(&f->pod);
    f->md.name = "web";
    f->image.image = "busybox";
    f->c.metadata = &f->md;
    f->c.image = &f->image;
    f->c.linux = &f->linux;
    f->linux.security_context = &f->sc;
    f->pod.log_directory = "/var/log/pods/x";
    f->runtime = f->runtime_root = NULL;
}

static int map(struct fixture *f, struct cx_run_opts *o, struct cri_ctr_spec *s, cx_error *err)
{
    struct cri_ctr_pod pod = { .sandbox_id = "feed", .name = "k8s_pod", .config = &f->pod,
                               .runtime = f->runtime, .runtime_root = f->runtime_root };
    return cri_ctr_config(&f->c, &pod, IMG, o, s, err);
}

static bool has(char **v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

static void test_command_args_env(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    char *cmd[] = { "sh", "-c" }, *args[] = { "echo hi" };
    f.c.command = cmd;
    f.c.n_command = 2;
    f.c.args = args;
    f.c.n_args = 1;
    Runtime__V1__KeyValue kv;
    runtime__v1__key_value__init(&kv);
    kv.key = "A";
    kv.value = (ProtobufCBinaryData){ 3, (uint8_t *) "x=y" };
    Runtime__V1__KeyValue *envs[] = { &kv };
    f.c.envs = envs;
    f.c.n_envs = 1;
    f.c.working_dir = "/srv";
    f.c.log_path = "web/0.log";
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_true(o.entrypoint_set);
    assert_string_equal(o.entrypoint[0], "sh");
    assert_string_equal(o.entrypoint[1], "-c");
    assert_null(o.entrypoint[2]);
    assert_string_equal(o.args[0], "echo hi");
    assert_true(has(o.env, "A=x=y"));
    assert_string_equal(o.workdir, "/srv");
    assert_string_equal(o.pod, "feed");
    assert_string_equal(o.image, IMG);
    assert_string_equal(s.log_path, "/var/log/pods/x/web/0.log");
    assert_string_equal(o.log_path, "/var/log/pods/x/web/0.log");
    assert_string_equal(s.name_key, "feed_web_0");
    assert_true(o.no_infra_autostart && o.cri_env);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    /* args only: the image's entrypoint stays */
    f.c.n_command = 0;
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_false(o.entrypoint_set);
    assert_string_equal(o.args[0], "echo hi");
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
}

static void test_security(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    Runtime__V1__Capability caps;
    runtime__v1__capability__init(&caps);
    char *add[] = { "NET_ADMIN" }, *drop[] = { "ALL" };
    caps.add_capabilities = add;
    caps.n_add_capabilities = 1;
    caps.drop_capabilities = drop;
    caps.n_drop_capabilities = 1;
    f.sc.capabilities = &caps;
    Runtime__V1__Int64Value uid, gid;
    runtime__v1__int64_value__init(&uid);
    runtime__v1__int64_value__init(&gid);
    uid.value = 0;   /* present, zero: root, not unset */
    gid.value = 50;
    f.sc.run_as_user = &uid;
    f.sc.run_as_group = &gid;
    f.sc.readonly_rootfs = true;
    f.sc.no_new_privs = true;
    char *masked[] = { "/proc/kcore" }, *ro[] = { "/proc/sys" };
    f.sc.masked_paths = masked;
    f.sc.n_masked_paths = 1;
    f.sc.readonly_paths = ro;
    f.sc.n_readonly_paths = 1;
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_true(has(o.cap_add, "CAP_NET_ADMIN"));
    assert_true(has(o.cap_drop, "ALL"));
    assert_string_equal(o.user, "0:50");
    assert_true(o.read_only);
    assert_true(o.no_new_privileges);
    assert_true(has(o.unmask, "ALL"));
    assert_true(has(o.mask, "/proc/kcore"));
    assert_true(has(o.readonly_paths, "/proc/sys"));
    /* no profile asked: unconfined, the CRI's default */
    assert_string_equal(o.seccomp, "unconfined");
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
}

static void test_seccomp_forms(void **state)
{
    (void) state;
    static const struct { int type; const char *ref, *path, *want; } cases[] = {
        { 0, "", "", "" },                                   /* RuntimeDefault: our default */
        { 1, "", "", "unconfined" },
        { 2, "/etc/p.json", "", "/etc/p.json" },
        { -1, "", "localhost//etc/q.json", "/etc/q.json" },  /* the deprecated path */
        { -1, "", "runtime/default", "" },
        { -1, "", "docker/default", "" },
        { -1, "", "unconfined", "unconfined" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fixture f;
        init(&f);
        Runtime__V1__SecurityProfile sp;
        runtime__v1__security_profile__init(&sp);
        if (cases[i].type >= 0) {
            sp.profile_type = cases[i].type;
            sp.localhost_ref = (char *) cases[i].ref;
            f.sc.seccomp = &sp;
        }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        f.sc.seccomp_profile_path = (char *) cases[i].path;
#pragma GCC diagnostic pop
        struct cx_run_opts o;
        struct cri_ctr_spec s;
        cx_error err = { 0 };
        assert_int_equal(map(&f, &o, &s, &err), 0);
        if (cases[i].want[0])
            assert_string_equal(o.seccomp, cases[i].want);
        else
            assert_null(o.seccomp);
        cx_run_opts_free(&o);
        cri_ctr_spec_free(&s);
    }
}

static void test_mounts(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    Runtime__V1__Mount m[2], *mp[] = { &m[0], &m[1] };
    runtime__v1__mount__init(&m[0]);
    runtime__v1__mount__init(&m[1]);
    m[0].container_path = "/data";
    m[0].host_path = "/srv/data";
    m[0].readonly = true;
    m[0].propagation = RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_BIDIRECTIONAL;
    m[1].container_path = "/etc/hosts";
    m[1].host_path = "/var/lib/kubelet/hosts";
    f.c.mounts = mp;
    f.c.n_mounts = 2;
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_int_equal(o.nmounts, 2);
    assert_string_equal(o.mounts[0].dest, "/data");
    assert_true(has(o.mounts[0].options, "ro"));
    assert_true(has(o.mounts[0].options, "rshared"));
    assert_true(o.no_hosts);   /* the kubelet's /etc/hosts, not ours */
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
}

static void expect_refused(struct fixture *f, const char *text)
{
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(f, &o, &s, &err), -1);
    assert_int_equal(err.errnum, EINVAL);
    if (!strstr(err.msg, text))
        fail_msg("\"%s\" lacks \"%s\"", err.msg, text);
}

static void test_refusals(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    f.c.log_path = "../../etc/shadow";
    expect_refused(&f, "log_path");
    init(&f);
    f.c.log_path = "/abs";
    expect_refused(&f, "log_path");
    init(&f);
    Runtime__V1__Mount m, *mp[] = { &m };
    runtime__v1__mount__init(&m);
    m.container_path = "/a/../../etc";
    m.host_path = "/tmp";
    f.c.mounts = mp;
    f.c.n_mounts = 1;
    expect_refused(&f, "container_path");
    init(&f);
    f.md.name = "a/b";
    expect_refused(&f, "metadata.name");
    init(&f);
    Runtime__V1__Int64Value gid;
    runtime__v1__int64_value__init(&gid);
    f.sc.run_as_group = &gid;
    expect_refused(&f, "run_as_group");
    init(&f);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    f.sc.seccomp_profile_path = "/etc/p.json";   /* no localhost/ prefix */
#pragma GCC diagnostic pop
    expect_refused(&f, "seccomp");
}

static void test_memory_swap(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    Runtime__V1__LinuxContainerResources r;
    runtime__v1__linux_container_resources__init(&r);
    f.linux.resources = &r;
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    /* a limit alone: memory and swap together, no swap (as containerd) */
    r.memory_limit_in_bytes = 64 << 20;
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_int_equal(o.memory, 64 << 20);
    assert_int_equal(o.memory_swap, 64 << 20);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    /* the kubelet's own swap limit (NodeSwap) as given */
    r.memory_swap_limit_in_bytes = 96 << 20;
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_int_equal(o.memory_swap, 96 << 20);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    /* no limit: neither */
    r.memory_limit_in_bytes = 0;
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_true(o.memory <= 0);
    assert_int_equal(o.memory_swap, 0);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
}

static void test_sandbox(void **state)
{
    (void) state;
    Runtime__V1__PodSandboxConfig c;
    Runtime__V1__PodSandboxMetadata md;
    Runtime__V1__PortMapping pm, *pms[] = { &pm };
    runtime__v1__pod_sandbox_config__init(&c);
    runtime__v1__pod_sandbox_metadata__init(&md);
    runtime__v1__port_mapping__init(&pm);
    md.name = "Web";
    md.namespace_ = "default";
    md.uid = "1-2-3";
    md.attempt = 2;
    c.metadata = &md;
    c.hostname = "web";
    pm.container_port = 80;
    pm.host_port = 8080;
    pm.protocol = RUNTIME__V1__PROTOCOL__UDP;
    c.port_mappings = pms;
    c.n_port_mappings = 1;
    struct cri_pod_spec s;
    cx_error err = { 0 };
    assert_int_equal(cri_pod_spec_make(&c, &s, &err), 0);
    assert_string_equal(s.name_key, "Web_default_1-2-3_2");
    assert_string_equal(s.publish[0], "8080:80/udp");
    assert_true(s.share_pid);    /* no namespace options: POD, the zero value */
    cri_pod_spec_free(&s);
    c.log_directory = "relative";
    assert_int_equal(cri_pod_spec_make(&c, &s, &err), -1);
    assert_non_null(strstr(err.msg, "log_directory"));
    c.log_directory = "/var/log/pods/../../etc";
    assert_int_equal(cri_pod_spec_make(&c, &s, &err), -1);
    c.log_directory = "";
    md.name = "a b";
    assert_int_equal(cri_pod_spec_make(&c, &s, &err), -1);
    assert_non_null(strstr(err.msg, "metadata.name"));
    assert_true(cri_path_has_dotdot("/a/.."));
    assert_true(cri_path_has_dotdot("../a"));
    assert_false(cri_path_has_dotdot("/a/..b/c..d"));
}

/* The pod's runtime: a --runtime flag (checked as capsactl's), the root as
 * it is; capsa's pods name none; the infra container gets the handler's */
static void test_runtime(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_null(o.runtime);
    assert_null(o.runtime_root);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    f.runtime = "/usr/bin/runc";
    f.runtime_root = "/run/capsa-runc";
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_string_equal(o.runtime, "/usr/bin/runc");
    assert_string_equal(o.runtime_root, "/run/capsa-runc");
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    f.runtime_root = NULL;   /* the engine's <runroot>/runtimes/runc */
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_string_equal(o.runtime, "/usr/bin/runc");
    assert_null(o.runtime_root);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);

    struct cri_pod_spec ps = { .runtime = "/usr/bin/crun", .runtime_root = "/run/x" };
    cx_run_opts_init(&o);
    assert_int_equal(cri_pod_spec_infra(&o, &ps, &err), 0);
    assert_string_equal(o.runtime, "/usr/bin/crun");
    assert_string_equal(o.runtime_root, "/run/x");
    cx_run_opts_free(&o);
    ps.runtime = ps.runtime_root = NULL;
    assert_int_equal(cri_pod_spec_infra(&o, &ps, &err), 0);
    assert_null(o.runtime);
    cx_run_opts_free(&o);
}

/* the pod's cgroup parent holds the container; ".." in it is refused */
static void test_pod_cgroup_parent(void **state)
{
    (void) state;
    struct fixture f;
    init(&f);
    Runtime__V1__LinuxPodSandboxConfig pl;
    runtime__v1__linux_pod_sandbox_config__init(&pl);
    f.pod.linux = &pl;
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_null(o.cgroup_parent);
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    pl.cgroup_parent = "/kubepods/burstable/pod1234";
    assert_int_equal(map(&f, &o, &s, &err), 0);
    assert_string_equal(o.cgroup_parent, "/kubepods/burstable/pod1234");
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
    pl.cgroup_parent = "/kubepods/../../escape";
    assert_int_equal(map(&f, &o, &s, &err), -1);
    assert_int_equal(err.errnum, EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_args_env),
        cmocka_unit_test(test_security),
        cmocka_unit_test(test_seccomp_forms),
        cmocka_unit_test(test_mounts),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_memory_swap),
        cmocka_unit_test(test_sandbox),
        cmocka_unit_test(test_runtime),
        cmocka_unit_test(test_pod_cgroup_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
