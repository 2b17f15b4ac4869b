/* test_passwd.c: users, groups and directories inside a container's root,
 * including images that try to make capsa read or create outside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/passwd.h"

#define PASSWD \
    "root:x:0:0:root:/root:/bin/sh\n" \
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n" \
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n" \
    "nohome:x:1001:1001:::/bin/sh\n" \
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
#define GROUP \
    "root:x:0:\n" \
    "daemon:x:1:\n" \
    "wheel:x:10:daemon,nobody,root\n" \
    "audio:x:29:daemon\n" \
    "users:x:100:alice,daemon\n" \
    "nogroup:x:65534:\n"

struct root {
    char dir[64];
    int fd;
};

static void put(const struct root *r, const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", r->dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void sub(const struct root *r, const char *rel, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", r->dir, rel);
}

static int setup(void **state)
{
    struct root *r = calloc(1, sizeof *r);
    strcpy(r->dir, "/tmp/h2-passwd-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    char etc[128];
    sub(r, "etc", etc, sizeof etc);
    assert_int_equal(mkdir(etc, 0755), 0);
    put(r, "etc/passwd", PASSWD);
    put(r, "etc/group", GROUP);
    r->fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(r->fd >= 0);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct root *r = *state;
    close(r->fd);
    cx_rm_rf_at(AT_FDCWD, r->dir);
    free(r);
    return 0;
}

static void user_is(int rootfd, const char *spec, uid_t uid, gid_t gid, const char *home,
                    size_t n, ...)
{
    struct cx_user u = { 0 };
    cx_error err = { 0 };
    if (cx_user_resolve(rootfd, spec, &u, &err) != 0)
        fail_msg("%s: %s", spec ? spec : "(null)", err.msg);
    assert_int_equal(u.uid, uid);
    assert_int_equal(u.gid, gid);
    assert_string_equal(u.home, home);
    assert_int_equal(u.nadditional, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(u.additional[i], va_arg(ap, int));
    va_end(ap);
    cx_user_free(&u);
    assert_null(u.home);
}

static void user_fails(int rootfd, const char *spec, const char *msg)
{
    struct cx_user u = { 0 };
    cx_error err = { 0 };
    assert_int_equal(cx_user_resolve(rootfd, spec, &u, &err), -1);
    assert_string_equal(err.msg, msg);
    assert_null(u.home);
}

/* ---- users ---- */

static void test_root_by_default(void **state)
{
    struct root *r = *state;
    /* the groups listing root, without its primary one, as podman does */
    user_is(r->fd, NULL, 0, 0, "/root", 1, 10);
    user_is(r->fd, "", 0, 0, "/root", 1, 10);
    /* named, root gets its primary group listed too */
    user_is(r->fd, "root", 0, 0, "/root", 2, 0, 10);
    user_is(r->fd, "0", 0, 0, "/root", 2, 0, 10);
}

static void test_names_and_numbers(void **state)
{
    struct root *r = *state;
    user_is(r->fd, "daemon", 1, 1, "/usr/sbin", 4, 1, 10, 29, 100);
    user_is(r->fd, "1", 1, 1, "/usr/sbin", 4, 1, 10, 29, 100);
    user_is(r->fd, "alice", 1000, 1000, "/home/alice", 2, 1000, 100);
    user_is(r->fd, "nobody", 65534, 65534, "/nonexistent", 2, 65534, 10);
    user_is(r->fd, "nohome", 1001, 1001, "/", 1, 1001);
}

static void test_explicit_group(void **state)
{
    struct root *r = *state;
    /* a GROUP replaces the supplementary groups */
    user_is(r->fd, "daemon:daemon", 1, 1, "/usr/sbin", 1, 1);
    user_is(r->fd, "1:wheel", 1, 10, "/usr/sbin", 1, 10);
    user_is(r->fd, "daemon:29", 1, 29, "/usr/sbin", 1, 29);
    user_is(r->fd, "1000:5000", 1000, 5000, "/home/alice", 1, 5000);
    user_is(r->fd, "4242:users", 4242, 100, "/", 1, 100);
}

static void test_uid_without_entry(void **state)
{
    struct root *r = *state;
    user_is(r->fd, "4242", 4242, 0, "/", 1, 0);
    user_is(r->fd, "4294967294", 4294967294u, 0, "/", 1, 0);
}

static void test_user_errors(void **state)
{
    struct root *r = *state;
    user_fails(r->fd, "nosuch", "user nosuch: no such user in the image's /etc/passwd");
    user_fails(r->fd, "daemon:nosuch", "group nosuch: no such group in the image's /etc/group");
    user_fails(r->fd, "daemon:", "user \"daemon:\": expected USER[:GROUP]");
    user_fails(r->fd, ":1", "user \":1\": expected USER[:GROUP]");
    user_fails(r->fd, "4294967295", "user 4294967295: no such user in the image's /etc/passwd");
    user_fails(r->fd, "-1", "user -1: no such user in the image's /etc/passwd");
    user_fails(r->fd, "a\033b", "user a?b: no such user in the image's /etc/passwd");
}

static void test_malformed_lines_skipped(void **state)
{
    struct root *r = *state;
    put(r, "etc/passwd",
        "garbage line\n"
        "short:x:5:5\n"
        "long:x:6:6:g:/h:/bin/sh:extra\n"
        "notnum:x:abc:1::/h:/bin/sh\n"
        "neg:x:-7:1::/h:/bin/sh\n"
        "big:x:4294967295:1::/h:/bin/sh\n"
        "+nis::::::\n"
        ":x:8:8::/empty-name:/bin/sh\n"
        "\n"
        "ok:x:9:9::/ok:/bin/sh\n"
        "ok:x:10:10::/second:/bin/sh\n"
        "crlf:x:11:11::/c:/bin/sh\r\n");
    put(r, "etc/group", "bad\nwheel:x:10:crlf\r\nalso:x:notnum:crlf\nlast:x:12:x,crlf");
    const char *gone[] = { "short", "long", "notnum", "neg", "big", "+nis", "garbage line" };
    char msg[128];
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        snprintf(msg, sizeof msg, "user %s: no such user in the image's /etc/passwd", gone[i]);
        user_fails(r->fd, gone[i], msg);
    }
    user_is(r->fd, "ok", 9, 9, "/ok", 1, 9);  /* the first entry of a name */
    user_is(r->fd, "8", 8, 0, "/", 1, 0);     /* the nameless line is not an entry */
    user_is(r->fd, "crlf", 11, 11, "/c", 3, 11, 10, 12);
}

static void test_no_passwd_file(void **state)
{
    struct root *r = *state;
    char p[128];
    sub(r, "etc/passwd", p, sizeof p);
    unlink(p);
    sub(r, "etc/group", p, sizeof p);
    unlink(p);
    user_is(r->fd, NULL, 0, 0, "/", 0);
    user_is(r->fd, "0", 0, 0, "/", 1, 0);
    user_is(r->fd, "5:7", 5, 7, "/", 1, 7);
    user_fails(r->fd, "root", "user root: the image has no /etc/passwd to look it up in");
    user_fails(r->fd, "5:wheel", "group wheel: the image has no /etc/group to look it up in");
}

static void test_passwd_not_a_file(void **state)
{
    struct root *r = *state;
    char p[128];
    sub(r, "etc/passwd", p, sizeof p);
    unlink(p);
    assert_int_equal(mkfifo(p, 0644), 0);  /* must not hang */
    user_fails(r->fd, "daemon", "/etc/passwd in the container is not a regular file");
    unlink(p);
    assert_int_equal(mkdir(p, 0755), 0);
    user_fails(r->fd, "daemon", "/etc/passwd in the container is not a regular file");
    rmdir(p);
}

static void test_passwd_too_big(void **state)
{
    struct root *r = *state;
    char p[128];
    sub(r, "etc/passwd", p, sizeof p);
    int fd = open(p, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
    close(fd);
    struct cx_user u = { 0 };
    cx_error err = { 0 };
    assert_int_equal(cx_user_resolve(r->fd, "daemon", &u, &err), -1);
    assert_int_equal(err.errnum, EFBIG);
    assert_string_equal(err.msg, "read /etc/passwd: larger than 4194304 bytes");
}

/* /etc/passwd a symlink out of the root: resolved inside it, never on
 * the host. */
static void test_passwd_symlink_attack(void **state)
{
    struct root *r = *state;
    char host[64] = "/tmp/h2-hostpasswd-XXXXXX", link[128], target[128];
    int fd = mkstemp(host);
    assert_true(fd >= 0);
    const char *line = "hostonly:x:4242:4242::/host:/bin/sh\n";
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
    close(fd);
    sub(r, "etc/passwd", link, sizeof link);
    /* absolute, and through ".." past the root */
    const char *targets[] = { host, "/../../../../../../..", "../../../../../../.." };
    for (size_t i = 0; i < 3; i++) {
        unlink(link);
        snprintf(target, sizeof target, "%s%s", targets[i], i ? host : "");
        assert_int_equal(symlink(target, link), 0);
        user_fails(r->fd, "hostonly", "user hostonly: the image has no /etc/passwd to look it "
                   "up in");
        user_is(r->fd, "4242", 4242, 0, "/", 1, 0);
    }
    /* the root's own file at that path is the one read */
    char inside[128], tmpdir[128];
    sub(r, "tmp", tmpdir, sizeof tmpdir);
    mkdir(tmpdir, 01777);
    snprintf(inside, sizeof inside, "%s%s", r->dir, host);
    FILE *f = fopen(inside, "w");
    assert_non_null(f);
    fputs("hostonly:x:7:7::/inside:/bin/sh\n", f);
    fclose(f);
    user_is(r->fd, "hostonly", 7, 7, "/inside", 1, 7);
    /* and /etc/shadow through a link is the root's, which has none */
    unlink(link);
    assert_int_equal(symlink("/../../../etc/shadow", link), 0);
    user_fails(r->fd, "root", "user root: the image has no /etc/passwd to look it up in");
    unlink(host);
}

static void test_group_symlink_attack(void **state)
{
    struct root *r = *state;
    char host[64] = "/tmp/h2-hostgroup-XXXXXX", link[128];
    int fd = mkstemp(host);
    assert_true(fd >= 0);
    const char *line = "hostgrp:x:4343:daemon\n";
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
    close(fd);
    sub(r, "etc/group", link, sizeof link);
    unlink(link);
    assert_int_equal(symlink(host, link), 0);
    user_fails(r->fd, "0:hostgrp", "group hostgrp: the image has no /etc/group to look it up "
               "in");
    user_is(r->fd, "daemon", 1, 1, "/usr/sbin", 1, 1);  /* no hostgrp membership */
    unlink(host);
    /* a link to itself: refused, not followed forever */
    unlink(link);
    assert_int_equal(symlink("/etc/group", link), 0);
    struct cx_user u = { 0 };
    cx_error err = { 0 };
    assert_int_equal(cx_user_resolve(r->fd, "daemon", &u, &err), -1);
    assert_string_equal(err.msg, "open /etc/group in the container");
    assert_int_equal(err.errnum, ELOOP);
}

/* ---- directories ---- */

static void owner_mode(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
    assert_int_equal(st.st_mode & 07777, mode);
}

static void mkdir_ok(int rootfd, const char *path, uid_t uid, gid_t gid)
{
    cx_error err = { 0 };
    if (cx_rootfs_mkdir(rootfd, path, uid, gid, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
}

static void test_mkdir_new_owned(void **state)
{
    struct root *r = *state;
    if (geteuid() != 0)
        skip();
    mode_t old = umask(077);
    mkdir_ok(r->fd, "/w/x/y", 1000, 100);
    umask(old);
    char p[128];
    sub(r, "w", p, sizeof p);
    owner_mode(p, 1000, 100, 0755);
    sub(r, "w/x/y", p, sizeof p);
    owner_mode(p, 1000, 100, 0755);
    /* existing directories keep their owner; only the new one is given */
    mkdir_ok(r->fd, "//etc//sub/", 1, 1);
    sub(r, "etc", p, sizeof p);
    owner_mode(p, 0, 0, 0755);
    sub(r, "etc/sub", p, sizeof p);
    owner_mode(p, 1, 1, 0755);
    mkdir_ok(r->fd, "/w/x/y", 5, 5);  /* all there: nothing changes */
    sub(r, "w/x/y", p, sizeof p);
    owner_mode(p, 1000, 100, 0755);
    mkdir_ok(r->fd, "/", 5, 5);
    owner_mode(r->dir, 0, 0, 0700);
}

static void test_mkdir_not_a_directory(void **state)
{
    struct root *r = *state;
    cx_error err = { 0 };
    assert_int_equal(cx_rootfs_mkdir(r->fd, "/etc/passwd", 0, 0, &err), -1);
    assert_string_equal(err.msg, "/etc/passwd in the container");
    assert_int_equal(err.errnum, ENOTDIR);
    err = (cx_error) { 0 };
    assert_int_equal(cx_rootfs_mkdir(r->fd, "/etc/passwd/x", 0, 0, &err), -1);
    assert_string_equal(err.msg, "/etc/passwd in the container");
    err = (cx_error) { 0 };
    assert_int_equal(cx_rootfs_mkdir(r->fd, "rel/dir", 0, 0, &err), -1);
    assert_string_equal(err.msg, "rel/dir: not an absolute path");
}

static void test_mkdir_symlink_attack(void **state)
{
    struct root *r = *state;
    if (geteuid() != 0)
        skip();
    char outside[64] = "/tmp/h2-outside-XXXXXX", target[128], link[128], inside[192];
    assert_non_null(mkdtemp(outside));
    rmdir(outside);  /* a name nobody has: it must not appear on the host */
    const char *forms[] = { "/../..%s", "../../../../../../..%s" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(target, sizeof target, forms[i], outside);
        sub(r, "a", link, sizeof link);
        unlink(link);
        assert_int_equal(symlink(target, link), 0);
        mkdir_ok(r->fd, "/a/b", 1000, 1000);
        struct stat st;
        assert_int_equal(lstat(outside, &st), -1);
        assert_int_equal(errno, ENOENT);
        snprintf(inside, sizeof inside, "%s%s/b", r->dir, outside);
        owner_mode(inside, 1000, 1000, 0755);
        snprintf(inside, sizeof inside, "%s%s", r->dir, outside);
        owner_mode(inside, 1000, 1000, 0755);  /* made for the link: the user's too */
        cx_rm_rf_at(AT_FDCWD, inside);
    }
    /* a link to an absolute path that exists on the host lands inside */
    sub(r, "a", link, sizeof link);
    unlink(link);
    assert_int_equal(symlink("/etc", link), 0);
    mkdir_ok(r->fd, "/a/h2-made-here", 7, 7);
    struct stat st;
    assert_int_equal(lstat("/etc/h2-made-here", &st), -1);
    snprintf(inside, sizeof inside, "%s/etc/h2-made-here", r->dir);
    owner_mode(inside, 7, 7, 0755);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_by_default),
        T(test_names_and_numbers),
        T(test_explicit_group),
        T(test_uid_without_entry),
        T(test_user_errors),
        T(test_malformed_lines_skipped),
        T(test_no_passwd_file),
        T(test_passwd_not_a_file),
        T(test_passwd_too_big),
        T(test_passwd_symlink_attack),
        T(test_group_symlink_attack),
        T(test_mkdir_new_owned),
        T(test_mkdir_not_a_directory),
        T(test_mkdir_symlink_attack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
