/* runtime_sandbox.c: RunPodSandbox, StopPodSandbox, RemovePodSandbox,
 * PodSandboxStatus, ListPodSandbox.  A sandbox is a capsa pod (the engine's
 * pods.c: an infra container holding the namespaces, CNI through
 * ctr_net.c) plus capsad's row (records.h).  The row is written first
 * ("creating"): a retried request with the same config finds it and gets
 * the same sandbox; a failed one removes both, so a retry never meets a
 * reserved name. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"
#include "cri/child.h"
#include "cri/handlers.h"
#include "cri/pb_canon.h"
#include "cri/records.h"
#include "cri/sandbox_config.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/lifecycle.h"
#include "engine/networks.h"
#include "engine/pods.h"
#include "image/digest.h"
#include "net/cni_confdir.h"

/* the pause image, made (capsa's own) or pulled when missing; one at a
 * time, so two first pods do not both make it */
static pthread_mutex_t image_mu = PTHREAD_MUTEX_INITIALIZER;

static int ensure_pause_image(struct cri_ctx *ctx, struct cx_engine *e, const char *image,
                              cx_error *err)
{
    struct capsad *d = ctx->app;
    pthread_mutex_lock(&image_mu);
    struct cx_image_rec img = { 0 };
    bool found = false;
    int rc = cx_image_lookup(&e->store, image, &img, &found, err);
    cx_image_rec_free(&img);
    if (rc == 0 && !found) {
        _cleanup_free_ char *full = cx_find_helper("CAPSAD_CAPSACTL_FULL", "capsactl-full");
        char *argv[12] = { full, "--root", d->cfg->root, "--runroot", d->cfg->runroot };
        int n = 5;
        if (d->cfg->registries_conf && d->cfg->registries_conf[0]) {
            argv[n++] = "--registries-conf";
            argv[n++] = d->cfg->registries_conf;
        }
        bool own = strcmp(image, CX_INFRA_IMAGE) == 0;
        argv[n++] = own ? "pod" : "pull";
        argv[n++] = own ? "infra-image" : (char *) image;
        rc = cri_child_run(argv, cri_time_left(ctx) > 300000 ? 300000 : cri_time_left(ctx),
                           NULL, err);
        if (rc < 0)
            cx_error_prefix(err, "the pause image %s", image);
    }
    pthread_mutex_unlock(&image_mu);
    return rc;
}

/* The packed config and its digest (with the handler): what tells a
 * retry from a new pod. */
static int digest_of(const ProtobufCMessage *m, const char *handler, struct arena *a,
                     uint8_t **packed, size_t *len, char **digest, cx_error *err)
{
    cri_pb_canonical((ProtobufCMessage *) m);   /* the request's own, in the arena */
    *len = protobuf_c_message_get_packed_size(m);
    size_t hlen = strlen(handler) + 1;
    *packed = arena_alloc(a, *len + hlen);
    protobuf_c_message_pack(m, *packed);
    memcpy(*packed + *len, handler, hlen);
    struct cx_digest dg;
    if (cx_digest_buffer(CX_SHA256, *packed, *len + hlen, &dg, err) < 0)
        return -1;
    *digest = arena_alloc(a, CX_DIGEST_MAX);
    cx_digest_format(&dg, *digest);
    return 0;
}

static int insert_row(struct cx_db *db, const void *row, cx_error *err)
{
    return cri_sandbox_insert(db, row, err);
}

/* The name reserved, or the sandbox an identical earlier request made. */
static int reserve(struct cri_ctx *ctx, struct cx_engine *e, struct cri_sandbox *row,
                   bool *existing, cx_error *err)
{
    struct cri_reservation r = { "sandbox", "cri_sandboxes", "ready", row->name_key,
                                 row->digest, insert_row, row };
    return cri_reserve(ctx, &e->store.db, &r, row->id, existing, err);
}

static int pod_network(struct capsad *d, struct cx_engine *e, char ***networks, cx_error *err)
{
    struct cx_cni_conf conf;
    _cleanup_free_ char *path = NULL;
    if (cx_cni_confdir_first(d->cfg->cni_conf_dir, &conf, &path, err) < 0)
        return cx_error_prefix(err, "the pod network");
    struct cx_network n;
    int rc = cx_network_of_file(e, path, &conf, &n, err);
    cx_cni_conf_free(&conf);
    if (rc < 0)
        return -1;
    cx_strv_push(networks, cx_strdup(n.name));
    cx_network_free(&n);
    return 0;
}

/* The pod and its running infra container, under the reserved row. */
static int make_pod(struct cri_ctx *ctx, struct cx_engine *e, const char *id,
                    struct cri_pod_spec *spec, cx_error *err)
{
    struct capsad *d = ctx->app;
    const char *image = d->cfg->pause_image && d->cfg->pause_image[0] ? d->cfg->pause_image
                                                                       : CX_INFRA_IMAGE;
    _cleanup_strv_ char **networks = NULL;
    if (!spec->host_network && pod_network(d, e, &networks, err) < 0)
        return -1;
    if (ensure_pause_image(ctx, e, image, err) < 0)
        return -1;
    char *args = cx_asprintf("%s;K8S_POD_INFRA_CONTAINER_ID=%s", spec->cni_args, id);
    free(spec->cni_args);
    spec->cni_args = args;
    struct cx_pod_opts po = {
        .name = spec->pod_name, .publish = spec->publish, .networks = networks,
        .network_host = spec->host_network, .hostname = spec->hostname,
        .shares = spec->share_pid ? "net,ipc,uts,pid" : "net,ipc,uts", .infra_image = image,
        .id = id, .infra_hook = cri_pod_spec_infra, .hook_data = spec,
    };
    struct cx_pod pod;
    if (cx_pod_create(e, &po, &pod, err) < 0)
        return -1;
    int rc = cx_pod_act(e, &pod, CX_POD_START, 0, err);
    cx_pod_free(&pod);
    CX_FAULT("sandbox made");
    return rc;
}

CRI_HANDLER(cri_run_pod_sandbox)
{
    const Runtime__V1__RunPodSandboxRequest *req = (const void *) in;
    struct capsad *d = ctx->app;
    const struct cri_runtime *rt = cri_config_runtime(d->cfg, req->runtime_handler);
    if (rt == NULL)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "no runtime handler \"%s\" is "
                        "configured", req->runtime_handler);
    _cleanup_(cri_pod_spec_free) struct cri_pod_spec spec;
    if (cri_pod_spec_make(req->config, &spec, err) < 0)
        return -1;
    /* the infra container under the handler's runtime; the pod's
     * containers follow it (runtime_container.c) */
    spec.runtime = rt->path;
    spec.runtime_root = rt->root;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox row = { .name_key = spec.name_key,
                               .handler = req->runtime_handler, .created = cx_now_ns() };
    if (digest_of(&req->config->base, req->runtime_handler, &ctx->arena, &row.config,
                  &row.config_len, &row.digest, err) < 0)
        return -1;
    cx_ctr_new_id(row.id);
    bool existing;
    if (reserve(ctx, e, &row, &existing, err) < 0)
        return -1;
    CX_FAULT("sandbox name reserved");
    if (!existing) {
        if (make_pod(ctx, e, row.id, &spec, err) < 0 ||
            cri_sandbox_set_state(&e->store.db, row.id, "ready", err) < 0) {
            cx_error ignored;
            cx_pod_remove(e, row.id, true, &ignored);
            cri_sandbox_delete(&e->store.db, row.id, &ignored);
            return -1;
        }
    }
    Runtime__V1__RunPodSandboxResponse *r = CRI_NEW(
        ctx, Runtime__V1__RunPodSandboxResponse, runtime__v1__run_pod_sandbox_response__init);
    r->pod_sandbox_id = arena_strdup(&ctx->arena, row.id);
    *out = &r->base;
    return 0;
}

/* The row of an ID (or unique prefix); *found false when none. */
static int sandbox_of(struct cri_ctx *ctx, const char *id, struct cri_sandbox *sb, bool *found,
                      cx_error *err)
{
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    if (id == NULL || id[0] == '\0')
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "pod_sandbox_id is empty");
    return cri_sandbox_get(&e->store.db, id, false, sb, found, err);
}

CRI_HANDLER(cri_stop_pod_sandbox)
{
    const Runtime__V1__StopPodSandboxRequest *req = (const void *) in;
    struct cri_sandbox sb;
    bool found;
    if (sandbox_of(ctx, req->pod_sandbox_id, &sb, &found, err) < 0)
        return -1;
    int rc = 0;
    if (found && sb.pod_exists) {
        struct cx_pod pod;
        if ((rc = cx_pod_get(ctx->engine, sb.id, &pod, err)) == 0) {
            rc = cx_pod_act(ctx->engine, &pod, CX_POD_STOP, -1, err);
            /* the network and mounts released before we answer, as the CRI
             * says: the exit commands may still be on their way */
            for (size_t i = 0; rc == 0 && i < pod.nmembers; i++)
                rc = cx_ctr_cleanup(ctx->engine, pod.members[i], err);
            cx_pod_free(&pod);
        }
        if (rc == 0)
            rc = cri_sandbox_set_state(&ctx->engine->store.db, sb.id, "stopped", err);
    }
    if (found)
        cri_sandbox_free(&sb);
    if (rc < 0)
        return -1;
    /* an unknown or removed sandbox is stopped: the kubelet retries otherwise */
    *out = &CRI_NEW(ctx, Runtime__V1__StopPodSandboxResponse,
                    runtime__v1__stop_pod_sandbox_response__init)->base;
    return 0;
}

CRI_HANDLER(cri_remove_pod_sandbox)
{
    const Runtime__V1__RemovePodSandboxRequest *req = (const void *) in;
    struct cri_sandbox sb;
    bool found;
    if (sandbox_of(ctx, req->pod_sandbox_id, &sb, &found, err) < 0)
        return -1;
    int rc = 0;
    if (found && sb.pod_exists)
        rc = cx_pod_remove(ctx->engine, sb.id, true, err);
    if (found && rc == 0)
        rc = cx_db_run(&ctx->engine->store.db, "DELETE FROM cri_containers WHERE sandbox_id = ?",
                       sb.id, NULL, err);
    if (found && rc == 0)
        rc = cri_sandbox_delete(&ctx->engine->store.db, sb.id, err);
    if (found)
        cri_sandbox_free(&sb);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__RemovePodSandboxResponse,
                    runtime__v1__remove_pod_sandbox_response__init)->base;
    return 0;
}
