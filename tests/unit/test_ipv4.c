/* test_ipv4.c: subnets as networks take them: strict parsing, overlap and
 * membership, formatting back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net/ipv4.h"

static void test_parse_and_format(void **state)
{
    (void) state;
    struct cx_subnet s;
    cx_error err = { 0 };
    char buf[20];
    assert_int_equal(cx_subnet_parse("10.99.0.0/16", &s, &err), 0);
    assert_int_equal(s.len, 16);
    cx_subnet_format(&s, buf);
    assert_string_equal(buf, "10.99.0.0/16");
    static const struct { const char *in, *msg; } bad[] = {
        { "10.99.0.0", "want an IPv4 network" }, { "10.99.0.0/", "want an IPv4 network" },
        { "10.99.0.0/16x", "want an IPv4 network" }, { "300.1.1.0/24", "want an IPv4" },
        { "10.99.0.0/7", "prefix length" }, { "10.99.0.0/31", "prefix length" },
        { "10.99.0.1/24", "not a network address (10.99.0.0/24 is)" },
        { "::1/64", "want an IPv4" }, { "", "want an IPv4" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cx_error e = { 0 };
        assert_int_equal(cx_subnet_parse(bad[i].in, &s, &e), -1);
        if (!strstr(e.msg, bad[i].msg))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].in, e.msg, bad[i].msg);
    }
}

static void test_overlap_and_membership(void **state)
{
    (void) state;
    struct cx_subnet a, b, c;
    cx_error err = { 0 };
    assert_int_equal(cx_subnet_parse("10.100.0.0/16", &a, &err), 0);
    assert_int_equal(cx_subnet_parse("10.100.7.0/24", &b, &err), 0);
    assert_int_equal(cx_subnet_parse("10.101.0.0/24", &c, &err), 0);
    assert_true(cx_subnet_overlap(&a, &b) && cx_subnet_overlap(&b, &a));
    assert_false(cx_subnet_overlap(&a, &c) || cx_subnet_overlap(&b, &c));
    uint32_t ip;
    assert_int_equal(cx_ipv4_parse("10.100.7.200", &ip), 0);
    assert_true(cx_subnet_has(&a, ip) && cx_subnet_has(&b, ip));
    assert_false(cx_subnet_has(&c, ip));
    assert_int_equal(cx_ipv4_parse("10.100.7", &ip), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_overlap_and_membership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
