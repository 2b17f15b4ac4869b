/* start.c: release a created container's init (one byte into exec.fifo),
 * then remove the fifo so the state reads "running" when we return. */
#include <fcntl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/container.h"

int cx_start(const char *root, const char *id, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, true, &c, err) < 0)
        return -1;
    switch (c->st->status) {
    case CX_CREATED:
        break;
    case CX_STOPPED:
        return cx_fail(err, 0, "cannot start a container that has stopped");
    case CX_CREATING:
        return cx_fail(err, 0, "cannot start a container that is still being created");
    default:
        return cx_fail(err, 0, "cannot start an already running container");
    }
    _cleanup_close_ int fd = openat(c->dirfd, "exec.fifo",
                                    O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENXIO)
            return cx_fail(err, 0, "container not running: its init has exited");
        return cx_fail_errno(err, "open exec.fifo of %s", id);
    }
    if (write(fd, "0", 1) != 1)
        return cx_fail_errno(err, "start container %s", id);
    if (unlinkat(c->dirfd, "exec.fifo", 0) < 0)
        return cx_fail_errno(err, "remove exec.fifo of %s", id);
    return 0;
}
