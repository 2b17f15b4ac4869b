/* v2.c: linux.resources on the cgroup v2 hierarchy: all of them on a pure
 * v2 host (v1 values converted as runc and crun convert them), what lives
 * there on a hybrid one (here: hugetlb). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "runtime/cgroup/internal.h"

/* Is ctrl available in dir (its cgroup.controllers)? */
bool cg_v2_has(const char *dir, const char *ctrl)
{
    char buf[512];
    struct cg_hier h = { .v2 = true };
    if (cg_read(dir, "cgroup.controllers", buf, sizeof buf) < 0)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            *p = ',';
    snprintf(h.ctrls, sizeof h.ctrls, "%s", buf);
    return cg_has_ctrl(&h, ctrl);
}

/* Turn on, in one ancestor, every controller it offers its children. */
static void enable_in(const char *parent)
{
    char avail[512], want[600] = "";
    if (cg_read(parent, "cgroup.controllers", avail, sizeof avail) < 0)
        return;
    avail[strcspn(avail, "\n")] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(avail, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s+%s",
                 want[0] ? " " : "", tok);
    cx_error ignore = { 0 }; /* a parent with processes of its own refuses: fine */
    if (want[0])
        cg_write(parent, "cgroup.subtree_control", want, &ignore);
}

int cg_v2_enable(const char *mnt, const char *dir, cx_error *err)
{
    char parent[PATH_MAX];
    (void) err;
    /* every ancestor of dir from the hierarchy's root: mnt, mnt/a, mnt/a/b */
    for (size_t i = strlen(mnt); dir[i]; i++) {
        if (dir[i] != '/')
            continue;
        snprintf(parent, sizeof parent, "%.*s", (int) i, dir);
        enable_in(parent);
    }
    return 0;
}

/* A value of 0 leaves the setting as it is (v1.c says why). */
static int memory(const char *dir, const struct oci_mem *m, cx_error *err)
{
    if (m->has_limit && m->limit &&
        (m->limit < 0 ? cg_write(dir, "memory.max", "max", err)
                      : cg_writef(dir, "memory.max", err, "%lld", (long long) m->limit)) < 0)
        return -1;
    if (m->has_reservation && m->reservation &&
        cg_writef(dir, "memory.low", err, "%lld", (long long) m->reservation) < 0)
        return -1;
    if (m->has_swap && m->swap) {
        /* v1's memsw is memory + swap; v2's swap.max is swap alone */
        long long swap = m->swap < 0 ? -1 : m->swap - (m->has_limit ? m->limit : 0);
        if (m->swap >= 0 && swap < 0)
            return cx_fail(err, 0, "swap %lld is below limit %lld", (long long) m->swap,
                           (long long) m->limit);
        if ((swap < 0 ? cg_write(dir, "memory.swap.max", "max", err)
                      : cg_writef(dir, "memory.swap.max", err, "%lld", swap)) < 0)
            return -1;
    }
    if (m->has_swappiness)
        return cx_fail(err, 0, "swappiness: cgroup v2 has no per-cgroup swappiness");
    if (m->has_disable_oom_killer && m->disable_oom_killer)
        return cx_fail(err, 0, "disableOOMKiller: cgroup v2 cannot disable the OOM killer");
    return 0;
}

/* v1's cpu.shares [2, 262144] onto cpu.weight [1, 10000] */
uint64_t cg_v2_cpu_weight(uint64_t shares)
{
    return 1 + ((shares < 2 ? 2 : shares > 262144 ? 262144 : shares) - 2) * 9999 / 262142;
}

/* v1's blkio weight [10, 1000] onto io.weight [1, 10000] */
uint64_t cg_v2_io_weight(uint64_t weight)
{
    return 1 + ((weight < 10 ? 10 : weight > 1000 ? 1000 : weight) - 10) * 9999 / 990;
}

static int cpu(const char *dir, const struct oci_cpu *c, cx_error *err)
{
    if (c->has_shares && c->shares &&
        cg_writef(dir, "cpu.weight", err, "%llu",
                  (unsigned long long) cg_v2_cpu_weight(c->shares)) < 0)
        return -1;
    if ((c->has_quota && c->quota) || (c->has_period && c->period)) {
        unsigned long long period = c->has_period && c->period ? c->period : 100000;
        char quota[32] = "max";
        if (c->has_quota && c->quota > 0)
            snprintf(quota, sizeof quota, "%lld", (long long) c->quota);
        if (cg_writef(dir, "cpu.max", err, "%s %llu", quota, period) < 0)
            return -1;
    }
    if (c->has_burst && cg_writef(dir, "cpu.max.burst", err, "%llu",
                                  (unsigned long long) c->burst) < 0)
        return -1;
    if (c->has_idle && cg_writef(dir, "cpu.idle", err, "%lld", (long long) c->idle) < 0)
        return -1;
    if (c->cpus && c->cpus[0] && cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && c->mems[0] && cg_write(dir, "cpuset.mems", c->mems, err) < 0)
        return -1;
    if ((c->has_realtime_runtime && c->realtime_runtime) ||
        (c->has_realtime_period && c->realtime_period))
        return cx_fail(err, 0, "realtimeRuntime/realtimePeriod: not available on cgroup v2");
    return 0;
}

static int io(const char *dir, const struct oci_blkio *b, cx_error *err)
{
    static const char *key[4] = { "rbps", "wbps", "riops", "wiops" };
    if (b->has_weight && b->weight &&
        cg_writef(dir, "io.weight", err, "%llu",
                  (unsigned long long) cg_v2_io_weight(b->weight)) < 0)
        return -1;
    for (size_t i = 0; i < b->n_weight_device; i++) {
        const struct oci_weight_device *d = &b->weight_device[i];
        if (d->has_weight && cg_writef(dir, "io.weight", err, "%lld:%lld %llu",
                                       (long long) d->major, (long long) d->minor,
                                       (unsigned long long) cg_v2_io_weight(d->weight)) < 0)
            return -1;
    }
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < b->n_throttle[k]; i++) {
            const struct oci_throttle_device *d = &b->throttle[k][i];
            if (cg_writef(dir, "io.max", err, "%lld:%lld %s=%llu", (long long) d->major,
                          (long long) d->minor, key[k], (unsigned long long) d->rate) < 0)
                return -1;
        }
    return 0;
}

static int hugetlb(const char *dir, const struct oci_resources *r, cx_error *err)
{
    for (size_t i = 0; i < r->n_hugepages; i++) {
        char file[96];
        snprintf(file, sizeof file, "hugetlb.%s.max", r->hugepages[i].page_size);
        if (cg_writef(dir, file, err, "%llu", (unsigned long long) r->hugepages[i].limit) < 0)
            return cx_error_prefix(err, "linux.resources.hugepageLimits[%zu]", i);
    }
    return 0;
}

static int unified(const char *dir, json_t *u, cx_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(u, key, v)
        if (cg_write(dir, key, json_string_value(v), err) < 0)
            return cx_error_prefix(err, "linux.resources.unified.%s", key);
    return 0;
}

int cg_v2_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err)
{
    (void) h;
    if (r->has_memory && cg_v2_has(dir, "memory") && memory(dir, &r->memory, err) < 0)
        return cx_error_prefix(err, "linux.resources.memory");
    if (r->has_cpu && cg_v2_has(dir, "cpu") && cpu(dir, &r->cpu, err) < 0)
        return cx_error_prefix(err, "linux.resources.cpu");
    if (r->has_pids_limit && r->pids_limit && cg_v2_has(dir, "pids") &&
        (r->pids_limit < 0 ? cg_write(dir, "pids.max", "max", err)
                           : cg_writef(dir, "pids.max", err, "%lld", (long long) r->pids_limit)) < 0)
        return cx_error_prefix(err, "linux.resources.pids");
    if (r->has_blkio && cg_v2_has(dir, "io") && io(dir, &r->blkio, err) < 0)
        return cx_error_prefix(err, "linux.resources.blockIO");
    if (r->n_hugepages && cg_v2_has(dir, "hugetlb") && hugetlb(dir, r, err) < 0)
        return -1;
    return r->unified ? unified(dir, r->unified, err) : 0;
}
