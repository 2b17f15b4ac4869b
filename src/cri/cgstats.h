/* cgstats.h: the CRI's usage numbers of a container, mapped from the
 * runtime's cgroup statistics (cgroup_stats(): runc's `events --stats`
 * document, memory.raw holding memory.stat), and the messages that carry
 * them.  Pure: no file is read here, so both cgroup versions are tested on
 * any host (tests/unit/test_cgstats.c).
 *
 *   usage_core_nano_seconds  cpu.usage.total (v1 cpuacct.usage, v2
 *                            cpu.stat usage_usec * 1000)
 *   usage_nano_cores         the CPU time used since the previous sample
 *                            of the same container over the time between
 *                            (0 on the first)
 *   usage_bytes              v1 memory.usage_in_bytes, v2 memory.current
 *   working_set_bytes        usage - inactive file pages (v1
 *                            total_inactive_file, v2 inactive_file): what
 *                            the kernel cannot simply drop, the number the
 *                            kubelet evicts on
 *   available_bytes          limit - working set, when there is a limit
 *   rss_bytes                v1 total_rss, v2 anon
 *   page_faults, major_...   v1 total_pgfault/total_pgmajfault, v2
 *                            pgfault/pgmajfault
 *   swap                     v1 memsw.usage - usage (memsw counts memory
 *                            and swap together), v2 memory.swap.current;
 *                            available = the swap limit - that
 *
 * The v1 document is the one with memory.kernel (v2 has no kernel memory
 * counters), the rule engine/stats.c follows too.  A limit of "max" reads
 * 0 there; v1 writes an unlimited one as the largest page multiple below
 * 2^63: either is no limit here. */
#ifndef CAPSA_CRI_CGSTATS_H
#define CAPSA_CRI_CGSTATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri.pb-c.h"
#include "cri/arena.h"

struct cri_cg_sample {
    int64_t timestamp;           /* unix ns, what the messages carry */
    int64_t mono;                /* CLOCK_MONOTONIC ns, what rates use */
    uint64_t cpu_ns;             /* CPU time used since the cgroup was made */
    uint64_t nano_cores;         /* set by cri_cg_nano_cores' caller */
    uint64_t usage, working_set, rss, page_faults, major_page_faults;
    uint64_t limit;              /* 0: none */
    bool has_swap;               /* the kernel accounts swap for the cgroup */
    uint64_t swap_usage, swap_limit;     /* swap_limit 0: none */
    uint64_t pids;               /* pids.current */
};

/* The numbers of a cgroup_stats() document taken at timestamp/mono. */
void cri_cg_sample_of(json_t *cg, int64_t timestamp, int64_t mono, struct cri_cg_sample *s);
/* The CPU rate of cur since prev (the same container's previous sample),
 * in billionths of a core; 0 without prev, when no time passed, or when
 * the counter went back (a new cgroup under the same id). */
uint64_t cri_cg_nano_cores(const struct cri_cg_sample *prev, const struct cri_cg_sample *cur);
/* Add s to a pod's total: counters, rates and pids add up; a sum of
 * members has no limit of its own (limit and swap are left out). */
void cri_cg_sample_add(struct cri_cg_sample *sum, const struct cri_cg_sample *s);

/* One interface of /proc/PID/net/dev. */
struct cri_netif {
    char name[32];
    uint64_t rx_bytes, rx_errors, tx_bytes, tx_errors;
};
/* The interfaces of a net/dev text but lo, at most max of them into v (in
 * the file's order); returns how many. */
size_t cri_net_dev_ifaces(const char *text, struct cri_netif *v, size_t max);

/* The messages, in arena a.  cri_cg_swap: NULL without swap accounting;
 * cri_net_usage: default_interface is eth0 when present (the interface
 * CNI gives a pod), interfaces every one listed. */
Runtime__V1__CpuUsage *cri_cg_cpu(struct arena *a, const struct cri_cg_sample *s);
Runtime__V1__MemoryUsage *cri_cg_memory(struct arena *a, const struct cri_cg_sample *s);
Runtime__V1__SwapUsage *cri_cg_swap(struct arena *a, const struct cri_cg_sample *s);
Runtime__V1__ProcessUsage *cri_cg_process(struct arena *a, const struct cri_cg_sample *s);
Runtime__V1__NetworkUsage *cri_net_usage(struct arena *a, const struct cri_netif *v, size_t n,
                                         int64_t timestamp);
Runtime__V1__FilesystemUsage *cri_fs_usage(struct arena *a, const char *mountpoint,
                                           uint64_t bytes, uint64_t inodes, int64_t timestamp);

#endif
