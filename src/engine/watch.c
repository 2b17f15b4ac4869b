/* watch.c: see watch.h. */
#include "engine/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* A pidfd for the pid in the run directory's file NAME, -1 when none. */
static int pidfd_of(int rundir, const char *name)
{
    _cleanup_close_ int fd = rundir < 0 ? -1 : openat(rundir, name, O_RDONLY | O_NOFOLLOW |
                                                      O_CLOEXEC);
    char buf[32];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    int pid;
    if (cx_parse_int(buf, &pid) < 0 || pid <= 0)
        return -1;
    return (int) syscall(SYS_pidfd_open, pid, 0);
}

void cx_ctr_watch_open(struct cx_engine *e, const char *id, struct cx_ctr_watch *w)
{
    w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF;
    _cleanup_free_ char *run = cx_asprintf("%s/containers/%s", e->store.runroot, id);
    _cleanup_free_ char *exits = cx_asprintf("%s/exits", e->store.runroot);
    if (mkdirat(e->store.runrootfd, "exits", 0700) < 0 && errno != EEXIST)
        exits[0] = '\0';
    if (w->ino >= 0 && (inotify_add_watch(w->ino, run, mask) < 0 ||
                        (exits[0] && inotify_add_watch(w->ino, exits, mask) < 0)))
        w->ino = cx_close(w->ino);
    _cleanup_close_ int rundir = openat(e->runctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                        O_CLOEXEC);
    w->shim = pidfd_of(rundir, "shim.pid");
    w->init = pidfd_of(rundir, "pid");
}

void cx_ctr_watch_wait(struct cx_ctr_watch *w, int max_ms)
{
    struct pollfd p[3] = {
        { .fd = w->ino, .events = POLLIN },
        { .fd = w->shim, .events = POLLIN },
        { .fd = w->init, .events = POLLIN },
    };
    if (poll(p, 3, max_ms) <= 0)
        return;
    char buf[4096];
    if (p[0].revents)
        while (read(w->ino, buf, sizeof buf) > 0)
            ;
    /* an exited process stays readable: report it once */
    if (p[1].revents)
        w->shim = cx_close(w->shim);
    if (p[2].revents)
        w->init = cx_close(w->init);
}

void cx_ctr_watch_shim_gone(struct cx_ctr_watch *w, int max_ms)
{
    struct pollfd p = { .fd = w->shim, .events = POLLIN };
    if (w->shim >= 0 && poll(&p, 1, max_ms) > 0)
        w->shim = cx_close(w->shim);
}

void cx_ctr_watch_close(struct cx_ctr_watch *w)
{
    w->ino = cx_close(w->ino);
    w->shim = cx_close(w->shim);
    w->init = cx_close(w->init);
}
