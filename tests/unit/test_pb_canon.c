/* test_pb_canon.c: maps sent in any order pack to the same bytes once
 * canonical (src/cri/pb_canon.c), nested maps included; other repeated
 * fields keep their order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "cri/pb_canon.h"

typedef Runtime__V1__PodSandboxConfig__LabelsEntry Label;
typedef Runtime__V1__LinuxPodSandboxConfig__SysctlsEntry Sysctl;

struct pod {
    Runtime__V1__PodSandboxConfig c;
    Runtime__V1__LinuxPodSandboxConfig linux;
    Label l[3];
    Label *lp[3];
    Sysctl s[2];
    Sysctl *sp[2];
    Runtime__V1__DNSConfig dns;
    char *servers[2];
};

/* a pod whose labels, sysctls and DNS servers come in the order given */
static void make(struct pod *p, const int order[3])
{
    static char *keys[] = { "b", "a", "c" }, *sk[] = { "net.x", "kernel.y" };
    runtime__v1__pod_sandbox_config__init(&p->c);
    runtime__v1__linux_pod_sandbox_config__init(&p->linux);
    runtime__v1__dnsconfig__init(&p->dns);
    for (int i = 0; i < 3; i++) {
        runtime__v1__pod_sandbox_config__labels_entry__init(&p->l[i]);
        p->l[i].key = keys[order[i]];
        p->l[i].value = "v";
        p->lp[i] = &p->l[i];
    }
    for (int i = 0; i < 2; i++) {
        runtime__v1__linux_pod_sandbox_config__sysctls_entry__init(&p->s[i]);
        p->s[i].key = sk[(order[0] + i) % 2];
        p->s[i].value = "1";
        p->sp[i] = &p->s[i];
    }
    p->c.labels = p->lp;
    p->c.n_labels = 3;
    p->c.linux = &p->linux;
    p->linux.sysctls = p->sp;
    p->linux.n_sysctls = 2;
    p->servers[0] = "10.0.0.2";
    p->servers[1] = "10.0.0.1";
    p->dns.servers = p->servers;
    p->dns.n_servers = 2;
    p->c.dns_config = &p->dns;
}

static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len + 1);
    assert_non_null(b);
    protobuf_c_message_pack(m, b);
    return b;
}

static void test_maps_in_any_order(void **state)
{
    (void) state;
    struct pod a, b;
    make(&a, (const int[]){ 0, 1, 2 });
    make(&b, (const int[]){ 2, 0, 1 });
    size_t la, lb;
    uint8_t *pa = packed(&a.c.base, &la), *pb = packed(&b.c.base, &lb);
    assert_int_equal(la, lb);
    assert_true(memcmp(pa, pb, la) != 0);
    free(pa);
    free(pb);
    cri_pb_canonical(&a.c.base);
    cri_pb_canonical(&b.c.base);
    pa = packed(&a.c.base, &la);
    pb = packed(&b.c.base, &lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
    assert_string_equal(a.c.labels[0]->key, "a");
    assert_string_equal(a.c.labels[2]->key, "c");
    assert_string_equal(a.linux.sysctls[0]->key, "kernel.y");
    /* a list is not a map: the DNS servers keep the kubelet's order */
    assert_string_equal(a.dns.servers[0], "10.0.0.2");
    cri_pb_canonical(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maps_in_any_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
