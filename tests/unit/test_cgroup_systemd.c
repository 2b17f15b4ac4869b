/* test_cgroup_systemd.c: the systemd driver's reading of cgroupsPath
 * ("slice:prefix:name" -> unit and cgroup path) and the cpuset bitmask
 * given to AllowedCPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/cgroup/internal.h"

static void unit_ok(const char *cp, const char *unit, const char *slice, const char *path)
{
    struct cg_sd_unit u;
    cx_error err = { 0 };
    assert_int_equal(cg_systemd_unit(cp, "c1", &u, &err), 0);
    assert_string_equal(u.unit, unit);
    assert_string_equal(u.slice, slice);
    assert_string_equal(u.path, path);
}

static void unit_bad(const char *cp, const char *msg)
{
    struct cg_sd_unit u;
    cx_error err = { 0 };
    assert_int_equal(cg_systemd_unit(cp, "c1", &u, &err), -1);
    char text[CX_ERROR_MAX];
    cx_error_format(&err, text, sizeof text);
    if (strstr(text, msg) == NULL)
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cp, text, msg);
}

static void test_units(void **state)
{
    (void) state;
    unit_ok(NULL, "capsa-c1.scope", "system.slice", "/system.slice/capsa-c1.scope");
    unit_ok("", "capsa-c1.scope", "system.slice", "/system.slice/capsa-c1.scope");
    unit_ok("system.slice:docker:abc", "docker-abc.scope", "system.slice",
            "/system.slice/docker-abc.scope");
    unit_ok(":crio:x", "crio-x.scope", "system.slice", "/system.slice/crio-x.scope");
    unit_ok("machine-pod_1.slice::n", "n.scope", "machine-pod_1.slice",
            "/machine.slice/machine-pod_1.slice/n.scope");
    unit_ok("kubepods-besteffort-podab.slice:cri-o:id", "cri-o-id.scope",
            "kubepods-besteffort-podab.slice",
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice/"
            "cri-o-id.scope");
    unit_ok("-.slice:p:n", "p-n.scope", "-.slice", "/p-n.scope");
}

static void test_bad_units(void **state)
{
    (void) state;
    unit_bad("/abs/path", "is not slice:prefix:name");
    unit_bad("a:b", "is not slice:prefix:name");
    unit_bad("a:b:c:d", "is not slice:prefix:name");
    unit_bad("system:p:n", "is not a slice name");
    unit_bad("-x.slice:p:n", "is not a slice name");
    unit_bad("a--b.slice:p:n", "is not a slice name");
    unit_bad("a-.slice:p:n", "is not a slice name");
    unit_bad("a/b.slice:p:n", "is not a slice name");
    unit_bad("system.slice:p:../../x", "cannot hold");
    unit_bad("system.slice:p/q:n", "cannot hold");
    unit_bad("system.slice:p:", "cannot hold");
}

static void test_cpuset_mask(void **state)
{
    (void) state;
    uint8_t m[16];
    size_t n;
    assert_int_equal(cg_cpuset_mask("0-3,8", m, sizeof m, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(m[0], 0x0f);
    assert_int_equal(m[1], 0x01);
    assert_int_equal(cg_cpuset_mask("13", m, sizeof m, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(m[0], 0);
    assert_int_equal(m[1], 0x20);
    assert_int_equal(cg_cpuset_mask("3-1", m, sizeof m, &n), -1);
    assert_int_equal(cg_cpuset_mask("1,x", m, sizeof m, &n), -1);
    assert_int_equal(cg_cpuset_mask("0-200", m, sizeof m, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_bad_units),
        cmocka_unit_test(test_cpuset_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
