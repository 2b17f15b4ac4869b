/* stats.h: `capsactl stats`: a container's resource usage as podman 4.3
 * computes it (libpod's ContainerStats), from the runtime's cgroup
 * statistics (cgroup_stats: cpuacct or cpu.stat, memory, pids, blkio or
 * io.stat) and the /proc/PID/net/dev of the container's network namespace.
 *
 * CPU %: the CPU time used between two samples over the wall time between
 * them; the first sample of a container counts from its start (its
 * average so far).  MEM LIMIT: linux.resources.memory.limit of its config,
 * or the host's RAM when it has none or a larger one.  NET I/O: received /
 * sent bytes of every interface but lo (none when it shares the host's
 * namespace).  BLOCK I/O: read / written bytes. */
#ifndef CAPSA_ENGINE_STATS_H
#define CAPSA_ENGINE_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/containers.h"
#include "engine/engine.h"

struct cx_stats {
    char id[65];
    char *name;
    double avg_cpu, cpu, mem_perc;       /* percentages */
    uint64_t cpu_nano, cpu_system_nano;  /* CPU time used, all and in the kernel */
    uint64_t system_nano;                /* when sampled, unix ns */
    json_t *percpu;                      /* array of ns per CPU (v1), or NULL */
    uint64_t mem_usage, mem_limit;
    uint64_t net_input, net_output, block_input, block_output, pids;
};
void cx_stats_free(struct cx_stats *s);

/* One sample of c (synced first).  prev: its previous sample, NULL on the
 * first.  A container that is neither running nor paused gets zeros. */
int cx_ctr_stats(struct cx_engine *e, struct cx_ctr *c, const struct cx_stats *prev,
                 struct cx_stats *out, cx_error *err);

/* The parts, pure, for tests: the numbers of a cgroup_stats() document
 * into s (CPU times, memory usage, pids, block I/O); the percentages of s
 * against prev (NULL: since started_ns) at s->system_nano; the limit
 * podman shows for a config's limit (<= 0: none) and the host's RAM;
 * received and sent bytes of a net/dev text (lo left out). */
void cx_stats_from_cgroup(json_t *cg, struct cx_stats *s);
void cx_stats_percentages(struct cx_stats *s, const struct cx_stats *prev, int64_t started_ns);
uint64_t cx_stats_mem_limit(int64_t config_limit, uint64_t host_ram);
int cx_net_dev_parse(const char *text, uint64_t *rx, uint64_t *tx);

/* podman's renderings: "12.34%", go-units' HumanSize ("67.11MB", decimal,
 * 4 digits) and BytesSize ("64MiB", binary). */
void cx_stats_percent(double v, char *buf, size_t len);
void cx_human_size(double bytes, char *buf, size_t len);
void cx_bytes_size(double bytes, char *buf, size_t len);

/* The --format json object (podman's keys, every value a string). */
json_t *cx_stats_json(const struct cx_stats *s, bool notrunc);
/* What a --format template sees: podman's fields (.ContainerID, .MemLimit,
 * .CPU, .PIDs...) and the methods that render them (.ID, .CPUPerc,
 * .MemUsage, .MemPerc, .NetIO, .BlockIO, .PIDS, .UpTime...). */
json_t *cx_stats_view(const struct cx_stats *s, bool notrunc);
/* The headers of a table over cx_stats_view's keys. */
json_t *cx_stats_headers(void);

#endif
