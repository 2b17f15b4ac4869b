/* stats.c: see stats.h. */
#include "engine/stats.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/ctr_runtime.h"
#include "engine/lifecycle.h"
#include "engine/top.h"
#include "runtime/cgroup/cgroup.h"

void cx_stats_free(struct cx_stats *s)
{
    free(s->name);
    json_decref(s->percpu);
    *s = (struct cx_stats){ 0 };
}

static uint64_t num(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    json_int_t n = json_integer_value(v);
    return n > 0 ? (uint64_t) n : 0;
}

void cx_stats_from_cgroup(json_t *cg, struct cx_stats *s)
{
    json_t *percpu = json_object_get(json_object_get(json_object_get(cg, "cpu"), "usage"),
                                     "percpu");
    s->cpu_nano = num(cg, "cpu", "usage", "total");
    s->cpu_system_nano = num(cg, "cpu", "usage", "kernel");
    json_decref(s->percpu);
    s->percpu = json_array_size(percpu) ? json_deep_copy(percpu) : NULL;
    /* v1: memory.usage_in_bytes; v2 (no kernel memory counters): podman
     * counts the anonymous memory of memory.stat */
    json_t *mem = json_object_get(cg, "memory");
    s->mem_usage = json_object_get(mem, "kernel") ? num(mem, "usage", "usage", NULL)
                                                   : num(mem, "raw", "anon", NULL);
    s->pids = num(cg, "pids", "current", NULL);
    s->block_input = s->block_output = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(json_object_get(cg, "blkio"), "ioServiceBytesRecursive"),
                       i, e) {
        const char *op = json_string_value(json_object_get(e, "op"));
        uint64_t v = num(e, "value", NULL, NULL);
        if (op && strcasecmp(op, "read") == 0)
            s->block_input += v;
        else if (op && strcasecmp(op, "write") == 0)
            s->block_output += v;
    }
}

/* used / over wall time, in percent; 0 unless both grew */
static double percent_of(uint64_t used, uint64_t prev_used, uint64_t now, uint64_t prev_now)
{
    if (used <= prev_used || now <= prev_now)
        return 0;
    return (double) (used - prev_used) / (double) (now - prev_now) * 100.0;
}

void cx_stats_percentages(struct cx_stats *s, const struct cx_stats *prev, int64_t started_ns)
{
    uint64_t started = started_ns > 0 ? (uint64_t) started_ns : 0;
    uint64_t prev_cpu = 0, prev_now = started;
    if (prev && prev->cpu_nano <= s->cpu_nano) {
        prev_cpu = prev->cpu_nano;
        prev_now = prev->system_nano;
    } else if (prev) {
        prev_now = 0;   /* restarted in a new cgroup: podman starts from nothing */
    }
    s->cpu = percent_of(s->cpu_nano, prev_cpu, s->system_nano, prev_now);
    s->avg_cpu = percent_of(s->cpu_nano, 0, s->system_nano, started);
    s->mem_perc = s->mem_limit ? (double) s->mem_usage / (double) s->mem_limit * 100.0 : 0;
}

uint64_t cx_stats_mem_limit(int64_t config_limit, uint64_t host_ram)
{
    if (config_limit <= 0 || (uint64_t) config_limit > host_ram)
        return host_ram;
    return (uint64_t) config_limit;
}

int cx_net_dev_parse(const char *text, uint64_t *rx, uint64_t *tx)
{
    *rx = *tx = 0;
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *colon = memchr(line, ':', nl ? (size_t) (nl - line) : strlen(line));
        const char *name = line + strspn(line, " ");
        unsigned long long r, t;
        /* "  eth0: RXBYTES 7 more, TXBYTES ..."; the headers have no colon */
        if (colon && sscanf(colon + 1, "%llu %*s %*s %*s %*s %*s %*s %*s %llu", &r, &t) == 2 &&
            !(colon - name == 2 && strncmp(name, "lo", 2) == 0)) {
            *rx += r;
            *tx += t;
            n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* ---- one sample ---- */

static uint64_t host_ram(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        return UINT64_MAX;
    return (uint64_t) si.totalram * (si.mem_unit ? si.mem_unit : 1);
}

static int64_t config_mem_limit(json_t *config)
{
    json_t *v = json_object_get(json_object_get(json_object_get(json_object_get(
        config, "linux"), "resources"), "memory"), "limit");
    return json_is_integer(v) ? (int64_t) json_integer_value(v) : 0;
}

/* The init's network namespace, unless it is ours (host networking) */
static void net_io(pid_t pid, struct cx_stats *s)
{
    char path[48];
    struct stat mine, theirs;
    snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
    if (stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &mine) < 0 ||
        (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev))
        return;
    snprintf(path, sizeof path, "/proc/%d/net/dev", pid);
    _cleanup_free_ char *text = NULL;
    cx_error ignored = { 0 };
    if (cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &ignored) == 0)
        cx_net_dev_parse(text, &s->net_input, &s->net_output);
}

int cx_ctr_stats(struct cx_engine *e, struct cx_ctr *c, const struct cx_stats *prev,
                 struct cx_stats *out, cx_error *err)
{
    *out = (struct cx_stats){ 0 };
    snprintf(out->id, sizeof out->id, "%s", c->id);
    out->name = cx_strdup(c->name);
    cx_ctr_sync(e, c);
    if (c->state != CX_CTR_RUNNING && c->state != CX_CTR_PAUSED)
        return 0;
    _cleanup_(json_decrefp) json_t *dirs = NULL, *config = NULL;
    if (cx_rt_cgroups(e, c, &dirs, &config, err) < 0) {
        cx_ctr_sync(e, c);   /* it may have exited (and been cleaned up) meanwhile */
        if (c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED)
            return -1;
        cx_error_clear(err);
        return 0;
    }
    json_t *cg = cgroup_stats(dirs);
    if (!cg)
        return cx_fail(err, 0, "container %s: its cgroup statistics cannot be read",
                       c->name);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    out->system_nano = (uint64_t) now.tv_sec * 1000000000 + (uint64_t) now.tv_nsec;
    cx_stats_from_cgroup(cg, out);
    json_decref(cg);
    out->mem_limit = cx_stats_mem_limit(config_mem_limit(config), host_ram());
    net_io(c->pid, out);
    cx_stats_percentages(out, prev, c->started);
    return 0;
}

/* ---- renderings ---- */

void cx_stats_percent(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.2f%%", v);
}

static void size_with(double v, double base, const char *const *units, size_t n, char *buf,
                      size_t len)
{
    size_t u = 0;
    while (v >= base && u + 1 < n) {
        v /= base;
        u++;
    }
    snprintf(buf, len, "%.4g%s", v, units[u]);
}

void cx_human_size(double bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
    size_with(bytes, 1000, units, 9, buf, len);
}

void cx_bytes_size(double bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB",
                                         "YiB" };
    size_with(bytes, 1024, units, 9, buf, len);
}

/* "A / B" of two sizes */
static json_t *pair(uint64_t a, uint64_t b, void (*fmt)(double, char *, size_t))
{
    char x[32], y[32];
    fmt((double) a, x, sizeof x);
    fmt((double) b, y, sizeof y);
    char *s = cx_asprintf("%s / %s", x, y);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *percent(double v)
{
    char buf[48];
    cx_stats_percent(v, buf, sizeof buf);
    return json_string(buf);
}

static json_t *uptime(const struct cx_stats *s)
{
    char buf[64];
    cx_go_duration((int64_t) s->cpu_nano, buf, sizeof buf);
    return json_string(buf);
}

static json_t *short_id(const struct cx_stats *s, bool notrunc)
{
    return json_stringn(s->id, notrunc ? strlen(s->id) : 12);
}

json_t *cx_stats_json(const struct cx_stats *s, bool notrunc)
{
    char pids[24];
    snprintf(pids, sizeof pids, "%" PRIu64, s->pids);
    return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}",
                     "id", short_id(s, notrunc), "name", s->name ? s->name : "",
                     "cpu_time", uptime(s), "cpu_percent", percent(s->cpu),
                     "avg_cpu", percent(s->avg_cpu),
                     "mem_usage", pair(s->mem_usage, s->mem_limit, cx_human_size),
                     "mem_percent", percent(s->mem_perc),
                     "net_io", pair(s->net_input, s->net_output, cx_human_size),
                     "block_io", pair(s->block_input, s->block_output, cx_human_size),
                     "pids", pids);
}

/* podman's ContainerStats fields */
static json_t *fields(const struct cx_stats *s)
{
    return json_pack("{s:f,s:s,s:s,s:o,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,"
                     "s:o,s:I}",
                     "AvgCPU", s->avg_cpu, "ContainerID", s->id, "Name", s->name ? s->name : "",
                     "PerCPU", s->percpu ? json_incref(s->percpu) : json_array(), "CPU", s->cpu,
                     "CPUNano", (json_int_t) s->cpu_nano,
                     "CPUSystemNano", (json_int_t) s->cpu_system_nano,
                     "SystemNano", (json_int_t) s->system_nano,
                     "MemUsage", (json_int_t) s->mem_usage,
                     "MemLimit", (json_int_t) s->mem_limit, "MemPerc", s->mem_perc,
                     "NetInput", (json_int_t) s->net_input,
                     "NetOutput", (json_int_t) s->net_output,
                     "BlockInput", (json_int_t) s->block_input,
                     "BlockOutput", (json_int_t) s->block_output,
                     "PIDs", (json_int_t) s->pids, "UpTime", uptime(s),
                     "Duration", (json_int_t) s->cpu_nano);
}

json_t *cx_stats_view(const struct cx_stats *s, bool notrunc)
{
    json_t *v = fields(s);
    char pids[24];
    snprintf(pids, sizeof pids, "%" PRIu64, s->pids);
    json_object_set_new(v, "ContainerStats", fields(s));
    json_object_set_new(v, "ID", short_id(s, notrunc));
    json_object_set_new(v, "CPUPerc", percent(s->cpu));
    json_object_set_new(v, "AVGCPU", percent(s->avg_cpu));
    json_object_set_new(v, "Up", uptime(s));
    json_object_set_new(v, "MemPerc", percent(s->mem_perc));
    json_object_set_new(v, "NetIO", pair(s->net_input, s->net_output, cx_human_size));
    json_object_set_new(v, "BlockIO", pair(s->block_input, s->block_output, cx_human_size));
    json_object_set_new(v, "PIDS", json_string(pids));
    json_object_set_new(v, "MemUsage", pair(s->mem_usage, s->mem_limit, cx_human_size));
    json_object_set_new(v, "MemUsageBytes", pair(s->mem_usage, s->mem_limit, cx_bytes_size));
    return v;
}

json_t *cx_stats_headers(void)
{
    /* podman's: a field's name in capitals, split where its case changes,
     * or the header podman gives it */
    static const char *const h[][2] = {
        { "AvgCPU", "AVG CPU" }, { "ContainerID", "CONTAINER ID" }, { "Name", "NAME" },
        { "PerCPU", "PER CPU" }, { "CPU", "CPU" }, { "CPUNano", "CPU NANO" },
        { "CPUSystemNano", "CPU SYSTEM NANO" }, { "SystemNano", "SYSTEM NANO" },
        { "MemLimit", "MEM LIMIT" }, { "NetInput", "NET INPUT" },
        { "NetOutput", "NET OUTPUT" }, { "BlockInput", "BLOCK INPUT" },
        { "BlockOutput", "BLOCK OUTPUT" }, { "PIDs", "PI DS" }, { "Duration", "DURATION" },
        { "ContainerStats", "CONTAINER STATS" }, { "ID", "ID" }, { "UpTime", "CPU TIME" },
        { "CPUPerc", "CPU %" }, { "AVGCPU", "AVG CPU %" }, { "MemUsage", "MEM USAGE / LIMIT" },
        { "MemUsageBytes", "MEM USAGE / LIMIT" }, { "MemPerc", "MEM %" }, { "NetIO", "NET IO" },
        { "BlockIO", "BLOCK IO" }, { "PIDS", "PIDS" },
    };
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        json_object_set_new(o, h[i][0], json_string(h[i][1]));
    return o;
}
