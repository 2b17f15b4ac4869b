/* test_reference.c: image references, parsed and normalized. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct ok_case {
    const char *in, *domain, *path, *tag, *digest, *string;
};

static const struct ok_case oks[] = {
    { "busybox", "docker.io", "library/busybox", "latest", NULL,
      "docker.io/library/busybox:latest" },
    { "library/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
    { "docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
    { "index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
    { "index.docker.io/busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, NULL },
    { "busybox:1.36.1-musl", "docker.io", "library/busybox", "1.36.1-musl", NULL, NULL },
    { "user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest" },
    { "localhost/foo", "localhost", "foo", "latest", NULL, "localhost/foo:latest" },
    { "localhost", "docker.io", "library/localhost", "latest", NULL, NULL },
    { "localhost:5000", "docker.io", "library/localhost", "5000", NULL, NULL },
    { "localhost:5000/a/b:t", "localhost:5000", "a/b", "t", NULL, "localhost:5000/a/b:t" },
    { "127.0.0.1:5000/x@sha256:" D64, "127.0.0.1:5000", "x", NULL, "sha256:" D64,
      "127.0.0.1:5000/x@sha256:" D64 },
    { "[::1]:5000/x", "[::1]:5000", "x", "latest", NULL, "[::1]:5000/x:latest" },
    { "[2001:db8::1]/x/y:v", "[2001:db8::1]", "x/y", "v", NULL, NULL },
    { "quay.io/a/b/c:v1.2-3", "quay.io", "a/b/c", "v1.2-3", NULL, "quay.io/a/b/c:v1.2-3" },
    { "x/y:t@sha256:" D64, "docker.io", "x/y", "t", "sha256:" D64,
      "docker.io/x/y:t@sha256:" D64 },
    { "busybox@sha256:" D64, "docker.io", "library/busybox", NULL, "sha256:" D64,
      "docker.io/library/busybox@sha256:" D64 },
    { "Example.COM/app", "Example.COM", "app", "latest", NULL, NULL },
    { "a.b", "docker.io", "library/a.b", "latest", NULL, NULL },
    { "my-registry.example.com:443/ns/my__img-x.y_z", "my-registry.example.com:443",
      "ns/my__img-x.y_z", "latest", NULL, NULL },
    { "a---b/c", "docker.io", "a---b/c", "latest", NULL, NULL },
    { "foo:_Tag.1-x", "docker.io", "library/foo", "_Tag.1-x", NULL, NULL },
    { "sha256", "docker.io", "library/sha256", "latest", NULL, NULL },
};

static void check_ok(const struct ok_case *c, const char *default_domain)
{
    struct cx_ref r = { 0 };
    cx_error err = { 0 };
    int rc = cx_ref_parse_in(c->in, default_domain, &r, &err);
    if (rc != 0)
        fail_msg("%s: %s", c->in, err.msg);
    assert_string_equal(r.domain, c->domain);
    assert_string_equal(r.path, c->path);
    if (c->tag)
        assert_string_equal(r.tag, c->tag);
    else
        assert_null(r.tag);
    if (c->digest)
        assert_string_equal(r.digest, c->digest);
    else
        assert_null(r.digest);
    char *s = cx_ref_string(&r);
    if (c->string)
        assert_string_equal(s, c->string);
    /* the string reads back the same */
    struct cx_ref r2 = { 0 };
    assert_int_equal(cx_ref_parse(s, &r2, &err), 0);
    assert_string_equal(r2.domain, r.domain);
    assert_string_equal(r2.path, r.path);
    char *name = cx_ref_name(&r);
    char *want = NULL;
    assert_true(asprintf(&want, "%s/%s", c->domain, c->path) > 0);
    assert_string_equal(name, want);
    free(want);
    free(name);
    free(s);
    cx_ref_free(&r2);
    cx_ref_free(&r);
    assert_null(r.domain);
}

static void test_valid(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++)
        check_ok(&oks[i], NULL);
}

struct bad_case {
    const char *in, *msg;
};

static const struct bad_case bads[] = {
    { "", "invalid reference \"\": the reference is empty" },
    { "Busybox", "invalid reference \"Busybox\": repository name must be lowercase" },
    { "docker.io/Library/busybox",
      "invalid reference \"docker.io/Library/busybox\": repository name must be lowercase" },
    { "a:b:c", "invalid reference \"a:b:c\": only one \":tag\" may follow the repository name" },
    { "x@sha256:12", "invalid reference \"x@sha256:12\": digest \"sha256:12\": want 64 "
                     "lowercase hex digits" },
    { "x@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "invalid reference \"x@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852"
      "B855\": digest \"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\": "
      "want 64 lowercase hex digits" },
    { "x@md5:d41d8cd98f00b204e9800998ecf8427e",
      "invalid reference \"x@md5:d41d8cd98f00b204e9800998ecf8427e\": digest "
      "\"md5:d41d8cd98f00b204e9800998ecf8427e\" is not sha256:<hex> or sha512:<hex>" },
    { "a//b", "invalid reference \"a//b\": repository name has an empty path component" },
    { "quay.io//b", "invalid reference \"quay.io//b\": repository name has an empty path "
                    "component" },
    { "a/b/", "invalid reference \"a/b/\": repository name has an empty path component" },
    { "/a", "invalid reference \"/a\": repository name has an empty path component" },
    { "busybox:", "invalid reference \"busybox:\": tag is empty (a tag must match "
                  "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})" },
    { "busybox:.x", "invalid reference \"busybox:.x\": tag \".x\" must match "
                    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}" },
    { "busybox:a+b", "invalid reference \"busybox:a+b\": tag \"a+b\" must match "
                     "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}" },
    { D64, "invalid reference \"" D64 "\": a 64-digit hexadecimal string is an image ID, "
           "not a reference" },
    { "sha256:" D64, "invalid reference \"sha256:" D64 "\": a 64-digit hexadecimal string is "
                     "an image ID, not a reference" },
    { "a..b", "invalid reference \"a..b\": repository name component \"a..b\" must match "
              "[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*" },
    { "a___b", "invalid reference \"a___b\": repository name component \"a___b\" must match "
               "[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*" },
    { "-a", "invalid reference \"-a\": repository name component \"-a\" must match "
            "[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*" },
    { "-x.com/a", "invalid reference \"-x.com/a\": domain \"-x.com\" is not a valid host[:port]" },
    { "quay.io:/a", "invalid reference \"quay.io:/a\": domain \"quay.io:\" is not a valid "
                    "host[:port]" },
    { "quay.io:80a/a", "invalid reference \"quay.io:80a/a\": domain \"quay.io:80a\" is not a "
                       "valid host[:port]" },
    { "[::g]:5000/x", "invalid reference \"[::g]:5000/x\": domain \"[::g]:5000\" is not a valid "
                      "host[:port]" },
    { ":tag", "invalid reference \":tag\": repository name is empty" },
    { "quay.io/", "invalid reference \"quay.io/\": repository name is empty" },
    { "@sha256:" D64, "invalid reference \"@sha256:" D64 "\": repository name is empty" },
    { "bu sybox", "invalid reference: byte 0x20 at offset 2 is not allowed (printable ASCII "
                  "without spaces only)" },
    { "busy\nbox", "invalid reference: byte 0x0a at offset 4 is not allowed (printable ASCII "
                   "without spaces only)" },
};

static void test_invalid(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        struct cx_ref r = { 0 };
        cx_error err = { 0 };
        if (cx_ref_parse(bads[i].in, &r, &err) != -1)
            fail_msg("%s: parsed", bads[i].in);
        assert_string_equal(err.msg, bads[i].msg);
        assert_null(r.domain);
    }
}

static void test_tag_length(void **state)
{
    (void) state;
    char in[200], t[130];
    memset(t, 'a', 128);
    t[128] = '\0';
    snprintf(in, sizeof in, "busybox:%s", t);
    struct cx_ref r;
    cx_error err = { 0 };
    assert_int_equal(cx_ref_parse(in, &r, &err), 0);
    assert_string_equal(r.tag, t);
    cx_ref_free(&r);
    snprintf(in, sizeof in, "busybox:%sa", t);
    assert_int_equal(cx_ref_parse(in, &r, &err), -1);
    assert_non_null(strstr(err.msg, ": tag is longer than 128 characters"));
}

static void test_name_length(void **state)
{
    (void) state;
    /* "localhost/" + 245 = 255: the limit; one more is too long */
    char in[300] = "localhost/";
    memset(in + 10, 'a', 245);
    in[255] = '\0';
    struct cx_ref r;
    cx_error err = { 0 };
    assert_int_equal(cx_ref_parse(in, &r, &err), 0);
    cx_ref_free(&r);
    in[255] = 'a';
    in[256] = '\0';
    assert_int_equal(cx_ref_parse(in, &r, &err), -1);
    assert_non_null(strstr(err.msg, "is longer than 255 characters"));
    assert_non_null(strstr(err.msg, "invalid reference \"localhost/aaa"));
    /* normalization counts: "docker.io/library/" + 238 = 256 */
    char short_name[300];
    memset(short_name, 'b', 238);
    short_name[238] = '\0';
    assert_int_equal(cx_ref_parse(short_name, &r, &err), -1);
    assert_non_null(strstr(err.msg, "repository name \"docker.io/library/bbb"));
    short_name[237] = '\0';
    assert_int_equal(cx_ref_parse(short_name, &r, &err), 0);
    cx_ref_free(&r);
    /* an absurd length is refused before anything else, quoted shortly */
    char *big = malloc(5000);
    memset(big, 'c', 4999);
    big[4999] = '\0';
    assert_int_equal(cx_ref_parse(big, &r, &err), -1);
    assert_non_null(strstr(err.msg, "...\": longer than"));
    assert_true(strlen(err.msg) < 300);
    free(big);
}

static void test_parse_in(void **state)
{
    (void) state;
    static const struct ok_case in_quay[] = {
        { "busybox", "quay.io", "busybox", "latest", NULL, "quay.io/busybox:latest" },
        { "a/b:1", "quay.io", "a/b", "1", NULL, NULL },
        { "docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
        { "registry.fedoraproject.org/fedora", "registry.fedoraproject.org", "fedora", "latest",
          NULL, NULL },
    };
    for (size_t i = 0; i < sizeof in_quay / sizeof in_quay[0]; i++)
        check_ok(&in_quay[i], "quay.io");
    struct cx_ref r;
    cx_error err = { 0 };
    assert_int_equal(cx_ref_parse_in("busybox", "index.docker.io", &r, &err), 0);
    assert_string_equal(r.path, "library/busybox");
    assert_string_equal(r.domain, "docker.io");
    cx_ref_free(&r);
    assert_int_equal(cx_ref_parse_in("busybox", "bad domain", &r, &err), -1);
    assert_string_equal(err.msg, "invalid default registry \"bad domain\": not a host[:port] "
                                 "with a '.' or ':', or localhost");
    assert_int_equal(cx_ref_parse_in("busybox", "io", &r, &err), -1);
}

static void test_qualified(void **state)
{
    (void) state;
    assert_true(cx_ref_is_qualified("quay.io/a"));
    assert_true(cx_ref_is_qualified("localhost/a"));
    assert_true(cx_ref_is_qualified("host:5000/a"));
    assert_true(cx_ref_is_qualified("Host/a"));
    assert_true(cx_ref_is_qualified("[::1]/a"));
    assert_false(cx_ref_is_qualified("busybox"));
    assert_false(cx_ref_is_qualified("quay.io"));
    assert_false(cx_ref_is_qualified("library/busybox"));
    assert_false(cx_ref_is_qualified("localhostx/a"));
    assert_false(cx_ref_is_qualified(NULL));
}

static void test_pieces(void **state)
{
    (void) state;
    assert_true(cx_ref_domain_valid("a.b:1", 5));
    assert_true(cx_ref_domain_valid("[fe80::1]", 9));
    assert_false(cx_ref_domain_valid("a.b:123456", 10));
    assert_false(cx_ref_domain_valid("a_b", 3));
    assert_false(cx_ref_domain_valid("", 0));
    assert_false(cx_ref_domain_valid("a.", 2));
    assert_true(cx_ref_path_valid("a/b.c/d__e", 10));
    assert_false(cx_ref_path_valid("a/", 2));
    assert_false(cx_ref_path_valid("A", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_tag_length),
        cmocka_unit_test(test_name_length),
        cmocka_unit_test(test_parse_in),
        cmocka_unit_test(test_qualified),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
