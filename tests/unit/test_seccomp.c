/* test_seccomp.c: linux.seccomp decoding and validation, the compile to
 * BPF and the program cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_internal.h"
#include "testutil.h"

static struct oci_spec *parse_sec(const char *json)
{
    struct oci_spec *s = tu_parse_set("linux.seccomp", json);
    assert_non_null(s->linux_);
    assert_non_null(s->linux_->seccomp);
    return s;
}

static void expect_sec_error(const char *json, const char *msg)
{
    tu_expect_set_error("linux.seccomp", json, msg);
}

static void test_decode_actions(void **state)
{
    (void) state;
    struct oci_spec *s = parse_sec(
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
        "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
        "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
        "\"syscalls\":["
        "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"},"
        "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
        "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7},"
        "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL\"},"
        "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_LOG\",\"args\":["
        "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
        "{\"index\":1,\"value\":255,\"valueTwo\":3,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}");
    struct oci_seccomp *p = s->linux_->seccomp;
    assert_int_equal(p->default_action, SCMP_ACT_ERRNO(38));
    assert_int_equal(p->n_arches, 2);
    assert_int_equal(p->arches[0], SCMP_ARCH_X86_64);
    assert_int_equal(p->arches[1], SCMP_ARCH_X86);
    assert_int_equal(p->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
    assert_int_equal(p->n_rules, 6);
    assert_int_equal(p->rules[0].n_names, 2);
    assert_string_equal(p->rules[0].names[1], "write");
    assert_int_equal(p->rules[0].action, SCMP_ACT_ALLOW);
    assert_int_equal(p->rules[1].action, SCMP_ACT_ERRNO(EPERM));
    assert_int_equal(p->rules[2].action, SCMP_ACT_ERRNO(13));
    assert_int_equal(p->rules[3].action, SCMP_ACT_TRACE(7));
    assert_int_equal(p->rules[4].action, SCMP_ACT_KILL);
    assert_int_equal(p->rules[5].action, SCMP_ACT_LOG);
    assert_int_equal(p->rules[5].n_args, 2);
    assert_int_equal(p->rules[5].args[1].index, 1);
    assert_int_equal(p->rules[5].args[1].value, 255);
    assert_int_equal(p->rules[5].args[1].value_two, 3);
    assert_int_equal(p->rules[5].args[1].op, SCMP_CMP_MASKED_EQ);
    assert_false(p->uses_notify);
    assert_ptr_equal(p->json, json_object_get(json_object_get(s->doc, "linux"), "seccomp"));
    assert_string_equal(oci_seccomp_action_name(p->rules[3].action), "SCMP_ACT_TRACE");
    oci_spec_free(s);
}

static void test_decode_notify(void **state)
{
    (void) state;
    struct oci_spec *s = parse_sec(
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\","
        "\"listenerMetadata\":\"m\",\"syscalls\":[{\"names\":[\"getppid\"],"
        "\"action\":\"SCMP_ACT_NOTIFY\"}]}");
    struct oci_seccomp *p = s->linux_->seccomp;
    assert_true(p->uses_notify);
    assert_string_equal(p->listener_path, "/run/agent.sock");
    assert_string_equal(p->listener_metadata, "m");
    oci_spec_free(s);
}

#define PRE "config.json: linux.seccomp"

static void test_decode_errors(void **state)
{
    (void) state;
    expect_sec_error("{}", PRE ".defaultAction: required but missing");
    expect_sec_error("[]", PRE ": expected an object, got array");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
                     PRE ".defaultAction: unknown action \"SCMP_ACT_FOO\"");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"b\"],\"action\":\"SCMP_ACT_FOO\"}]}",
                     PRE ".syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\","
                     "\"SCMP_ARCH_VAX\"]}",
                     PRE ".architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
                     PRE ".flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_X\"");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                     "\"op\":\"SCMP_CMP_XX\"}]}]}",
                     PRE ".syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
                     "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                     PRE ".syscalls[0].args[0].index: 6 is out of range [0, 5]");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":-1,"
                     "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                     PRE ".syscalls[0].args[0].value: -1 must not be negative");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
                     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     PRE ".syscalls[0].names: must name at least one syscall");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     PRE ".syscalls[0].names: required but missing");
}

static void test_decode_errno_rules(void **state)
{
    (void) state;
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                     PRE ".defaultErrnoRet: SCMP_ACT_ALLOW takes no errno "
                     "(only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
                     PRE ".syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno "
                     "(only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":65536}",
                     PRE ".defaultErrnoRet: 65536 is out of range [0, 65535]");
}

static void test_decode_listener_rules(void **state)
{
    (void) state;
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                     "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                     PRE ".listenerPath: required when an action is SCMP_ACT_NOTIFY");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"x\"}",
                     PRE ".listenerMetadata: must not be set without listenerPath");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
                     PRE ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action: "
                     "the runtime's own last syscalls would wait for the agent");
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
                     "\"syscalls\":[{\"names\":[\"a\",\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                     PRE ".syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply to sendmsg: "
                     "capsa sends the notify fd with it");
}

static void test_decode_unsupported_arch(void **state)
{
    (void) state;
    char msg[256];
    snprintf(msg, sizeof msg, PRE ".architectures[0]: architecture \"SCMP_ARCH_M68K\" is not "
             "supported by libseccomp %u.%u.%u", SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
#ifndef SCMP_ARCH_M68K
    expect_sec_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_M68K\"]}",
                     msg);
#endif
}

/* Hostile sizes are refused before anything is compiled. */
static void test_decode_bounds(void **state)
{
    (void) state;
    json_t *doc = tu_minimal();
    json_t *sec = json_pack("{s:s,s:[]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls");
    json_t *rules = json_object_get(sec, "syscalls");
    for (int i = 0; i <= OCI_SECCOMP_MAX_SYSCALLS; i++)
        json_array_append_new(rules, json_pack("{s:[s],s:s}", "names", "read",
                                               "action", "SCMP_ACT_ERRNO"));
    json_object_set_new(doc, "linux", json_pack("{s:o}", "seccomp", sec));
    tu_expect_error(doc, PRE ".syscalls: 4097 entries, at most 4096 are accepted");

    doc = tu_minimal();
    json_t *names = json_array();
    for (int i = 0; i <= OCI_SECCOMP_MAX_NAMES; i++)
        json_array_append_new(names, json_string("read"));
    sec = json_pack("{s:s,s:[{s:o,s:s}]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls",
                    "names", names, "action", "SCMP_ACT_ERRNO");
    json_object_set_new(doc, "linux", json_pack("{s:o}", "seccomp", sec));
    tu_expect_error(doc, PRE ".syscalls: 16385 syscall names, at most 16384 are accepted");

    doc = tu_minimal();
    json_t *args = json_array();
    for (int i = 0; i <= OCI_SECCOMP_MAX_ARGS; i++)
        json_array_append_new(args, json_pack("{s:i,s:i,s:s}", "index", 0, "value", i,
                                              "op", "SCMP_CMP_NE"));
    sec = json_pack("{s:s,s:[{s:[s],s:s,s:o}]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls",
                    "names", "read", "action", "SCMP_ACT_ERRNO", "args", args);
    json_object_set_new(doc, "linux", json_pack("{s:o}", "seccomp", sec));
    tu_expect_error(doc, PRE ".syscalls[0].args: 17 entries, at most 16 are accepted");
}

static void compile_ok(const char *json, unsigned short *len)
{
    struct oci_spec *s = parse_sec(json);
    struct sock_filter *insns = NULL;
    cx_error err = { 0 };
    if (seccomp_compile(s->linux_->seccomp, &insns, len, &err) < 0)
        fail_msg("compile: %s (%d)", err.msg, err.errnum);
    assert_non_null(insns);
    assert_true(*len > 0);
    free(insns);
    oci_spec_free(s);
}

static void test_compile(void **state)
{
    (void) state;
    unsigned short a, b, c;
    /* unknown syscall names are skipped; a rule equal to the default is
     * left out; several conditions on one argument are allowed */
    compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
               "{\"names\":[\"getcwd\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ERRNO\"},"
               "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
               "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
               "{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"},"
               "{\"index\":0,\"value\":17,\"op\":\"SCMP_CMP_EQ\"}]}]}", &a);
    compile_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
               "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}", &b);
    assert_true(a > b);
    compile_ok("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"architectures\":"
               "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":["
               "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", &c);
    assert_true(c > b);
}

static char *make_tmpdir(void)
{
    char *d = cx_strdup("/tmp/capsa-test-seccomp.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static int count_entries(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY), n = 0;
    DIR *d = fdopendir(fd);
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_cache_roundtrip(void **state)
{
    (void) state;
    char *root = make_tmpdir();
    int dirfd = seccomp_cache_open(root);
    assert_true(dirfd >= 0);
    json_t *p1 = tu_json("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"x\":1}");
    json_t *p2 = tu_json("{\"x\":1,\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
    json_t *p3 = tu_json("{\"defaultAction\":\"SCMP_ACT_LOG\"}");
    char *k1 = seccomp_cache_key(p1), *k2 = seccomp_cache_key(p2), *k3 = seccomp_cache_key(p3);
    assert_string_equal(k1, k2); /* canonical: key order does not matter */
    assert_string_not_equal(k1, k3);
    struct sock_filter prog[3] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 6, 0, 0, 0x7fff0000 } };
    struct sock_filter *got = NULL;
    unsigned short len = 0;
    assert_int_equal(seccomp_cache_lookup(dirfd, k1, &got, &len), -1);
    seccomp_cache_store(dirfd, k1, prog, 3);
    assert_int_equal(seccomp_cache_lookup(dirfd, k1, &got, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(got, prog, sizeof prog);
    free(got);
    /* another key in the same slot (a hash collision): a miss, never
     * the other profile's program */
    char name[17];
    seccomp_cache_name(k1, name);
    assert_int_equal(renameat(dirfd, name, dirfd, "tmp-entry"), 0);
    seccomp_cache_store(dirfd, k3, prog, 2);
    char name3[17];
    seccomp_cache_name(k3, name3);
    assert_int_equal(renameat(dirfd, name3, dirfd, name), 0);
    assert_int_equal(seccomp_cache_lookup(dirfd, k1, &got, &len), -1);
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
    free(k1);
    free(k2);
    free(k3);
    close(dirfd);
    cx_rm_rf_at(AT_FDCWD, root);
    free(root);
}

static void test_cache_torn_and_bounded(void **state)
{
    (void) state;
    char *root = make_tmpdir();
    int dirfd = seccomp_cache_open(root);
    struct sock_filter prog[2] = { { 6, 0, 0, 0x7fff0000 }, { 6, 0, 0, 0 } };
    struct sock_filter *got = NULL;
    unsigned short len;
    char name[17];
    seccomp_cache_store(dirfd, "key-a", prog, 2);
    seccomp_cache_name("key-a", name);
    int fd = openat(dirfd, name, O_WRONLY);
    assert_int_equal(ftruncate(fd, 30), 0);
    close(fd);
    assert_int_equal(seccomp_cache_lookup(dirfd, "key-a", &got, &len), -1);
    for (int i = 0; i < SECCOMP_CACHE_MAX + 10; i++) {
        char key[32];
        snprintf(key, sizeof key, "key-%d", i);
        seccomp_cache_store(dirfd, key, prog, 2);
    }
    assert_int_equal(count_entries(dirfd), SECCOMP_CACHE_MAX);
    /* the newest survive */
    char key[32];
    snprintf(key, sizeof key, "key-%d", SECCOMP_CACHE_MAX + 9);
    assert_int_equal(seccomp_cache_lookup(dirfd, key, &got, &len), 0);
    free(got);
    close(dirfd);
    cx_rm_rf_at(AT_FDCWD, root);
    free(root);
}

/* cx_seccomp_prepare compiles once, then finds the program in the cache. */
static void test_prepare_uses_cache(void **state)
{
    (void) state;
    char *root = make_tmpdir();
    struct oci_spec *s = parse_sec("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
                                   "[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
                                   "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
    struct cx_seccomp a, b;
    cx_error err = { 0 };
    assert_int_equal(cx_seccomp_prepare(s->linux_->seccomp, root, &a, &err), 0);
    int dirfd = seccomp_cache_open(root);
    assert_int_equal(count_entries(dirfd), 1);
    assert_int_equal(cx_seccomp_prepare(s->linux_->seccomp, root, &b, &err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.insns, b.insns, a.len * sizeof *a.insns);
    assert_int_equal(a.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_TSYNC);
    assert_int_equal(a.listener_fd, -1);
    cx_seccomp_release(&a);
    cx_seccomp_release(&b);
    assert_int_equal(cx_seccomp_prepare(NULL, root, &a, &err), 0);
    assert_null(a.insns);
    close(dirfd);
    oci_spec_free(s);
    cx_rm_rf_at(AT_FDCWD, root);
    free(root);
}

static void test_feature_names(void **state)
{
    (void) state;
    const char *const *a = oci_seccomp_action_names();
    size_t n = 0;
    while (a[n])
        n++;
    assert_int_equal(n, 9);
    assert_string_equal(oci_seccomp_operator_names()[6], "SCMP_CMP_MASKED_EQ");
    assert_string_equal(oci_seccomp_flag_names()[3], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
    assert_string_equal(oci_seccomp_arch_names()[1], "SCMP_ARCH_X86_64");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_actions),
        cmocka_unit_test(test_decode_notify),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_errno_rules),
        cmocka_unit_test(test_decode_listener_rules),
        cmocka_unit_test(test_decode_unsupported_arch),
        cmocka_unit_test(test_decode_bounds),
        cmocka_unit_test(test_compile),
        cmocka_unit_test(test_cache_roundtrip),
        cmocka_unit_test(test_cache_torn_and_bounded),
        cmocka_unit_test(test_prepare_uses_cache),
        cmocka_unit_test(test_feature_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
