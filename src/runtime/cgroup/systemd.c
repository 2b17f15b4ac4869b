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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"
#include "runtime/selfexe.h"

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

/* properties as capsa-systemd takes them: ["Name", signature, value] */
static void prop_t(json_t *a, const char *name, uint64_t v)
{
    json_array_append_new(a, json_pack("[s,s,I]", name, "t", (json_int_t) v));
}

static void prop_s(json_t *a, const char *name, const char *v)
{
    json_array_append_new(a, json_pack("[s,s,s]", name, "s", v));
}

static void prop_b(json_t *a, const char *name, bool v)
{
    json_array_append_new(a, json_pack("[s,s,b]", name, "b", v));
}

static void prop_bytes(json_t *a, const char *name, const char *sig, const uint8_t *v,
                       size_t n) /* "ay" */
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_integer(v[i]));
    json_array_append_new(a, json_pack("[s,s,o]", name, sig, arr));
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

static void fill_memory(json_t *p, const struct oci_mem *m, bool v2)
{
    if (m->has_limit && m->limit != 0)
        prop_t(p, v2 ? "MemoryMax" : "MemoryLimit", limit_or_infinity(m->limit));
    if (v2 && m->has_reservation && m->reservation > 0)
        prop_t(p, "MemoryLow", (uint64_t) m->reservation);
    if (v2 && m->has_swap && m->swap != 0) {
        int64_t swap = m->swap < 0 ? -1 : m->swap - (m->has_limit ? m->limit : 0);
        if (m->swap < 0 || swap >= 0)
            prop_t(p, "MemorySwapMax", limit_or_infinity(swap));
    }
}

static void fill_cpu(json_t *p, const struct oci_cpu *c, bool v2)
{
    if (c->has_shares && c->shares)
        prop_t(p, v2 ? "CPUWeight" : "CPUShares", v2 ? cg_v2_cpu_weight(c->shares) : c->shares);
    if (c->has_quota && c->quota > 0) {
        uint64_t period = c->has_period && c->period ? c->period : 100000;
        /* systemd keeps quota per second in 10 ms steps: round up */
        uint64_t per_sec = (uint64_t) c->quota * 1000000 / period;
        prop_t(p, "CPUQuotaPerSecUSec", (per_sec + 9999) / 10000 * 10000);
    } else if (c->has_quota && c->quota < 0) {
        prop_t(p, "CPUQuotaPerSecUSec", UINT64_MAX);
    }
    if (c->has_period && c->period)
        prop_t(p, "CPUQuotaPeriodUSec", c->period);
    uint8_t mask[1024];
    size_t n;
    if (v2 && c->cpus && c->cpus[0] && cg_cpuset_mask(c->cpus, mask, sizeof mask, &n) == 0)
        prop_bytes(p, "AllowedCPUs", "ay", mask, n);
    if (v2 && c->mems && c->mems[0] && cg_cpuset_mask(c->mems, mask, sizeof mask, &n) == 0)
        prop_bytes(p, "AllowedMemoryNodes", "ay", mask, n);
}

static void fill_resources(json_t *p, const struct oci_resources *r, bool v2)
{
    if (r->has_memory)
        fill_memory(p, &r->memory, v2);
    if (r->has_cpu)
        fill_cpu(p, &r->cpu, v2);
    if (r->has_pids_limit && r->pids_limit != 0)
        prop_t(p, "TasksMax", limit_or_infinity(r->pids_limit));
    if (r->has_blkio && r->blkio.has_weight && r->blkio.weight)
        prop_t(p, v2 ? "IOWeight" : "BlockIOWeight",
               v2 ? cg_v2_io_weight(r->blkio.weight) : r->blkio.weight);
}

/* The unit's properties; with a pid, those of a new scope as well. */
static json_t *unit_props(const struct fill *f)
{
    json_t *p = json_array();
    if (f->pid) {
        char desc[1200];
        snprintf(desc, sizeof desc, "capsa container %s", f->id);
        prop_s(p, "Description", desc);
        prop_s(p, "Slice", f->u->slice);
        json_array_append_new(p, json_pack("[s,s,[i]]", "PIDs", "au", (int) f->pid));
        prop_b(p, "Delegate", true);
        prop_b(p, "DefaultDependencies", false);
        prop_b(p, "MemoryAccounting", true);
        prop_b(p, "CPUAccounting", true);
        prop_b(p, "TasksAccounting", true);
        prop_b(p, f->v2 ? "IOAccounting" : "BlockIOAccounting", true);
    }
    if (f->r)
        fill_resources(p, f->r, f->v2);
    return p;
}

/* capsa-systemd beside our binary, else on PATH.  capsa names itself by
 * argv[0] (it may run from a sealed copy); capsad and capsactl, which run
 * this driver in process and keep no argv[0], by /proc/self/exe. */
static void helper_path(char *out, size_t len)
{
    char self[PATH_MAX] = "";
    const char *argv0 = selfexe_argv0();
    if (argv0 == NULL) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        argv0 = self;
    }
    const char *slash = strrchr(argv0, '/');
    snprintf(out, len, "%.*s/capsa-systemd", slash ? (int) (slash - argv0) : 0, argv0);
    if (slash == NULL || access(out, X_OK) < 0)
        snprintf(out, len, "capsa-systemd");
}

/* Run `capsa-systemd OP UNIT` with props on its stdin; its one line of
 * error, if any, becomes ours. */
static int run_helper(const char *op, const char *unit, json_t *props, cx_error *err)
{
    char helper[PATH_MAX];
    int in[2], out[2];
    helper_path(helper, sizeof helper);
    _cleanup_free_ char *text = props ? json_dumps(props, JSON_COMPACT) : NULL;
    if (pipe2(in, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "systemd: pipe");
    if (pipe2(out, O_CLOEXEC) < 0) {
        cx_close(in[0]);
        cx_close(in[1]);
        return cx_fail_errno(err, "systemd: pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDERR_FILENO);
        char *const argv[] = { helper, (char *) op, (char *) unit, NULL };
        execvp(helper, argv);
        dprintf(STDERR_FILENO, "cannot run %s (installed beside capsa): %s", helper,
                strerror(errno));
        _exit(127);
    }
    cx_close(in[0]);
    cx_close(out[1]);
    if (pid > 0 && text)
        cx_write_all(in[1], text, strlen(text));
    cx_close(in[1]);
    char msg[CX_ERROR_MAX] = "";
    ssize_t n, got = 0;
    while ((n = read(out[0], msg + got, sizeof msg - 1 - (size_t) got)) > 0)
        got += n;
    msg[got > 0 ? got : 0] = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    cx_close(out[0]);
    int status = 0;
    if (pid < 0)
        return cx_fail_errno(err, "systemd: fork");
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return cx_fail(err, 0, "%s", msg[0] ? msg : "systemd: capsa-systemd failed");
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
    struct fill f = { u, r, pid, v2, id };
    if (check_pid1(err) < 0)
        return -1;
    json_t *props = unit_props(&f);
    int rc = run_helper("start", u->unit, props, err);
    json_decref(props);
    return rc < 0 ? -1 : verify_placement(pid, u, err);
}

int cg_systemd_update(const char *unit, const struct oci_resources *r, bool v2, cx_error *err)
{
    struct cg_sd_unit u = { 0 };
    struct fill f = { &u, r, 0, v2, NULL };
    snprintf(u.unit, sizeof u.unit, "%s", unit);
    if (check_pid1(err) < 0)
        return -1;
    json_t *props = unit_props(&f);
    int rc = run_helper("set", unit, props, err);
    json_decref(props);
    return rc;
}

int cg_systemd_stop(const char *unit, cx_error *err)
{
    return check_pid1(err) < 0 ? -1 : run_helper("stop", unit, NULL, err);
}
