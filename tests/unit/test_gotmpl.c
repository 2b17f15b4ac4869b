/* test_gotmpl.c: --format templates over JSON, as podman's users write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gotmpl.h"

/* An inspect-like document: keys deliberately out of sorted order. */
static const char *const DOC =
    "{\"Id\":\"abc123\",\"Name\":\"web\","
    "\"State\":{\"Pid\":42,\"Running\":true,\"Status\":\"running\",\"ExitCode\":0,"
    "\"Health\":null},"
    "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\",\"app\":\"x<y>&z\"},"
    "\"Env\":[\"A=1\",\"B=2\"],\"Cmd\":[],\"Tty\":false},"
    "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/src\",\"Destination\":\"/dst\",\"RW\":true}],"
    "\"NetworkSettings\":{\"IPAddress\":\"10.88.0.2\",\"Ports\":{}},"
    "\"Small\":1.5e-7,\"Big\":123456789.0,\"Ratio\":2.5,\"Mil\":1e6,\"Neg\":-0.5,"
    "\"Tiny\":0.0001,\"Tinier\":0.00001,\"Huge\":1e21,\"Wide\":1e20,\"Lakh\":100000.0,"
    "\"Zero\":0.0,\"One\":1.0,"
    "\"Names\":[\"web\",\"alias\"],\"Nested\":[[1,2],{\"k\":null,\"j\":[]}],"
    "\"Empty\":\"\","
    "\"Esc\":\"q\\\"b\\\\s\\n\\r\\t\\u0001\\u001b\\b\\f\\u2028\\u2029<>&\\u00e9\\u007f\","
    "\"Words\":\"hello-world foo_bar o'neil x.y 2nd\"}";

static json_t *doc_load(const char *text)
{
    json_error_t je;
    json_t *d = json_loads(text, JSON_DECODE_ANY, &je);
    if (d == NULL)
        fail_msg("bad test JSON: %s", je.text);
    return d;
}

static void expect_in(const char *doc_text, const char *tmpl, const char *want)
{
    json_t *doc = doc_load(doc_text);
    cx_error err = { 0 };
    char *out = NULL;
    if (cx_gotmpl_render(tmpl, doc, &out, &err) < 0)
        fail_msg("%s: %s", tmpl, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", tmpl, out, want);
    free(out);
    json_decref(doc);
}

static void expect(const char *tmpl, const char *want) { expect_in(DOC, tmpl, want); }

static void expect_error(const char *tmpl, const char *msg)
{
    json_t *doc = doc_load(DOC);
    cx_error err = { 0 };
    char *out = (char *) "untouched";
    if (cx_gotmpl_render(tmpl, doc, &out, &err) == 0)
        fail_msg("%s: rendered \"%s\", want error %s", tmpl, out, msg);
    assert_string_equal(out, "untouched");
    if (strcmp(err.msg, msg) != 0)
        fail_msg("%s: error \"%s\", want \"%s\"", tmpl, err.msg, msg);
    json_decref(doc);
}

static void test_fields(void **state)
{
    (void) state;
    expect("{{.Id}}", "abc123");
    expect("id={{.Id}} name={{.Name}}", "id=abc123 name=web");
    expect("{{.State.Pid}}", "42");
    expect("{{.State.Running}} {{.Config.Tty}}", "true false");
    expect("{{.State.ExitCode}}", "0");
    expect("{{.NetworkSettings.IPAddress}}", "10.88.0.2");
    expect("{{ .Id }}", "abc123");
    expect("plain text only", "plain text only");
    expect("", "");
    /* a missing key and a null print as Go prints them for a map */
    expect("{{.State.Health}}", "<no value>");
    expect("{{.Nope}}", "<no value>");
    expect("{{.Nope.Deeper.Still}}", "<no value>");
    expect("{{.State.Health.Status}}", "<no value>");
    /* field names are case-sensitive */
    expect("{{.id}}", "<no value>");
    expect("{{$.Id}} {{$.State.Pid}}", "abc123 42");
}

static void test_print_values(void **state)
{
    (void) state;
    expect("{{.Config.Labels}}", "map[a:1 app:x<y>&z b:2]");
    expect("{{.Config.Env}}", "[A=1 B=2]");
    expect("{{.Config.Cmd}}", "[]");
    expect("{{.NetworkSettings.Ports}}", "map[]");
    expect("{{.Mounts}}", "[map[Destination:/dst RW:true Source:/src Type:bind]]");
    expect("{{.Nested}}", "[[1 2] map[j:[] k:<nil>]]");
    expect("{{.Empty}}|", "|");
    /* fmt's %v of a float64: %e below 1e-4 and from 1e6 */
    expect("{{.Small}}|{{.Big}}|{{.Ratio}}|{{.Mil}}|{{.Neg}}",
           "1.5e-07|1.23456789e+08|2.5|1e+06|-0.5");
    expect("{{.Tiny}}|{{.Tinier}}|{{.Huge}}|{{.Lakh}}|{{.Zero}}|{{.One}}",
           "0.0001|1e-05|1e+21|100000|0|1");
    expect_in("{\"a\":{\"x\":1}}", "{{.}}", "map[a:map[x:1]]");
    expect_in("[1,\"two\",true,null]", "{{.}}", "[1 two true <nil>]");
    expect_in("\"just a string\"", "{{.}}", "just a string");
}

static void test_json(void **state)
{
    (void) state;
    expect("{{json .Mounts}}",
           "[{\"Type\":\"bind\",\"Source\":\"/src\",\"Destination\":\"/dst\",\"RW\":true}]");
    /* document order, and no HTML escaping (podman turns it off) */
    expect("{{json .Config.Labels}}", "{\"b\":\"2\",\"a\":\"1\",\"app\":\"x<y>&z\"}");
    expect("{{json .Config.Env}} {{json .Config.Cmd}} {{json .NetworkSettings.Ports}}",
           "[\"A=1\",\"B=2\"] [] {}");
    expect("{{json .State.Health}} {{json .Nope}} {{json .State.Pid}} {{json .State.Running}}",
           "null null 42 true");
    expect("{{json .Id}}", "\"abc123\"");
    expect("{{json .Esc}}",
           "\"q\\\"b\\\\s\\n\\r\\t\\u0001\\u001b\\u0008\\u000c\\u2028\\u2029<>&\xc3\xa9\x7f\"");
    /* encoding/json's float64: %e below 1e-6 and from 1e21, "e-7" not "e-07" */
    expect("{{json .Small}} {{json .Big}} {{json .Mil}} {{json .Huge}} {{json .Wide}}",
           "1.5e-7 123456789 1000000 1e+21 100000000000000000000");
    expect("{{json .Tinier}} {{json .Neg}} {{json .Zero}}", "0.00001 -0.5 0");
    expect("{{json .Nested}}", "[[1,2],{\"k\":null,\"j\":[]}]");
    expect_in("{\"a\":0.000001,\"b\":1e-7}", "{{json .a}} {{json .b}}", "0.000001 1e-7");
    /* the shortest digits that read back, then zeros */
    expect_in("{\"a\":123456789012345678901.0,\"b\":-1.5e20,\"c\":0.1,\"d\":1e100}",
              "{{json .a}} {{json .b}} {{json .c}} {{json .d}} {{.a}} {{.c}} {{.d}}",
              "123456789012345680000 -150000000000000000000 0.1 1e+100 "
              "1.2345678901234568e+20 0.1 1e+100");
    expect_in("{\"a\":-0.0,\"b\":1e-100,\"c\":999999.0,\"d\":0.30000000000000004}",
              "{{json .a}} {{json .b}} {{.a}} {{.b}} {{.c}} {{json .c}} {{.d}}",
              "-0 1e-100 -0 1e-100 999999 999999 0.30000000000000004");
    expect("{{.Id | json}}", "\"abc123\"");
}

static void test_index(void **state)
{
    (void) state;
    expect("{{index .Config.Labels \"a\"}}", "1");
    expect("{{index .Config.Labels \"app\"}}", "x<y>&z");
    /* a label that is not there is "", as podman's string maps give */
    expect("[{{index .Config.Labels \"missing\"}}]", "[]");
    expect("{{index .Names 0}},{{index .Names 1}}", "web,alias");
    expect("{{index .Nested 0 1}}", "2");
    expect("{{index .Mounts 0 \"Source\"}}", "/src");
    expect("{{index .Id 0}}", "97");
    expect("{{(index .Mounts 0).Destination}}", "/dst");
    expect("{{json (index .Config.Labels \"b\")}}", "\"2\"");
    expect_error("{{index .Names 5}}",
                 "template: 1:3: executing <index .Names 5>: error calling index: "
                 "index out of range: 5");
    expect_error("{{index .Names -1}}",
                 "template: 1:3: executing <index .Names -1>: error calling index: "
                 "index out of range: -1");
    expect_error("{{index .Nope 1}}",
                 "template: 1:3: executing <index .Nope 1>: error calling index: "
                 "index of untyped nil");
    expect_error("{{index .State.Pid 1}}",
                 "template: 1:3: executing <index .State.Pid 1>: error calling index: "
                 "can't index an integer");
    expect_error("{{index .Names \"a\"}}",
                 "template: 1:3: executing <index .Names \"a\">: error calling index: "
                 "cannot index a list with a string");
    expect_error("{{index .Config.Labels 1}}",
                 "template: 1:3: executing <index .Config.Labels 1>: error calling index: "
                 "map key is an integer, not a string");
}

static void test_range(void **state)
{
    (void) state;
    expect("{{range .Names}}<{{.}}>{{end}}", "<web><alias>");
    expect("{{range $i, $n := .Names}}{{$i}}={{$n}},{{end}}", "0=web,1=alias,");
    expect("{{range $n := .Names}}{{$n}};{{end}}", "web;alias;");
    /* maps range in sorted key order */
    expect("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", "a:1 app:x<y>&z b:2 ");
    expect("{{range .Config.Labels}}{{.}},{{end}}", "1,x<y>&z,2,");
    expect("{{range .Config.Cmd}}x{{else}}empty{{end}}", "empty");
    expect("{{range .Nope}}x{{else}}none{{end}}", "none");
    expect("{{range .Names}}{{.}}{{else}}empty{{end}}", "webalias");
    expect("{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}", "/src:/dst");
    expect("{{range .Names}}{{$.Id}}/{{.}} {{end}}", "abc123/web abc123/alias ");
    expect("{{range $i, $e := .Nested}}{{range $e}}[{{.}}]{{end}}{{end}}",
           "[1][2][[]][<no value>]");
    expect("{{range .Config.Cmd}}{{else if .Id}}id{{end}}", "id");
    expect_error("{{range .Id}}{{end}}", "template: 1:1: range can't iterate over a string");
    /* a variable is gone after its range */
    expect_error("{{range $x := .Names}}{{end}}{{$x}}",
                 "template: 1:32: undefined variable \"$x\"");
    /* a body that runs zero times is still checked */
    expect_error("{{range .Config.Cmd}}{{$y}}{{end}}", "template: 1:24: undefined variable \"$y\"");
}

static void test_if_with(void **state)
{
    (void) state;
    expect("{{if .State.Running}}up{{else}}down{{end}}", "up");
    expect("{{if .Config.Tty}}tty{{else}}no tty{{end}}", "no tty");
    /* Go's truth: false, 0, "", null, missing, empty list or map are false */
    expect("{{if .State.ExitCode}}a{{end}}{{if .Empty}}b{{end}}{{if .State.Health}}c{{end}}"
           "{{if .Nope}}d{{end}}{{if .Config.Cmd}}e{{end}}{{if .NetworkSettings.Ports}}f{{end}}"
           "{{if .Zero}}g{{end}}|", "|");
    expect("{{if .State.Pid}}a{{end}}{{if .Name}}b{{end}}{{if .Names}}c{{end}}"
           "{{if .Config}}d{{end}}{{if .Neg}}e{{end}}", "abcde");
    expect("{{if .Nope}}a{{else if .Empty}}b{{else if .Name}}c{{else}}d{{end}}", "c");
    expect("{{if .Nope}}a{{else if .Empty}}b{{else}}d{{end}}", "d");
    expect("{{if .Names}}{{if .Config.Cmd}}x{{else}}y{{end}}{{end}}", "y");
    expect("{{with .State}}{{.Pid}}/{{.Status}}{{end}}", "42/running");
    expect("{{with .Nope}}x{{else}}nothing{{end}}", "nothing");
}

static void test_functions(void **state)
{
    (void) state;
    expect("{{upper .Name}} {{lower \"ABC def\"}}", "WEB abc def");
    expect("{{title .Words}}", "Hello-World Foo_bar O'Neil X.Y 2nd");
    expect("{{join .Names \", \"}}", "web, alias");
    expect("{{join .Config.Cmd \",\"}}|", "|");
    /* a piped value is the last argument: join's list comes first */
    expect_error("{{.Names | join \"+\"}}",
                 "template: 1:12: executing <join \"+\">: error calling join: "
                 "argument 1 is a string, not a list");
    expect("{{.Name | upper | json}}", "\"WEB\"");
    expect("{{\"a\\tb\\\"c\\\\\"}}|{{`raw\\t`}}", "a\tb\"c\\|raw\\t");
    expect("{{3}} {{-3}} {{1.5}} {{true}} {{nil}}", "3 -3 1.5 true <no value>");
    expect_error("{{upper .State.Pid}}",
                 "template: 1:3: executing <upper .State.Pid>: error calling upper: "
                 "argument 1 is an integer, not a string");
    expect_error("{{join .Name \",\"}}",
                 "template: 1:3: executing <join .Name \",\">: error calling join: "
                 "argument 1 is a string, not a list");
    expect_error("{{json}}", "template: 1:3: executing <json>: error calling json: "
                             "wrong number of args for json: want 1 got 0");
    expect_error("{{json .Id .Name}}", "template: 1:3: executing <json .Id .Name>: error calling "
                                       "json: wrong number of args for json: want 1 got 2");
    expect_error("{{index}}", "template: 1:3: executing <index>: error calling index: "
                              "wrong number of args for index: want at least 1 got 0");
    expect_error("{{foo .Id}}", "template: 1:3: function \"foo\" not defined");
    expect_error("{{printf \"%d\" 1}}", "template: 1:3: function \"printf\" not defined");
    expect_error("{{json upper}}", "template: 1:8: upper needs arguments: call it first in a "
                                   "command or in parentheses");
    expect("{{json (upper .Name)}} {{index .Config.Labels | json}}",
           "\"WEB\" {\"b\":\"2\",\"a\":\"1\",\"app\":\"x<y>&z\"}");
    expect_error("{{index .Names 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0}}",
                 "template: 1:44: more than 15 arguments");
}

static void test_text_and_trim(void **state)
{
    (void) state;
    /* podman's table formats: "\t" and "\n" typed as two characters */
    expect("{{.Id}}\\t{{.Name}}\\n", "abc123\tweb\n");
    expect("x\\\\ty\\q", "x\\\ty\\q");
    expect("a  {{- .Id -}}  b", "aabc123b");
    expect("{{.Id}} \n\t {{- .Name}}", "abc123web");
    expect("{{.Id -}} \n x", "abc123x");
    expect("{{.Id}}\\t {{- .Name}}", "abc123web");
    expect("{{.Id -}} \\n\\t x", "abc123x");
    expect("a {{-3}}", "a -3");
    expect("{{range .Names -}}\n  {{.}}\n{{- end}}", "webalias");
    expect("line1\nline2 {{.Name}}", "line1\nline2 web");
    expect("}} and { alone", "}} and { alone");
}

static void test_syntax_errors(void **state)
{
    (void) state;
    expect_error("{{.Id", "template: 1:1: unclosed action");
    expect_error("x\ny {{.Id}", "template: 2:8: unexpected \"}\" in action");
    expect_error("{{end}}", "template: 1:1: unexpected {{end}}");
    expect_error("a{{else}}", "template: 1:2: unexpected {{else}}");
    expect_error("{{if .Id}}x", "template: 1:1: {{if}} has no matching {{end}}");
    expect_error("{{range .Names}}x{{else}}y", "template: 1:1: {{range}} has no matching {{end}}");
    expect_error("{{with .Id}}x{{else}}y{{else}}z{{end}}",
                 "template: 1:1: {{with}} has no matching {{end}}");
    expect_error("{{ }}", "template: 1:4: missing value for command");
    expect_error("{{if}}{{end}}", "template: 1:5: missing value for command");
    expect_error("{{\"abc}}", "template: 1:3: unterminated quoted string");
    expect_error("{{\"a\\qb\"}}", "template: 1:5: unknown escape sequence in string");
    expect_error("{{1x}}", "template: 1:3: bad number syntax: 1x");
    expect_error("{{$x}}", "template: 1:3: undefined variable \"$x\"");
    expect_error("{{/* comment */}}", "template: 1:3: unexpected \"/\" in action");
    expect_error("{{(.Id}}", "template: 1:7: unexpected \"}}\" in parenthesized pipeline");
    expect_error("{{.Id)}}", "template: 1:6: unexpected \")\" in command");
    expect_error("{{end .Id}}", "template: 1:7: unexpected \".Id\" in {{end}}");
    expect_error("{{.Id\n", "template: 1:1: unclosed action");
    expect_error("{{.Id -}", "template: 1:7: unexpected \"-\" in action");
    /* a branch not taken is parsed all the same */
    expect_error("{{if false}}{{foo}}{{end}}", "template: 1:15: function \"foo\" not defined");
}

static void test_exec_errors(void **state)
{
    (void) state;
    expect_error("a\n  {{.Id.Foo}}", "template: 2:8: executing <.Id.Foo>: "
                                      "can't evaluate field Foo in a string");
    expect_error("{{.Names.First}}", "template: 1:9: executing <.Names.First>: "
                                     "can't evaluate field First in a list");
    expect_error("{{.Id 1}}", "template: 1:3: executing <.Id 1>: .Id is not a function");
    expect_error("{{.Id | .Name}}", "template: 1:9: executing <.Name>: .Name is not a function");
    /* no output on failure, even after text was rendered */
    expect_error("ok {{.Id.X}}", "template: 1:9: executing <.Id.X>: "
                                 "can't evaluate field X in a string");
}

static void test_limits(void **state)
{
    (void) state;
    /* blocks nested beyond the bound */
    char tmpl[2048] = "";
    for (int i = 0; i < 70; i++)
        strcat(tmpl, "{{if 1}}");
    expect_error(tmpl, "template: 1:513: nested too deeply");
    /* a document nested too deeply to print */
    char deep[1024] = "";
    for (int i = 0; i < 300; i++)
        strcat(deep, "[");
    for (int i = 0; i < 300; i++)
        strcat(deep, "]");
    json_t *doc = doc_load(deep);
    cx_error err = { 0 };
    char *out = NULL;
    assert_int_equal(cx_gotmpl_render("{{.}}", doc, &out, &err), -1);
    assert_string_equal(err.msg, "template: 1:1: value nested more than 256 deep");
    assert_int_equal(cx_gotmpl_render("{{json .}}", doc, &out, &err), -1);
    assert_string_equal(err.msg, "template: 1:3: executing <json .>: error calling json: "
                                 "value too big or nested too deeply");
    json_decref(doc);
    /* output bounded: 200^3 iterations of 100 bytes is over 64 MiB */
    doc = json_pack("{s:o, s:s}", "L", json_array(), "S",
                    "0123456789012345678901234567890123456789012345678901234567890123456789"
                    "012345678901234567890123456789");
    for (int i = 0; i < 200; i++)
        json_array_append_new(json_object_get(doc, "L"), json_integer(i));
    assert_int_equal(cx_gotmpl_render("{{range .L}}{{range $.L}}{{range $.L}}{{$.S}}{{end}}"
                                      "{{end}}{{end}}", doc, &out, &err), -1);
    assert_string_equal(err.msg, "template: 1:39: output longer than 67108864 bytes");
    /* NULL as the document is "no value" */
    assert_int_equal(cx_gotmpl_render("{{.}}", NULL, &out, &err), 0);
    assert_string_equal(out, "<no value>");
    free(out);
    json_decref(doc);
    /* too long a template */
    char *big = malloc((1 << 20) + 2);
    memset(big, 'x', (1 << 20) + 1);
    big[(1 << 20) + 1] = '\0';
    assert_int_equal(cx_gotmpl_render(big, NULL, &out, &err), -1);
    assert_string_equal(err.msg, "template: longer than 1048576 bytes");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),         cmocka_unit_test(test_print_values),
        cmocka_unit_test(test_json),           cmocka_unit_test(test_index),
        cmocka_unit_test(test_range),          cmocka_unit_test(test_if_with),
        cmocka_unit_test(test_functions),      cmocka_unit_test(test_text_and_trim),
        cmocka_unit_test(test_syntax_errors),  cmocka_unit_test(test_exec_errors),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
