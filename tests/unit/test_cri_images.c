/* test_cri_images.c: the image user capsad reports (Image.uid or
 * Image.username) from an image config's User, in each form it takes;
 * which failed pulls PullImage answers NOT_FOUND. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cri/images.h"

static void expect_uid(const char *user, int64_t want)
{
    char name[32] = "untouched";
    int64_t uid = -1;
    assert_int_equal(cri_image_user(user, &uid, name, sizeof name), 1);
    assert_int_equal(uid, want);
    assert_string_equal(name, "untouched");
}

static void expect_name(const char *user, const char *want)
{
    char name[32];
    int64_t uid = -7;
    assert_int_equal(cri_image_user(user, &uid, name, sizeof name), 0);
    assert_string_equal(name, want);
    assert_int_equal(uid, -7);
}

static void expect_none(const char *user)
{
    char name[32];
    int64_t uid;
    assert_int_equal(cri_image_user(user, &uid, name, sizeof name), -1);
}

static void test_user_forms(void **state)
{
    (void) state;
    expect_uid("0", 0);
    expect_uid("1000", 1000);
    expect_uid("1000:50", 1000);        /* the group is not the CRI's business */
    expect_uid("65534:", 65534);
    expect_name("nginx", "nginx");
    expect_name("www-data:www-data", "www-data");
    expect_name("1000a", "1000a");       /* digits then a letter: a name */
    expect_none(NULL);
    expect_none("");
    expect_none(":50");                  /* a group alone */
    expect_none("99999999999999999999"); /* beyond int64 */
    expect_none("a-name-longer-than-the-buffer-given");
}

static void test_pull_not_found(void **state)
{
    (void) state;
    /* what capsactl's last line says for a registry's 404s */
    assert_true(cri_pull_not_found("pull registry.k8s.io/no/such:1: 127.0.0.1:5000/no/such:1: "
                                   "manifest unknown (MANIFEST_UNKNOWN): manifest unknown"));
    assert_true(cri_pull_not_found("pull 127.0.0.1:5000/test/absent:latest: "
                                   "repository name not known to registry (NAME_UNKNOWN): x"));
    assert_true(cri_pull_not_found("pull h/x:1: h/x:1: not found (HTTP 404)"));
    /* anything else stays UNKNOWN: auth, a server error, no network */
    assert_false(cri_pull_not_found("pull h/x:1: h/x:1: 401 unauthorized: authentication "
                                    "required (check capsactl login)"));
    assert_false(cri_pull_not_found("pull h/x:1: h: the registry answered HTTP 500"));
    assert_false(cri_pull_not_found("pull h/x:1: connect to h: Connection refused"));
    assert_false(cri_pull_not_found(""));
    assert_false(cri_pull_not_found(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_forms),
        cmocka_unit_test(test_pull_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
