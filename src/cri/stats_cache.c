/* stats_cache.c: see stats_cache.h.  A plain array searched in order: it
 * holds one entry per container that runs on the node (a few hundred at
 * most), and a lookup is a few hundred string compares, nothing next to
 * the cgroup files a sample reads. */
#include "cri/stats_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct cri_stats_entry {
    char id[65];
    int64_t seen;                /* mono of the last call that asked */
    bool have_sample;
    struct cri_cg_sample sample;
    bool have_layer, walking, walked;
    int64_t layer_mono;          /* when the last walk began */
    struct cri_layer_usage layer;
};

void cri_stats_cache_clear(struct cri_stats_cache *c)
{
    pthread_mutex_lock(&c->mu);
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
    pthread_mutex_unlock(&c->mu);
}

size_t cri_stats_cache_size(struct cri_stats_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Entries nobody asked for in CRI_STATS_FORGET_NS go (a walk in progress
 * keeps its entry: its thread comes back to it). */
static void forget_old(struct cri_stats_cache *c, int64_t mono)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].walking || mono - c->v[i].seen < CRI_STATS_FORGET_NS)
            c->v[k++] = c->v[i];
    c->n = k;
}

/* id's entry (mu held); create: added when missing. */
static struct cri_stats_entry *find(struct cri_stats_cache *c, const char *id, int64_t mono,
                                    bool create)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].id, id) == 0)
            return &c->v[i];
    if (!create)
        return NULL;
    forget_old(c, mono);
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = cx_realloc(c->v, c->cap * sizeof *c->v);
    }
    struct cri_stats_entry *e = &c->v[c->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    e->seen = mono;
    return e;
}

bool cri_stats_cached(struct cri_stats_cache *c, const char *id, int64_t mono,
                      struct cri_cg_sample *out)
{
    pthread_mutex_lock(&c->mu);
    struct cri_stats_entry *e = find(c, id, mono, false);
    bool hit = e && e->have_sample && mono >= e->sample.mono &&
               mono - e->sample.mono < CRI_SAMPLE_FRESH_NS;
    if (hit) {
        *out = e->sample;
        e->seen = mono;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void cri_stats_keep(struct cri_stats_cache *c, const char *id, struct cri_cg_sample *s)
{
    pthread_mutex_lock(&c->mu);
    struct cri_stats_entry *e = find(c, id, s->mono, true);
    if (e->have_sample && e->sample.mono >= s->mono) {
        *s = e->sample;          /* another thread's is as new: serve that */
    } else {
        s->nano_cores = cri_cg_nano_cores(e->have_sample ? &e->sample : NULL, s);
        e->sample = *s;
        e->have_sample = true;
        e->seen = s->mono;
    }
    pthread_mutex_unlock(&c->mu);
}

bool cri_stats_layer_due(struct cri_stats_cache *c, const char *id, int64_t mono,
                         struct cri_layer_usage *u, bool *have)
{
    pthread_mutex_lock(&c->mu);
    struct cri_stats_entry *e = find(c, id, mono, true);
    e->seen = mono;
    *have = e->have_layer;
    if (e->have_layer)
        *u = e->layer;
    bool due = !e->walking && (!e->walked || mono - e->layer_mono >= CRI_LAYER_EVERY_NS);
    if (due) {
        e->walking = true;
        e->layer_mono = mono;
    }
    pthread_mutex_unlock(&c->mu);
    return due;
}

void cri_stats_layer_done(struct cri_stats_cache *c, const char *id, int64_t mono,
                          const struct cri_layer_usage *u)
{
    pthread_mutex_lock(&c->mu);
    struct cri_stats_entry *e = find(c, id, mono, true);
    e->walking = false;
    e->walked = true;
    e->layer_mono = mono;
    if (u) {
        e->layer = *u;
        e->have_layer = true;
    }
    pthread_mutex_unlock(&c->mu);
}
