/* runtime_stats.c: ContainerStats, ListContainerStats, PodSandboxStats and
 * ListPodSandboxStats.  The numbers come from cgroup files only, read in
 * this process (the runtime's cgroup_stats() on the directories of the
 * container's cgroups.json), never from a process run in the container;
 * the lists cost one query (capsad's rows with the engine's records),
 * then per container the lists' reading of its state (ctr_live.h) and,
 * at most once a second, its cgroup files.  cgstats.c maps the numbers;
 * stats_cache.c keeps each container's previous sample (for the CPU rate,
 * and served again within a second) and its writable layer's usage.
 *
 * A running or paused container has CPU, memory and swap; any other
 * (created, exited) only its attributes and writable layer, as containerd
 * answers in its lists (where containerd fails ContainerStats of an exited
 * container, capsad answers the same as its list does).  A pod's numbers
 * are the sum of what its containers and its infra container use (only
 * the infra container is placed under the kubelet's cgroup parent, so
 * that cgroup does not hold the pod); its network is the infra's network
 * namespace (none on the node's network); ListPodSandboxStats lists ready
 * pods. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "cri/cgstats.h"
#include "cri/ctr_live.h"
#include "cri/dir_usage.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "cri/stats_cache.h"
#include "engine/containers.h"
#include "engine/ctr_runtime.h"
#include "engine/lifecycle.h"
#include "runtime/cgroup/cgroup.h"

static struct cri_stats_cache cache = CRI_STATS_CACHE_INIT;

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void debug_error(const char *id, const cx_error *err)
{
    char msg[CX_ERROR_MAX + 64];
    cx_error_format(err, msg, sizeof msg);
    cx_debug("stats of %s: %s", id, msg);
}

/* What one container gives. */
struct measure {
    bool running;                /* it has numbers: running or paused */
    struct cri_cg_sample cg;
    int pid;                     /* its init, while running */
    bool have_layer;
    struct cri_layer_usage layer;
};

static bool runs(const struct cx_ctr *c)
{
    return c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED;
}

/* A sample of running container c: 1, or 0 when it turned out to have
 * exited meanwhile. */
static int cgroup_sample(struct cx_engine *e, struct cx_ctr *c, struct cri_cg_sample *s,
                         cx_error *err)
{
    int64_t mono = mono_now();
    if (cri_stats_cached(&cache, c->id, mono, s))
        return 1;
    _cleanup_(json_decrefp) json_t *dirs = NULL, *config = NULL;
    if (cx_rt_cgroups(e, c, &dirs, &config, err) < 0) {
        cx_ctr_sync(e, c);   /* it may have exited (and been deleted) since */
        if (runs(c))
            return -1;
        cx_error_clear(err);
        return 0;
    }
    json_t *cg = cgroup_stats(dirs);
    if (!cg)
        return cx_fail(err, 0, "container %s: its cgroup statistics cannot be read", c->id);
    cri_cg_sample_of(cg, cx_now_ns(), mono, s);
    json_decref(cg);
    cri_stats_keep(&cache, c->id, s);
    return 1;
}

/* The usage of <root>/containers/<id>/upper, walked at most every 10 s. */
static void layer_of(struct cx_engine *e, const char *id, struct measure *m)
{
    int64_t mono = mono_now();
    if (!cri_stats_layer_due(&cache, id, mono, &m->layer, &m->have_layer))
        return;
    char rel[80];
    snprintf(rel, sizeof rel, "%s/upper", id);
    struct cri_layer_usage u = { .timestamp = cx_now_ns() };
    cx_error err = { 0 };
    if (cri_dir_usage(e->ctrsfd, rel, &u.bytes, &u.inodes, &err) < 0) {
        debug_error(id, &err);   /* a container made but never started has none yet */
        cri_stats_layer_done(&cache, id, mono, NULL);
        return;
    }
    cri_stats_layer_done(&cache, id, mono, &u);
    m->layer = u;
    m->have_layer = true;
}

/* The state of container c (its record, read with its row; synced
 * first with sync, unless NULL: the caller did), its cgroup numbers while
 * it runs, and with layer, its writable layer's usage. */
static int measure(struct cx_engine *e, struct cx_ctr *c,
                   void (*sync)(struct cx_engine *, struct cx_ctr *), bool layer,
                   struct measure *m, cx_error *err)
{
    *m = (struct measure){ 0 };
    int rc = 0;
    if (sync)
        sync(e, c);
    if (runs(c))
        rc = cgroup_sample(e, c, &m->cg, err);
    m->running = rc > 0;
    m->pid = m->running ? c->pid : 0;
    if (layer)
        layer_of(e, c->id, m);
    return rc < 0 ? -1 : 0;
}

/* ---- containers ---- */

/* A row the CRI shows: made, and its engine container there. */
static bool shown(const struct cri_container *row)
{
    return strcmp(row->state, "creating") != 0 && row->ctr_exists;
}

static const Runtime__V1__ContainerConfig *ctr_config_of(struct cri_ctx *ctx,
                                                         const struct cri_container *row)
{
    return (const void *) cri_unpack(ctx, &runtime__v1__container_config__descriptor,
                                     row->config, row->config_len);
}

static Runtime__V1__ContainerStats *ctr_stats(struct cri_ctx *ctx,
                                              const struct cri_container *row,
                                              const Runtime__V1__ContainerConfig *c,
                                              const struct measure *m)
{
    Runtime__V1__ContainerStats *s =
        CRI_NEW(ctx, Runtime__V1__ContainerStats, runtime__v1__container_stats__init);
    Runtime__V1__ContainerAttributes *a = s->attributes =
        CRI_NEW(ctx, Runtime__V1__ContainerAttributes, runtime__v1__container_attributes__init);
    a->id = arena_strdup(&ctx->arena, row->id);
    a->metadata = c && c->metadata ? c->metadata
                                   : CRI_NEW(ctx, Runtime__V1__ContainerMetadata,
                                             runtime__v1__container_metadata__init);
    if (c) {
        CRI_COPY_MAP(ctx, a->labels, a->n_labels, c->labels, c->n_labels,
                     Runtime__V1__ContainerAttributes__LabelsEntry,
                     runtime__v1__container_attributes__labels_entry__init);
        CRI_COPY_MAP(ctx, a->annotations, a->n_annotations, c->annotations, c->n_annotations,
                     Runtime__V1__ContainerAttributes__AnnotationsEntry,
                     runtime__v1__container_attributes__annotations_entry__init);
    }
    if (m->running) {
        s->cpu = cri_cg_cpu(&ctx->arena, &m->cg);
        s->memory = cri_cg_memory(&ctx->arena, &m->cg);
        s->swap = cri_cg_swap(&ctx->arena, &m->cg);
    }
    if (m->have_layer)
        /* the filesystem ImageFsInfo reports the containers' layers on */
        s->writable_layer = cri_fs_usage(&ctx->arena,
                                         arena_printf(&ctx->arena, "%s/containers",
                                                      ctx->engine->store.root),
                                         m->layer.bytes, m->layer.inodes, m->layer.timestamp);
    return s;
}

CRI_HANDLER(cri_container_stats)
{
    const Runtime__V1__ContainerStatsRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_container row;
    bool found = false;
    if (req->container_id[0] &&
        cri_container_get(&e->store.db, req->container_id, false, &row, &found, err) < 0)
        return -1;
    if (!found || !shown(&row)) {
        if (found)
            cri_container_free(&row);
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", req->container_id);
    }
    struct measure m;
    if (measure(e, &row.c, cx_ctr_sync, true, &m, err) < 0) {
        cri_container_free(&row);
        ctx->code = GRPC_UNKNOWN;   /* not the ENOENT of a file gone: the container is there */
        return -1;
    }
    Runtime__V1__ContainerStatsResponse *r = CRI_NEW(
        ctx, Runtime__V1__ContainerStatsResponse, runtime__v1__container_stats_response__init);
    r->stats = ctr_stats(ctx, &row, ctr_config_of(ctx, &row), &m);
    cri_container_free(&row);
    *out = &r->base;
    return 0;
}

/* measure(), for a list: the record synced already, the lists' way
 * (ctr_live.h, all in one go); a container whose numbers cannot be read
 * is listed without them rather than failing the others. */
static void measure_listed(struct cx_engine *e, struct cx_ctr *c, bool layer, struct measure *m)
{
    cx_error err = { 0 };
    if (measure(e, c, NULL, layer, m, &err) < 0)
        debug_error(c->id, &err);
}

/* The records of the infra containers of sbs[0..nsb) and of the rows of
 * v[0..n) the CRI shows, synced in one go. */
static void sync_all(struct cri_ctx *ctx, struct cri_sandbox *sbs, size_t nsb,
                     struct cri_container *const *v, size_t n)
{
    struct cx_ctr **recs = arena_alloc(&ctx->arena, (nsb + n + 1) * sizeof *recs);
    size_t k = 0;
    for (size_t i = 0; i < nsb; i++)
        if (sbs[i].pod_exists && sbs[i].infra_exists)
            recs[k++] = &sbs[i].infra;
    for (size_t i = 0; i < n; i++)
        if (shown(v[i]))
            recs[k++] = &v[i]->c;
    cri_ctrs_sync_quick(ctx->engine, recs, k);
}

CRI_HANDLER(cri_list_container_stats)
{
    const Runtime__V1__ListContainerStatsRequest *req = (const void *) in;
    const Runtime__V1__ContainerStatsFilter *f = req->filter;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_container *v;
    size_t n;
    if (cri_container_list(&e->store.db, NULL, &v, &n, err) < 0)
        return -1;
    Runtime__V1__ListContainerStatsResponse *r =
        CRI_NEW(ctx, Runtime__V1__ListContainerStatsResponse,
                runtime__v1__list_container_stats_response__init);
    r->stats = arena_alloc(&ctx->arena, (n + 1) * sizeof *r->stats);
    /* the rows the filters keep, their states in one go, then their numbers */
    struct cri_container **keep = arena_alloc(&ctx->arena, (n + 1) * sizeof *keep);
    const Runtime__V1__ContainerConfig **cfg = arena_alloc(&ctx->arena, (n + 1) * sizeof *cfg);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct cri_container *row = &v[i];
        if (!shown(row) || (f && f->id[0] && !cx_str_has_prefix(row->id, f->id)) ||
            (f && f->pod_sandbox_id[0] &&
             !cx_str_has_prefix(row->sandbox_id, f->pod_sandbox_id)))
            continue;
        const Runtime__V1__ContainerConfig *c = ctr_config_of(ctx, row);
        if (f && !cri_labels_match(c ? (void *const *) c->labels : NULL, c ? c->n_labels : 0,
                                   (void *const *) f->label_selector, f->n_label_selector))
            continue;
        keep[k] = row;
        cfg[k++] = c;
    }
    sync_all(ctx, NULL, 0, keep, k);
    for (size_t j = 0; j < k && !cri_cancelled(ctx); j++) {
        struct measure m;
        measure_listed(e, &keep[j]->c, true, &m);
        r->stats[r->n_stats++] = ctr_stats(ctx, keep[j], cfg[j], &m);
    }
    cri_containers_free(v, n);
    *out = &r->base;
    return 0;
}

/* ---- pods ---- */

static const Runtime__V1__PodSandboxConfig *pod_config_of(struct cri_ctx *ctx,
                                                          const struct cri_sandbox *sb)
{
    return (const void *) cri_unpack(ctx, &runtime__v1__pod_sandbox_config__descriptor,
                                     sb->config, sb->config_len);
}

/* The interfaces of pid's network namespace; NULL when it is capsad's
 * own (a pod on the node's network has no traffic of its own). */
static Runtime__V1__NetworkUsage *pod_network(struct cri_ctx *ctx, int pid, int64_t ts)
{
    char path[48];
    struct stat mine, theirs;
    snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
    if (stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &mine) < 0 ||
        (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev))
        return NULL;
    snprintf(path, sizeof path, "/proc/%d/net/dev", pid);
    _cleanup_free_ char *text = NULL;
    if (cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &(cx_error){ 0 }) < 0)
        return NULL;
    struct cri_netif ifs[64];
    size_t n = cri_net_dev_ifaces(text, ifs, sizeof ifs / sizeof ifs[0]);
    return cri_net_usage(&ctx->arena, ifs, n, ts);
}

static Runtime__V1__PodSandboxAttributes *pod_attributes(struct cri_ctx *ctx,
                                                         const struct cri_sandbox *sb,
                                                         const Runtime__V1__PodSandboxConfig *c)
{
    Runtime__V1__PodSandboxAttributes *a = CRI_NEW(
        ctx, Runtime__V1__PodSandboxAttributes, runtime__v1__pod_sandbox_attributes__init);
    a->id = arena_strdup(&ctx->arena, sb->id);
    a->metadata = c && c->metadata ? c->metadata
                                   : CRI_NEW(ctx, Runtime__V1__PodSandboxMetadata,
                                             runtime__v1__pod_sandbox_metadata__init);
    if (c) {
        CRI_COPY_MAP(ctx, a->labels, a->n_labels, c->labels, c->n_labels,
                     Runtime__V1__PodSandboxAttributes__LabelsEntry,
                     runtime__v1__pod_sandbox_attributes__labels_entry__init);
        CRI_COPY_MAP(ctx, a->annotations, a->n_annotations, c->annotations, c->n_annotations,
                     Runtime__V1__PodSandboxAttributes__AnnotationsEntry,
                     runtime__v1__pod_sandbox_attributes__annotations_entry__init);
    }
    return a;
}

/* The stats of sandbox sb and its containers (the rows members[0..n)).
 * ready_only: NULL unless its infra container runs. */
static Runtime__V1__PodSandboxStats *pod_stats(struct cri_ctx *ctx, struct cri_sandbox *sb,
                                               const Runtime__V1__PodSandboxConfig *c,
                                               struct cri_container *const *members,
                                               size_t n, bool ready_only)
{
    struct cx_engine *e = ctx->engine;
    struct measure infra = { 0 };
    if (sb->pod_exists && sb->infra_exists)
        measure_listed(e, &sb->infra, false, &infra);
    if (ready_only && !infra.running)
        return NULL;
    struct cri_cg_sample sum = { .timestamp = cx_now_ns() };
    bool any = infra.running;
    if (infra.running)
        cri_cg_sample_add(&sum, &infra.cg);
    Runtime__V1__PodSandboxStats *s =
        CRI_NEW(ctx, Runtime__V1__PodSandboxStats, runtime__v1__pod_sandbox_stats__init);
    s->attributes = pod_attributes(ctx, sb, c);
    Runtime__V1__LinuxPodSandboxStats *l = s->linux = CRI_NEW(
        ctx, Runtime__V1__LinuxPodSandboxStats, runtime__v1__linux_pod_sandbox_stats__init);
    l->containers = arena_alloc(&ctx->arena, (n + 1) * sizeof *l->containers);
    for (size_t i = 0; i < n; i++) {
        struct measure m;
        measure_listed(e, &members[i]->c, true, &m);
        l->containers[l->n_containers++] =
            ctr_stats(ctx, members[i], ctr_config_of(ctx, members[i]), &m);
        if (m.running)
            cri_cg_sample_add(&sum, &m.cg);
        any = any || m.running;
    }
    if (any) {
        l->cpu = cri_cg_cpu(&ctx->arena, &sum);
        l->memory = cri_cg_memory(&ctx->arena, &sum);
        l->process = cri_cg_process(&ctx->arena, &sum);
    }
    if (infra.running)
        l->network = pod_network(ctx, infra.pid, sum.timestamp);
    return s;
}

static int by_sandbox(const void *a, const void *b)
{
    const struct cri_container *x = *(const struct cri_container *const *) a;
    const struct cri_container *y = *(const struct cri_container *const *) b;
    int d = strcmp(x->sandbox_id, y->sandbox_id);
    /* then in the rows' order (created): x and y point into one array */
    return d ? d : (x > y) - (x < y);
}

/* The rows of v[0..n) the CRI shows, as an arena array sorted by sandbox,
 * so that each sandbox's are found by bisection (a pod list stays n log n). */
static struct cri_container **shown_by_sandbox(struct cri_ctx *ctx, struct cri_container *v,
                                               size_t n, size_t *count)
{
    struct cri_container **m = arena_alloc(&ctx->arena, (n + 1) * sizeof *m);
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (shown(&v[i]))
            m[(*count)++] = &v[i];
    qsort(m, *count, sizeof *m, by_sandbox);
    return m;
}

/* Sandbox id's rows of sorted[0..n): where they begin, and *count. */
static struct cri_container **members_of(const char *id, struct cri_container **sorted,
                                         size_t n, size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sorted[mid]->sandbox_id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *count = 0;
    while (lo + *count < n && strcmp(sorted[lo + *count]->sandbox_id, id) == 0)
        (*count)++;
    return sorted + lo;
}

CRI_HANDLER(cri_pod_sandbox_stats)
{
    const Runtime__V1__PodSandboxStatsRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox sb;
    if (cri_sandbox_find(ctx, e, req->pod_sandbox_id, &sb, err) < 0)
        return -1;
    struct cri_container *v;
    size_t n, count;
    if (cri_container_list(&e->store.db, sb.id, &v, &n, err) < 0) {
        cri_sandbox_free(&sb);
        return -1;
    }
    Runtime__V1__PodSandboxStatsResponse *r = CRI_NEW(
        ctx, Runtime__V1__PodSandboxStatsResponse, runtime__v1__pod_sandbox_stats_response__init);
    struct cri_container **members = shown_by_sandbox(ctx, v, n, &count);
    sync_all(ctx, &sb, 1, members, count);
    r->stats = pod_stats(ctx, &sb, pod_config_of(ctx, &sb), members, count, false);
    cri_containers_free(v, n);
    cri_sandbox_free(&sb);
    *out = &r->base;
    return 0;
}

CRI_HANDLER(cri_list_pod_sandbox_stats)
{
    const Runtime__V1__ListPodSandboxStatsRequest *req = (const void *) in;
    const Runtime__V1__PodSandboxStatsFilter *f = req->filter;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox *sbs;
    struct cri_container *v;
    size_t nsb, n;
    if (cri_sandbox_list(&e->store.db, &sbs, &nsb, err) < 0)
        return -1;
    if (cri_container_list(&e->store.db, NULL, &v, &n, err) < 0) {
        cri_sandboxes_free(sbs, nsb);
        return -1;
    }
    Runtime__V1__ListPodSandboxStatsResponse *r =
        CRI_NEW(ctx, Runtime__V1__ListPodSandboxStatsResponse,
                runtime__v1__list_pod_sandbox_stats_response__init);
    r->stats = arena_alloc(&ctx->arena, (nsb + 1) * sizeof *r->stats);
    size_t nshown;
    struct cri_container **sorted = shown_by_sandbox(ctx, v, n, &nshown);
    sync_all(ctx, sbs, nsb, sorted, nshown);
    for (size_t i = 0; i < nsb && !cri_cancelled(ctx); i++) {
        struct cri_sandbox *sb = &sbs[i];
        if (strcmp(sb->state, "ready") != 0 || !sb->pod_exists ||
            (f && f->id[0] && !cx_str_has_prefix(sb->id, f->id)))
            continue;
        const Runtime__V1__PodSandboxConfig *c = pod_config_of(ctx, sb);
        if (f && !cri_labels_match(c ? (void *const *) c->labels : NULL, c ? c->n_labels : 0,
                                   (void *const *) f->label_selector, f->n_label_selector))
            continue;
        size_t count;
        struct cri_container **members = members_of(sb->id, sorted, nshown, &count);
        Runtime__V1__PodSandboxStats *s = pod_stats(ctx, sb, c, members, count, true);
        if (s)
            r->stats[r->n_stats++] = s;
    }
    cri_containers_free(v, n);
    cri_sandboxes_free(sbs, nsb);
    *out = &r->base;
    return 0;
}
