/* stats.c: a container's resource usage in runc's `events --stats` shape
 * ("cpu", "memory", "pids", "blkio", "hugetlb"), read from whichever
 * hierarchy holds each controller (v1 files, or their v2 equivalents). */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/internal.h"

/* The directory of ours that has file, or NULL. */
static const char *dir_with(json_t *cg, const char *file)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(cg, "dirs"), i, d)
        if (cg_exists(json_string_value(d), file))
            return json_string_value(d);
    return NULL;
}

static json_int_t read_num(const char *dir, const char *file)
{
    char buf[64];
    if (dir == NULL || cg_read(dir, file, buf, sizeof buf) <= 0 || strncmp(buf, "max", 3) == 0)
        return 0;
    return (json_int_t) strtoull(buf, NULL, 10);
}

/* "key value" lines (memory.stat, cpu.stat) into an object */
static json_t *read_kv(const char *dir, const char *file)
{
    char buf[8192];
    json_t *o = json_object();
    if (dir == NULL || cg_read(dir, file, buf, sizeof buf) <= 0)
        return o;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[128];
        unsigned long long v;
        if (sscanf(line, "%127s %llu", key, &v) == 2)
            json_object_set_new(o, key, json_integer((json_int_t) v));
    }
    return o;
}

static json_t *kv_get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_integer(v ? json_integer_value(v) : 0);
}

static json_t *cpu_stats(json_t *cg)
{
    const char *acct = dir_with(cg, "cpuacct.usage");
    const char *cpu = dir_with(cg, "cpu.stat");
    json_t *stat = read_kv(cpu, "cpu.stat");
    json_t *usage = json_object(), *percpu = json_array();
    if (acct) {
        char buf[4096], *save = NULL;
        json_object_set_new(usage, "total", json_integer(read_num(acct, "cpuacct.usage")));
        if (cg_read(acct, "cpuacct.usage_percpu", buf, sizeof buf) > 0)
            for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
                json_array_append_new(percpu, json_integer((json_int_t) strtoull(t, NULL, 10)));
        json_t *ticks = read_kv(acct, "cpuacct.stat");
        long hz = sysconf(_SC_CLK_TCK);
        json_int_t ns = hz > 0 ? 1000000000 / hz : 10000000;
        json_object_set_new(usage, "kernel", json_integer(json_integer_value(
            json_object_get(ticks, "system")) * ns));
        json_object_set_new(usage, "user", json_integer(json_integer_value(
            json_object_get(ticks, "user")) * ns));
        json_decref(ticks);
    } else { /* v2: cpu.stat in microseconds */
        json_object_set_new(usage, "total", json_integer(
            json_integer_value(json_object_get(stat, "usage_usec")) * 1000));
        json_object_set_new(usage, "kernel", json_integer(
            json_integer_value(json_object_get(stat, "system_usec")) * 1000));
        json_object_set_new(usage, "user", json_integer(
            json_integer_value(json_object_get(stat, "user_usec")) * 1000));
    }
    json_object_set_new(usage, "percpu", percpu);
    /* v1 counts the throttled time in ns, v2 in microseconds */
    json_t *throttled = json_object_get(stat, "throttled_time")
                            ? kv_get(stat, "throttled_time")
                            : json_integer(json_integer_value(
                                  json_object_get(stat, "throttled_usec")) * 1000);
    json_t *throttling = json_pack("{s:o,s:o,s:o}", "periods", kv_get(stat, "nr_periods"),
                                   "throttled_periods", kv_get(stat, "nr_throttled"),
                                   "throttled_time", throttled);
    json_decref(stat);
    return json_pack("{s:o,s:o}", "usage", usage, "throttling", throttling);
}

static json_t *mem_entry(const char *dir, const char *prefix)
{
    char f[4][96];
    snprintf(f[0], sizeof f[0], "%s.usage_in_bytes", prefix);
    snprintf(f[1], sizeof f[1], "%s.limit_in_bytes", prefix);
    snprintf(f[2], sizeof f[2], "%s.max_usage_in_bytes", prefix);
    snprintf(f[3], sizeof f[3], "%s.failcnt", prefix);
    return json_pack("{s:I,s:I,s:I,s:I}", "usage", read_num(dir, f[0]), "limit",
                     read_num(dir, f[1]), "max", read_num(dir, f[2]), "failcnt",
                     read_num(dir, f[3]));
}

static json_t *memory_stats(json_t *cg)
{
    const char *v1 = dir_with(cg, "memory.usage_in_bytes");
    const char *v2 = v1 ? NULL : dir_with(cg, "memory.current");
    json_t *raw = read_kv(v1 ? v1 : v2, "memory.stat");
    json_t *m;
    if (v1)
        m = json_pack("{s:o,s:o,s:o,s:o}", "usage", mem_entry(v1, "memory"),
                      "swap", mem_entry(v1, "memory.memsw"),
                      "kernel", mem_entry(v1, "memory.kmem"),
                      "kernelTCP", mem_entry(v1, "memory.kmem.tcp"));
    else
        m = json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I}}",
                      "usage", "usage", read_num(v2, "memory.current"),
                      "limit", read_num(v2, "memory.max"), "max", read_num(v2, "memory.peak"),
                      "failcnt", (json_int_t) 0,
                      "swap", "usage", read_num(v2, "memory.swap.current"),
                      "limit", read_num(v2, "memory.swap.max"));
    json_object_set_new(m, "cache", kv_get(raw, v1 ? "cache" : "file"));
    json_object_set_new(m, "raw", raw);
    return m;
}

static json_t *blkio_entry(unsigned maj, unsigned min, const char *op, json_int_t v)
{
    return json_pack("{s:I,s:I,s:s,s:I}", "major", (json_int_t) maj, "minor", (json_int_t) min,
                     "op", op, "value", v);
}

/* v1: "8:0 Read 4096" lines ("Total" lines have no device) */
static json_t *blkio_v1_list(const char *dir, const char *file)
{
    char buf[16384];
    json_t *a = json_array();
    if (cg_read(dir, file, buf, sizeof buf) <= 0)
        return a;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        char op[16];
        unsigned long long v;
        if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
            json_array_append_new(a, blkio_entry(maj, min, op, (json_int_t) v));
    }
    return a;
}

/* v2: io.stat's "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." as the v1 lists */
static void blkio_v2(const char *dir, json_t *bytes, json_t *ios)
{
    char buf[16384];
    if (cg_read(dir, "io.stat", buf, sizeof buf) <= 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
        if (sscanf(line, "%u:%u", &maj, &min) != 2)
            continue;
        for (char *kv = strchr(line, ' '); kv; kv = strchr(kv + 1, ' ')) {
            sscanf(kv, " rbytes=%llu", &rb);
            sscanf(kv, " wbytes=%llu", &wb);
            sscanf(kv, " rios=%llu", &ri);
            sscanf(kv, " wios=%llu", &wi);
        }
        json_array_append_new(bytes, blkio_entry(maj, min, "Read", (json_int_t) rb));
        json_array_append_new(bytes, blkio_entry(maj, min, "Write", (json_int_t) wb));
        json_array_append_new(ios, blkio_entry(maj, min, "Read", (json_int_t) ri));
        json_array_append_new(ios, blkio_entry(maj, min, "Write", (json_int_t) wi));
    }
}

static json_t *blkio_stats(json_t *cg)
{
    const char *v1 = dir_with(cg, "blkio.throttle.io_service_bytes_recursive");
    const char *v2 = v1 ? NULL : dir_with(cg, "io.stat");
    json_t *bytes, *ios;
    if (v1) {
        bytes = blkio_v1_list(v1, "blkio.throttle.io_service_bytes_recursive");
        ios = blkio_v1_list(v1, "blkio.throttle.io_serviced_recursive");
    } else {
        bytes = json_array();
        ios = json_array();
        if (v2)
            blkio_v2(v2, bytes, ios);
    }
    return json_pack("{s:o,s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", ios);
}

/* "hugepages-2048kB" -> "2MB", the name the cgroup files use */
static bool page_size_name(const char *dirent, char *out, size_t len)
{
    unsigned long long kb;
    if (sscanf(dirent, "hugepages-%llukB", &kb) != 1)
        return false;
    static const char *unit[] = { "KB", "MB", "GB", "TB" };
    int u = 0;
    while (kb >= 1024 && kb % 1024 == 0 && u < 3) {
        kb /= 1024;
        u++;
    }
    snprintf(out, len, "%llu%s", kb, unit[u]);
    return true;
}

static json_t *hugetlb_one(json_t *cg, const char *size)
{
    char f[4][96];
    snprintf(f[0], sizeof f[0], "hugetlb.%s.usage_in_bytes", size);
    const char *v1 = dir_with(cg, f[0]);
    if (v1) {
        snprintf(f[1], sizeof f[1], "hugetlb.%s.max_usage_in_bytes", size);
        snprintf(f[2], sizeof f[2], "hugetlb.%s.failcnt", size);
        return json_pack("{s:I,s:I,s:I}", "usage", read_num(v1, f[0]), "max",
                         read_num(v1, f[1]), "failcnt", read_num(v1, f[2]));
    }
    snprintf(f[0], sizeof f[0], "hugetlb.%s.current", size);
    snprintf(f[1], sizeof f[1], "hugetlb.%s.events", size);
    const char *v2 = dir_with(cg, f[0]);
    if (v2 == NULL)
        return NULL;
    json_t *ev = read_kv(v2, f[1]); /* v2 keeps no peak: "max" is the failures */
    json_t *h = json_pack("{s:I,s:I}", "usage", read_num(v2, f[0]), "failcnt",
                          json_integer_value(json_object_get(ev, "max")));
    json_decref(ev);
    return h;
}

static json_t *hugetlb_stats(json_t *cg)
{
    json_t *o = json_object();
    _cleanup_closedir_ DIR *d = opendir("/sys/kernel/mm/hugepages");
    struct dirent *de;
    char size[32];
    while (d && (de = readdir(d)) != NULL) {
        json_t *h;
        if (page_size_name(de->d_name, size, sizeof size) && (h = hugetlb_one(cg, size)))
            json_object_set_new(o, size, h);
    }
    return o;
}

json_t *cgroup_stats(json_t *cg)
{
    const char *pids = dir_with(cg, "pids.current");
    return json_pack("{s:o,s:o,s:{s:I,s:I},s:o,s:o}", "cpu", cpu_stats(cg), "memory",
                     memory_stats(cg), "pids", "current", read_num(pids, "pids.current"),
                     "limit", read_num(pids, "pids.max"), "blkio", blkio_stats(cg),
                     "hugetlb", hugetlb_stats(cg));
}

int cgroup_oom_count(json_t *cg)
{
    const char *v1 = dir_with(cg, "memory.oom_control");
    const char *v2 = v1 ? NULL : dir_with(cg, "memory.events");
    json_t *kv = read_kv(v1 ? v1 : v2, v1 ? "memory.oom_control" : "memory.events");
    int n = (int) json_integer_value(json_object_get(kv, v1 ? "oom_kill" : "oom_kill"));
    json_decref(kv);
    return n;
}
