/* kill.c: signals to a container's init (or all its processes), and the
 * list of those processes. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/procinfo.h"

static ino_t pidns_of(pid_t pid)
{
    char path[64];
    struct stat st;
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/ns/pid", (int) pid);
    else
        snprintf(path, sizeof path, "/proc/self/ns/pid");
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static bool is_descendant(pid_t pid, pid_t ancestor)
{
    for (int depth = 0; pid > 1 && depth < 64; depth++) {
        if (pid == ancestor)
            return true;
        pid = proc_ppid(pid);
    }
    return pid == ancestor;
}

/* Without a cgroup (no cgroups.json in the record): the processes of the
 * container's own pid namespace, or the init's descendants when it
 * shares ours. */
static int scan_pids(pid_t init, pid_t **out, size_t *n, cx_error *err)
{
    ino_t ns = pidns_of(init), own = pidns_of(0);
    _cleanup_closedir_ DIR *d = opendir("/proc");
    if (d == NULL)
        return cx_fail_errno(err, "open /proc");
    size_t cap = 16, len = 0;
    pid_t *pids = cx_calloc(cap, sizeof *pids);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t v;
        if (cx_parse_i64(de->d_name, &v) < 0 || v <= 0)
            continue;
        pid_t pid = (pid_t) v;
        bool member = ns != own ? pidns_of(pid) == ns : is_descendant(pid, init);
        if (!member)
            continue;
        if (len == cap)
            pids = realloc(pids, (cap *= 2) * sizeof *pids);
        if (pids == NULL)
            abort();
        pids[len++] = pid;
    }
    *out = pids;
    *n = len;
    return 0;
}

int cx_pids(const struct cx_container *c, pid_t **pids, size_t *n, cx_error *err)
{
    *pids = NULL;
    *n = 0;
    if (c->st->status == CX_STOPPED)
        return 0;
    int r = cgroup_pids(c->st->cgroups, pids, n, err);
    if (r <= 0)
        return r;
    return scan_pids(c->st->pid, pids, n, err);
}

static int signal_init(const struct cx_state *st, int sig, cx_error *err)
{
    if (proc_signal_same(st->pid, st->pid_start, sig) == 0)
        return 0;
    if (errno == ESRCH)
        return cx_fail(err, 0, "container not running");
    return cx_fail_errno(err, "signal %d to the container init", sig);
}

int cx_kill(const char *root, const char *id, int sig, bool all, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, true, &c, err) < 0)
        return -1;
    if (c->st->status == CX_STOPPED || c->st->status == CX_CREATING) {
        if (all && c->st->status == CX_STOPPED)
            return 0; /* nothing left to signal: runc succeeds too */
        return cx_fail(err, 0, "container not running");
    }
    if (!all)
        return signal_init(c->st, sig, err);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n;
    if (cx_pids(c, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (pids[i] != c->st->pid)
            kill(pids[i], sig);
    /* the init may have gone meanwhile, as its children died (a shell's
       `wait`): the container is then stopped, which is what --all asked */
    if (proc_signal_same(c->st->pid, c->st->pid_start, sig) < 0 && errno != ESRCH)
        return cx_fail_errno(err, "signal %d to the container init", sig);
    return 0;
}
