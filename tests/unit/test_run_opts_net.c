/* test_run_opts_net.c: the network flags of `capsactl run/create` (--ip,
 * --mac-address, --network-alias, --dns*, --add-host, --no-hosts), their
 * record, and the resolv.conf and hosts text made from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/etcfiles.h"
#include "run_opts_util.h"

static void test_ip_and_mac(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--network", "lan", "--ip", "10.100.0.5", "--mac-address", "92:D0:C6:0A:29:33",
       "img", NULL);
    assert_string_equal(o.ip, "10.100.0.5");
    assert_string_equal(o.mac, "92:d0:c6:0a:29:33");
    cx_run_opts_free(&o);
    ok(&o, "--network", "bridge", "--ip=10.99.0.9", "--ip", "10.99.0.10",
       "--mac-address", "02-00-00-00-00-01", "img", NULL);
    assert_string_equal(o.ip, "10.99.0.10");   /* the last one */
    assert_string_equal(o.mac, "02:00:00:00:00:01");
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--network|n|--ip|10.0.0|img", "--ip: \"10.0.0\" is not an IPv4 address (A.B.C.D)" },
        { "--network|n|--ip|10.0.0.256|img",
          "--ip: \"10.0.0.256\" is not an IPv4 address (A.B.C.D)" },
        { "--network|n|--ip|fd00::1|img", "--ip: \"fd00::1\" is not an IPv4 address (A.B.C.D)" },
        { "--network|n|--ip| 10.0.0.1|img",
          "--ip: \" 10.0.0.1\" is not an IPv4 address (A.B.C.D)" },
        { "--network|n|--mac-address|92:d0:c6:0a:29|img", "--mac-address: \"92:d0:c6:0a:29\" "
          "is not a MAC address (six hex pairs: 92:d0:c6:0a:29:33)" },
        { "--network|n|--mac-address|92:d0:c6:0a:29:3g|img", "--mac-address: "
          "\"92:d0:c6:0a:29:3g\" is not a MAC address (six hex pairs: 92:d0:c6:0a:29:33)" },
        { "--network|n|--mac-address|92:d0-c6:0a:29:33|img", "--mac-address: "
          "\"92:d0-c6:0a:29:33\" is not a MAC address (six hex pairs: 92:d0:c6:0a:29:33)" },
        { "--network|n|--mac-address|92:d0:c6:0a:29:333|img", "--mac-address: "
          "\"92:d0:c6:0a:29:333\" is not a MAC address (six hex pairs: 92:d0:c6:0a:29:33)" },
        { "--network|n|--mac-address|01:00:5e:00:00:01|img", "--mac-address: "
          "01:00:5e:00:00:01 is a multicast address (the first byte must be even)" },
        { "--network|n|--mac-address|ff:ff:ff:ff:ff:ff|img", "--mac-address: "
          "ff:ff:ff:ff:ff:ff is a multicast address (the first byte must be even)" },
        { "--network|n|--mac-address|00:00:00:00:00:00|img",
          "--mac-address: 00:00:00:00:00:00 is the null address" },
        { "--network|host|--ip|10.0.0.2|img", "--ip: a static address needs a network (not "
          "--network none, host or container:)" },
        { "--network|none|--mac-address|02:00:00:00:00:01|img", "--mac-address: a static "
          "address needs a network (not --network none, host or container:)" },
        { "--network|a,b|--ip|10.0.0.2|img",
          "--ip: applies to one network, and --network names 2" },
        { "--network|a,b|--mac-address|02:00:00:00:00:01|img",
          "--mac-address: applies to one network, and --network names 2" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_aliases(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--network", "lan", "--network-alias", "db", "--network-alias", "db.local",
       "img", NULL);
    strv_is(o.aliases, "db", "db.local", NULL);
    cx_run_opts_free(&o);
    ok(&o, "--network", "bridge,lan", "--network-alias", "x", "img", NULL);
    strv_is(o.aliases, "x", NULL);
    cx_run_opts_free(&o);
    static const char *const refused = "--network-alias: aliases are names on user-created "
                                       "networks (the default network resolves none): "
                                       "--network NAME";
    bad("--network-alias|db|img", refused);
    bad("--network|bridge|--network-alias|db|img", refused);
    bad("--network|none|--network-alias|db|img", refused);
    bad("--network|lan|--network-alias|a b|img", "--network-alias: \"a b\" is not a valid name "
        "([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 characters)");
    bad("--network|lan|--network-alias|-x|img", "--network-alias: \"-x\" is not a valid name "
        "([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 characters)");
}

static void test_dns(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--dns", "1.1.1.1", "--dns", "fd00::53", "--dns-search", "example.com",
       "--dns-search", ".", "--dns-option", "ndots:2", "--dns-opt", "edns0", "img", NULL);
    strv_is(o.dns, "1.1.1.1", "fd00::53", NULL);
    strv_is(o.dns_search, "example.com", ".", NULL);
    strv_is(o.dns_options, "ndots:2", "edns0", NULL);
    assert_false(cx_run_opts_dns_none(&o));
    cx_run_opts_free(&o);
    ok(&o, "--network", "none", "--dns", "none", "img", NULL);
    assert_true(cx_run_opts_dns_none(&o));
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--dns|8.8.8|img", "--dns: \"8.8.8\" is not an IP address (or none)" },
        { "--dns|dns.google|img", "--dns: \"dns.google\" is not an IP address (or none)" },
        { "--dns|none|--dns|1.1.1.1|img", "--dns none: conflicts with the other --dns servers" },
        { "--dns-search|a..b|img", "--dns-search: \"a..b\" is not a domain name (or ., none)" },
        { "--dns-search|a b|img", "--dns-search: \"a b\" is not a domain name (or ., none)" },
        { "--dns-search|x\nnameserver 6.6.6.6|img", "--dns-search: \"x\nnameserver 6.6.6.6\" is "
          "not a domain name (or ., none)" },
        { "--dns-option|ndots 2|img",
          "--dns-option: \"ndots 2\" is not a resolver option (as ndots:2, edns0)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
    bad_v("--dns-option: \"\" is not a resolver option (as ndots:2, edns0)", "--dns-option", "",
          "img", NULL);
}

static void test_add_host(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--add-host", "db:10.1.2.3", "--add-host", "a;b.c:fd00::1", "--add-host",
       "six:[::1]", "img", NULL);
    strv_is(o.add_hosts, "db:10.1.2.3", "a;b.c:fd00::1", "six:[::1]", NULL);
    cx_run_opts_free(&o);
    cx_error err = { 0 };
    char *line = cx_add_host_line("a;b.c:fd00::1", &err);
    assert_string_equal(line, "fd00::1\ta b.c\n");
    free(line);
    line = cx_add_host_line("six:[::1]", &err);
    assert_string_equal(line, "::1\tsix\n");
    free(line);
    ok(&o, "--no-hosts", "img", NULL);
    assert_true(o.no_hosts);
    cx_run_opts_free(&o);
    static const struct bad_case cases[] = {
        { "--add-host|db|img", "--add-host: \"db\": expected HOST:IP" },
        { "--add-host|:10.0.0.1|img", "--add-host: \":10.0.0.1\": expected HOST:IP" },
        { "--add-host|db:|img", "--add-host: \"db:\": expected HOST:IP" },
        { "--add-host|db:10.0.0|img", "--add-host: \"db:10.0.0\": \"10.0.0\" is not an IP "
          "address" },
        { "--add-host|d b:10.0.0.1|img", "--add-host: \"d b:10.0.0.1\": \"d b\" is not a valid "
          "host name" },
        { "--add-host|a;;b:10.0.0.1|img", "--add-host: \"a;;b:10.0.0.1\": \"\" is not a valid "
          "host name" },
        { "--add-host|a;:10.0.0.1|img", "--add-host: \"a;:10.0.0.1\": \"\" is not a valid host "
          "name" },
        { "--add-host|gw:host-gateway|img", "--add-host: \"gw:host-gateway\": host-gateway is "
          "not supported (give the address)" },
        { "--no-hosts|--add-host|db:10.0.0.1|img", "--add-host: conflicts with --no-hosts "
          "(which leaves the image's /etc/hosts as it is)" },
        { "--no-hosts=maybe|img", "--no-hosts: invalid value \"maybe\" (true or false)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_record(void **state)
{
    (void) state;
    struct cx_run_opts o, back;
    ok(&o, "--network", "lan", "--ip", "10.1.0.5", "--mac-address", "02:00:00:00:00:01",
       "--network-alias", "x", "--dns", "9.9.9.9", "--dns-search", "a.b", "--dns-option",
       "ndots:1", "--add-host", "h:10.0.0.1", "img", NULL);
    json_t *j = cx_run_opts_to_json(&o);
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_from_json(j, &back, &err), 0);
    json_t *j2 = cx_run_opts_to_json(&back);
    assert_true(json_equal(j, j2));
    assert_string_equal(json_string_value(json_object_get(j, "mac_address")),
                        "02:00:00:00:00:01");
    assert_string_equal(back.ip, "10.1.0.5");
    strv_is(back.aliases, "x", NULL);
    strv_is(back.dns, "9.9.9.9", NULL);
    strv_is(back.dns_search, "a.b", NULL);
    strv_is(back.dns_options, "ndots:1", NULL);
    strv_is(back.add_hosts, "h:10.0.0.1", NULL);
    assert_false(back.no_hosts);
    json_decref(j);
    json_decref(j2);
    cx_run_opts_free(&o);
    cx_run_opts_free(&back);
}

static const char host_resolv[] = "# from the host\n"
                                  "nameserver 127.0.0.53\n"
                                  "nameserver 192.0.2.1\n"
                                  "search corp.example\n"
                                  "options edns0 trust-ad\n";

static void resolv_is(const char *expect, ...)
{
    struct cx_run_opts o;
    va_list ap;
    cx_error err = { 0 };
    va_start(ap, expect);
    assert_int_equal(parse_v(&o, &err, ap), 0);
    va_end(ap);
    char *text = cx_resolv_conf_for_container(host_resolv, &o);
    assert_string_equal(text, expect);
    free(text);
    cx_run_opts_free(&o);
}

static void test_resolv_conf(void **state)
{
    (void) state;
    /* no flags: the host's, its loopback nameserver dropped */
    resolv_is("# from the host\nnameserver 192.0.2.1\nsearch corp.example\n"
              "options edns0 trust-ad\n", "img", NULL);
    resolv_is(host_resolv, "--network", "host", "img", NULL);
    /* each flag replaces its part only */
    resolv_is("# from the host\nsearch corp.example\noptions edns0 trust-ad\n"
              "nameserver 10.0.0.53\nnameserver fd00::53\n",
              "--dns", "10.0.0.53", "--dns", "fd00::53", "img", NULL);
    resolv_is("# from the host\nnameserver 192.0.2.1\noptions edns0 trust-ad\n"
              "search a.example b.example\n",
              "--dns-search", "a.example", "--dns-search", "b.example", "img", NULL);
    resolv_is("# from the host\nnameserver 192.0.2.1\noptions edns0 trust-ad\n",
              "--dns-search", ".", "img", NULL);
    resolv_is("# from the host\nnameserver 192.0.2.1\nsearch corp.example\n"
              "options ndots:3 timeout:1\n",
              "--dns-option", "ndots:3", "--dns-option", "timeout:1", "img", NULL);
    /* a given loopback nameserver is kept: it was asked for */
    resolv_is("# from the host\nsearch x.example\nnameserver 127.0.0.1\noptions rotate\n",
              "--dns", "127.0.0.1", "--dns-search", "x.example", "--dns-option", "rotate",
              "img", NULL);
    /* only a loopback nameserver on the host: podman's public fallback */
    struct cx_run_opts o;
    ok(&o, "img", NULL);
    char *text = cx_resolv_conf_for_container("nameserver 127.0.0.53\n", &o);
    assert_string_equal(text, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    free(text);
    cx_run_opts_free(&o);
}

static void test_hosts_text(void **state)
{
    (void) state;
    struct cx_run_opts o;
    static const char *const base = "127.0.0.1\tlocalhost localhost.localdomain\n"
                                    "::1\tlocalhost localhost.localdomain ip6-localhost "
                                    "ip6-loopback\n";
    ok(&o, "--network", "none", "--add-host", "db;db2:10.0.0.9", "img", NULL);
    char *text = cx_hosts_for_container("box", &o), *expect;
    expect = cx_asprintf("%s10.0.0.9\tdb db2\n127.0.1.1\tbox\n", base);
    assert_string_equal(text, expect);
    free(text), free(expect);
    cx_run_opts_free(&o);
    /* on a network, the hostname goes with the container's address */
    ok(&o, "--network", "lan", "--add-host", "gw:10.0.0.1", "img", NULL);
    text = cx_hosts_for_container("box", &o);
    expect = cx_asprintf("%s10.0.0.1\tgw\n", base);
    assert_string_equal(text, expect);
    free(text), free(expect);
    cx_run_opts_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_and_mac),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_add_host),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_resolv_conf),
        cmocka_unit_test(test_hosts_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
