/* test_resources.c: linux.resources decoding and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "oci/resources.h"
#include "oci/spec.h"
#include "testutil.h"

/* Parse the minimal config with linux.resources = json; fail on error. */
static struct oci_spec *parse_res(const char *json)
{
    struct oci_spec *s = tu_parse_set("linux.resources", json);
    assert_non_null(s->linux_);
    assert_non_null(s->linux_->resources);
    return s;
}

static void expect_res_error(const char *json, const char *msg)
{
    tu_expect_set_error("linux.resources", json, msg);
}

static void test_runc_default(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
    struct oci_resources *r = s->linux_->resources;
    assert_int_equal(r->n_devices, 1);
    assert_false(r->devices[0].allow);
    assert_int_equal(r->devices[0].type, 'a');
    assert_int_equal(r->devices[0].major, -1);
    assert_int_equal(r->devices[0].minor, -1);
    assert_string_equal(r->devices[0].access, "rwm");
    assert_false(r->has_memory);
    assert_false(r->has_cpu);
    assert_false(r->has_pids_limit);
    assert_false(r->has_blkio);
    assert_null(r->unified);
    oci_spec_free(s);
}

static void test_empty_resources(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res("{}");
    assert_int_equal(s->linux_->resources->n_devices, 0);
    oci_spec_free(s);
    expect_res_error("[]", "config.json: linux.resources: expected an object, got array");
}

static void test_device_rules(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"devices\":["
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3},"
        "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"r\"},"
        "{\"allow\":false,\"type\":\"a\",\"access\":\"\"},"
        "{\"allow\":true,\"type\":null,\"access\":\"mw\"},"
        "{\"allow\":true,\"type\":\"c\",\"access\":\"rwa\"},"
        "{\"allow\":true,\"type\":\"c\",\"access\":\"mrmx\"}]}");
    struct oci_device_rule *d = s->linux_->resources->devices;
    assert_int_equal(s->linux_->resources->n_devices, 6);
    assert_true(d[0].allow);
    assert_int_equal(d[0].type, 'c');
    assert_int_equal(d[0].major, 1);
    assert_int_equal(d[0].minor, 3);
    assert_string_equal(d[0].access, "rwm"); /* default */
    assert_int_equal(d[1].type, 'b');
    assert_int_equal(d[1].major, 8);
    assert_int_equal(d[1].minor, -1);        /* wildcard */
    assert_string_equal(d[1].access, "r");
    assert_string_equal(d[2].access, "rwm");  /* "" is the default too */
    assert_int_equal(d[3].type, 'a');
    assert_string_equal(d[3].access, "wm");  /* canonical order */
    assert_string_equal(d[4].access, "rw");  /* unknown letters dropped, as runc */
    assert_string_equal(d[5].access, "rm");  /* and repeats */
    oci_spec_free(s);
}

static void test_device_rule_errors(void **state)
{
    (void) state;
    expect_res_error("{\"devices\":[{\"allow\":true,\"type\":\"u\"}]}",
        "config.json: linux.resources.devices[0].type: unknown device type \"u\" (a, c or b)");
    expect_res_error("{\"devices\":[{\"allow\":true},{\"allow\":true,\"type\":\"cc\"}]}",
        "config.json: linux.resources.devices[1].type: unknown device type \"cc\" (a, c or b)");
    expect_res_error("{\"devices\":[{\"allow\":true,\"access\":\"xa\"}]}",
        "config.json: linux.resources.devices[0].access: \"xa\" has none of r, w and m");
    expect_res_error("{\"devices\":[{\"access\":\"rwm\"}]}",
        "config.json: linux.resources.devices[0].allow: required but missing");
    expect_res_error("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":-2}]}",
        "config.json: linux.resources.devices[0].major: -2 is out of range [-1, 2147483647]");
    expect_res_error("{\"devices\":[{\"allow\":true,\"type\":7}]}",
        "config.json: linux.resources.devices[0].type: expected a string, got integer");
}

static void test_memory(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"memory\":{\"limit\":-1,\"reservation\":1048576,\"swap\":-1,"
        "\"swappiness\":100,\"disableOOMKiller\":true}}");
    struct oci_mem *m = &s->linux_->resources->memory;
    assert_true(s->linux_->resources->has_memory);
    assert_true(m->has_limit);
    assert_int_equal(m->limit, -1);
    assert_true(m->has_reservation);
    assert_int_equal(m->reservation, 1048576);
    assert_int_equal(m->swap, -1);
    assert_true(m->has_swappiness);
    assert_int_equal(m->swappiness, 100);
    assert_true(m->has_disable_oom_killer);
    assert_true(m->disable_oom_killer);
    assert_false(m->has_kernel);
    assert_false(m->has_use_hierarchy);
    oci_spec_free(s);

    expect_res_error("{\"memory\":{\"swappiness\":101}}",
        "config.json: linux.resources.memory.swappiness: 101 is out of range [0, 100]");
    expect_res_error("{\"memory\":{\"limit\":-2}}",
        "config.json: linux.resources.memory.limit: -2 is out of range [-1, 9223372036854775807]");
    expect_res_error("{\"memory\":{\"limit\":\"1G\"}}",
        "config.json: linux.resources.memory.limit: expected an integer, got string");
    expect_res_error("{\"memory\":5}",
        "config.json: linux.resources.memory: expected an object, got integer");
}

static void test_cpu(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"cpu\":{\"shares\":1024,\"quota\":-1,\"period\":100000,"
        "\"cpus\":\"0-3,5\",\"mems\":\"0\",\"idle\":1}}");
    struct oci_cpu *c = &s->linux_->resources->cpu;
    assert_true(s->linux_->resources->has_cpu);
    assert_true(c->has_shares);
    assert_int_equal(c->shares, 1024);
    assert_true(c->has_quota);
    assert_int_equal(c->quota, -1);
    assert_int_equal(c->period, 100000);
    assert_string_equal(c->cpus, "0-3,5");
    assert_string_equal(c->mems, "0");
    assert_int_equal(c->idle, 1);
    assert_false(c->has_burst);
    oci_spec_free(s);

    expect_res_error("{\"cpu\":{\"cpus\":\"abc\"}}",
        "config.json: linux.resources.cpu.cpus: \"abc\" is not a list of numbers and ranges");
    expect_res_error("{\"cpu\":{\"mems\":\"0;1\"}}",
        "config.json: linux.resources.cpu.mems: \"0;1\" is not a list of numbers and ranges");
    expect_res_error("{\"cpu\":{\"shares\":-5}}",
        "config.json: linux.resources.cpu.shares: -5 must not be negative");
    expect_res_error("{\"cpu\":{\"idle\":2}}",
        "config.json: linux.resources.cpu.idle: 2 is out of range [0, 1]");
}

static void test_pids(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res("{\"pids\":{\"limit\":128}}");
    assert_true(s->linux_->resources->has_pids_limit);
    assert_int_equal(s->linux_->resources->pids_limit, 128);
    oci_spec_free(s);

    s = parse_res("{\"pids\":{\"limit\":-1}}");
    assert_true(s->linux_->resources->has_pids_limit);
    assert_int_equal(s->linux_->resources->pids_limit, -1);
    oci_spec_free(s);

    s = parse_res("{\"pids\":{}}");
    assert_false(s->linux_->resources->has_pids_limit);
    oci_spec_free(s);

    expect_res_error("{\"pids\":{\"limit\":-7}}",
        "config.json: linux.resources.pids.limit: -7 is out of range [-1, 9223372036854775807]");
}

static void test_blkio(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"blockIO\":{\"weight\":500,\"leafWeight\":300,"
        "\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":600}],"
        "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
        "\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":100},"
        "                            {\"major\":8,\"minor\":32,\"rate\":200}]}}");
    struct oci_blkio *b = &s->linux_->resources->blkio;
    assert_true(s->linux_->resources->has_blkio);
    assert_true(b->has_weight);
    assert_int_equal(b->weight, 500);
    assert_int_equal(b->leaf_weight, 300);
    assert_int_equal(b->n_weight_device, 1);
    assert_int_equal(b->weight_device[0].major, 8);
    assert_int_equal(b->weight_device[0].minor, 0);
    assert_true(b->weight_device[0].has_weight);
    assert_int_equal(b->weight_device[0].weight, 600);
    assert_false(b->weight_device[0].has_leaf_weight);
    assert_int_equal(b->n_throttle[0], 1);
    assert_int_equal(b->throttle[0][0].rate, 1048576);
    assert_int_equal(b->n_throttle[1], 0);
    assert_int_equal(b->n_throttle[2], 0);
    assert_int_equal(b->n_throttle[3], 2);
    assert_int_equal(b->throttle[3][1].minor, 32);
    assert_int_equal(b->throttle[3][1].rate, 200);
    oci_spec_free(s);

    expect_res_error("{\"blockIO\":{\"weightDevice\":[{\"minor\":0,\"weight\":10}]}}",
        "config.json: linux.resources.blockIO.weightDevice[0].major: required but missing");
    expect_res_error("{\"blockIO\":{\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":0}]}}",
        "config.json: linux.resources.blockIO.throttleReadIOPSDevice[0].rate: required but missing");
    expect_res_error("{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"rate\":1}]}}",
        "config.json: linux.resources.blockIO.throttleWriteBpsDevice[0].minor: required but missing");
    expect_res_error("{\"blockIO\":{\"weight\":1001}}",
        "config.json: linux.resources.blockIO: weight is out of range [10, 1000] (0: unset)");
    expect_res_error("{\"blockIO\":{\"weight\":5}}",
        "config.json: linux.resources.blockIO: weight is out of range [10, 1000] (0: unset)");
    expect_res_error("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"leafWeight\":5000}]}}",
        "config.json: linux.resources.blockIO.weightDevice[0]: weight is out of range [10, 1000] (0: unset)");
}

static void test_hugepages(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":209715200},"
        "{\"pageSize\":\"1GB\",\"limit\":0}]}");
    struct oci_resources *r = s->linux_->resources;
    assert_int_equal(r->n_hugepages, 2);
    assert_string_equal(r->hugepages[0].page_size, "2MB");
    assert_int_equal(r->hugepages[0].limit, 209715200);
    assert_string_equal(r->hugepages[1].page_size, "1GB");
    oci_spec_free(s);

    expect_res_error("{\"hugepageLimits\":[{\"limit\":1}]}",
        "config.json: linux.resources.hugepageLimits[0].pageSize: required but missing");
    expect_res_error("{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}",
        "config.json: linux.resources.hugepageLimits[0].limit: required but missing");
}

static void test_network(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"network\":{\"classID\":1048577,"
        "\"priorities\":[{\"name\":\"eth0\",\"priority\":500},{\"name\":\"lo\",\"priority\":0}]}}");
    struct oci_resources *r = s->linux_->resources;
    assert_true(r->has_net_class_id);
    assert_int_equal(r->net_class_id, 1048577);
    assert_non_null(r->net_priorities);
    assert_int_equal(json_array_size(r->net_priorities), 2);
    oci_spec_free(s);

    expect_res_error("{\"network\":{\"classID\":-1}}",
        "config.json: linux.resources.network.classID: -1 is out of range [0, 4294967295]");
    expect_res_error("{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}",
        "config.json: linux.resources.network.priorities[0].priority: required but missing");
    expect_res_error("{\"network\":{\"priorities\":[{\"name\":1,\"priority\":1}]}}",
        "config.json: linux.resources.network.priorities[0].name: expected a string, got integer");
    expect_res_error("{\"network\":{\"priorities\":{}}}",
        "config.json: linux.resources.network.priorities: expected an array, got object");
}

static void test_rdma(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000},\"mlx4_0\":{}}}");
    assert_non_null(s->linux_->resources->rdma);
    assert_int_equal(json_object_size(s->linux_->resources->rdma), 2);
    oci_spec_free(s);

    expect_res_error("{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":\"3\"}}}",
        "config.json: linux.resources.rdma.mlx5_1.hcaHandles: expected an integer, got string");
    expect_res_error("{\"rdma\":{\"mlx5_1\":[]}}",
        "config.json: linux.resources.rdma.mlx5_1: expected an object, got array");
    expect_res_error("{\"rdma\":[]}",
        "config.json: linux.resources.rdma: expected an object, got array");
}

static void test_unified(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"unified\":{\"memory.high\":\"1073741824\",\"io.weight\":\"default 100\"}}");
    json_t *u = s->linux_->resources->unified;
    assert_non_null(u);
    assert_string_equal(json_string_value(json_object_get(u, "memory.high")), "1073741824");
    oci_spec_free(s);

    expect_res_error("{\"unified\":{\"memory.high\":1073741824}}",
        "config.json: linux.resources.unified.memory.high: expected a string, got integer");
    expect_res_error("{\"unified\":{\"../memory.max\":\"1\"}}",
        "config.json: linux.resources.unified.../memory.max: not a cgroup interface file name");
    expect_res_error("{\"unified\":{\"a/b\":\"1\"}}",
        "config.json: linux.resources.unified.a/b: not a cgroup interface file name");
    expect_res_error("{\"unified\":{\".hidden\":\"1\"}}",
        "config.json: linux.resources.unified..hidden: not a cgroup interface file name");
}

static void test_nulls_are_absent(void **state)
{
    (void) state;
    struct oci_spec *s = parse_res(
        "{\"devices\":null,\"memory\":null,\"cpu\":null,\"pids\":null,"
        "\"blockIO\":{\"weightDevice\":null},\"hugepageLimits\":null,"
        "\"network\":null,\"rdma\":null,\"unified\":null}");
    struct oci_resources *r = s->linux_->resources;
    assert_int_equal(r->n_devices, 0);
    assert_false(r->has_memory);
    assert_false(r->has_cpu);
    assert_false(r->has_pids_limit);
    assert_true(r->has_blkio);
    assert_int_equal(r->blkio.n_weight_device, 0);
    assert_null(r->rdma);
    assert_null(r->unified);
    oci_spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runc_default),
        cmocka_unit_test(test_empty_resources),
        cmocka_unit_test(test_device_rules),
        cmocka_unit_test(test_device_rule_errors),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_pids),
        cmocka_unit_test(test_blkio),
        cmocka_unit_test(test_hugepages),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_rdma),
        cmocka_unit_test(test_unified),
        cmocka_unit_test(test_nulls_are_absent),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
