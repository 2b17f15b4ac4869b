/* test_digest.c: strict digest strings and streaming hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "image/digest.h"

static void test_parse_ok(void **state)
{
    (void)state;
    struct cx_digest d;
    cx_error err = { 0 };
    const char *s = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_int_equal(cx_digest_parse(s, &d, "x", &err), 0);
    assert_int_equal(d.alg, CX_SHA256);
    char buf[CX_DIGEST_MAX];
    cx_digest_format(&d, buf);
    assert_string_equal(buf, s);
}

static void test_parse_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
        "sha256:../../../../etc/passwd0000000000000000000000000000000000000000000",
        "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256", "", "sha256:",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cx_digest d;
        cx_error err = { 0 };
        assert_int_equal(cx_digest_parse(bad[i], &d, "layer", &err), -1);
        assert_non_null(strstr(err.msg, "layer: "));
    }
}

static void test_stream(void **state)
{
    (void)state;
    struct cx_hasher h = { 0 };
    cx_error err = { 0 };
    struct cx_digest want, got;
    assert_int_equal(cx_hasher_init(&h, CX_SHA256, &err), 0);
    cx_hasher_update(&h, "ab", 2);
    cx_hasher_update(&h, "c", 1);
    cx_hasher_final(&h, &got);
    assert_int_equal(cx_digest_parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                     &want, "abc", &err), 0);
    assert_true(cx_digest_equal(&got, &want));
    /* verify reports both digests */
    assert_int_equal(cx_hasher_init(&h, CX_SHA256, &err), 0);
    cx_hasher_update(&h, "abd", 3);
    assert_int_equal(cx_hasher_verify(&h, &want, "blob", &err), -1);
    assert_non_null(strstr(err.msg, "digest mismatch: expected sha256:ba78"));
    cx_hasher_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
