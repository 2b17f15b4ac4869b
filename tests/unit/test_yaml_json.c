/* test_yaml_json.c: YAML as JSON (kube play): the types of plain and
 * quoted scalars, nesting, and what is refused: aliases, anchors, a key
 * given twice, too deep, not UTF-8, no document, over the size bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/yaml_json.h"

static json_t *ok(const char *text)
{
    json_t *j = NULL;
    cx_error err = { 0 };
    if (cx_yaml_to_json(text, strlen(text), &j, &err) < 0)
        fail_msg("\"%s\": %s", text, err.msg);
    return j;
}

static void bad(const char *text, size_t len, const char *msg)
{
    json_t *j = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_yaml_to_json(text, len, &j, &err), -1);
    assert_null(j);
    if (!strstr(err.msg, msg))
        fail_msg("\"%.40s\": \"%s\" lacks \"%s\"", text, err.msg, msg);
}

static void test_types(void **state)
{
    (void) state;
    json_t *j = ok("a: 1\nb: \"1\"\nc: true\nd: 'false'\ne: ~\nf: -7\ng: 1.5\nh: x y\n"
                   "i: [1, two]\nj: {k: v}\nk:\n");
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text, "{\"a\":1,\"b\":\"1\",\"c\":true,\"d\":\"false\",\"e\":null,"
                              "\"f\":-7,\"g\":\"1.5\",\"h\":\"x y\",\"i\":[1,\"two\"],"
                              "\"j\":{\"k\":\"v\"},\"k\":null}");
    free(text);
    json_decref(j);
    /* block style, a literal block, the second document ignored */
    j = ok("---\nlist:\n- name: a\n  v: |\n    two\n    lines\n---\nx: 1\n");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(json_object_get(j, "list"), 0), "v")), "two\nlines\n");
    json_decref(j);
}

static void test_refusals(void **state)
{
    (void) state;
    static const struct { const char *text, *msg; } v[] = {
        { "a: &x 1\nb: *x\n", "anchors are not supported" },
        { "a: *x\n", "YAML:" },
        { "a: &x [1]\n", "anchors are not supported" },
        { "a: 1\na: 2\n", "key \"a\" given twice" },
        { "[1]: x\n", "a key must be a plain string" },
        { "a: [1, 2\n", "YAML:" },
        { "", "no document" },
        { "a: \xff\n", "YAML:" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        bad(v[i].text, strlen(v[i].text), v[i].msg);
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    bad(deep, 200, "nested deeper than 64");
    char *big = calloc(1, CX_YAML_MAX + 2);
    memset(big, ' ', CX_YAML_MAX + 1);
    bad(big, CX_YAML_MAX + 1, "over");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
