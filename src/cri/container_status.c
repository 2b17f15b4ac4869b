/* container_status.c: ContainerStatus and ListContainers, from capsad's
 * rows (the config as sent: metadata, image, labels, annotations, mounts;
 * its resources as UpdateContainerResources left them), the engine's
 * record (state, times, exit code, OOM) and the image's repo digests
 * (ContainerStatus.image_ref). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/ctr_live.h"
#include "cri/handlers.h"
#include "cri/images.h"
#include "cri/records.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"

void cri_ctr_view(const struct cri_container *row, struct cri_ctr_view *v)
{
    const struct cx_ctr *c = &row->c;
    memset(v, 0, sizeof *v);
    v->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
    v->reason = "";
    if (!row->ctr_exists)
        return;
    switch (c->state) {
    case CX_CTR_CONFIGURED:
    case CX_CTR_CREATED:
        v->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        break;
    case CX_CTR_RUNNING:
    case CX_CTR_PAUSED:
        v->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        break;
    case CX_CTR_EXITED:
        v->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        v->exit_code = c->has_exit ? c->exit_code : 255;
        v->reason = c->oom ? "OOMKilled" : !c->has_exit ? "Unknown"
                  : v->exit_code == 0 ? "Completed" : "Error";
        break;
    case CX_CTR_REMOVING:
        break;
    }
    if (row->start_error[0]) {
        v->state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        v->reason = "StartError";
        v->exit_code = 128;
    }
}

static const Runtime__V1__ContainerConfig *config_of(struct cri_ctx *ctx,
                                                     const struct cri_container *row)
{
    return (const void *) cri_unpack(ctx, &runtime__v1__container_config__descriptor,
                                     row->config, row->config_len);
}

static char *image_ref(struct cri_ctx *ctx, const struct cri_container *row)
{
    if (!row->ctr_exists)
        return "";
    /* (no printf: a list makes one per container) */
    size_t n = strlen(row->c.image_id) + 1;
    char *s = arena_alloc(&ctx->arena, 7 + n);
    memcpy(s, "sha256:", 7);
    memcpy(s + 7, row->c.image_id, n);
    return s;
}

static Runtime__V1__ContainerMetadata *metadata(struct cri_ctx *ctx,
                                                const Runtime__V1__ContainerConfig *c)
{
    return c && c->metadata ? c->metadata
                            : CRI_NEW(ctx, Runtime__V1__ContainerMetadata,
                                      runtime__v1__container_metadata__init);
}

static Runtime__V1__ImageSpec *image_spec(struct cri_ctx *ctx,
                                          const Runtime__V1__ContainerConfig *c)
{
    return c && c->image ? c->image
                         : CRI_NEW(ctx, Runtime__V1__ImageSpec, runtime__v1__image_spec__init);
}

/* The resources in force (as created, as UpdateContainerResources left
 * them): the kubelet's in-place resize reads them back.  Zeros when none
 * were given, as containerd answers; a memory limit without swap is one
 * on memory and swap together (ctr_config.c), and says so. */
static Runtime__V1__ContainerResources *resources(struct cri_ctx *ctx,
                                                  const Runtime__V1__ContainerConfig *c)
{
    Runtime__V1__ContainerResources *r =
        CRI_NEW(ctx, Runtime__V1__ContainerResources, runtime__v1__container_resources__init);
    Runtime__V1__LinuxContainerResources *l = CRI_NEW(
        ctx, Runtime__V1__LinuxContainerResources, runtime__v1__linux_container_resources__init);
    if (c && c->linux && c->linux->resources)
        *l = *c->linux->resources;      /* its strings and lists stay the config's */
    if (l->memory_limit_in_bytes > 0 && l->memory_swap_limit_in_bytes <= 0)
        l->memory_swap_limit_in_bytes = l->memory_limit_in_bytes;
    r->linux = l;
    return r;
}

CRI_HANDLER(cri_container_status)
{
    const Runtime__V1__ContainerStatusRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_container row;
    bool found;
    if (cri_container_get(&e->store.db, req->container_id, false, &row, &found, err) < 0)
        return -1;
    if (!found || strcmp(row.state, "creating") == 0 || !row.ctr_exists) {
        if (found)
            cri_container_free(&row);
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", req->container_id);
    }
    const Runtime__V1__ContainerConfig *c = config_of(ctx, &row);
    cx_ctr_sync(e, &row.c);   /* one container: the full reading */
    struct cri_ctr_view v;
    cri_ctr_view(&row, &v);
    Runtime__V1__ContainerStatus *st =
        CRI_NEW(ctx, Runtime__V1__ContainerStatus, runtime__v1__container_status__init);
    st->id = arena_strdup(&ctx->arena, row.id);
    st->metadata = metadata(ctx, c);
    st->state = v.state;
    st->created_at = row.created;
    st->started_at = row.c.started;
    st->finished_at = v.state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED
                          ? (row.c.finished ? row.c.finished : row.created) : 0;
    /* the start is stamped once the runtime's start returned, the exit by
     * the shim (to the millisecond): a quick exit can read as before its
     * start, which the kubelet would show as a negative run */
    if (st->finished_at && st->finished_at < st->started_at)
        st->finished_at = st->started_at;
    st->exit_code = v.exit_code;
    st->image = image_spec(ctx, c);
    st->image_id = image_ref(ctx, &row);
    st->image_ref = row.ctr_exists ? cri_image_digested_ref(ctx, &e->store, row.c.image_id,
                                                            st->image->image)
                                   : st->image_id;
    st->reason = (char *) v.reason;
    st->message = arena_strdup(&ctx->arena, row.start_error);
    st->log_path = arena_strdup(&ctx->arena, row.log_path);
    st->resources = resources(ctx, c);
    if (c) {
        CRI_COPY_MAP(ctx, st->labels, st->n_labels, c->labels, c->n_labels,
                     Runtime__V1__ContainerStatus__LabelsEntry,
                     runtime__v1__container_status__labels_entry__init);
        CRI_COPY_MAP(ctx, st->annotations, st->n_annotations, c->annotations,
                     c->n_annotations, Runtime__V1__ContainerStatus__AnnotationsEntry,
                     runtime__v1__container_status__annotations_entry__init);
        st->n_mounts = c->n_mounts;
        st->mounts = c->mounts;
    }
    Runtime__V1__ContainerStatusResponse *r = CRI_NEW(
        ctx, Runtime__V1__ContainerStatusResponse, runtime__v1__container_status_response__init);
    r->status = st;
    if (req->verbose) {
        json_auto_t *info = json_pack("{s:i, s:s, s:s}", "pid", row.c.pid, "sandboxID",
                                      row.sandbox_id, "name", row.c.name);
        _cleanup_free_ char *text = json_dumps(info, JSON_COMPACT);
        CRI_MAP_ONE(ctx, r->info, r->n_info, Runtime__V1__ContainerStatusResponse__InfoEntry,
                    runtime__v1__container_status_response__info_entry__init, "info", text);
    }
    cri_container_free(&row);
    *out = &r->base;
    return 0;
}


static Runtime__V1__Container *item(struct cri_ctx *ctx, const struct cri_container *row,
                                    const Runtime__V1__ContainerConfig *c,
                                    const struct cri_ctr_view *v)
{
    Runtime__V1__Container *it =
        CRI_NEW(ctx, Runtime__V1__Container, runtime__v1__container__init);
    it->id = arena_strdup(&ctx->arena, row->id);
    it->pod_sandbox_id = arena_strdup(&ctx->arena, row->sandbox_id);
    it->metadata = metadata(ctx, c);
    it->image = image_spec(ctx, c);
    it->image_ref = image_ref(ctx, row);
    it->image_id = it->image_ref;
    it->state = v->state;
    it->created_at = row->created;
    if (c) {
        CRI_COPY_MAP(ctx, it->labels, it->n_labels, c->labels, c->n_labels,
                     Runtime__V1__Container__LabelsEntry,
                     runtime__v1__container__labels_entry__init);
        CRI_COPY_MAP(ctx, it->annotations, it->n_annotations, c->annotations,
                     c->n_annotations, Runtime__V1__Container__AnnotationsEntry,
                     runtime__v1__container__annotations_entry__init);
    }
    return it;
}

CRI_HANDLER(cri_list_containers)
{
    const Runtime__V1__ListContainersRequest *req = (const void *) in;
    const Runtime__V1__ContainerFilter *f = req->filter;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_container *v;
    size_t n;
    if (cri_container_list(&e->store.db, NULL, &v, &n, err) < 0)
        return -1;
    Runtime__V1__ListContainersResponse *r = CRI_NEW(
        ctx, Runtime__V1__ListContainersResponse, runtime__v1__list_containers_response__init);
    r->containers = arena_alloc(&ctx->arena, (n + 1) * sizeof *r->containers);
    /* the rows the filters keep, then their states in one go (ctr_live.h) */
    struct cri_container **keep = arena_alloc(&ctx->arena, (n + 1) * sizeof *keep);
    const Runtime__V1__ContainerConfig **cfg = arena_alloc(&ctx->arena, (n + 1) * sizeof *cfg);
    struct cx_ctr **recs = arena_alloc(&ctx->arena, (n + 1) * sizeof *recs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct cri_container *row = &v[i];
        if (strcmp(row->state, "creating") == 0 || !row->ctr_exists ||
            (f && f->id[0] && !cx_str_has_prefix(row->id, f->id)) ||
            (f && f->pod_sandbox_id[0] && !cx_str_has_prefix(row->sandbox_id, f->pod_sandbox_id)))
            continue;
        const Runtime__V1__ContainerConfig *c = config_of(ctx, row);
        if (f && !cri_labels_match(c ? (void *const *) c->labels : NULL, c ? c->n_labels : 0,
                                   (void *const *) f->label_selector, f->n_label_selector))
            continue;
        keep[k] = row;
        cfg[k] = c;
        recs[k++] = &row->c;
    }
    cri_ctrs_sync_quick(e, recs, k);
    for (size_t j = 0; j < k; j++) {
        struct cri_ctr_view vw;
        cri_ctr_view(keep[j], &vw);
        if (!f || !f->state || f->state->state == vw.state)
            r->containers[r->n_containers++] = item(ctx, keep[j], cfg[j], &vw);
    }
    cri_containers_free(v, n);
    *out = &r->base;
    return 0;
}
