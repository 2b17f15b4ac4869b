/* systemd.c: the systemd cgroup driver (`capsa --systemd-cgroup`).
 *
 * On a host whose PID 1 is systemd, systemd owns the cgroup tree: a
 * container's cgroup is a transient scope unit that systemd creates, with
 * the init's pid in it, through StartTransientUnit on D-Bus (sdbus.c).
 * linux.cgroupsPath is "slice:prefix:name": unit "prefix-name.scope" in
 * the slice ("system.slice" when empty); absent, "system.slice:capsa:<id>".
 * The scope gets Delegate=yes, so the runtime may then write the files
 * systemd has no property for (cgroup.c applies every resource to the
 * scope's directories as with cgroupfs, and attaches the device program);
 * the limits that have unit properties are also passed as properties,
 * so that a `systemctl daemon-reload` re-applies the same values.
 *
 * After the job reports "done", /proc/PID/cgroup is checked to name the
 * scope (the driver trusts the kernel, not the job).  delete kills what
 * is left and stops the unit; update sets the properties again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"
#include "runtime/cgroup/sdbus.h"

static bool unit_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("_.-\\@", s[i])))
            return false;
    return n > 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" */
static int slice_path(const char *slice, char *out, size_t len, cx_error *err)
{
    size_t n = strlen(slice);
    out[0] = '\0';
    if (strcmp(slice, "-.slice") == 0)
        return 0;
    if (n <= 6 || strcmp(slice + n - 6, ".slice") != 0 || !unit_chars_ok(slice, n) ||
        slice[0] == '-' || strstr(slice, "--") || slice[n - 7] == '-')
        return cx_fail(err, 0, "\"%s\" is not a slice name (like system.slice or "
                               "machine-capsa.slice)", slice);
    size_t base = n - 6, used = 0;
    for (size_t i = 0; i <= base; i++) {
        if (i < base && slice[i] != '-')
            continue;
        int w = snprintf(out + used, len - used, "/%.*s.slice", (int) i, slice);
        if (w < 0 || (size_t) w >= len - used)
            return cx_fail(err, 0, "slice \"%s\": too long", slice);
        used += (size_t) w;
    }
    return 0;
}

int cg_systemd_unit(const char *cgroups_path, const char *id, struct cg_sd_unit *u,
                    cx_error *err)
{
    char def[1100], slice[256], prefix[256], name[256];
    if (cgroups_path == NULL || cgroups_path[0] == '\0') {
        snprintf(def, sizeof def, "system.slice:capsa:%s", id);
        cgroups_path = def;
    }
    const char *c1 = strchr(cgroups_path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || strchr(c2 + 1, ':') || (size_t) (c1 - cgroups_path) >= sizeof slice ||
        (size_t) (c2 - c1 - 1) >= sizeof prefix || strlen(c2 + 1) >= sizeof name)
        return cx_fail(err, 0, "linux.cgroupsPath: \"%s\" is not slice:prefix:name (the form "
                       "the systemd cgroup driver takes)", cgroups_path);
    snprintf(slice, sizeof slice, "%.*s", (int) (c1 - cgroups_path), cgroups_path);
    snprintf(prefix, sizeof prefix, "%.*s", (int) (c2 - c1 - 1), c1 + 1);
    snprintf(name, sizeof name, "%s", c2 + 1);
    if (slice[0] == '\0')
        snprintf(slice, sizeof slice, "system.slice");
    if ((prefix[0] && !unit_chars_ok(prefix, strlen(prefix))) ||
        !unit_chars_ok(name, strlen(name)))
        return cx_fail(err, 0, "linux.cgroupsPath: \"%s\": a prefix or name with characters "
                       "a unit name cannot hold", cgroups_path);
    if (slice_path(slice, u->path, sizeof u->path, err) < 0)
        return cx_error_prefix(err, "linux.cgroupsPath");
    snprintf(u->slice, sizeof u->slice, "%s", slice);
    if ((size_t) snprintf(u->unit, sizeof u->unit, "%s%s%s.scope", prefix, prefix[0] ? "-" : "",
                          name) >= sizeof u->unit)
        return cx_fail(err, 0, "linux.cgroupsPath: unit name too long");
    size_t used = strlen(u->path);
    snprintf(u->path + used, sizeof u->path - used, "/%s", u->unit);
    return 0;
}

/* "0-3,8" -> the bitmask systemd's AllowedCPUs takes (bit n = cpu n) */
int cg_cpuset_mask(const char *list, uint8_t *mask, size_t cap, size_t *len)
{
    *len = 0;
    memset(mask, 0, cap);
    for (const char *p = list; *p; ) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (end == p)
            return -1;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtoul(q, &end, 10);
            if (end == q || b < a)
                return -1;
        }
        if (b / 8 >= cap)
            return -1;
        for (unsigned long i = a; i <= b; i++)
            mask[i / 8] |= (uint8_t) (1u << (i % 8));
        if (b / 8 + 1 > *len)
            *len = b / 8 + 1;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return 0;
}

struct fill {
    const struct cg_sd_unit *u;
    const struct oci_resources *r;
    pid_t pid;       /* 0: an update, not a start */
    bool v2;
    const char *id;
};

static uint64_t limit_or_infinity(int64_t v)
{
    return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static int fill_memory(struct sdb_props *p, const struct oci_mem *m, bool v2)
{
    int rc = 0;
    if (m->has_limit && m->limit != 0)
        rc |= sdb_prop_u64(p, v2 ? "MemoryMax" : "MemoryLimit", limit_or_infinity(m->limit));
    if (v2 && m->has_reservation && m->reservation > 0)
        rc |= sdb_prop_u64(p, "MemoryLow", (uint64_t) m->reservation);
    if (v2 && m->has_swap && m->swap != 0) {
        int64_t swap = m->swap < 0 ? -1 : m->swap - (m->has_limit ? m->limit : 0);
        if (m->swap < 0 || swap >= 0)
            rc |= sdb_prop_u64(p, "MemorySwapMax", limit_or_infinity(swap));
    }
    return rc;
}

static int fill_cpu(struct sdb_props *p, const struct oci_cpu *c, bool v2)
{
    int rc = 0;
    if (c->has_shares && c->shares)
        rc |= v2 ? sdb_prop_u64(p, "CPUWeight", cg_v2_cpu_weight(c->shares))
                 : sdb_prop_u64(p, "CPUShares", c->shares);
    if (c->has_quota && c->quota > 0) {
        uint64_t period = c->has_period && c->period ? c->period : 100000;
        /* systemd keeps quota per second in 10 ms steps: round up */
        uint64_t per_sec = (uint64_t) c->quota * 1000000 / period;
        per_sec = (per_sec + 9999) / 10000 * 10000;
        rc |= sdb_prop_u64(p, "CPUQuotaPerSecUSec", per_sec);
    } else if (c->has_quota && c->quota < 0) {
        rc |= sdb_prop_u64(p, "CPUQuotaPerSecUSec", UINT64_MAX);
    }
    if (c->has_period && c->period)
        rc |= sdb_prop_u64(p, "CPUQuotaPeriodUSec", c->period);
    uint8_t mask[1024];
    size_t n;
    if (v2 && c->cpus && c->cpus[0] && cg_cpuset_mask(c->cpus, mask, sizeof mask, &n) == 0)
        rc |= sdb_prop_bytes(p, "AllowedCPUs", mask, n);
    if (v2 && c->mems && c->mems[0] && cg_cpuset_mask(c->mems, mask, sizeof mask, &n) == 0)
        rc |= sdb_prop_bytes(p, "AllowedMemoryNodes", mask, n);
    return rc;
}

static int fill_resources(struct sdb_props *p, const struct oci_resources *r, bool v2)
{
    int rc = 0;
    if (r->has_memory)
        rc |= fill_memory(p, &r->memory, v2);
    if (r->has_cpu)
        rc |= fill_cpu(p, &r->cpu, v2);
    if (r->has_pids_limit && r->pids_limit != 0)
        rc |= sdb_prop_u64(p, "TasksMax", limit_or_infinity(r->pids_limit));
    if (r->has_blkio && r->blkio.has_weight && r->blkio.weight)
        rc |= v2 ? sdb_prop_u64(p, "IOWeight", cg_v2_io_weight(r->blkio.weight))
                 : sdb_prop_u64(p, "BlockIOWeight", r->blkio.weight);
    return rc;
}

static int fill_props(struct sdb_props *p, void *data, cx_error *err)
{
    struct fill *f = data;
    int rc = 0;
    if (f->pid) {
        char desc[1200];
        snprintf(desc, sizeof desc, "capsa container %s", f->id);
        rc |= sdb_prop_str(p, "Description", desc);
        rc |= sdb_prop_str(p, "Slice", f->u->slice);
        rc |= sdb_prop_pids(p, "PIDs", &f->pid, 1);
        rc |= sdb_prop_bool(p, "Delegate", true);
        rc |= sdb_prop_bool(p, "DefaultDependencies", false);
        rc |= sdb_prop_bool(p, "MemoryAccounting", true);
        rc |= sdb_prop_bool(p, "CPUAccounting", true);
        rc |= sdb_prop_bool(p, "TasksAccounting", true);
        rc |= sdb_prop_bool(p, f->v2 ? "IOAccounting" : "BlockIOAccounting", true);
    }
    if (f->r)
        rc |= fill_resources(p, f->r, f->v2);
    return rc ? cx_fail(err, 0, "systemd: cannot build the properties of %s", f->u->unit) : 0;
}

static int check_pid1(cx_error *err)
{
    if (access("/run/systemd/system", F_OK) < 0)
        return cx_fail(err, 0, "--systemd-cgroup: systemd is not PID 1 on this host (no "
                               "/run/systemd/system); drop --systemd-cgroup to use the "
                               "cgroupfs driver");
    return 0;
}

/* The kernel's word on where pid is: its v2 line, or v1 name=systemd. */
static int verify_placement(pid_t pid, const struct cg_sd_unit *u, cx_error *err)
{
    char path[64], line[PATH_MAX + 64], *where = NULL;
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "0::", 3) == 0 || strstr(line, ":name=systemd:")) {
            where = strchr(strchr(line, ':') + 1, ':') + 1;
            if (strcmp(where, u->path) == 0)
                return 0;
        }
    }
    return cx_fail(err, 0, "systemd reported %s started, but the container's init is in "
                   "\"%s\", not \"%s\"", u->unit, where ? where : "?", u->path);
}

int cg_systemd_start(const struct cg_sd_unit *u, const char *id,
                     const struct oci_resources *r, pid_t pid, bool v2, cx_error *err)
{
    _cleanup_sdb_ struct sdb *b = NULL;
    struct fill f = { u, r, pid, v2, id };
    if (check_pid1(err) < 0 || sdb_open(&b, err) < 0 ||
        sdb_start_unit(b, u->unit, fill_props, &f, err) < 0)
        return -1;
    return verify_placement(pid, u, err);
}

int cg_systemd_update(const char *unit, const struct oci_resources *r, bool v2, cx_error *err)
{
    _cleanup_sdb_ struct sdb *b = NULL;
    struct cg_sd_unit u = { 0 };
    struct fill f = { &u, r, 0, v2, NULL };
    snprintf(u.unit, sizeof u.unit, "%s", unit);
    if (check_pid1(err) < 0 || sdb_open(&b, err) < 0)
        return -1;
    return sdb_set_props(b, unit, fill_props, &f, err);
}

int cg_systemd_stop(const char *unit, cx_error *err)
{
    _cleanup_sdb_ struct sdb *b = NULL;
    if (check_pid1(err) < 0 || sdb_open(&b, err) < 0)
        return -1;
    return sdb_stop_unit(b, unit, err);
}
