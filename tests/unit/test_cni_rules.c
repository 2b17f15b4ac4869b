/* test_cni_rules.c: the iptables rules CNI's plugins leave, picked from an
 * iptables-save listing and turned into an iptables-restore script: by
 * network (comments, bridge, subnet), by container (ID, addresses), the
 * container chains only they jumped to, the shared chains only when they
 * hold nothing but the plugins' own rules; hostile lines never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net/cni_rules.h"

#define ID "55ab70a5a055e16eb1e6eed0c2eee452366caa56b10016973a03578c3008b2c0"
#define TAG "\"name: \\\"lan\\\" id: \\\"" ID "\\\"\""

static const char nat[] =
    "*nat\n"
    ":PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
    ":CNI-04d2 - [0:0]\n:CNI-DN-04d2 - [0:0]\n:CNI-HOSTPORT-DNAT - [0:0]\n"
    ":CNI-HOSTPORT-MASQ - [0:0]\n:CNI-HOSTPORT-SETMARK - [0:0]\n:CNI-other - [0:0]\n"
    "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT\n"
    "-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j CNI-HOSTPORT-MASQ\n"
    "-A POSTROUTING -s 10.140.0.5/32 -m comment --comment " TAG " -j CNI-04d2\n"
    "-A POSTROUTING -s 10.77.0.5/32 -j CNI-other\n"
    "-A CNI-04d2 -d 10.140.0.0/24 -m comment --comment " TAG " -j ACCEPT\n"
    "-A CNI-04d2 ! -d 224.0.0.0/4 -m comment --comment " TAG " -j MASQUERADE\n"
    "-A CNI-DN-04d2 -s 10.140.0.0/24 -p tcp -m tcp --dport 18090 -j CNI-HOSTPORT-SETMARK\n"
    "-A CNI-DN-04d2 -p tcp -m tcp --dport 18090 -j DNAT --to-destination 10.140.0.5:80\n"
    "-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"lan\\\" id: \\\"" ID
    "\\\"\" -m multiport --dports 18090 -j CNI-DN-04d2\n"
    "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE\n"
    "-A CNI-HOSTPORT-SETMARK -m comment --comment \"CNI portfwd masquerade mark\" -j MARK "
    "--set-xmark 0x2000/0x2000\n"
    "-A CNI-other -j MASQUERADE\n"
    "COMMIT\n";

static const char filter[] =
    "*filter\n:FORWARD ACCEPT [0:0]\n:CNI-ADMIN - [0:0]\n:CNI-FORWARD - [0:0]\n"
    "-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD\n"
    "-A FORWARD -s 10.140.0.0/24 -j ACCEPT\n"
    "-A CNI-ADMIN -s 10.140.0.9/32 -j ACCEPT\n"
    "-A CNI-FORWARD -m comment --comment \"CNI firewall plugin admin overrides\" -j CNI-ADMIN\n"
    "-A CNI-FORWARD -d 10.140.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
    "-A CNI-FORWARD -s 10.140.0.5/32 -j ACCEPT\n"
    "-A CNI-FORWARD -s 10.141.0.5/32 -j ACCEPT\n"
    "COMMIT\n";

static void test_parse(void **state)
{
    (void) state;
    struct cx_ipt_rule r;
    assert_true(cx_ipt_parse("-A CNI-04d2 ! -d 224.0.0.0/4 -m comment --comment " TAG
                             " -j MASQUERADE", &r));
    assert_string_equal(r.chain, "CNI-04d2");
    assert_string_equal(r.dst, "224.0.0.0/4");
    assert_true(r.not_dst);
    assert_string_equal(r.target, "MASQUERADE");
    assert_string_equal(r.comment, "name: \"lan\" id: \"" ID "\"");
    assert_false(cx_ipt_parse(":CNI-04d2 - [0:0]", &r));
    assert_false(cx_ipt_parse("-A", &r));
    /* hostile: an unterminated quote, overlong words, a lone option */
    assert_true(cx_ipt_parse("-A X -m comment --comment \"abc\\", &r));
    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[0] = '-', big[1] = 'A', big[2] = ' ', big[4999] = '\0';
    assert_true(cx_ipt_parse(big, &r));
    assert_int_equal(strlen(r.chain), sizeof r.chain - 1);
    free(big);
    assert_true(cx_ipt_parse("-A X -s", &r));
}

static void test_sweep_network(void **state)
{
    (void) state;
    struct cx_ipt_pick p = { .network = "lan", .bridge = "capsa1", .subnet = "10.140.0.0/24" };
    char *s = cx_ipt_sweep_script("nat", nat, &p);
    assert_non_null(s);
    assert_string_equal(s, "*nat\n"
        "-D POSTROUTING -s 10.140.0.5/32 -m comment --comment " TAG " -j CNI-04d2\n"
        "-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"lan\\\" id: \\\"" ID
        "\\\"\" -m multiport --dports 18090 -j CNI-DN-04d2\n"
        "-F CNI-04d2\n-F CNI-DN-04d2\n-X CNI-04d2\n-X CNI-DN-04d2\nCOMMIT\n");
    free(s);
    s = cx_ipt_sweep_script("filter", filter, &p);
    assert_string_equal(s, "*filter\n"
        "-D CNI-FORWARD -d 10.140.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
        "-D CNI-FORWARD -s 10.140.0.5/32 -j ACCEPT\nCOMMIT\n");
    free(s);
    struct cx_ipt_pick other = { .network = "x", .bridge = "capsa9", .subnet = "10.9.0.0/24" };
    assert_null(cx_ipt_sweep_script("nat", nat, &other));
}

static void test_sweep_container(void **state)
{
    (void) state;
    char *addrs[] = { "10.140.0.5", NULL };
    struct cx_ipt_pick p = { .ctr_id = ID, .addrs = addrs };
    char *s = cx_ipt_sweep_script("filter", filter, &p);
    assert_non_null(s);
    assert_non_null(strstr(s, "-D CNI-FORWARD -s 10.140.0.5/32 -j ACCEPT\n"));
    assert_null(strstr(s, "10.141.0.5"));
    assert_null(strstr(s, "CNI-ADMIN"));
    free(s);
    s = cx_ipt_sweep_script("nat", nat, &p);
    assert_non_null(strstr(s, "-X CNI-DN-04d2\n"));
    assert_null(strstr(s, "CNI-other"));
    free(s);
}

static void test_shared(void **state)
{
    (void) state;
    /* a container's chain, an admin's rule: kept */
    assert_null(cx_ipt_shared_script("nat", nat));
    assert_null(cx_ipt_shared_script("filter", filter));
    const char *bare_nat =
        "*nat\n:PREROUTING ACCEPT [0:0]\n:CNI-HOSTPORT-DNAT - [0:0]\n"
        ":CNI-HOSTPORT-MASQ - [0:0]\n:CNI-HOSTPORT-SETMARK - [0:0]\n"
        "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT\n"
        "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE\n"
        "-A CNI-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000/0x2000\nCOMMIT\n";
    char *s = cx_ipt_shared_script("nat", bare_nat);
    assert_string_equal(s, "*nat\n"
        "-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT\n"
        "-F CNI-HOSTPORT-DNAT\n-F CNI-HOSTPORT-MASQ\n-F CNI-HOSTPORT-SETMARK\n"
        "-X CNI-HOSTPORT-DNAT\n-X CNI-HOSTPORT-MASQ\n-X CNI-HOSTPORT-SETMARK\nCOMMIT\n");
    free(s);
    const char *bare_filter =
        "*filter\n:FORWARD ACCEPT [0:0]\n:CNI-ADMIN - [0:0]\n:CNI-FORWARD - [0:0]\n"
        "-A FORWARD -j CNI-FORWARD\n-A CNI-FORWARD -j CNI-ADMIN\nCOMMIT\n";
    s = cx_ipt_shared_script("filter", bare_filter);
    assert_non_null(s);
    assert_non_null(strstr(s, "-D FORWARD -j CNI-FORWARD\n"));
    assert_non_null(strstr(s, "-X CNI-ADMIN\n"));
    free(s);
    /* a user chain jumping to a shared one keeps them */
    const char *used = "*filter\n:CNI-ADMIN - [0:0]\n:CNI-FORWARD - [0:0]\n:MINE - [0:0]\n"
                       "-A MINE -j CNI-FORWARD\nCOMMIT\n";
    assert_null(cx_ipt_shared_script("filter", used));
    assert_null(cx_ipt_shared_script("filter", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_sweep_network),
        cmocka_unit_test(test_sweep_container),
        cmocka_unit_test(test_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
