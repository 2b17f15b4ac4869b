/* test_cgroup_stats.c: cgroup_stats() (src/runtime/cgroup/stats.c) on
 * fake cgroup directories of both versions: the document `capsa events
 * --stats` prints and capsad maps (cpu, memory with memory.stat in
 * "raw", pids, blkio).  This host may have one version only; the files
 * here are the kernel's, as its documentation gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup_tree_util.h"
#include "runtime/cgroup/cgroup.h"

static json_int_t at(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        o = json_object_get(o, k);
        if (o == NULL)
            fail_msg("%s: no %s", path, k);
    }
    assert_true(json_is_integer(o));
    return json_integer_value(o);
}

static void test_v1(void **state)
{
    (void) state;
    char *base = ct_base();
    json_t *cg = ct_v1(base, NULL, NULL);
    json_t *s = cgroup_stats(cg);
    assert_non_null(s);
    assert_int_equal(at(s, "cpu.usage.total"), 123456789);
    assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(
                         s, "cpu"), "usage"), "percpu")), 2);
    assert_int_equal(at(s, "cpu.throttling.periods"), 10);
    assert_int_equal(at(s, "cpu.throttling.throttled_time"), 3000000);
    assert_int_equal(at(s, "memory.usage.usage"), 26214400);
    assert_int_equal(at(s, "memory.usage.limit"), 9223372036854771712LL);
    assert_int_equal(at(s, "memory.swap.usage"), 27262976);
    assert_int_equal(at(s, "memory.kernel.usage"), 1000000);   /* v1's mark */
    assert_int_equal(at(s, "memory.cache"), 5242880);
    /* memory.stat as it is, for what the CRI computes from it */
    assert_int_equal(at(s, "memory.raw.total_inactive_file"), 1048576);
    assert_int_equal(at(s, "memory.raw.total_rss"), 20971520);
    assert_int_equal(at(s, "memory.raw.total_pgfault"), 5000);
    assert_int_equal(at(s, "memory.raw.total_pgmajfault"), 7);
    assert_int_equal(at(s, "memory.raw.hierarchical_memory_limit"), 9223372036854771712LL);
    assert_int_equal(at(s, "pids.current"), 3);
    assert_int_equal(at(s, "pids.limit"), 0);   /* "max" */
    json_t *io = json_object_get(json_object_get(s, "blkio"), "ioServiceBytesRecursive");
    assert_int_equal(json_array_size(io), 2);   /* the Total line has no device */
    json_decref(s);
    json_decref(cg);
    ct_remove(base);
    free(base);
}

static void test_v2(void **state)
{
    (void) state;
    char *base = ct_base();
    json_t *cg = ct_v2(base, "max\n", "max\n");
    json_t *s = cgroup_stats(cg);
    assert_non_null(s);
    assert_int_equal(at(s, "cpu.usage.total"), 2500000);
    assert_int_equal(at(s, "cpu.usage.user"), 2000000);
    assert_int_equal(at(s, "cpu.usage.kernel"), 500000);
    assert_int_equal(at(s, "cpu.throttling.throttled_periods"), 2);
    assert_int_equal(at(s, "cpu.throttling.throttled_time"), 7000);
    assert_int_equal(at(s, "memory.usage.usage"), 41943040);
    assert_int_equal(at(s, "memory.usage.limit"), 0);   /* "max" */
    assert_int_equal(at(s, "memory.usage.max"), 50000000);
    assert_int_equal(at(s, "memory.swap.usage"), 3145728);
    assert_int_equal(at(s, "memory.swap.limit"), 0);
    assert_null(json_object_get(json_object_get(s, "memory"), "kernel"));
    assert_int_equal(at(s, "memory.cache"), 8388608);
    assert_int_equal(at(s, "memory.raw.inactive_file"), 2097152);
    assert_int_equal(at(s, "memory.raw.anon"), 31457280);
    assert_int_equal(at(s, "memory.raw.pgfault"), 9000);
    assert_int_equal(at(s, "memory.raw.pgmajfault"), 11);
    assert_int_equal(at(s, "pids.current"), 5);
    assert_int_equal(at(s, "pids.limit"), 100);
    json_t *io = json_object_get(json_object_get(s, "blkio"), "ioServiceBytesRecursive");
    assert_int_equal(json_array_size(io), 2);
    json_decref(s);
    json_decref(cg);
    ct_remove(base);
    free(base);

    /* limits set */
    base = ct_base();
    cg = ct_v2(base, "104857600\n", "52428800\n");
    s = cgroup_stats(cg);
    assert_int_equal(at(s, "memory.usage.limit"), 104857600);
    assert_int_equal(at(s, "memory.swap.limit"), 52428800);
    json_decref(s);
    json_decref(cg);
    ct_remove(base);
    free(base);
}

/* A cgroup gone (the container exited between the look and the read):
 * zeros, not a failure. */
static void test_gone(void **state)
{
    (void) state;
    json_t *cg = json_pack("{s:[s]}", "dirs", "/nonexistent/capsa-cg");
    json_t *s = cgroup_stats(cg);
    assert_non_null(s);
    assert_int_equal(at(s, "cpu.usage.total"), 0);
    assert_int_equal(at(s, "memory.usage.usage"), 0);
    assert_int_equal(json_object_size(json_object_get(json_object_get(s, "memory"), "raw")), 0);
    json_decref(s);
    json_decref(cg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
