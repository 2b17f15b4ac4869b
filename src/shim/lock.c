/* lock.c: one create at a time per container.  The shim that creates a
 * container holds an exclusive flock on <bundle>/shim.lock from before the
 * runtime runs until the engine has the pid, or until the create is undone
 * because the engine died first (shim.c, engine_gone).  An engine restarted
 * at once starts the same container again with a new shim; that shim
 * waits here, so its create never meets the half-undone one ("already
 * exists").  Exec sessions run beside their container and take no lock. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"

#define LOCK_NAME "shim.lock"
#define LOCK_POLL_MS 20

int create_lock_take(struct shim *s, int64_t timeout_ms, cx_error *err)
{
    _cleanup_close_ int dfd = open(s->o->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "bundle %s", s->o->bundle);
    _cleanup_close_ int fd = openat(dfd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                                    0600);
    if (fd < 0)
        return cx_fail_errno(err, "%s/%s", s->o->bundle, LOCK_NAME);
    int64_t deadline = loop_now_ms() + timeout_ms;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return cx_fail_errno(err, "flock %s/%s", s->o->bundle, LOCK_NAME);
        if (loop_now_ms() >= deadline) {
            shim_warn(s, "another shim of container %s still holds %s/%s after %lld ms: "
                      "going on without it", s->o->cid, s->o->bundle, LOCK_NAME,
                      (long long) timeout_ms);
            return 0;
        }
        usleep(LOCK_POLL_MS * 1000);
    }
    s->create_lock_fd = fd;
    fd = -1;
    return 0;
}

void create_lock_release(struct shim *s)
{
    s->create_lock_fd = cx_close(s->create_lock_fd);
}
