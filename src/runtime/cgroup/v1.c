/* v1.c: linux.resources on cgroup v1 hierarchies, each controller in the
 * hierarchy that holds it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"

static int memsw(const char *dir, const struct oci_mem *m, cx_error *err)
{
    if (!cg_exists(dir, "memory.memsw.limit_in_bytes"))
        return cx_fail(err, 0, "linux.resources.memory.swap: this host has no swap "
                               "accounting (memory.memsw.limit_in_bytes)");
    return cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%lld", (long long) m->swap);
}

/* A value of 0 leaves the setting as it is, as runc does: engines send 0
 * for what they do not set (docker 20.10's update sends every field, cpu
 * period and quota included, which the kernel refuses as 0). */
static int memory(const char *dir, const struct oci_mem *m, cx_error *err)
{
    if ((m->has_kernel && m->kernel) || (m->has_kernel_tcp && m->kernel_tcp))
        cx_warn("linux.resources.memory.kernel and kernelTCP are ignored (deprecated; "
                "the kernel no longer honours them)");
    if (m->has_use_hierarchy &&
        cg_writef(dir, "memory.use_hierarchy", err, "%d", m->use_hierarchy) < 0)
        return -1;
    /* the kernel keeps limit <= memsw: raising both past the current limit
     * (an update) writes memsw first */
    bool swap = m->has_swap && m->swap, swap_first = false;
    if (swap && m->has_limit && m->limit) {
        char cur[32];
        swap_first = m->swap == -1 ||
                     (cg_read(dir, "memory.limit_in_bytes", cur, sizeof cur) > 0 &&
                      strtoll(cur, NULL, 10) < m->swap);
    }
    if (swap_first && memsw(dir, m, err) < 0)
        return -1;
    if (m->has_limit && m->limit &&
        cg_writef(dir, "memory.limit_in_bytes", err, "%lld", (long long) m->limit) < 0)
        return -1;
    if (swap && !swap_first && memsw(dir, m, err) < 0)
        return -1;
    if (m->has_reservation && m->reservation &&
        cg_writef(dir, "memory.soft_limit_in_bytes", err, "%lld", (long long) m->reservation) < 0)
        return -1;
    if (m->has_swappiness && cg_writef(dir, "memory.swappiness", err, "%llu",
                                       (unsigned long long) m->swappiness) < 0)
        return -1;
    if (m->has_disable_oom_killer && m->disable_oom_killer &&
        cg_write(dir, "memory.oom_control", "1", err) < 0)
        return -1;
    return 0;
}

/* A period and its quota (or realtime runtime), which the kernel checks
 * against each other and against the parent's limit at every write (a
 * Kubernetes pod cgroup has one): the period first, as runc; when that is
 * refused (EINVAL: the old quota over the new period is more than the
 * parent allows) and the quota changes too, the quota first, then the
 * period again.  0 leaves a value as it is. */
static int period_and_quota(const char *dir, const char *pfile, uint64_t period,
                            const char *qfile, long long quota, cx_error *err)
{
    bool period_later = false;
    if (period && cg_writef(dir, pfile, err, "%llu", (unsigned long long) period) < 0) {
        if (err->errnum != EINVAL || quota == 0)
            return -1;
        cx_error_clear(err);
        period_later = true;
    }
    if (quota && cg_writef(dir, qfile, err, "%lld", quota) < 0)
        return -1;
    if (period_later && cg_writef(dir, pfile, err, "%llu", (unsigned long long) period) < 0)
        return -1;
    return 0;
}

static int cpu(const char *dir, const struct oci_cpu *c, cx_error *err)
{
    if (c->has_shares && c->shares &&
        cg_writef(dir, "cpu.shares", err, "%llu", (unsigned long long) c->shares) < 0)
        return -1;
    if (period_and_quota(dir, "cpu.cfs_period_us", c->has_period ? c->period : 0,
                         "cpu.cfs_quota_us", c->has_quota ? c->quota : 0, err) < 0)
        return -1;
    if (c->has_burst && cg_writef(dir, "cpu.cfs_burst_us", err, "%llu",
                                  (unsigned long long) c->burst) < 0)
        return -1;
    if (period_and_quota(dir, "cpu.rt_period_us",
                         c->has_realtime_period ? c->realtime_period : 0, "cpu.rt_runtime_us",
                         c->has_realtime_runtime ? c->realtime_runtime : 0, err) < 0)
        return -1;
    if (c->has_idle && cg_writef(dir, "cpu.idle", err, "%lld", (long long) c->idle) < 0)
        return -1;
    return 0;
}

static int cpuset(const char *dir, const struct oci_cpu *c, cx_error *err)
{
    if (c->cpus && c->cpus[0] && cg_write(dir, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && c->mems[0] && cg_write(dir, "cpuset.mems", c->mems, err) < 0)
        return -1;
    return 0;
}

static int blkio(const char *dir, const struct oci_blkio *b, cx_error *err)
{
    static const char *throttle[4] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
    };
    const char *wfile = cg_exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    if (b->has_weight && b->weight && cg_writef(dir, wfile, err, "%u", b->weight) < 0)
        return -1;
    if (b->has_leaf_weight && b->leaf_weight &&
        cg_writef(dir, "blkio.leaf_weight", err, "%u", b->leaf_weight) < 0)
        return -1;
    for (size_t i = 0; i < b->n_weight_device; i++) {
        const struct oci_weight_device *d = &b->weight_device[i];
        if (d->has_weight && cg_writef(dir, "blkio.weight_device", err, "%lld:%lld %u",
                                       (long long) d->major, (long long) d->minor, d->weight) < 0)
            return -1;
    }
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < b->n_throttle[k]; i++) {
            const struct oci_throttle_device *d = &b->throttle[k][i];
            if (cg_writef(dir, throttle[k], err, "%lld:%lld %llu", (long long) d->major,
                          (long long) d->minor, (unsigned long long) d->rate) < 0)
                return -1;
        }
    return 0;
}

static int hugetlb(const char *dir, const struct oci_resources *r, cx_error *err)
{
    for (size_t i = 0; i < r->n_hugepages; i++) {
        char file[96];
        snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
        if (cg_writef(dir, file, err, "%llu", (unsigned long long) r->hugepages[i].limit) < 0)
            return cx_error_prefix(err, "linux.resources.hugepageLimits[%zu]", i);
    }
    return 0;
}

static int network(const char *dir, const struct cg_hier *h, const struct oci_resources *r,
                   cx_error *err)
{
    if (cg_has_ctrl(h, "net_cls") && r->has_net_class_id &&
        cg_writef(dir, "net_cls.classid", err, "%u", r->net_class_id) < 0)
        return -1;
    size_t i;
    json_t *p;
    if (cg_has_ctrl(h, "net_prio"))
        json_array_foreach(r->net_priorities, i, p)
            if (cg_writef(dir, "net_prio.ifpriomap", err, "%s %lld",
                          json_string_value(json_object_get(p, "name")),
                          (long long) json_integer_value(json_object_get(p, "priority"))) < 0)
                return -1;
    return 0;
}

int cg_v1_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err)
{
    if (cg_has_ctrl(h, "memory") && r->has_memory && memory(dir, &r->memory, err) < 0)
        return cx_error_prefix(err, "linux.resources.memory");
    if (cg_has_ctrl(h, "cpu") && r->has_cpu && cpu(dir, &r->cpu, err) < 0)
        return cx_error_prefix(err, "linux.resources.cpu");
    if (cg_has_ctrl(h, "cpuset") && r->has_cpu && cpuset(dir, &r->cpu, err) < 0)
        return cx_error_prefix(err, "linux.resources.cpu");
    if (cg_has_ctrl(h, "pids") && r->has_pids_limit && r->pids_limit &&
        (r->pids_limit < 0 ? cg_write(dir, "pids.max", "max", err)
                           : cg_writef(dir, "pids.max", err, "%lld", (long long) r->pids_limit)) < 0)
        return cx_error_prefix(err, "linux.resources.pids");
    if (cg_has_ctrl(h, "blkio") && r->has_blkio && blkio(dir, &r->blkio, err) < 0)
        return cx_error_prefix(err, "linux.resources.blockIO");
    if (cg_has_ctrl(h, "hugetlb") && hugetlb(dir, r, err) < 0)
        return -1;
    return network(dir, h, r, err) < 0 ? cx_error_prefix(err, "linux.resources.network") : 0;
}
