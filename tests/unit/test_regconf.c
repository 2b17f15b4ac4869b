/* test_regconf.c: registries.conf v2: the TOML subset, [[registry]]
 * matching and the endpoints a pull tries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/regconf.h"

static void parse_ok(const char *text, struct cx_regconf *c)
{
    cx_error err = { 0 };
    if (cx_regconf_parse(text, strlen(text), "registries.conf", c, &err) != 0)
        fail_msg("%s", err.msg);
}

static void parse_bad(const char *text, const char *msg)
{
    struct cx_regconf c = { 0 };
    cx_error err = { 0 };
    if (cx_regconf_parse(text, strlen(text), "registries.conf", &c, &err) != -1)
        fail_msg("parsed: %s", text);
    assert_string_equal(err.msg, msg);
    assert_null(c.regs);
}

static const char full[] =
    "# a comment\n"
    "unqualified-search-registries = [\"registry.fedoraproject.org\", 'quay.io',\n"
    "  \"docker.io\", # hub last\n"
    "]\n"
    "short-name-mode = \"enforcing\"\n"
    "credential-helpers = [ \"containers-auth.json\" ]\n"
    "some-future-number = 42\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"docker.io\"\n"
    "location = \"mirror.local:5000/dockerhub/\"\n"
    "mirror-by-digest-only = false\n"
    "[[registry.mirror]]\n"
    "location = \"m1.example.com\"\n"
    "insecure = true\n"
    "[[registry.mirror]]\n"
    "location = 'm2.example.com/hub'\n"
    "pull-from-mirror = \"digest-only\"\n"
    "\n"
    "[[registry]]\n"
    "location = \"internal.example.com:5000\"\n"
    "insecure = true\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"*.example.org\"\n"
    "blocked = true\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"example.com/foo\"\n"
    "location = \"internal-registry-for-example.net/bar\"\n"
    "\n"
    "[some.future.table]\n"
    "x = [1, 2, true, 'a']\n"
    "\n"
    "[aliases]\n"
    "  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
    "  alpine = \"docker.io/library/alpine\"\n"
    "  'my/app' = \"quay.io/me/app:v1\"\n";

static void test_full(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    parse_ok(full, &c);
    assert_int_equal(c.nsearch, 3);
    assert_string_equal(c.search[0], "registry.fedoraproject.org");
    assert_string_equal(c.search[1], "quay.io");
    assert_string_equal(c.search[2], "docker.io");
    assert_string_equal(c.short_name_mode, "enforcing");
    assert_int_equal(c.nregs, 4);
    assert_string_equal(c.regs[0].prefix, "docker.io");
    assert_string_equal(c.regs[0].location, "mirror.local:5000/dockerhub");
    assert_int_equal(c.regs[0].nmirrors, 2);
    assert_string_equal(c.regs[0].mirrors[0].location, "m1.example.com");
    assert_true(c.regs[0].mirrors[0].insecure);
    assert_null(c.regs[0].mirrors[0].pull_from_mirror);
    assert_string_equal(c.regs[0].mirrors[1].location, "m2.example.com/hub");
    assert_false(c.regs[0].mirrors[1].insecure);
    assert_string_equal(c.regs[0].mirrors[1].pull_from_mirror, "digest-only");
    assert_string_equal(c.regs[1].prefix, "internal.example.com:5000");
    assert_string_equal(c.regs[1].location, "internal.example.com:5000");
    assert_true(c.regs[1].insecure);
    assert_false(c.regs[1].blocked);
    assert_string_equal(c.regs[2].prefix, "*.example.org");
    assert_null(c.regs[2].location);
    assert_true(c.regs[2].blocked);
    assert_int_equal(c.naliases, 3);
    assert_string_equal(c.alias_names[0], "fedora");
    assert_string_equal(c.alias_values[0], "registry.fedoraproject.org/fedora");
    assert_string_equal(c.alias_names[2], "my/app");
    assert_string_equal(cx_regconf_alias(&c, "alpine"), "docker.io/library/alpine");
    assert_null(cx_regconf_alias(&c, "nope"));
    cx_regconf_free(&c);
    assert_null(c.regs);
}

static void test_empty_and_comments(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    parse_ok("", &c);
    assert_int_equal(c.nregs, 0);
    parse_ok("# only\r\n\r\n   # comments\n\t\n", &c);
    assert_int_equal(c.nsearch, 0);
    assert_null(c.short_name_mode);
    /* no newline at the end, BOM, CRLF */
    parse_ok("\xef\xbb\xbf[[registry]]\r\nlocation = \"a.io\"", &c);
    assert_int_equal(c.nregs, 1);
    assert_string_equal(c.regs[0].prefix, "a.io");
    cx_regconf_free(&c);
}

static void test_escapes(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    /* 'lit\' is a literal key with a backslash: not a short name */
    parse_bad("[aliases]\n'lit\\' = 'quay.io/z'\n",
              "registries.conf:2: alias \"lit\\\" is not a short name (a repository path "
              "without a registry, tag or digest)");
    parse_ok("[aliases]\n\"a\\u0062c\" = \"quay.io/x\\u002fy\"\n", &c);
    assert_string_equal(c.alias_names[0], "abc");
    assert_string_equal(c.alias_values[0], "quay.io/x/y");
    cx_regconf_free(&c);
    parse_ok("x = \"\\\"\\\\\\n\\t\\u00e9\\U0001F600\"\n", &c);
    cx_regconf_free(&c);
    /* UTF-8 of U+00E9 (2 bytes) and U+1F600 (4 bytes): shown as one '?' a byte */
    parse_bad("[aliases]\n\"\\u00e9\\U0001F600\" = \"a.io/x\"\n",
              "registries.conf:2: alias \"??????\" is not a short name (a repository path "
              "without a registry, tag or digest)");
    parse_bad("x = \"\\q\"\n", "registries.conf:1: unknown escape \\q in a string");
    parse_bad("x = \"\\u12\"\n", "registries.conf:1: \\u escape needs 4 hex digits");
    parse_bad("x = \"\\u0000\"\n", "registries.conf:1: invalid \\u escape U+0000");
    parse_bad("x = \"\\ud800\"\n", "registries.conf:1: invalid \\u escape U+D800");
}

static void test_syntax_errors(void **state)
{
    (void) state;
    parse_bad("\n\n[[registry]]\nlocation \"x.io\"\n",
              "registries.conf:4: expected '=' after key \"location\"");
    parse_bad("a = \"x\n", "registries.conf:1: unterminated string");
    parse_bad("a = \"\"\"x\"\"\"\n", "registries.conf:1: multi-line strings are not supported");
    parse_bad("a = {x = 1}\n", "registries.conf:1: inline tables are not supported");
    parse_bad("a = 1.5\n", "registries.conf:1: unsupported value \"1.5\" (strings, true, false, "
                           "integers and arrays only)");
    parse_bad("a = \n", "registries.conf:1: expected a value");
    parse_bad("a = \"x\" \"y\"\n", "registries.conf:1: unexpected '\"' after a value");
    parse_bad("[table\n", "registries.conf:1: expected ']' to close the table header");
    parse_bad("[[registry]\n", "registries.conf:1: expected ']]' to close the table header");
    parse_bad("= 1\n", "registries.conf:1: expected a key");
    parse_bad("a = [\"x\",\n\n \"y\" \"z\"]\n", "registries.conf:3: expected ',' or ']' in an array");
    parse_bad("a = [[\"x\"]]\n", "registries.conf:1: nested arrays are not supported");
    parse_bad("a = [\"x\"\n", "registries.conf:2: expected ',' or ']' in an array");
    parse_bad("a = \"x\x01\"\n", "registries.conf:1: control character 0x01 in a string");
    parse_bad("a = truex\n", "registries.conf:1: unsupported value \"truex\" (strings, true, "
                             "false, integers and arrays only)");
    struct cx_regconf c;
    cx_error err = { 0 };
    assert_int_equal(cx_regconf_parse("a = 1\n\0", 7, "r.conf", &c, &err), -1);
    assert_string_equal(err.msg, "r.conf:2: NUL byte in the file");
}

static void test_semantic_errors(void **state)
{
    (void) state;
    parse_bad("[[registry]]\ninsecure = true\n",
              "registries.conf:1: [[registry]] has neither prefix nor location");
    parse_bad("[[registry]]\nlocation = \"a.io\"\n\n[[registry]]\nblocked = true\n[x]\n",
              "registries.conf:4: [[registry]] has neither prefix nor location");
    parse_bad("[[registry.mirror]]\nlocation = \"a.io\"\n",
              "registries.conf:1: [[registry.mirror]] before any [[registry]]");
    parse_bad("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
              "registries.conf:3: [[registry.mirror]] has no location");
    parse_bad("[registry]\nlocation = \"a.io\"\n",
              "registries.conf:1: [registry] must be an array of tables: use [[registry]]");
    parse_bad("[[aliases]]\n", "registries.conf:1: [[aliases]] must be a table: use [aliases]");
    parse_bad("[aliases]\n[aliases]\n", "registries.conf:2: table [aliases] defined twice");
    parse_bad("[registries.search]\nregistries = ['docker.io']\n",
              "registries.conf:1: [registries.*] is the version 1 format, which is not "
              "supported: use [[registry]] tables (version 2)");
    parse_bad("[[registry]]\nlocation = \"a.io\"\nlocation = \"b.io\"\n",
              "registries.conf:3: duplicate key \"location\"");
    parse_bad("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
              "registries.conf:3: \"insecure\" must be true or false");
    parse_bad("unqualified-search-registries = \"docker.io\"\n",
              "registries.conf:1: \"unqualified-search-registries\" must be an array of strings");
    parse_bad("unqualified-search-registries = [\"docker.io\", 1]\n",
              "registries.conf:1: \"unqualified-search-registries\" must be an array of strings");
    parse_bad("unqualified-search-registries = [\"docker.io/library\"]\n",
              "registries.conf:1: unqualified-search-registries[0]: \"docker.io/library\" is "
              "not host[:port] with a '.' or ':', or localhost");
    parse_bad("unqualified-search-registries = [\"myregistry\"]\n",
              "registries.conf:1: unqualified-search-registries[0]: \"myregistry\" is "
              "not host[:port] with a '.' or ':', or localhost");
    parse_bad("short-name-mode = \"strict\"\n",
              "registries.conf:1: short-name-mode \"strict\": want \"enforcing\", \"permissive\" "
              "or \"disabled\"");
    parse_bad("[[registry]]\nlocation = \"https://a.io\"\n",
              "registries.conf:2: location \"https://a.io\": URI schemes are not supported");
    parse_bad("[[registry]]\nprefix = \"*.a.io/x\"\n",
              "registries.conf:2: prefix \"*.a.io/x\": a wildcard prefix must be \"*.\" followed "
              "by a host name alone");
    parse_bad("[[registry]]\nprefix = \"a.io/Foo\"\n",
              "registries.conf:2: prefix \"a.io/Foo\": not host[:port][/repository path]");
    parse_bad("[aliases]\n\"quay.io/x\" = \"quay.io/x\"\n",
              "registries.conf:2: alias \"quay.io/x\" is not a short name (a repository path "
              "without a registry, tag or digest)");
    parse_bad("[aliases]\nx = \"x\"\n",
              "registries.conf:2: alias \"x\": \"x\" is not a fully qualified reference");
    parse_bad("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"b.io\"\n"
              "pull-from-mirror = \"some\"\n",
              "registries.conf:5: pull-from-mirror \"some\": want \"all\", \"digest-only\" or "
              "\"tag-only\"");
    /* the TOML reader refuses any key set twice, an alias too */
    parse_bad("[aliases]\nx = \"a.io/x\"\n\"x\" = \"a.io/y\"\n",
              "registries.conf:3: duplicate key \"x\"");
    parse_bad("[[registry]]\nlocation = \"a.io\"\nfuture = 1\nfuture = 2\n",
              "registries.conf:4: duplicate key \"future\"");
}

static void test_bounds(void **state)
{
    (void) state;
    /* 65 search registries */
    char *big = malloc(65 * 8 + 64);
    size_t o = (size_t) sprintf(big, "unqualified-search-registries = [");
    for (int i = 0; i < 65; i++)
        o += (size_t) sprintf(big + o, "\"r%d\",", i);
    strcpy(big + o, "]\n");
    parse_bad(big, "registries.conf:1: \"unqualified-search-registries\" has more than 64 "
                   "entries");
    free(big);
    /* more than 1 MiB */
    size_t n = CX_REGCONF_MAX_SIZE + 1;
    char *huge = malloc(n);
    memset(huge, '\n', n);
    struct cx_regconf c;
    cx_error err = { 0 };
    assert_int_equal(cx_regconf_parse(huge, n, "r.conf", &c, &err), -1);
    assert_string_equal(err.msg, "r.conf: larger than 1048576 bytes");
    free(huge);
    /* 65 mirrors */
    big = malloc(65 * 48 + 64);
    o = (size_t) sprintf(big, "[[registry]]\nlocation = \"a.io\"\n");
    for (int i = 0; i < 65; i++)
        o += (size_t) sprintf(big + o, "[[registry.mirror]]\nlocation = \"m.io\"\n");
    parse_bad(big, "registries.conf:131: more than 64 mirrors in one [[registry]]");
    free(big);
}

static const char conf[] =
    "[[registry]]\n"
    "prefix = \"docker.io\"\n"
    "location = \"mirror.local:5000/dockerhub\"\n"
    "[[registry.mirror]]\n"
    "location = \"m1.example.com\"\n"
    "insecure = true\n"
    "[[registry.mirror]]\n"
    "location = \"m2.example.com/hub\"\n"
    "pull-from-mirror = \"digest-only\"\n"
    "[[registry]]\n"
    "prefix = \"docker.io/library\"\n"
    "location = \"lib.local/l\"\n"
    "[[registry]]\n"
    "prefix = \"*.example.org\"\n"
    "insecure = true\n"
    "[[registry.mirror]]\n"
    "location = \"cache.local\"\n"
    "[[registry]]\n"
    "prefix = \"a.example.org\"\n"
    "location = \"exact.local\"\n"
    "[[registry]]\n"
    "prefix = \"blocked.io\"\n"
    "blocked = true\n"
    "[[registry]]\n"
    "location = \"plain.local:5000\"\n"
    "insecure = true\n"
    "[[registry]]\n"
    "prefix = \"hub.local\"\n"
    "location = \"docker.io\"\n";

static void test_ignored(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    /* dotted keys, unknown keys and tables are read and dropped, even with
     * names this file uses elsewhere */
    parse_ok("a.b = 'x'\nmirror.location = \"z\"\n[[registry]]\nlocation = \"a.io\"\n"
             "blocked = false\nfuture = [\"x\", 1,]\nx.insecure = true\n"
             "[registry.other]\ninsecure = 1\n[[registry.mirror.deep]]\nlocation = 5\n"
             "[\"quoted table\" . sub]\nlocation = \"not checked\"\n", &c);
    assert_int_equal(c.nregs, 1);
    assert_false(c.regs[0].insecure);
    assert_int_equal(c.regs[0].nmirrors, 0);
    cx_regconf_free(&c);
    /* ... but a dotted key defines its tables as TOML says: registry is a
     * table then, and [[registry]] cannot make it an array */
    parse_bad("registry.location = \"z\"\n[[registry]]\nlocation = \"a.io\"\n",
              "registries.conf:2: [[registry]]: \"registry\" (line 1) is a table, not an "
              "array of tables");
    /* [aliases] given by dotted keys is [aliases] */
    parse_ok("aliases.alpine = \"docker.io/library/alpine\"\n", &c);
    assert_string_equal(cx_regconf_alias(&c, "alpine"), "docker.io/library/alpine");
    cx_regconf_free(&c);
}

static void test_find(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    parse_ok(conf, &c);
    assert_ptr_equal(cx_regconf_find(&c, "docker.io/library/busybox"), &c.regs[1]);
    assert_ptr_equal(cx_regconf_find(&c, "docker.io/libraryx/busybox"), &c.regs[0]);
    assert_ptr_equal(cx_regconf_find(&c, "docker.io/user/app"), &c.regs[0]);
    assert_null(cx_regconf_find(&c, "docker.iox/user/app"));
    assert_null(cx_regconf_find(&c, "quay.io/a"));
    assert_ptr_equal(cx_regconf_find(&c, "b.example.org/x"), &c.regs[2]);
    assert_ptr_equal(cx_regconf_find(&c, "c.b.example.org/x"), &c.regs[2]);
    assert_ptr_equal(cx_regconf_find(&c, "b.example.org:5000/x"), &c.regs[2]);
    /* an exact prefix of the same length beats the wildcard */
    assert_ptr_equal(cx_regconf_find(&c, "a.example.org/x"), &c.regs[3]);
    assert_null(cx_regconf_find(&c, "example.org/x"));
    assert_null(cx_regconf_find(&c, "badexample.org/x"));
    assert_null(cx_regconf_find(NULL, "quay.io/a"));
    cx_regconf_free(&c);
}

static void expect_ep(const struct cx_endpoint *e, const char *host, const char *repo,
                      bool insecure, bool mirror)
{
    assert_string_equal(e->host, host);
    assert_string_equal(e->repository, repo);
    assert_int_equal(e->insecure, insecure);
    assert_int_equal(e->mirror, mirror);
}

static void test_endpoints(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    parse_ok(conf, &c);
    struct cx_endpoint *e;
    size_t n;
    cx_error err = { 0 };
    /* by tag: the digest-only mirror is left out */
    assert_int_equal(cx_regconf_endpoints(&c, "docker.io/user/app", &e, &n, &err), 0);
    assert_int_equal(n, 2);
    expect_ep(&e[0], "m1.example.com", "user/app", true, true);
    expect_ep(&e[1], "mirror.local:5000", "dockerhub/user/app", false, false);
    cx_endpoints_free(e, n);
    assert_int_equal(cx_regconf_endpoints_for(&c, "docker.io/user/app", true, &e, &n, &err), 0);
    assert_int_equal(n, 3);
    expect_ep(&e[1], "m2.example.com", "hub/user/app", false, true);
    cx_endpoints_free(e, n);
    /* the longer prefix, no mirrors */
    assert_int_equal(cx_regconf_endpoints(&c, "docker.io/library/busybox", &e, &n, &err), 0);
    assert_int_equal(n, 1);
    expect_ep(&e[0], "lib.local", "l/busybox", false, false);
    cx_endpoints_free(e, n);
    /* no table: the name's own host; docker.io is registry-1.docker.io */
    assert_int_equal(cx_regconf_endpoints(&c, "quay.io/a/b", &e, &n, &err), 0);
    assert_int_equal(n, 1);
    expect_ep(&e[0], "quay.io", "a/b", false, false);
    cx_endpoints_free(e, n);
    assert_int_equal(cx_regconf_endpoints(NULL, "docker.io/library/busybox", &e, &n, &err), 0);
    expect_ep(&e[0], "registry-1.docker.io", "library/busybox", false, false);
    cx_endpoints_free(e, n);
    assert_int_equal(cx_regconf_endpoints(&c, "hub.local/x/y", &e, &n, &err), 0);
    expect_ep(&e[0], "registry-1.docker.io", "x/y", false, false);
    cx_endpoints_free(e, n);
    /* wildcard without location: the name itself, its mirror replaces the host */
    assert_int_equal(cx_regconf_endpoints(&c, "b.example.org:5000/x/y", &e, &n, &err), 0);
    assert_int_equal(n, 2);
    expect_ep(&e[0], "cache.local", "x/y", false, true);
    expect_ep(&e[1], "b.example.org:5000", "x/y", true, false);
    cx_endpoints_free(e, n);
    /* location alone: prefix = location, insecure */
    assert_int_equal(cx_regconf_endpoints(&c, "plain.local:5000/p", &e, &n, &err), 0);
    expect_ep(&e[0], "plain.local:5000", "p", true, false);
    cx_endpoints_free(e, n);
    /* blocked */
    assert_int_equal(cx_regconf_endpoints(&c, "blocked.io/x", &e, &n, &err), -1);
    assert_string_equal(err.msg, "registry blocked.io is blocked in registries.conf");
    assert_int_equal(cx_regconf_endpoints(&c, "nohost", &e, &n, &err), -1);
    assert_string_equal(err.msg, "image name \"nohost\" is not domain/repository");
    cx_regconf_free(&c);
}

static void test_blocked_hub(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    parse_ok("[[registry]]\nlocation = \"docker.io\"\nblocked = true\n", &c);
    struct cx_endpoint *e;
    size_t n;
    cx_error err = { 0 };
    assert_int_equal(cx_regconf_endpoints(&c, "docker.io/library/busybox", &e, &n, &err), -1);
    assert_string_equal(err.msg, "registry docker.io is blocked in registries.conf");
    cx_regconf_free(&c);
    /* a prefix that maps a whole repository to a host without a path */
    parse_ok("[[registry]]\nprefix = \"a.io/x\"\nlocation = \"b.io\"\n", &c);
    assert_int_equal(cx_regconf_endpoints(&c, "a.io/x", &e, &n, &err), -1);
    assert_string_equal(err.msg, "registries.conf maps a.io/x to b.io, which has no "
                                 "repository path");
    cx_regconf_free(&c);
}

static void test_load(void **state)
{
    (void) state;
    struct cx_regconf c = { 0 };
    cx_error err = { 0 };
    assert_int_equal(cx_regconf_load("/nonexistent/registries.conf", true, &c, &err), 0);
    assert_int_equal(c.nregs, 0);
    assert_int_equal(cx_regconf_load("/nonexistent/registries.conf", false, &c, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/registries.conf"));
    char path[] = "/tmp/test_regconf.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[[registry]]\nlocation = \"a.io\"\n[x\n";
    assert_int_equal(write(fd, text, strlen(text)), (int) strlen(text));
    close(fd);
    assert_int_equal(cx_regconf_load(path, false, &c, &err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:3: expected ']' to close the table header", path);
    assert_string_equal(err.msg, want);
    unlink(path);
    /* the host's own file (Debian ships shortnames.conf as a drop-in) reads */
    if (access("/etc/containers/registries.conf.d/shortnames.conf", R_OK) == 0) {
        assert_int_equal(cx_regconf_load("/etc/containers/registries.conf.d/shortnames.conf",
                                         false, &c, &err), 0);
        assert_true(c.naliases > 10);
        cx_regconf_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_empty_and_comments),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_semantic_errors),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_blocked_hub),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
