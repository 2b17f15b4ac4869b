/* test_toml.c: the TOML subset reader (common/toml.c): values, tables,
 * arrays of tables, dotted keys and headers, TOML's rules about defining
 * things twice, and the line of every key and item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/toml.h"

static void parse_ok(const char *text, struct cx_toml *t)
{
    cx_error err = { 0 };
    if (cx_toml_parse(text, strlen(text), "t.toml", t, &err) != 0)
        fail_msg("%s", err.msg);
}

static void parse_bad(const char *text, const char *msg)
{
    struct cx_toml t = { 0 };
    cx_error err = { 0 };
    if (cx_toml_parse(text, strlen(text), "t.toml", &t, &err) != -1)
        fail_msg("parsed: %s", text);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.errnum, EINVAL);
    assert_null(t.root);
}

/* The tree as compact JSON, keys in the file's order. */
static void expect_json(const struct cx_toml *t, const char *json)
{
    char *s = json_dumps(t->root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    assert_non_null(s);
    assert_string_equal(s, json);
    free(s);
}

static void test_values(void **state)
{
    (void) state;
    struct cx_toml t;
    parse_ok("# values\n"
             "s = \"a\\tb\\\"c\\u00e9\"   # basic\n"
             "l = 'C:\\path\\n'        # literal: no escapes\n"
             "e = \"\"\n"
             "yes = true\nno = false\n"
             "i = 42\nneg = -17\npos = +3\nbig = 1_000_000\nzero = 0\n"
             "max = 9223372036854775807\nmin = -9223372036854775808\n"
             "a = [ 1, 'two', true,\n  # a comment\n  \"three\", ]\n"
             "empty = []\n"
             "\"quoted key\" = 1\n'lit.key' = 2\n",
             &t);
    expect_json(&t, "{\"s\":\"a\\tb\\\"c\\u00E9\",\"l\":\"C:\\\\path\\\\n\",\"e\":\"\","
                    "\"yes\":true,\"no\":false,\"i\":42,\"neg\":-17,\"pos\":3,"
                    "\"big\":1000000,\"zero\":0,\"max\":9223372036854775807,"
                    "\"min\":-9223372036854775808,\"a\":[1,\"two\",true,\"three\"],"
                    "\"empty\":[],\"quoted key\":1,\"lit.key\":2}");
    /* lines of keys, and of the items of a multi-line array */
    assert_int_equal(cx_toml_line(&t, t.root, "s"), 2);
    assert_int_equal(cx_toml_line(&t, t.root, "a"), 14);
    json_t *a = json_object_get(t.root, "a");
    assert_int_equal(cx_toml_item_line(&t, a, 0), 14);
    assert_int_equal(cx_toml_item_line(&t, a, 3), 16);
    assert_int_equal(cx_toml_item_line(&t, a, 4), 0);
    assert_int_equal(cx_toml_line(&t, t.root, "nope"), 0);
    assert_false(cx_toml_is_table_array(&t, a));
    cx_toml_free(&t);
    assert_null(t.root);
}

static void test_tables(void **state)
{
    (void) state;
    struct cx_toml t;
    parse_ok("top = 1\n"
             "[server]\n"
             "listen = \"x\"\n"
             "[server.tls]\n"
             "cert = \"c\"\n"
             "[a.b.c]\n"             /* a and a.b implicit */
             "d = 1\n"
             "[a]\n"                 /* defining an implicit table: allowed once */
             "e = 2\n"
             "[\"dotted.name\" . 'x']\n"
             "k = 'v'\n"
             "[fruit]\n"
             "apple.color = 'red'\n" /* dotted keys make fruit.apple */
             "apple.taste.sweet = true\n"
             "[fruit.apple.texture]\n" /* a sub-table of a dotted one: allowed */
             "smooth = true\n",
             &t);
    expect_json(&t, "{\"top\":1,\"server\":{\"listen\":\"x\",\"tls\":{\"cert\":\"c\"}},"
                    "\"a\":{\"b\":{\"c\":{\"d\":1}},\"e\":2},"
                    "\"dotted.name\":{\"x\":{\"k\":\"v\"}},"
                    "\"fruit\":{\"apple\":{\"color\":\"red\",\"taste\":{\"sweet\":true},"
                    "\"texture\":{\"smooth\":true}}}}");
    json_t *server = json_object_get(t.root, "server");
    json_t *a = json_object_get(t.root, "a");
    assert_int_equal(cx_toml_line(&t, t.root, "server"), 2);
    assert_int_equal(cx_toml_line(&t, server, "tls"), 4);
    /* a was named on line 6, defined on line 8: its line is the header's */
    assert_int_equal(cx_toml_line(&t, t.root, "a"), 8);
    assert_false(cx_toml_implicit(&t, a));
    assert_true(cx_toml_implicit(&t, json_object_get(a, "b")));
    assert_int_equal(cx_toml_line(&t, a, "b"), 6);
    assert_false(cx_toml_implicit(&t, server));
    assert_false(cx_toml_implicit(&t, json_object_get(t.root, "fruit")));
    cx_toml_free(&t);
}

static void test_table_arrays(void **state)
{
    (void) state;
    struct cx_toml t;
    parse_ok("[[runtime]]\n"
             "name = 'a'\n"
             "[[runtime.opt]]\n"     /* in the last [[runtime]] */
             "x = 1\n"
             "[[runtime.opt]]\n"
             "x = 2\n"
             "[runtime.extra]\n"     /* so is this */
             "y = 3\n"
             "\n"
             "[[runtime]]\n"
             "name = 'b'\n"
             "[[empty]]\n",
             &t);
    expect_json(&t, "{\"runtime\":[{\"name\":\"a\",\"opt\":[{\"x\":1},{\"x\":2}],"
                    "\"extra\":{\"y\":3}},{\"name\":\"b\"}],\"empty\":[{}]}");
    json_t *rt = json_object_get(t.root, "runtime");
    assert_true(cx_toml_is_table_array(&t, rt));
    assert_int_equal(cx_toml_line(&t, t.root, "runtime"), 1);
    assert_int_equal(cx_toml_item_line(&t, rt, 0), 1);
    assert_int_equal(cx_toml_item_line(&t, rt, 1), 10);
    json_t *opt = json_object_get(json_array_get(rt, 0), "opt");
    assert_int_equal(cx_toml_item_line(&t, opt, 1), 5);
    assert_int_equal(cx_toml_line(&t, json_array_get(opt, 1), "x"), 6);
    assert_false(cx_toml_implicit(&t, json_array_get(rt, 0)));
    cx_toml_free(&t);
}

static void test_defined_twice(void **state)
{
    (void) state;
    parse_bad("a = 1\nb = 2\na = 3\n", "t.toml:3: duplicate key \"a\"");
    parse_bad("[t]\nx.y = 1\nx.y = 2\n", "t.toml:3: duplicate key \"x.y\"");
    parse_bad("[t]\nx = 1\n[t]\n", "t.toml:3: table [t] defined twice");
    parse_bad("[t.u]\n[t]\n[t]\n", "t.toml:3: table [t] defined twice");
    /* a table dotted keys defined is defined */
    parse_bad("t.x = 1\n[t]\n", "t.toml:2: table [t] defined twice");
    parse_bad("[t]\nv = 1\n[t.v]\n", "t.toml:3: [t.v]: \"v\" (line 2) is a value, not a table");
    parse_bad("[t]\nv = [1]\n[[t.v]]\n",
              "t.toml:3: [[t.v]]: \"v\" (line 2) is a value, not a table");
    parse_bad("[[t]]\n[t]\n", "t.toml:2: [t]: \"t\" (line 1) is an array of tables: use [[...]]");
    parse_bad("[t]\n[[t]]\n", "t.toml:2: [[t]]: \"t\" (line 1) is a table, not an array of tables");
    parse_bad("v = 1\n[v.w]\n", "t.toml:2: [v.w]: \"v\" (line 1) is a value, not a table");
    /* dotted keys neither go through a value nor add to a header's table */
    parse_bad("v = 1\nv.w = 2\n", "t.toml:2: key \"v.w\": \"v\" (line 1) is not a table");
    parse_bad("[t.u]\n[t]\nu.x = 1\n",
              "t.toml:3: key \"u.x\": \"u\" (line 1) is a table defined by a header: set the "
              "key there");
    /* the same name in different tables is two keys */
    struct cx_toml t;
    parse_ok("x = 1\n[a]\nx = 2\n[[b]]\nx = 3\n[[b]]\nx = 4\n", &t);
    cx_toml_free(&t);
}

static void test_syntax(void **state)
{
    (void) state;
    parse_bad("a = 01\n", "t.toml:1: integer \"01\" has a leading zero");
    parse_bad("a = 9223372036854775808\n",
              "t.toml:1: integer \"9223372036854775808\" is out of range");
    parse_bad("a = 1__0\n", "t.toml:1: unsupported value \"1__0\" (strings, true, false, "
                            "integers and arrays only)");
    parse_bad("a = _1\n", "t.toml:1: unsupported value \"_1\" (strings, true, false, "
                          "integers and arrays only)");
    parse_bad("a = 1979-05-27\n", "t.toml:1: unsupported value \"1979-05-27\" (strings, true, "
                                  "false, integers and arrays only)");
    parse_bad("a = '''x'''\n", "t.toml:1: multi-line strings are not supported");
    parse_bad("\n[a]\nb = {c = 1}\n", "t.toml:3: inline tables are not supported");
    parse_bad("a = [1, [2]]\n", "t.toml:1: nested arrays are not supported");
    parse_bad("a.b.c.d.e.f.g.h.i = 1\n", "t.toml:1: key has more than 8 dotted parts");
    parse_bad("[a\n", "t.toml:1: expected ']' to close the table header");
    parse_bad("[a] x\n", "t.toml:1: unexpected 'x' after a table header");
    parse_bad("a = 1\n\nb\n", "t.toml:3: expected '=' after key \"b\"");
    parse_bad("a = [\n1,\n2\n", "t.toml:4: expected ',' or ']' in an array");
    parse_bad("a = 'x\n", "t.toml:1: unterminated string");
    /* strings are UTF-8 (a comment may hold anything) */
    parse_bad("# caf\xe9\na = 'caf\xe9'\n", "t.toml:2: a string is not valid UTF-8");
    parse_bad("a = \"\xc0\xaf\"\n", "t.toml:1: a string is not valid UTF-8");       /* overlong */
    parse_bad("a = \"\xed\xa0\x80\"\n", "t.toml:1: a string is not valid UTF-8");   /* surrogate */
    parse_bad("a = \"\xf4\x90\x80\x80\"\n", "t.toml:1: a string is not valid UTF-8");
    parse_bad("\"\xe2\x82\" = 1\n", "t.toml:1: a string is not valid UTF-8");      /* cut */
    cx_error err = { 0 };
    struct cx_toml t;
    assert_int_equal(cx_toml_parse("a = 1\n\0", 7, "n.toml", &t, &err), -1);
    assert_string_equal(err.msg, "n.toml:2: NUL byte in the file");
    /* a BOM, CRLF, no final newline, an empty file */
    parse_ok("\xef\xbb\xbf[a]\r\nb = 1\r\nc = 2", &t);
    expect_json(&t, "{\"a\":{\"b\":1,\"c\":2}}");
    assert_int_equal(cx_toml_line(&t, json_object_get(t.root, "a"), "c"), 3);
    cx_toml_free(&t);
    parse_ok("# caf\xe9\na = '\xe2\x82\xac \xf0\x9f\x98\x80'\n", &t);
    expect_json(&t, "{\"a\":\"\\u20AC \\uD83D\\uDE00\"}");
    cx_toml_free(&t);
    parse_ok("", &t);
    expect_json(&t, "{}");
    cx_toml_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_table_arrays),
        cmocka_unit_test(test_defined_twice),
        cmocka_unit_test(test_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
