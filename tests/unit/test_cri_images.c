/* test_cri_images.c: the image user capsad reports (Image.uid or
 * Image.username) from an image config's User, in each form it takes. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
