/* test_authchallenge.c: WWW-Authenticate values (RFC 7235). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "image/authchallenge.h"

static struct cx_auth_challenge *parse_ok(const char *h, size_t want_n)
{
    struct cx_auth_challenge *c = NULL;
    size_t n = 0;
    cx_error err = { 0 };
    if (cx_auth_challenge_parse(h, &c, &n, &err) < 0)
        fail_msg("%s: %s", h, err.msg);
    assert_int_equal(n, want_n);
    return c;
}

/* The parse fails and the message contains want. */
static void parse_bad(const char *h, const char *want)
{
    struct cx_auth_challenge *c = NULL;
    size_t n = 0;
    cx_error err = { 0 };
    assert_int_equal(cx_auth_challenge_parse(h, &c, &n, &err), -1);
    assert_null(c);
    if (strstr(err.msg, want) == NULL)
        fail_msg("%s: got \"%s\", want \"%s\"", h, err.msg, want);
}

static void test_bearer_registry(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
        "scope=\"repository:library/alpine:pull\"", 1);
    assert_string_equal(c[0].scheme, "bearer");
    assert_string_equal(c[0].realm, "https://auth.docker.io/token");
    assert_string_equal(c[0].service, "registry.docker.io");
    assert_string_equal(c[0].scope, "repository:library/alpine:pull");
    cx_auth_challenges_free(c, 1);
}

static void test_basic(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Basic realm=\"Registry Realm\"", 1);
    assert_string_equal(c[0].scheme, "basic");
    assert_string_equal(c[0].realm, "Registry Realm");
    assert_null(c[0].service);
    assert_null(c[0].scope);
    cx_auth_challenges_free(c, 1);
}

static void test_case_insensitive(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("BEARER REALM=\"r\", SeRvIcE=s, Scope=x", 1);
    assert_string_equal(c[0].scheme, "bearer");
    assert_string_equal(c[0].realm, "r");
    assert_string_equal(c[0].service, "s");
    assert_string_equal(c[0].scope, "x");
    cx_auth_challenges_free(c, 1);
}

static void test_token_values(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Bearer realm=abc,service=reg.example", 1);
    assert_string_equal(c[0].realm, "abc");
    assert_string_equal(c[0].service, "reg.example");
    cx_auth_challenges_free(c, 1);
}

static void test_escapes(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Basic realm=\"say \\\"hi\\\" \\\\ there\"", 1);
    assert_string_equal(c[0].realm, "say \"hi\" \\ there");
    cx_auth_challenges_free(c, 1);
}

static void test_comma_in_quoted(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok(
        "Bearer realm=\"https://a/t\",scope=\"repository:a:pull,push repository:b:pull\"", 1);
    assert_string_equal(c[0].scope, "repository:a:pull,push repository:b:pull");
    cx_auth_challenges_free(c, 1);
}

static void test_two_challenges(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok(
        "Basic realm=\"b\", Bearer realm=\"https://t/\", service=\"s\"", 2);
    assert_string_equal(c[0].scheme, "basic");
    assert_string_equal(c[0].realm, "b");
    assert_null(c[0].service);
    assert_string_equal(c[1].scheme, "bearer");
    assert_string_equal(c[1].realm, "https://t/");
    assert_string_equal(c[1].service, "s");
    assert_ptr_equal(cx_auth_challenge_find(c, 2, "bearer"), &c[1]);
    assert_ptr_equal(cx_auth_challenge_find(c, 2, "basic"), &c[0]);
    assert_null(cx_auth_challenge_find(c, 2, "negotiate"));
    cx_auth_challenges_free(c, 2);
}

static void test_scheme_only_and_token68(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Negotiate, NTLM abc+/==, Basic realm=x", 3);
    assert_string_equal(c[0].scheme, "negotiate");
    assert_string_equal(c[1].scheme, "ntlm");
    assert_null(c[1].realm);
    assert_string_equal(c[2].scheme, "basic");
    assert_string_equal(c[2].realm, "x");
    cx_auth_challenges_free(c, 3);
}

static void test_whitespace_and_empty_elements(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok(
        " ,  Bearer   realm = \"r\" ,\t, service=\"s\" ,, Basic realm=q  ,", 2);
    assert_string_equal(c[0].realm, "r");
    assert_string_equal(c[0].service, "s");
    assert_string_equal(c[1].realm, "q");
    cx_auth_challenges_free(c, 2);
}

static void test_unknown_params_skipped(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok(
        "Bearer realm=\"https://t\",service=\"s\",scope=\"x\",error=\"insufficient_scope\"", 1);
    assert_string_equal(c[0].scope, "x");
    cx_auth_challenges_free(c, 1);
}

static void test_empty_quoted(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Bearer realm=\"\"", 1);
    assert_string_equal(c[0].realm, "");
    cx_auth_challenges_free(c, 1);
}

static void test_bad_empty(void **state)
{
    (void) state;
    parse_bad("", "WWW-Authenticate: empty header");
    parse_bad(" , ,", "WWW-Authenticate: empty header");
    cx_error err = { 0 };
    struct cx_auth_challenge *c = NULL;
    size_t n = 0;
    assert_int_equal(cx_auth_challenge_parse(NULL, &c, &n, &err), -1);
    assert_string_equal(err.msg, "WWW-Authenticate: missing header");
}

static void test_bad_unterminated(void **state)
{
    (void) state;
    parse_bad("Bearer realm=\"https://x", "unterminated quoted string at offset 13");
    parse_bad("Basic realm=\"x\\", "unterminated quoted string at offset 12");
}

static void test_bad_duplicate(void **state)
{
    (void) state;
    parse_bad("Bearer realm=a, REALM=b", "parameter \"REALM\" given twice at offset 16");
}

static void test_bad_syntax(void **state)
{
    (void) state;
    parse_bad("realm=\"x\"", "expected a space after the authentication scheme at offset 5");
    parse_bad("Bearer realm=\"a\" service=\"b\"", "expected ',' after a parameter at offset 17");
    parse_bad("Bearer @x", "expected parameters or a token68 credential at offset 7 ('@')");
    parse_bad("Bearer realm=\"a\", =b", "expected an authentication scheme at offset 18");
    parse_bad("\"Bearer\"", "expected an authentication scheme at offset 0");
    parse_bad("Bearer a=b c", "expected ',' after a parameter at offset 11");
    parse_bad("Bearer abc== x", "expected ',' after a token68 credential at offset 13");
}

static void test_bad_control(void **state)
{
    (void) state;
    parse_bad("Bearer realm=\"a\nb\"", "control character in a quoted string at offset 15 (byte 0x0a)");
    parse_bad("Bearer realm=\"a\\\rb\"", "control character in a quoted string");
}

static void test_bad_too_long(void **state)
{
    (void) state;
    char *h = malloc(CX_AUTH_HEADER_MAX + 2);
    memset(h, 'a', CX_AUTH_HEADER_MAX + 1);
    h[CX_AUTH_HEADER_MAX + 1] = '\0';
    parse_bad(h, "header longer than 8192 bytes");
    h[CX_AUTH_HEADER_MAX] = '\0'; /* exactly the limit: one scheme-only challenge */
    struct cx_auth_challenge *c = parse_ok(h, 1);
    assert_int_equal(strlen(c[0].scheme), CX_AUTH_HEADER_MAX);
    cx_auth_challenges_free(c, 1);
    free(h);
}

static void test_bad_too_many(void **state)
{
    (void) state;
    char h[512] = "";
    for (int i = 0; i < CX_AUTH_CHALLENGES_MAX; i++)
        strcat(h, "Basic realm=x, ");
    struct cx_auth_challenge *c = parse_ok(h, CX_AUTH_CHALLENGES_MAX);
    cx_auth_challenges_free(c, CX_AUTH_CHALLENGES_MAX);
    strcat(h, "Basic");
    parse_bad(h, "more than 16 challenges");
}

static void test_tab_in_quoted_ok(void **state)
{
    (void) state;
    struct cx_auth_challenge *c = parse_ok("Basic realm=\"a\tb\"", 1);
    assert_string_equal(c[0].realm, "a\tb");
    cx_auth_challenges_free(c, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer_registry),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_token_values),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_comma_in_quoted),
        cmocka_unit_test(test_two_challenges),
        cmocka_unit_test(test_scheme_only_and_token68),
        cmocka_unit_test(test_whitespace_and_empty_elements),
        cmocka_unit_test(test_unknown_params_skipped),
        cmocka_unit_test(test_empty_quoted),
        cmocka_unit_test(test_bad_empty),
        cmocka_unit_test(test_bad_unterminated),
        cmocka_unit_test(test_bad_duplicate),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_bad_control),
        cmocka_unit_test(test_bad_too_long),
        cmocka_unit_test(test_bad_too_many),
        cmocka_unit_test(test_tab_in_quoted_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
