/* test_ports.c: -p as podman and docker take it: every form, ranges,
 * refusals; free host ports chosen without duplicates; a port in use
 * found; the portMappings JSON and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/ports.h"

static void test_forms(void **state)
{
    (void) state;
    static const struct { const char *spec; const char *ip; unsigned hp, cp; bool udp; } ok[] = {
        { "80", "", 0, 80, false }, { "8080:80", "", 8080, 80, false },
        { "127.0.0.1:8080:80", "127.0.0.1", 8080, 80, false },
        { "127.0.0.1::80/udp", "127.0.0.1", 0, 80, true }, { "53:53/udp", "", 53, 53, true },
        { "8080:80/tcp", "", 8080, 80, false },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct cx_port *v = NULL;
        size_t n = 0;
        cx_error err = { 0 };
        assert_int_equal(cx_ports_parse(ok[i].spec, &v, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].host_ip, ok[i].ip);
        assert_int_equal(v[0].host_port, ok[i].hp);
        assert_int_equal(v[0].ctr_port, ok[i].cp);
        assert_int_equal(v[0].udp, ok[i].udp);
        free(v);
    }
    struct cx_port *v = NULL;
    size_t n = 0;
    cx_error err = { 0 };
    assert_int_equal(cx_ports_parse("9000-9002:80-82", &v, &n, &err), 0);
    assert_int_equal(cx_ports_parse("7000-7001", &v, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(v[2].host_port, 9002);
    assert_int_equal(v[2].ctr_port, 82);
    assert_int_equal(v[4].host_port, 0);
    assert_int_equal(v[4].ctr_port, 7001);
    free(v);
}

static void test_refused(void **state)
{
    (void) state;
    static const char *const bad[] = { "", "0", "65536", "80/sctp", "x:80", "1.2.3:80:80",
                                       "8080-8081:80", "80-79", "a:b:c:d", "8080:", "-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cx_port *v = NULL;
        size_t n = 0;
        cx_error err = { 0 };
        if (cx_ports_parse(bad[i], &v, &n, &err) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err.msg, "-p "));
        free(v);
    }
}

static void test_choose_check_json(void **state)
{
    (void) state;
    struct cx_port *v = NULL;
    size_t n = 0;
    cx_error err = { 0 };
    assert_int_equal(cx_ports_parse("127.0.0.1::80", &v, &n, &err), 0);
    assert_int_equal(cx_ports_parse("127.0.0.1::81", &v, &n, &err), 0);
    assert_int_equal(cx_ports_choose(v, n, &err), 0);
    assert_true(v[0].host_port && v[1].host_port && v[0].host_port != v[1].host_port);
    assert_int_equal(cx_ports_check_free(v, n, &err), 0);
    /* taken: a listening socket on it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(v[0].host_port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(cx_ports_check_free(v, n, &err), -1);
    assert_non_null(strstr(err.msg, "already in use on 127.0.0.1"));
    close(fd);
    json_t *j = cx_ports_json(v, n);
    struct cx_port *back = NULL;
    size_t m = 0;
    assert_int_equal(cx_ports_from_json(j, &back, &m, &err), 0);
    assert_int_equal(m, 2);
    assert_memory_equal(back, v, 2 * sizeof *v);
    char line[48];
    cx_port_format(&back[1], line);
    char want[48];
    snprintf(want, sizeof want, "81/tcp -> 127.0.0.1:%u", v[1].host_port);
    assert_string_equal(line, want);
    json_decref(j);
    free(back);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_choose_check_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
