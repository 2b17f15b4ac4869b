/* test_mount_opts.c: mount_opts_parse(): config.json options -> flags,
 * propagation, bind and filesystem data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "runtime/mount_opts.h"

#define OPTS(...) ((const char *[]){ __VA_ARGS__, NULL })

static struct mount_opts parse_ok(const char **options)
{
    struct mount_opts o;
    cx_error err;
    cx_error_clear(&err);
    memset(&o, 0xa5, sizeof o); /* the parser must reset everything */
    if (mount_opts_parse(options, &o, &err) < 0)
        fail_msg("unexpected error: %s", err.msg);
    return o;
}

static void test_none(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(NULL);
    assert_int_equal(o.flags, 0);
    assert_int_equal(o.clear, 0);
    assert_int_equal(o.propagation, 0);
    assert_false(o.bind);
    assert_false(o.recursive);
    assert_string_equal(o.data, "");

    o = parse_ok(OPTS("defaults"));
    assert_int_equal(o.flags, 0);
    assert_string_equal(o.data, "");
}

static void test_flags(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("ro", "nosuid", "nodev", "noexec", "relatime"));
    assert_int_equal(o.flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    assert_int_equal(o.clear, 0);
    assert_string_equal(o.data, "");

    o = parse_ok(OPTS("strictatime"));
    assert_int_equal(o.flags, MS_STRICTATIME);

    o = parse_ok(OPTS("noatime", "nodiratime", "sync", "dirsync"));
    assert_int_equal(o.flags, MS_NOATIME | MS_NODIRATIME | MS_SYNCHRONOUS | MS_DIRSYNC);

    o = parse_ok(OPTS("remount", "ro"));
    assert_int_equal(o.flags, MS_REMOUNT | MS_RDONLY);
}

static void test_clearing(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("ro", "nosuid", "rw"));
    assert_int_equal(o.flags, MS_NOSUID);
    assert_int_equal(o.clear, MS_RDONLY);

    /* the last word wins both ways */
    o = parse_ok(OPTS("rw", "ro"));
    assert_int_equal(o.flags, MS_RDONLY);
    assert_int_equal(o.clear, 0);

    o = parse_ok(OPTS("suid", "dev", "exec", "atime"));
    assert_int_equal(o.flags, 0);
    assert_int_equal(o.clear, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME);

    o = parse_ok(OPTS("noexec", "exec", "nodev"));
    assert_int_equal(o.flags, MS_NODEV);
    assert_int_equal(o.clear, MS_NOEXEC);
}

static void test_propagation(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("rprivate"));
    assert_int_equal(o.propagation, MS_PRIVATE | MS_REC);
    assert_int_equal(o.flags, 0); /* propagation is a separate mount(2) call */

    o = parse_ok(OPTS("rslave"));
    assert_int_equal(o.propagation, MS_SLAVE | MS_REC);
    o = parse_ok(OPTS("slave"));
    assert_int_equal(o.propagation, MS_SLAVE);
    o = parse_ok(OPTS("shared"));
    assert_int_equal(o.propagation, MS_SHARED);
    o = parse_ok(OPTS("rshared"));
    assert_int_equal(o.propagation, MS_SHARED | MS_REC);
    o = parse_ok(OPTS("private"));
    assert_int_equal(o.propagation, MS_PRIVATE);
    o = parse_ok(OPTS("runbindable"));
    assert_int_equal(o.propagation, MS_UNBINDABLE | MS_REC);
    o = parse_ok(OPTS("unbindable", "ro"));
    assert_int_equal(o.propagation, MS_UNBINDABLE);
    assert_int_equal(o.flags, MS_RDONLY);
}

static void test_bind(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("bind"));
    assert_true(o.bind);
    assert_false(o.recursive);
    assert_string_equal(o.data, "");

    o = parse_ok(OPTS("rbind", "ro"));
    assert_true(o.bind);
    assert_true(o.recursive);
    assert_int_equal(o.flags, MS_RDONLY);

    /* a later plain "bind" does not undo the recursion (runc ORs MS_REC) */
    o = parse_ok(OPTS("rbind", "bind"));
    assert_true(o.bind);
    assert_true(o.recursive);
}

static void test_copyup(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("rw", "nosuid", "tmpcopyup", "size=1m"));
    assert_true(o.copyup);
    assert_int_equal(o.flags, MS_NOSUID);
    assert_string_equal(o.data, "size=1m"); /* never handed to the kernel */
    o = parse_ok(OPTS("size=1m"));
    assert_false(o.copyup);
}

static void test_data(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("nosuid", "strictatime", "mode=755", "size=65536k"));
    assert_int_equal(o.flags, MS_NOSUID | MS_STRICTATIME);
    assert_string_equal(o.data, "mode=755,size=65536k");

    o = parse_ok(OPTS("newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
    assert_int_equal(o.flags, 0);
    assert_string_equal(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");

    o = parse_ok(OPTS("mode=1777"));
    assert_string_equal(o.data, "mode=1777");
}

static void test_data_too_long(void **state)
{
    (void) state;
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct mount_opts o;
    cx_error err;
    cx_error_clear(&err);
    assert_int_equal(mount_opts_parse(OPTS(big, big), &o, &err), -1);
    assert_int_equal(err.errnum, E2BIG);
    assert_string_equal(err.msg, "mount options longer than 4096 bytes");

    /* one that fits is kept whole */
    o = parse_ok(OPTS(big));
    assert_int_equal(strlen(o.data), sizeof big - 1);
}

static void test_recursive(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("rbind", "rro", "rnosuid", "rnoexec"));
    assert_int_equal(o.rec_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    assert_int_equal(o.rec_clr, 0);
    assert_int_equal(o.flags, 0); /* not the top mount's own flags */
    assert_string_equal(o.data, "");
    /* later wins; clearing is recorded */
    o = parse_ok(OPTS("rro", "rrw", "rsuid"));
    assert_int_equal(o.rec_set, 0);
    assert_int_equal(o.rec_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
    /* the atime mode is one field */
    o = parse_ok(OPTS("rnoatime", "rrelatime"));
    assert_int_equal(o.rec_set, MOUNT_ATTR_RELATIME);
    assert_int_equal(o.rec_clr, MOUNT_ATTR__ATIME);
}

static void test_idmap(void **state)
{
    (void) state;
    struct mount_opts o = parse_ok(OPTS("rbind", "idmap"));
    assert_true(o.idmap);
    assert_false(o.idmap_recursive);
    assert_string_equal(o.data, ""); /* never handed to mount(2) */
    o = parse_ok(OPTS("bind", "ridmap"));
    assert_true(o.idmap && o.idmap_recursive);
    o = parse_ok(OPTS("bind"));
    assert_false(o.idmap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_clearing),
        cmocka_unit_test(test_propagation),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_copyup),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_data_too_long),
        cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_idmap),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
