/* cgstats.c: see cgstats.h. */
#include "cri/cgstats.h"

#include <stdio.h>
#include <string.h>

/* Above this a v1 limit is "unlimited": the kernel rounds its largest
 * value down to a page multiple, so it is never exactly INT64_MAX. */
#define CG_UNLIMITED (UINT64_C(1) << 62)

static uint64_t num(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    json_int_t n = json_integer_value(v);
    return n > 0 ? (uint64_t) n : 0;
}

static uint64_t limit_of(uint64_t v)
{
    return v >= CG_UNLIMITED ? 0 : v;
}

static void memory_v1(json_t *mem, json_t *raw, struct cri_cg_sample *s)
{
    uint64_t inactive = num(raw, "total_inactive_file", NULL);
    s->working_set = s->usage > inactive ? s->usage - inactive : 0;
    s->rss = num(raw, "total_rss", NULL);
    s->page_faults = num(raw, "total_pgfault", NULL);
    s->major_page_faults = num(raw, "total_pgmajfault", NULL);
    /* memsw is memory + swap; without swap accounting its files are
     * missing and read 0 */
    uint64_t memsw = num(json_object_get(mem, "swap"), "usage", NULL);
    s->has_swap = memsw > 0;
    s->swap_usage = memsw > s->usage ? memsw - s->usage : 0;
    uint64_t memsw_limit = limit_of(num(json_object_get(mem, "swap"), "limit", NULL));
    s->swap_limit = s->limit && memsw_limit > s->limit ? memsw_limit - s->limit : 0;
}

static void memory_v2(json_t *mem, json_t *raw, struct cri_cg_sample *s)
{
    uint64_t inactive = num(raw, "inactive_file", NULL);
    s->working_set = s->usage > inactive ? s->usage - inactive : 0;
    s->rss = num(raw, "anon", NULL);
    s->page_faults = num(raw, "pgfault", NULL);
    s->major_page_faults = num(raw, "pgmajfault", NULL);
    s->has_swap = true;
    s->swap_usage = num(json_object_get(mem, "swap"), "usage", NULL);
    s->swap_limit = limit_of(num(json_object_get(mem, "swap"), "limit", NULL));
}

void cri_cg_sample_of(json_t *cg, int64_t timestamp, int64_t mono, struct cri_cg_sample *s)
{
    *s = (struct cri_cg_sample){ .timestamp = timestamp, .mono = mono };
    s->cpu_ns = num(json_object_get(json_object_get(cg, "cpu"), "usage"), "total", NULL);
    json_t *mem = json_object_get(cg, "memory");
    json_t *raw = json_object_get(mem, "raw");
    s->usage = num(json_object_get(mem, "usage"), "usage", NULL);
    s->limit = limit_of(num(json_object_get(mem, "usage"), "limit", NULL));
    if (json_object_get(mem, "kernel"))
        memory_v1(mem, raw, s);
    else
        memory_v2(mem, raw, s);
    s->pids = num(cg, "pids", "current");
}

uint64_t cri_cg_nano_cores(const struct cri_cg_sample *prev, const struct cri_cg_sample *cur)
{
    if (prev == NULL || cur->mono <= prev->mono || cur->cpu_ns < prev->cpu_ns)
        return 0;
    /* in double: a CPU-time delta of more than 18 s times 1e9 would
     * overflow 64 bits, and the rate needs no more than 53 of them */
    double used = (double) (cur->cpu_ns - prev->cpu_ns);
    double wall = (double) (cur->mono - prev->mono);
    return (uint64_t) (used * 1e9 / wall);
}

void cri_cg_sample_add(struct cri_cg_sample *sum, const struct cri_cg_sample *s)
{
    sum->cpu_ns += s->cpu_ns;
    sum->nano_cores += s->nano_cores;
    sum->usage += s->usage;
    sum->working_set += s->working_set;
    sum->rss += s->rss;
    sum->page_faults += s->page_faults;
    sum->major_page_faults += s->major_page_faults;
    sum->pids += s->pids;
    sum->limit = 0;
    sum->has_swap = false;
}

size_t cri_net_dev_ifaces(const char *text, struct cri_netif *v, size_t max)
{
    size_t n = 0;
    for (const char *line = text; line && *line && n < max;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t) (nl - line) : strlen(line);
        const char *colon = memchr(line, ':', len);
        const char *name = line + strspn(line, " ");
        unsigned long long rb, re, tb, te;
        /* "  eth0: rx bytes packets errs drop fifo frame compressed
         * multicast, tx bytes packets errs ..."; the two header lines have
         * no colon */
        if (colon && colon > name && (size_t) (colon - name) < sizeof v->name &&
            sscanf(colon + 1, "%llu %*u %llu %*u %*u %*u %*u %*u %llu %*u %llu", &rb, &re,
                   &tb, &te) == 4 &&
            !(colon - name == 2 && strncmp(name, "lo", 2) == 0)) {
            struct cri_netif *f = &v[n++];
            snprintf(f->name, sizeof f->name, "%.*s", (int) (colon - name), name);
            f->rx_bytes = rb;
            f->rx_errors = re;
            f->tx_bytes = tb;
            f->tx_errors = te;
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* ---- the messages ---- */

#define NEW(a, type, init) ({ type *m_ = arena_alloc((a), sizeof(type)); init(m_); m_; })

static Runtime__V1__UInt64Value *u64(struct arena *a, uint64_t v)
{
    Runtime__V1__UInt64Value *m = NEW(a, Runtime__V1__UInt64Value,
                                      runtime__v1__uint64_value__init);
    m->value = v;
    return m;
}

Runtime__V1__CpuUsage *cri_cg_cpu(struct arena *a, const struct cri_cg_sample *s)
{
    Runtime__V1__CpuUsage *m = NEW(a, Runtime__V1__CpuUsage, runtime__v1__cpu_usage__init);
    m->timestamp = s->timestamp;
    m->usage_core_nano_seconds = u64(a, s->cpu_ns);
    m->usage_nano_cores = u64(a, s->nano_cores);
    return m;
}

Runtime__V1__MemoryUsage *cri_cg_memory(struct arena *a, const struct cri_cg_sample *s)
{
    Runtime__V1__MemoryUsage *m = NEW(a, Runtime__V1__MemoryUsage,
                                      runtime__v1__memory_usage__init);
    m->timestamp = s->timestamp;
    m->working_set_bytes = u64(a, s->working_set);
    if (s->limit)
        m->available_bytes = u64(a, s->limit > s->working_set ? s->limit - s->working_set : 0);
    m->usage_bytes = u64(a, s->usage);
    m->rss_bytes = u64(a, s->rss);
    m->page_faults = u64(a, s->page_faults);
    m->major_page_faults = u64(a, s->major_page_faults);
    return m;
}

Runtime__V1__SwapUsage *cri_cg_swap(struct arena *a, const struct cri_cg_sample *s)
{
    if (!s->has_swap)
        return NULL;
    Runtime__V1__SwapUsage *m = NEW(a, Runtime__V1__SwapUsage, runtime__v1__swap_usage__init);
    m->timestamp = s->timestamp;
    m->swap_usage_bytes = u64(a, s->swap_usage);
    if (s->swap_limit)
        m->swap_available_bytes = u64(a, s->swap_limit > s->swap_usage
                                             ? s->swap_limit - s->swap_usage : 0);
    return m;
}

Runtime__V1__ProcessUsage *cri_cg_process(struct arena *a, const struct cri_cg_sample *s)
{
    Runtime__V1__ProcessUsage *m = NEW(a, Runtime__V1__ProcessUsage,
                                       runtime__v1__process_usage__init);
    m->timestamp = s->timestamp;
    m->process_count = u64(a, s->pids);
    return m;
}

static Runtime__V1__NetworkInterfaceUsage *iface(struct arena *a, const struct cri_netif *f)
{
    Runtime__V1__NetworkInterfaceUsage *m = NEW(a, Runtime__V1__NetworkInterfaceUsage,
                                                runtime__v1__network_interface_usage__init);
    m->name = arena_strdup(a, f->name);
    m->rx_bytes = u64(a, f->rx_bytes);
    m->rx_errors = u64(a, f->rx_errors);
    m->tx_bytes = u64(a, f->tx_bytes);
    m->tx_errors = u64(a, f->tx_errors);
    return m;
}

Runtime__V1__NetworkUsage *cri_net_usage(struct arena *a, const struct cri_netif *v, size_t n,
                                         int64_t timestamp)
{
    Runtime__V1__NetworkUsage *m = NEW(a, Runtime__V1__NetworkUsage,
                                       runtime__v1__network_usage__init);
    m->timestamp = timestamp;
    m->interfaces = arena_alloc(a, (n + 1) * sizeof *m->interfaces);
    for (size_t i = 0; i < n; i++) {
        m->interfaces[m->n_interfaces++] = iface(a, &v[i]);
        if (m->default_interface == NULL && strcmp(v[i].name, "eth0") == 0)
            m->default_interface = m->interfaces[i];
    }
    return m;
}

Runtime__V1__FilesystemUsage *cri_fs_usage(struct arena *a, const char *mountpoint,
                                           uint64_t bytes, uint64_t inodes, int64_t timestamp)
{
    Runtime__V1__FilesystemUsage *m = NEW(a, Runtime__V1__FilesystemUsage,
                                          runtime__v1__filesystem_usage__init);
    m->timestamp = timestamp;
    m->fs_id = NEW(a, Runtime__V1__FilesystemIdentifier,
                   runtime__v1__filesystem_identifier__init);
    m->fs_id->mountpoint = arena_strdup(a, mountpoint);
    m->used_bytes = u64(a, bytes);
    m->inodes_used = u64(a, inodes);
    return m;
}
