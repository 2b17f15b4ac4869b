/* test_netns.c: a network namespace made and pinned for a container (as
 * root): a namespace of its own, not the caller's; a second pin of the
 * same name refused; removal unpins and deletes, twice is fine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "net/netns.h"

#define NSFS_MAGIC 0x6e736673

/* In a child that joins the pinned namespace: is lo up there? */
static int lo_up_in(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int ns = open(path, O_RDONLY | O_CLOEXEC);
        struct ifreq ifr = { 0 };
        strcpy(ifr.ifr_name, "lo");
        if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
            _exit(2);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        _exit(fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

static void test_create_pin_remove(void **state)
{
    (void) state;
    if (geteuid() != 0)
        skip();
    char dir[] = "/tmp/capsa-netns-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/netns", dir);
    cx_error err = { 0 };
    char *path = NULL;
    assert_int_equal(cx_netns_create(sub, "c1", &path, &err), 0);
    struct statfs sf;
    struct stat mine, pinned;
    assert_int_equal(statfs(path, &sf), 0);
    assert_int_equal(sf.f_type, NSFS_MAGIC);
    assert_int_equal(stat("/proc/self/ns/net", &mine), 0);
    assert_int_equal(stat(path, &pinned), 0);
    assert_true(mine.st_ino != pinned.st_ino);
    assert_int_equal(lo_up_in(path), 0);
    /* the same name again: refused, the first pin untouched */
    char *again = NULL;
    assert_int_equal(cx_netns_create(sub, "c1", &again, &err), -1);
    assert_int_equal(err.errnum, EEXIST);
    assert_int_equal(statfs(path, &sf), 0);
    assert_int_equal(sf.f_type, NSFS_MAGIC);
    assert_int_equal(cx_netns_remove(sub, "c1", &err), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(cx_netns_remove(sub, "c1", &err), 0);
    free(path);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_pin_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
