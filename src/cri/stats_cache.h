/* stats_cache.h: what capsad remembers between stats calls, per container
 * id: its last cgroup sample (the next one's CPU rate is measured against
 * it, and a call less than CRI_SAMPLE_FRESH_NS later gets it again: the
 * kubelet asks for container and pod stats together) and the usage of its
 * writable layer (walked at most every CRI_LAYER_EVERY_NS, one walk at a
 * time).  Handlers run on many threads: one mutex guards the table, held
 * only to look up and store, never across a file read or a walk.  Entries
 * not asked for during CRI_STATS_FORGET_NS are dropped (containers that
 * were removed), so the table stays as large as what runs. */
#ifndef CAPSA_CRI_STATS_CACHE_H
#define CAPSA_CRI_STATS_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/cgstats.h"

#define CRI_SAMPLE_FRESH_NS INT64_C(1000000000)
#define CRI_LAYER_EVERY_NS INT64_C(10000000000)
#define CRI_STATS_FORGET_NS INT64_C(600000000000)

struct cri_layer_usage {
    int64_t timestamp;           /* unix ns of the walk */
    uint64_t bytes, inodes;
};

struct cri_stats_entry;
struct cri_stats_cache {
    pthread_mutex_t mu;
    struct cri_stats_entry *v;
    size_t n, cap;
};
#define CRI_STATS_CACHE_INIT { .mu = PTHREAD_MUTEX_INITIALIZER }

/* Drop every entry (the mutex stays usable). */
void cri_stats_cache_clear(struct cri_stats_cache *c);
size_t cri_stats_cache_size(struct cri_stats_cache *c);

/* id's sample when it was taken less than CRI_SAMPLE_FRESH_NS before mono. */
bool cri_stats_cached(struct cri_stats_cache *c, const char *id, int64_t mono,
                      struct cri_cg_sample *out);
/* Keep *s as id's last sample, its nano_cores measured against the one
 * kept before; when another thread kept a later sample meanwhile, *s
 * becomes that one instead. */
void cri_stats_keep(struct cri_stats_cache *c, const char *id, struct cri_cg_sample *s);

/* Whether the caller is to walk id's layer now (none measured yet, or the
 * last CRI_LAYER_EVERY_NS old, and no other thread walking it): then it is
 * marked as walked and cri_stats_layer_done must follow.  *have and *u:
 * the last measure, if any. */
bool cri_stats_layer_due(struct cri_stats_cache *c, const char *id, int64_t mono,
                         struct cri_layer_usage *u, bool *have);
/* The walk begun at mono is over: u its measure, NULL when it failed (the
 * last measure, if any, stays; the next walk is due CRI_LAYER_EVERY_NS
 * later all the same, so a missing directory is not walked at each call). */
void cri_stats_layer_done(struct cri_stats_cache *c, const char *id, int64_t mono,
                          const struct cri_layer_usage *u);

#endif
