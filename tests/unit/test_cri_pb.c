/* test_cri_pb.c: the code protoc-c generates from src/cri/proto/cri.proto
 * builds, links and round-trips the messages capsad depends on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"

/* pack into a malloc'ed buffer */
static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

/* A sandbox config with a map, a nested message and a wrapper set to 0
 * (present) comes back as it went. */
static void test_sandbox_round_trip(void **state)
{
    (void)state;
    Runtime__V1__PodSandboxMetadata md = RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
    md.name = "web";
    md.namespace_ = "default";
    md.attempt = 2;
    Runtime__V1__PodSandboxConfig__LabelsEntry l1 =
        RUNTIME__V1__POD_SANDBOX_CONFIG__LABELS_ENTRY__INIT;
    l1.key = "app";
    l1.value = "nginx";
    Runtime__V1__PodSandboxConfig__LabelsEntry *labels[] = { &l1 };
    Runtime__V1__Int64Value root = RUNTIME__V1__INT64_VALUE__INIT;
    Runtime__V1__LinuxSandboxSecurityContext sc =
        RUNTIME__V1__LINUX_SANDBOX_SECURITY_CONTEXT__INIT;
    sc.run_as_user = &root;
    /* protoc-c marks deprecated fields __attribute__((deprecated)); capsad
     * still reads this one (critest sends it), as here, in a pragma */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    sc.seccomp_profile_path = "runtime/default";
#pragma GCC diagnostic pop
    Runtime__V1__LinuxPodSandboxConfig lx = RUNTIME__V1__LINUX_POD_SANDBOX_CONFIG__INIT;
    lx.cgroup_parent = "/kubepods";
    lx.security_context = &sc;
    Runtime__V1__PodSandboxConfig cfg = RUNTIME__V1__POD_SANDBOX_CONFIG__INIT;
    cfg.metadata = &md;
    cfg.hostname = "web-0";
    cfg.n_labels = 1;
    cfg.labels = labels;
    cfg.linux = &lx;

    size_t len;
    uint8_t *buf = pack(&cfg.base, &len);
    Runtime__V1__PodSandboxConfig *got =
        runtime__v1__pod_sandbox_config__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(got);
    assert_string_equal(got->metadata->name, "web");
    assert_string_equal(got->metadata->namespace_, "default");
    assert_int_equal(got->metadata->attempt, 2);
    assert_string_equal(got->hostname, "web-0");
    assert_int_equal(got->n_labels, 1);
    assert_string_equal(got->labels[0]->key, "app");
    assert_string_equal(got->labels[0]->value, "nginx");
    assert_string_equal(got->linux->cgroup_parent, "/kubepods");
    assert_non_null(got->linux->security_context->run_as_user);
    assert_int_equal(got->linux->security_context->run_as_user->value, 0);
    assert_null(got->linux->security_context->run_as_group);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    assert_string_equal(got->linux->security_context->seccomp_profile_path,
                        "runtime/default");
#pragma GCC diagnostic pop
    runtime__v1__pod_sandbox_config__free_unpacked(got, NULL);
}

/* The Windows fields are not in our .proto: a kubelet that sends one
 * must not make the request fail, and what we know still decodes. */
static void test_windows_field_is_unknown(void **state)
{
    (void)state;
    static const uint8_t wire[] = {
        0x12, 0x01, 'h',                /* 2: hostname "h" */
        0x4a, 0x04, 0x0a, 0x02, 0x0a, 0x00, /* 9: windows{security_context{...}} */
        0x42, 0x02, 0x0a, 0x00,         /* 8: linux{cgroup_parent ""} */
    };
    Runtime__V1__PodSandboxConfig *got =
        runtime__v1__pod_sandbox_config__unpack(NULL, sizeof wire, wire);
    assert_non_null(got);
    assert_string_equal(got->hostname, "h");
    assert_non_null(got->linux);
    assert_int_equal(got->base.n_unknown_fields, 1);
    assert_int_equal(got->base.unknown_fields[0].tag, 9);
    runtime__v1__pod_sandbox_config__free_unpacked(got, NULL);
}

/* Field numbers a slip would break silently (docs/CAPSAD-PLAN.md 1). */
static void test_field_numbers(void **state)
{
    (void)state;
    static const struct {
        const ProtobufCMessageDescriptor *d;
        const char *field;
        unsigned number;
    } want[] = {
        { &runtime__v1__linux_sandbox_security_context__descriptor, "run_as_group", 8 },
        { &runtime__v1__linux_sandbox_security_context__descriptor, "seccomp", 9 },
        { &runtime__v1__linux_container_security_context__descriptor, "run_as_username", 6 },
        { &runtime__v1__linux_container_security_context__descriptor, "apparmor_profile", 9 },
        { &runtime__v1__linux_container_security_context__descriptor, "no_new_privs", 11 },
        { &runtime__v1__linux_container_security_context__descriptor, "apparmor", 16 },
        { &runtime__v1__mount__descriptor, "uidMappings", 6 },
        { &runtime__v1__image_spec__descriptor, "user_specified_image", 18 },
        { &runtime__v1__container_status__descriptor, "stop_signal", 19 },
        { &runtime__v1__container_stats__descriptor, "io", 6 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(want[i].d, want[i].field);
        assert_non_null(f);
        assert_int_equal(f->id, want[i].number);
    }
    assert_int_equal(RUNTIME__V1__SIGNAL__SIGKILL, 13);
    assert_int_equal(RUNTIME__V1__SIGNAL__SIGTERM, 23);
}

/* capsad's dispatch looks methods up in the service descriptors. */
static void test_services(void **state)
{
    (void)state;
    const ProtobufCServiceDescriptor *rt = &runtime__v1__runtime_service__descriptor;
    const ProtobufCServiceDescriptor *img = &runtime__v1__image_service__descriptor;
    assert_string_equal(rt->name, "runtime.v1.RuntimeService");
    assert_int_equal(rt->n_methods, 35);
    assert_string_equal(img->name, "runtime.v1.ImageService");
    assert_int_equal(img->n_methods, 6);
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(rt, "GetContainerEvents");
    assert_non_null(m);
    assert_ptr_equal(m->input, &runtime__v1__get_events_request__descriptor);
    assert_ptr_equal(m->output, &runtime__v1__container_event_response__descriptor);
    m = protobuf_c_service_descriptor_get_method_by_name(img, "PullImage");
    assert_non_null(m);
    assert_ptr_equal(m->input, &runtime__v1__pull_image_request__descriptor);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_round_trip),
        cmocka_unit_test(test_windows_field_is_unknown),
        cmocka_unit_test(test_field_numbers),
        cmocka_unit_test(test_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
