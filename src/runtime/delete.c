/* delete.c: remove a container: created or stopped ones as they are,
 * running ones only with --force (SIGKILL to all, then wait).  With
 * --force, any partial state (a create killed half way, a torn file) is
 * cleaned and the command succeeds. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "common/log.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/procinfo.h"

/* Wait up to timeout_ms for the init to be gone (not necessarily reaped:
 * it may be our caller's child). */
static int wait_gone(const struct cx_state *st, int timeout_ms)
{
    _cleanup_close_ int pidfd = cx_pidfd_open(st->pid);
    if (pidfd < 0 && errno == ENOSYS) { /* before 5.3, or valgrind: poll /proc */
        for (int waited = 0; waited < timeout_ms; waited += 5) {
            if (!proc_is_same(st->pid, st->pid_start))
                return 0;
            usleep(5000);
        }
        return -1;
    }
    if (pidfd < 0 || !proc_is_same(st->pid, st->pid_start))
        return 0;
    struct pollfd p = { pidfd, POLLIN, 0 };
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0 ? 0 : -1;
}

static int kill_all(struct cx_container *c, cx_error *err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (cx_pids(c, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    if (cgroup_is_frozen(c->st->cgroups)) { /* frozen tasks die once thawed */
        cx_error ignore = { 0 };
        cgroup_freeze(c->st->cgroups, false, &ignore);
    }
    proc_signal_same(c->st->pid, c->st->pid_start, SIGKILL);
    if (wait_gone(c->st, 10000) < 0)
        return cx_fail(err, ETIMEDOUT, "container %s: init %d did not die after SIGKILL",
                       c->id, (int) c->st->pid);
    return 0;
}

static int force_remove_unreadable(const char *root, const char *id, cx_error *err)
{
    struct cx_container c = { .id = (char *) id, .dirfd = -1 };
    cx_warn("container %s: removing a record that cannot be read", id);
    /* its cgroups are in cgroups.json, apart from the torn state.json */
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int dfd = rootfd < 0 ? -1 : openat(rootfd, id, O_RDONLY | O_DIRECTORY |
                                                        O_NOFOLLOW | O_CLOEXEC);
    _cleanup_free_ char *text = NULL;
    json_t *cg = NULL;
    if (dfd >= 0 && cx_read_file_at(dfd, "cgroups.json", 1 << 20, &text, NULL, NULL) == 0 &&
        (cg = json_loads(text, 0, NULL)) != NULL) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        cgroup_pids(cg, &pids, &n, NULL);
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        cgroup_destroy(cg, NULL);
        json_decref(cg);
    }
    return cx_container_remove(root, &c, err);
}

int cx_delete(const char *root, const char *id, bool force, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, true, &c, err) < 0) {
        if (!force || cx_id_check(id, NULL) < 0)
            return -1;
        if (strstr(err->msg, "does not exist"))
            return cx_error_clear(err), 0;
        cx_error_clear(err);
        return force_remove_unreadable(root, id, err);
    }
    cx_debug("delete %s: %s%s", id, cx_status_name(c->st->status), force ? " (--force)" : "");
    switch (c->st->status) {
    case CX_STOPPED:
        break;
    case CX_CREATED:
        if (kill_all(c, err) < 0)
            return -1;
        break;
    default:
        if (!force)
            return cx_fail(err, 0, "cannot delete container %s that is not stopped: %s",
                           id, cx_status_name(c->st->status));
        if (kill_all(c, err) < 0)
            return -1;
    }
    if (cgroup_destroy(c->st->cgroups, err) < 0)
        return -1;
    if (!c->st->partial) {
        _cleanup_free_ char *state = hooks_state(c->st->oci_version, id, "stopped", 0,
                                                 c->st->bundle, c->st->annotations);
        hooks_run_warn(cx_container_config(c), HOOK_POSTSTOP, state);
    }
    return cx_container_remove(root, c, err);
}
