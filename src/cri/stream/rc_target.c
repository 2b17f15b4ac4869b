/* rc_target.c: see rc_target.h. */
#include "cri/stream/rc_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "engine/shim_client.h"

int rc_target_open(struct rc_target *t, const struct stream_desc *d, cx_error *err)
{
    memset(t, 0, sizeof *t);
    t->sock = t->ctl_dir = -1;
    t->xs.dirfd = -1;
    t->pipes[0] = t->pipes[1] = t->pipes[2] = -1;
    if (cx_engine_open(&t->e, d->root, d->runroot, err) < 0)
        return -1;
    t->open = true;
    bool found = false;
    if (cx_ctr_lookup(&t->e.store.db, d->container, &t->c, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, ENOENT, "container %s not found", d->container);
    t->have = true;
    cx_ctr_sync(&t->e, &t->c);
    if (t->c.state != CX_CTR_RUNNING)
        return cx_fail(err, EINVAL, "container %s is not running", d->container);
    return 0;
}

int rc_target_exec_prepare(struct rc_target *t, const struct stream_desc *d, cx_error *err)
{
    struct cx_exec_req r = { .args = d->cmd, .tty = d->tty, .interactive = d->in };
    if (cx_exec_spawn(&t->e, &t->c, &r, &t->xs, t->pipes, err) < 0)
        return -1;
    t->spawned = true;
    int value;
    /* the shim says when its attach socket listens */
    if (cx_shim_sync_read(t->pipes[2], 60000, "exec", &value, err) < 0)
        return -1;
    t->sock = cx_attach_connect_dir(t->xs.dirfd, t->c.id, err);
    if (t->sock < 0)
        return -1;
    t->ctl_dir = fcntl(t->xs.dirfd, F_DUPFD_CLOEXEC, 3);
    return 0;
}

int rc_target_exec_run(struct rc_target *t, cx_error *err)
{
    if (write(t->pipes[1], "1", 1) != 1)
        return cx_fail_errno(err, "exec: the start pipe");
    return cx_shim_sync_read(t->pipes[0], 300000, "exec", &t->pid, err);
}

int rc_target_attach(struct rc_target *t, cx_error *err)
{
    t->sock = cx_attach_connect(&t->e, t->c.id, err);
    if (t->sock < 0)
        return -1;
    t->ctl_dir = cx_engine_ctr_dir(&t->e, t->c.id, false, err);
    return t->ctl_dir < 0 ? -1 : 0;
}

void rc_target_resize(struct rc_target *t, unsigned width, unsigned height)
{
    if (t->ctl_dir < 0 || width == 0 || height == 0)
        return;
    /* the shim reads "1 ROWS COLS" lines; a fifo nobody reads (the shim
     * gone) fails to open rather than block */
    int fd = openat(t->ctl_dir, "ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    char line[64];
    int n = snprintf(line, sizeof line, "1 %u %u\n", height, width);
    (void) !write(fd, line, (size_t) n);
    close(fd);
}

int rc_target_sync_fd(const struct rc_target *t)
{
    return t->spawned ? t->pipes[0] : -1;
}

int rc_target_exit_code(struct rc_target *t, int timeout_ms, int *code, cx_error *err)
{
    return cx_shim_sync_read(t->pipes[0], timeout_ms, "exec", code, err);
}

void rc_target_close(struct rc_target *t, bool exited)
{
    t->sock = cx_close(t->sock);
    t->ctl_dir = cx_close(t->ctl_dir);
    if (t->spawned || t->xs.dir) {
        cx_exec_close3(t->pipes);
        /* a shim that never started leaves nothing running in it */
        cx_exec_session_close(&t->e, &t->c, &t->xs, exited || !t->spawned);
    }
    if (t->have)
        cx_ctr_free(&t->c);
    if (t->open)
        cx_engine_close(&t->e);
    t->have = t->open = t->spawned = false;
}
