/* test_spec.c: oci_spec_parse(): a full config decodes field by field,
 * unknown members are ignored, and every error names its JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "oci/spec.h"
#include "testutil.h"

/* runc spec, plus a few fields a real engine adds */
static const char full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2-dev\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18,\n"
    "             \"additionalGids\": [5, 6]},\n"
    "    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\", \"EMPTY=\"],\n"
    "    \"cwd\": \"/work\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_KILL\"],\n"
    "      \"permitted\": [\"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"ambient\": []\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512},\n"
    "                {\"type\": \"RLIMIT_CORE\", \"hard\": 0, \"soft\": 0}],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"oomScoreAdj\": -500\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"box\",\n"
    "  \"domainname\": \"example.org\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]}\n"
    "  ],\n"
    "  \"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", \"args\": [\"true\"],\n"
    "                              \"timeout\": 5}]},\n"
    "  \"annotations\": {\"org.example.key\": \"value\", \"other\": \"\"},\n"
    "  \"linux\": {\n"
    "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
    "    \"namespaces\": [\n"
    "      {\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"},\n"
    "      {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"},\n"
    "      {\"type\": \"cgroup\", \"path\": \"\"}\n"
    "    ],\n"
    "    \"maskedPaths\": [\"/proc/kcore\", \"/sys/firmware\"],\n"
    "    \"readonlyPaths\": [\"/proc/sys\"],\n"
    "    \"rootfsPropagation\": \"rslave\",\n"
    "    \"cgroupsPath\": \"/capsa/test\",\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}\n"
    "  }\n"
    "}\n";

static struct oci_spec *parse_ok(const char *text)
{
    struct oci_spec *s = NULL;
    cx_error err;
    cx_error_clear(&err);
    if (oci_spec_parse(text, "config.json", &s, &err) < 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_non_null(s);
    return s;
}

static void test_full_config(void **state)
{
    (void) state;
    struct oci_spec *s = parse_ok(full_config);

    assert_string_equal(s->oci_version, "1.0.2-dev");
    struct oci_process *p = s->process;
    assert_non_null(p);
    assert_true(p->terminal);
    assert_int_equal(p->console_height, 25);
    assert_int_equal(p->console_width, 80);
    assert_int_equal(p->user.uid, 1000);
    assert_int_equal(p->user.gid, 100);
    assert_true(p->user.has_umask);
    assert_int_equal(p->user.umask, 022);
    assert_int_equal(p->user.n_additional_gids, 2);
    assert_int_equal(p->user.additional_gids[0], 5);
    assert_int_equal(p->user.additional_gids[1], 6);

    assert_string_equal(p->args[0], "sh");
    assert_string_equal(p->args[1], "-c");
    assert_string_equal(p->args[2], "echo hi");
    assert_null(p->args[3]);
    assert_string_equal(p->env[0], "PATH=/usr/bin:/bin");
    assert_string_equal(p->env[2], "EMPTY=");
    assert_null(p->env[3]);
    assert_string_equal(oci_env_get(p->env, "TERM"), "xterm");
    assert_string_equal(oci_env_get(p->env, "EMPTY"), "");
    assert_null(oci_env_get(p->env, "PAT"));
    assert_string_equal(p->cwd, "/work");

    assert_true(p->has_caps);
    assert_string_equal(p->caps.bounding[2], "CAP_NET_BIND_SERVICE");
    assert_null(p->caps.bounding[3]);
    assert_string_equal(p->caps.effective[0], "CAP_KILL");
    assert_null(p->caps.effective[1]);
    assert_null(p->caps.inheritable);
    assert_non_null(p->caps.ambient);
    assert_null(p->caps.ambient[0]);

    assert_int_equal(p->n_rlimits, 2);
    assert_string_equal(p->rlimits[0].type, "RLIMIT_NOFILE");
    assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
    assert_int_equal(p->rlimits[0].hard, 1024);
    assert_int_equal(p->rlimits[0].soft, 512);
    assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
    assert_true(p->no_new_privileges);
    assert_true(p->has_oom_score_adj);
    assert_int_equal(p->oom_score_adj, -500);

    assert_string_equal(s->root_path, "rootfs");
    assert_true(s->root_readonly);
    assert_string_equal(s->hostname, "box");
    assert_string_equal(s->domainname, "example.org");

    assert_int_equal(s->n_mounts, 2);
    assert_string_equal(s->mounts[0].destination, "/proc");
    assert_string_equal(s->mounts[0].type, "proc");
    assert_null(s->mounts[0].options);
    assert_string_equal(s->mounts[1].source, "tmpfs");
    assert_string_equal(s->mounts[1].options[3], "size=65536k");
    assert_null(s->mounts[1].options[4]);

    assert_int_equal(s->hooks.n_poststop, 1);
    assert_int_equal(s->hooks.n_prestart, 0);
    assert_string_equal(s->hooks.poststop[0].path, "/bin/true");
    assert_true(s->hooks.poststop[0].has_timeout);
    assert_int_equal(s->hooks.poststop[0].timeout, 5);

    assert_non_null(s->annotations);
    assert_string_equal(json_string_value(json_object_get(s->annotations,
                                                          "org.example.key")), "value");

    struct oci_linux *l = s->linux_;
    assert_non_null(l);
    assert_int_equal(l->n_namespaces, 6);
    static const struct { int type; const char *name; } ns[] = {
        { CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "network" }, { CLONE_NEWIPC, "ipc" },
        { CLONE_NEWUTS, "uts" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWCGROUP, "cgroup" },
    };
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(l->namespaces[i].type, ns[i].type);
        assert_string_equal(l->namespaces[i].name, ns[i].name);
        assert_string_equal(oci_namespace_name(ns[i].type), ns[i].name);
    }
    assert_null(l->namespaces[0].path);
    assert_string_equal(l->namespaces[1].path, "/proc/1/ns/net");
    assert_null(l->namespaces[5].path); /* "" means a new one */
    assert_ptr_equal(oci_spec_namespace(s, CLONE_NEWNET), &l->namespaces[1]);
    assert_null(oci_spec_namespace(s, CLONE_NEWUSER));

    assert_string_equal(l->masked_paths[0], "/proc/kcore");
    assert_string_equal(l->masked_paths[1], "/sys/firmware");
    assert_null(l->masked_paths[2]);
    assert_string_equal(l->readonly_paths[0], "/proc/sys");
    assert_string_equal(l->rootfs_propagation, "rslave");
    assert_string_equal(l->cgroups_path, "/capsa/test");
    assert_non_null(l->sysctl);
    assert_non_null(l->resources);
    oci_spec_free(s);
}

static void test_minimal_defaults(void **state)
{
    (void) state;
    struct oci_spec *s = parse_ok(TU_MINIMAL);
    assert_false(s->root_readonly);
    assert_null(s->hostname);
    assert_null(s->linux_);
    assert_int_equal(s->n_mounts, 0);
    assert_false(s->process->terminal);
    assert_false(s->process->has_caps);
    assert_false(s->process->has_oom_score_adj);
    assert_int_equal(s->process->user.uid, 0);
    assert_null(s->process->env);
    oci_spec_free(s);
}

static void test_unknown_members_ignored(void **state)
{
    (void) state;
    struct oci_spec *s = parse_ok(
        "{\"ociVersion\":\"1.0.2\",\"vendorThing\":{\"x\":[1,2]},"
        "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"futureField\":42},"
        "\"root\":{\"path\":\"r\",\"extra\":null},"
        "\"mounts\":[{\"destination\":\"/x\",\"uidMappings\":[],\"whatever\":true}],"
        "\"linux\":{\"newKnob\":\"on\",\"namespaces\":[{\"type\":\"pid\",\"flags\":3}]}}");
    assert_string_equal(s->process->args[0], "sh");
    assert_int_equal(s->n_mounts, 1);
    assert_string_equal(s->mounts[0].destination, "/x");
    assert_int_equal(s->linux_->n_namespaces, 1);
    assert_int_equal(s->linux_->namespaces[0].type, CLONE_NEWPID);
    oci_spec_free(s);
}

static void test_null_is_absent(void **state)
{
    (void) state;
    struct oci_spec *s = tu_parse_set("hostname", "null");
    assert_null(s->hostname);
    oci_spec_free(s);
}

/* BUG: src/oci/spec.c oci_process_decode() sets has_caps from
 * json_object_get(v, "capabilities") != NULL, so "capabilities": null gives
 * has_caps = true with every set NULL, and process_set_identity() then drops
 * the whole bounding set and all capabilities.  Everywhere else null means
 * absent (jd_fields, and Go's decoder for runc's *LinuxCapabilities).
 * Fix: also test !json_is_null(). */
static void test_null_capabilities_are_absent(void **state)
{
    (void) state;
    struct oci_spec *s = tu_parse_set("process.capabilities", "null");
    assert_false(s->process->has_caps);
    oci_spec_free(s);
    s = tu_parse_set("process.capabilities", "{}");
    assert_true(s->process->has_caps);
    oci_spec_free(s);
}

static void test_versions(void **state)
{
    (void) state;
    static const char *good[] = { "1.0.2-dev", "1.0.0", "1.2.1", "1.1.0-rc.1" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char v[64];
        snprintf(v, sizeof v, "\"%s\"", good[i]);
        struct oci_spec *s = tu_parse_set("ociVersion", v);
        assert_string_equal(s->oci_version, good[i]);
        oci_spec_free(s);
    }
    tu_expect_set_error("ociVersion", "\"2.0.0\"",
        "config.json: ociVersion: unsupported version \"2.0.0\" (capsa runs 1.x)");
    tu_expect_set_error("ociVersion", "\"0.9\"",
        "config.json: ociVersion: unsupported version \"0.9\" (capsa runs 1.x)");
    tu_expect_set_error("ociVersion", "\"10.0\"",
        "config.json: ociVersion: unsupported version \"10.0\" (capsa runs 1.x)");
    tu_expect_set_error("ociVersion", "\"\"",
        "config.json: ociVersion: unsupported version \"\" (capsa runs 1.x)");
    tu_expect_set_error("ociVersion", NULL, "config.json: ociVersion: required but missing");
    tu_expect_set_error("ociVersion", "1", "config.json: ociVersion: expected a string, got integer");
}

static void test_process_errors(void **state)
{
    (void) state;
    tu_expect_set_error("process.args", "[\"sh\", 1]",
        "config.json: process.args[1]: expected a string, got integer");
    tu_expect_set_error("process.args", "\"sh\"",
        "config.json: process.args: expected an array, got string");
    tu_expect_set_error("process.args", "[]",
        "config.json: process.args: must contain at least the program to run");
    tu_expect_set_error("process.args", NULL,
        "config.json: process.args: must contain at least the program to run");
    tu_expect_set_error("process.args", "[\"\"]",
        "config.json: process.args: the program to run must not be empty");
    tu_expect_set_error("process.cwd", "\"work\"",
        "config.json: process.cwd: \"work\" must be an absolute path");
    tu_expect_set_error("process.cwd", NULL,
        "config.json: process.cwd: required but missing");
    tu_expect_set_error("process.env", "[\"A=1\", \"NOEQUALS\"]",
        "config.json: process.env[1]: \"NOEQUALS\" is not KEY=VALUE");
    tu_expect_set_error("process.env", "[\"=x\"]",
        "config.json: process.env[0]: \"=x\" is not KEY=VALUE");
    tu_expect_set_error("process.terminal", "\"yes\"",
        "config.json: process.terminal: expected a boolean, got string");
    tu_expect_set_error("process.oomScoreAdj", "1001",
        "config.json: process.oomScoreAdj: 1001 is out of range [-1000, 1000]");
    tu_expect_set_error("process.consoleSize", "{\"height\": 1}",
        "config.json: process.consoleSize.width: required but missing");
    tu_expect_set_error("process", "[]",
        "config.json: process: expected an object, got array");
}

static void test_user_errors(void **state)
{
    (void) state;
    tu_expect_set_error("process.user", "{\"uid\": 99999999999, \"gid\": 0}",
        "config.json: process.user.uid: 99999999999 is out of range [0, 4294967295]");
    tu_expect_set_error("process.user", "{\"uid\": -1, \"gid\": 0}",
        "config.json: process.user.uid: -1 is out of range [0, 4294967295]");
    tu_expect_set_error("process.user", "{\"uid\": 1.5, \"gid\": 0}",
        "config.json: process.user.uid: expected an integer, got number");
    tu_expect_set_error("process.user", "{\"uid\": 0}",
        "config.json: process.user.gid: required but missing");
    tu_expect_set_error("process.user", "{\"uid\": 0, \"gid\": 0, \"umask\": 512}",
        "config.json: process.user.umask: 512 is not a file mode mask");
    tu_expect_set_error("process.user", "{\"uid\": 0, \"gid\": 0, \"additionalGids\": [1, -2]}",
        "config.json: process.user.additionalGids[1]: expected a gid in [0, 4294967295]");
    struct oci_spec *s = tu_parse_set("process.user",
                                      "{\"uid\": 4294967295, \"gid\": 0}");
    assert_int_equal(s->process->user.uid, UINT32_MAX);
    oci_spec_free(s);
}

static void test_rlimit_errors(void **state)
{
    (void) state;
    tu_expect_set_error("process.rlimits",
        "[{\"type\": \"RLIMIT_NOFILE\", \"hard\": 10, \"soft\": 11}]",
        "config.json: process.rlimits[0]: soft limit 11 is above hard limit 10");
    tu_expect_set_error("process.rlimits",
        "[{\"type\": \"RLIMIT_CORE\", \"hard\": 1, \"soft\": 1},"
        " {\"type\": \"RLIMIT_FOO\", \"hard\": 1, \"soft\": 1}]",
        "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
    tu_expect_set_error("process.rlimits",
        "[{\"type\": \"RLIMIT_NOFILE\", \"hard\": -1, \"soft\": 1}]",
        "config.json: process.rlimits[0].hard: -1 must not be negative");
    tu_expect_set_error("process.rlimits", "[{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1}]",
        "config.json: process.rlimits[0].soft: required but missing");
    tu_expect_set_error("process.rlimits", "[5]",
        "config.json: process.rlimits[0]: expected an object, got integer");
}

static void test_root_errors(void **state)
{
    (void) state;
    tu_expect_set_error("root", "\"rootfs\"",
        "config.json: root: expected an object, got string");
    tu_expect_set_error("root", NULL, "config.json: root: required but missing");
    tu_expect_set_error("root", "{\"path\": \"\"}",
        "config.json: root.path: must not be empty");
    tu_expect_set_error("root", "{\"path\": \"r\", \"readonly\": 1}",
        "config.json: root.readonly: expected a boolean, got integer");
}

static void test_mount_errors(void **state)
{
    (void) state;
    tu_expect_set_error("mounts", "[{\"destination\": \"/a\"}, {\"type\": \"tmpfs\"}]",
        "config.json: mounts[1].destination: required but missing");
    tu_expect_set_error("mounts", "[{\"destination\": \"\"}]",
        "config.json: mounts[0].destination: must not be empty");
    tu_expect_set_error("mounts", "[{\"destination\": \"/a\", \"options\": [\"ro\", false]}]",
        "config.json: mounts[0].options[1]: expected a string, got boolean");
}

static void test_namespace_errors(void **state)
{
    (void) state;
    tu_expect_set_error("linux.namespaces",
        "[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"netz\"}]",
        "config.json: linux.namespaces[2].type: unknown namespace \"netz\"");
    tu_expect_set_error("linux.namespaces",
        "[{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"ipc\"}]",
        "config.json: linux.namespaces[3]: duplicate namespace \"ipc\"");
    tu_expect_set_error("linux.namespaces", "[{\"type\": \"network\", \"path\": \"proc/1/ns/net\"}]",
        "config.json: linux.namespaces[0].path: \"proc/1/ns/net\" must be an absolute path");
    tu_expect_set_error("linux.namespaces", "[{\"path\": \"/x\"}]",
        "config.json: linux.namespaces[0].type: required but missing");
    tu_expect_set_error("linux.namespaces", "{\"type\": \"pid\"}",
        "config.json: linux.namespaces: expected an array, got object");
}

static void test_idmap_errors(void **state)
{
    (void) state;
    static const char map[] = "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]";
    json_t *doc = tu_minimal();
    tu_set(doc, "linux.uidMappings", map);
    tu_set(doc, "linux.gidMappings", map);
    tu_set(doc, "linux.namespaces", "[{\"type\": \"pid\"}]");
    tu_expect_error(doc, "config.json: linux: uidMappings need a user namespace");

    doc = tu_minimal();
    tu_set(doc, "linux.uidMappings", map);
    tu_set(doc, "linux.namespaces", "[{\"type\": \"user\"}]");
    tu_expect_error(doc, "config.json: linux: uidMappings and gidMappings must be given together");

    tu_expect_set_error("linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 1, \"size\": 0}]",
        "config.json: linux.uidMappings[0]: size must not be 0");
    tu_expect_set_error("linux.uidMappings",
        "[{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}]",
        "config.json: linux.uidMappings[0]: range overflows 32-bit ids");

    doc = tu_minimal();
    tu_set(doc, "linux.uidMappings", map);
    tu_set(doc, "linux.gidMappings", map);
    tu_set(doc, "linux.namespaces", "[{\"type\": \"user\"}, {\"type\": \"mount\"}]");
    struct oci_spec *s = NULL;
    cx_error err;
    assert_int_equal(tu_parse(doc, &s, &err), 0);
    assert_int_equal(s->linux_->n_uid_mappings, 1);
    assert_int_equal(s->linux_->uid_mappings[0].host_id, 1000);
    assert_int_equal(s->linux_->namespaces[0].type, CLONE_NEWUSER);
    oci_spec_free(s);
}

static void test_linux_errors(void **state)
{
    (void) state;
    tu_expect_set_error("linux.maskedPaths", "[\"/ok\", \"proc/kcore\"]",
        "config.json: linux.maskedPaths[1]: \"proc/kcore\" must be an absolute path");
    tu_expect_set_error("linux.readonlyPaths", "[\"sys\"]",
        "config.json: linux.readonlyPaths[0]: \"sys\" must be an absolute path");
    tu_expect_set_error("linux.rootfsPropagation", "\"sideways\"",
        "config.json: linux.rootfsPropagation: unknown propagation \"sideways\"");
    tu_expect_set_error("linux.sysctl", "{\"kernel.shmmax\": 5}",
        "config.json: linux.sysctl.kernel.shmmax: expected a string, got integer");
    tu_expect_set_error("linux.devices", "[{\"path\": \"/dev/null\", \"type\": \"c\", \"major\": 1}]",
        "config.json: linux.devices[0]: major and minor are required for type c");
    tu_expect_set_error("linux.devices",
        "[{\"path\": \"/dev/../etc/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].path: \"/dev/../etc/x\" must be a file path below /dev");
    tu_expect_set_error("linux.devices",
        "[{\"path\": \"/etc/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].path: \"/etc/x\" must be a file path below /dev");
    tu_expect_set_error("linux.devices",
        "[{\"path\": \"/dev/\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]",
        "config.json: linux.devices[0].path: \"/dev/\" must be a file path below /dev");
    tu_expect_set_error("linux", "true", "config.json: linux: expected an object, got boolean");
}

static void test_hook_and_annotation_errors(void **state)
{
    (void) state;
    tu_expect_set_error("hooks", "{\"prestart\": [{\"path\": \"/ok\"}, {\"path\": \"bin/hook\"}]}",
        "config.json: hooks.prestart[1].path: \"bin/hook\" must be an absolute path");
    tu_expect_set_error("hooks", "{\"createRuntime\": [{\"path\": \"/h\", \"timeout\": 0}]}",
        "config.json: hooks.createRuntime[0].timeout: 0 is out of range [1, 2147483647]");
    tu_expect_set_error("annotations", "{\"a\": \"1\", \"b\": 2}",
        "config.json: annotations.b: expected a string, got integer");
}

static void test_document_errors(void **state)
{
    (void) state;
    struct oci_spec *s = NULL;
    cx_error err;

    cx_error_clear(&err);
    assert_int_equal(oci_spec_parse("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": }",
                                    "config.json", &s, &err), -1);
    assert_null(s);
    assert_true(strncmp(err.msg, "config.json: line 3 column 11: ", 31) == 0);

    cx_error_clear(&err);
    assert_int_equal(oci_spec_parse("[1, 2]", "config.json", &s, &err), -1);
    assert_string_equal(err.msg, "config.json: expected a JSON object");

    /* duplicate keys: the second value must not silently win */
    cx_error_clear(&err);
    assert_int_equal(oci_spec_parse(
        "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
        "\"root\":{\"path\":\"a\"},\"root\":{\"path\":\"b\"}}",
        "config.json", &s, &err), -1);
    assert_null(s);
    assert_true(strncmp(err.msg, "config.json: line 1 column 84: ", 31) == 0);
    assert_non_null(strstr(err.msg, "duplicate"));

    /* an embedded NUL would truncate the path the kernel sees */
    cx_error_clear(&err);
    assert_int_equal(oci_spec_parse(
        "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
        "\"root\":{\"path\":\"root\\u0000fs\"}}",
        "config.json", &s, &err), -1);
    assert_null(s);
    assert_true(strncmp(err.msg, "config.json: line 1 column 87: ", 31) == 0);
    assert_non_null(strstr(err.msg, "\\u0000"));
}

static void test_nul_string_decoder(void **state)
{
    (void) state;
    /* the decoder checks NULs itself, for documents loaded with ALLOW_NUL */
    json_t *v = json_stringn("a\0b", 3);
    struct jd_pool pool = { 0 };
    cx_error err;
    struct jd_ctx c = { "config.json", &pool, &err };
    struct jpath p = { NULL, "hostname", 0 };
    const char *out = NULL;
    cx_error_clear(&err);
    assert_int_equal(jd_string_value(&c, v, &p, &out), -1);
    assert_null(out);
    assert_string_equal(err.msg, "config.json: hostname: string contains a NUL byte");
    json_decref(v);
    jd_pool_free(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_unknown_members_ignored),
        cmocka_unit_test(test_null_is_absent),
        cmocka_unit_test(test_null_capabilities_are_absent),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_process_errors),
        cmocka_unit_test(test_user_errors),
        cmocka_unit_test(test_rlimit_errors),
        cmocka_unit_test(test_root_errors),
        cmocka_unit_test(test_mount_errors),
        cmocka_unit_test(test_namespace_errors),
        cmocka_unit_test(test_idmap_errors),
        cmocka_unit_test(test_linux_errors),
        cmocka_unit_test(test_hook_and_annotation_errors),
        cmocka_unit_test(test_document_errors),
        cmocka_unit_test(test_nul_string_decoder),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
