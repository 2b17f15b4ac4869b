/* lock.c: see lock.h. */
#include "store/lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"

int cx_lock_take(int locksfd, const char *kind, const char *key, bool wait,
                 struct cx_lock *out, cx_error *err)
{
    char name[160];
    snprintf(name, sizeof name, "%s-%s", kind, key);
    _cleanup_close_ int fd = openat(locksfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                                    0600);
    if (fd < 0)
        return cx_fail_errno(err, "lock %s: open", name);
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK && !wait)
            return 1;
        return cx_fail_errno(err, "lock %s", name);
    }
    out->fd = TAKE_FD(fd);
    return 0;
}

void cx_lock_release(struct cx_lock *l)
{
    l->fd = cx_close(l->fd);
}
