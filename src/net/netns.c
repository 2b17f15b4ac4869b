/* netns.c: see netns.h.  The namespace is made by a child (unshare, then
 * a bind mount of its /proc/self/ns/net on the pin file, which the
 * parent's mount namespace sees): the caller's own network namespace is
 * never changed.  Its loopback is brought up there too. */
#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "net/link.h"

/* In the child: a new namespace, its loopback up (what a container
 * expects of 127.0.0.1; no plugin run for it), pinned. */
static int pin_in_child(const char *path)
{
    if (unshare(CLONE_NEWNET) < 0)
        return errno;
    int rc = cx_link_lo_up();
    if (rc < 0)
        return -rc;
    if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
        return errno;
    return 0;
}

int cx_netns_create(const char *dir, const char *name, char **path, cx_error *err)
{
    *path = NULL;
    if (cx_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *p = cx_asprintf("%s/%s", dir, name);
    int fd = open(p, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0)
        return cx_fail_errno(err, "network namespace pin %s", p);
    close(fd);
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        unlink(p);
        return cx_fail(err, e, "fork");
    }
    if (child == 0)
        _exit(pin_in_child(p));
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(p);
        return cx_fail(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO,
                       "a new network namespace pinned at %s", p);
    }
    *path = p;
    p = NULL;
    return 0;
}

int cx_netns_remove(const char *dir, const char *name, cx_error *err)
{
    _cleanup_free_ char *p = cx_asprintf("%s/%s", dir, name);
    if (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
        return cx_fail_errno(err, "unpin the network namespace %s", p);
    if (unlink(p) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "remove %s", p);
    return 0;
}
