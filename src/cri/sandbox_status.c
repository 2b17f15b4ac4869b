/* sandbox_status.c: PodSandboxStatus and ListPodSandbox, answered from
 * capsad's rows (the config as the kubelet sent it: metadata, labels,
 * annotations) and the infra container's state and address. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/ctr_live.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"

/* Ready: made, not stopped, and its infra container runs (its record,
 * read with the row and synced by the caller). */
static bool ready(const struct cri_sandbox *sb, int *pid)
{
    *pid = 0;
    if (strcmp(sb->state, "ready") != 0 || !sb->pod_exists || !sb->infra_exists)
        return false;
    bool up = sb->infra.state == CX_CTR_RUNNING;
    *pid = up ? sb->infra.pid : 0;
    return up;
}

/* The infra records of v[0..n), synced the lists' way (ctr_live.h). */
static void sync_infras(struct cri_ctx *ctx, struct cx_engine *e, struct cri_sandbox *v,
                        size_t n)
{
    struct cx_ctr **recs = arena_alloc(&ctx->arena, (n + 1) * sizeof *recs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].infra_exists)
            recs[k++] = &v[i].infra;
    cri_ctrs_sync_quick(e, recs, k);
}

static const Runtime__V1__PodSandboxConfig *config_of(struct cri_ctx *ctx,
                                                      const struct cri_sandbox *sb)
{
    const ProtobufCMessage *m =
        cri_unpack(ctx, &runtime__v1__pod_sandbox_config__descriptor, sb->config,
                   sb->config_len);
    return (const void *) m;
}

static Runtime__V1__PodSandboxMetadata *metadata(struct cri_ctx *ctx,
                                                 const Runtime__V1__PodSandboxConfig *c)
{
    if (c && c->metadata)
        return c->metadata;
    return CRI_NEW(ctx, Runtime__V1__PodSandboxMetadata,
                   runtime__v1__pod_sandbox_metadata__init);
}

/* The infra container's first address, without its prefix length. */
static char *sandbox_ip(struct cri_ctx *ctx, const struct cri_sandbox *sb)
{
    _cleanup_strv_ char **ips = NULL;
    size_t n = 0;
    if (!sb->infra_id[0] ||
        cx_db_texts(&ctx->engine->store.db, "SELECT ip FROM container_networks WHERE "
                    "container_id = ? AND ip != '' ORDER BY ifname", sb->infra_id, &ips, &n,
                    &(cx_error){ 0 }) < 0 || n == 0)
        return "";
    char *slash = strchr(ips[0], '/');
    if (slash)
        *slash = '\0';
    return arena_strdup(&ctx->arena, ips[0]);
}

static void status_linux(struct cri_ctx *ctx, const Runtime__V1__PodSandboxConfig *c,
                         Runtime__V1__PodSandboxStatus *st)
{
    st->linux = CRI_NEW(ctx, Runtime__V1__LinuxPodSandboxStatus,
                        runtime__v1__linux_pod_sandbox_status__init);
    st->linux->namespaces = CRI_NEW(ctx, Runtime__V1__Namespace, runtime__v1__namespace__init);
    const Runtime__V1__LinuxSandboxSecurityContext *sc =
        c && c->linux ? c->linux->security_context : NULL;
    if (sc && sc->namespace_options)
        st->linux->namespaces->options = sc->namespace_options;
    else
        st->linux->namespaces->options = CRI_NEW(ctx, Runtime__V1__NamespaceOption,
                                                 runtime__v1__namespace_option__init);
}

int cri_sandbox_find(struct cri_ctx *ctx, struct cx_engine *e, const char *id,
                     struct cri_sandbox *sb, cx_error *err)
{
    bool found;
    if (cri_sandbox_get(&e->store.db, id, false, sb, &found, err) < 0)
        return -1;
    if (found && strcmp(sb->state, "creating") != 0)
        return 0;
    if (found)
        cri_sandbox_free(sb);
    return cri_fail(ctx, err, GRPC_NOT_FOUND, "pod sandbox %s not found", id);
}

CRI_HANDLER(cri_pod_sandbox_status)
{
    const Runtime__V1__PodSandboxStatusRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox sb;
    if (cri_sandbox_find(ctx, e, req->pod_sandbox_id, &sb, err) < 0)
        return -1;
    const Runtime__V1__PodSandboxConfig *c = config_of(ctx, &sb);
    Runtime__V1__PodSandboxStatus *st =
        CRI_NEW(ctx, Runtime__V1__PodSandboxStatus, runtime__v1__pod_sandbox_status__init);
    int pid;
    st->id = arena_strdup(&ctx->arena, sb.id);
    st->metadata = metadata(ctx, c);
    if (sb.infra_exists)
        cx_ctr_sync(e, &sb.infra);   /* one sandbox: the full reading */
    st->state = ready(&sb, &pid) ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                    : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
    st->created_at = sb.created;
    st->network = CRI_NEW(ctx, Runtime__V1__PodSandboxNetworkStatus,
                          runtime__v1__pod_sandbox_network_status__init);
    st->network->ip = sandbox_ip(ctx, &sb);
    status_linux(ctx, c, st);
    if (c) {
        CRI_COPY_MAP(ctx, st->labels, st->n_labels, c->labels, c->n_labels,
                     Runtime__V1__PodSandboxStatus__LabelsEntry,
                     runtime__v1__pod_sandbox_status__labels_entry__init);
        CRI_COPY_MAP(ctx, st->annotations, st->n_annotations, c->annotations,
                     c->n_annotations, Runtime__V1__PodSandboxStatus__AnnotationsEntry,
                     runtime__v1__pod_sandbox_status__annotations_entry__init);
    }
    st->runtime_handler = arena_strdup(&ctx->arena, sb.handler);
    Runtime__V1__PodSandboxStatusResponse *r = CRI_NEW(
        ctx, Runtime__V1__PodSandboxStatusResponse, runtime__v1__pod_sandbox_status_response__init);
    r->status = st;
    if (req->verbose) {
        json_auto_t *info = json_pack("{s:i, s:s, s:s}", "pid", pid, "infraContainerId",
                                      sb.infra_id, "nameKey", sb.name_key);
        _cleanup_free_ char *text = json_dumps(info, JSON_COMPACT);
        CRI_MAP_ONE(ctx, r->info, r->n_info, Runtime__V1__PodSandboxStatusResponse__InfoEntry,
                    runtime__v1__pod_sandbox_status_response__info_entry__init, "info", text);
    }
    cri_sandbox_free(&sb);
    *out = &r->base;
    return 0;
}


static Runtime__V1__PodSandbox *list_item(struct cri_ctx *ctx, const struct cri_sandbox *sb,
                                          const Runtime__V1__PodSandboxConfig *c, bool up)
{
    Runtime__V1__PodSandbox *p =
        CRI_NEW(ctx, Runtime__V1__PodSandbox, runtime__v1__pod_sandbox__init);
    p->id = arena_strdup(&ctx->arena, sb->id);
    p->metadata = metadata(ctx, c);
    p->state = up ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                  : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
    p->created_at = sb->created;
    if (c) {
        CRI_COPY_MAP(ctx, p->labels, p->n_labels, c->labels, c->n_labels,
                     Runtime__V1__PodSandbox__LabelsEntry,
                     runtime__v1__pod_sandbox__labels_entry__init);
        CRI_COPY_MAP(ctx, p->annotations, p->n_annotations, c->annotations, c->n_annotations,
                     Runtime__V1__PodSandbox__AnnotationsEntry,
                     runtime__v1__pod_sandbox__annotations_entry__init);
    }
    p->runtime_handler = arena_strdup(&ctx->arena, sb->handler);
    return p;
}

CRI_HANDLER(cri_list_pod_sandbox)
{
    const Runtime__V1__ListPodSandboxRequest *req = (const void *) in;
    const Runtime__V1__PodSandboxFilter *f = req->filter;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox *v;
    size_t n;
    if (cri_sandbox_list(&e->store.db, &v, &n, err) < 0)
        return -1;
    Runtime__V1__ListPodSandboxResponse *r = CRI_NEW(
        ctx, Runtime__V1__ListPodSandboxResponse, runtime__v1__list_pod_sandbox_response__init);
    r->items = arena_alloc(&ctx->arena, (n + 1) * sizeof *r->items);
    sync_infras(ctx, e, v, n);
    for (size_t i = 0; i < n; i++) {
        const struct cri_sandbox *sb = &v[i];
        if (strcmp(sb->state, "creating") == 0 ||
            (f && f->id[0] && !cx_str_has_prefix(sb->id, f->id)))
            continue;
        const Runtime__V1__PodSandboxConfig *c = config_of(ctx, sb);
        if (f && !cri_labels_match(c ? (void *const *) c->labels : NULL, c ? c->n_labels : 0,
                                   (void *const *) f->label_selector, f->n_label_selector))
            continue;
        int pid;
        bool up = ready(sb, &pid);
        if (f && f->state && (f->state->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY) != up)
            continue;
        r->items[r->n_items++] = list_item(ctx, sb, c, up);
    }
    cri_sandboxes_free(v, n);
    *out = &r->base;
    return 0;
}
