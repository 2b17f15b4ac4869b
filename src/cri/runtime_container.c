/* runtime_container.c: CreateContainer, StartContainer, StopContainer,
 * RemoveContainer.  A CRI container is an engine container (lifecycle.c)
 * that is a member of its sandbox's pod, plus capsad's row: written first
 * ("creating"), so a retried create finds what the first made and a
 * failed one leaves nothing; "created" once it exists, "started" once the
 * kubelet started it (CRI containers never start twice). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"
#include "cri/ctr_config.h"
#include "cri/handlers.h"
#include "cri/pb_canon.h"
#include "cri/images.h"
#include "cri/records.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "store/store.h"

/* packed config and digest, as for sandboxes */
static int pack(struct cri_ctx *ctx, const ProtobufCMessage *m, struct cri_container *row,
                cx_error *err)
{
    cri_pb_canonical((ProtobufCMessage *) m);   /* the request's own, in the arena */
    row->config_len = protobuf_c_message_get_packed_size(m);
    row->config = arena_alloc(&ctx->arena, row->config_len + 1);
    protobuf_c_message_pack(m, row->config);
    struct cx_digest d;
    if (cx_digest_buffer(CX_SHA256, row->config, row->config_len, &d, err) < 0)
        return -1;
    row->digest = arena_alloc(&ctx->arena, CX_DIGEST_MAX);
    cx_digest_format(&d, row->digest);
    return 0;
}

static int insert_row(struct cx_db *db, const void *row, cx_error *err)
{
    return cri_container_insert(db, row, err);
}

/* The name reserved, or the container an identical earlier request made. */
static int reserve(struct cri_ctx *ctx, struct cx_engine *e, struct cri_container *row,
                   bool *existing, cx_error *err)
{
    struct cri_reservation r = { "container", "cri_containers", "created", row->name_key,
                                 row->digest, insert_row, row };
    return cri_reserve(ctx, &e->store.db, &r, row->id, existing, err);
}

/* The ready sandbox a container goes into. */
static int sandbox_for(struct cri_ctx *ctx, struct cx_engine *e, const char *id,
                       struct cri_sandbox *sb, cx_error *err)
{
    bool found;
    if (cri_sandbox_get(&e->store.db, id, false, sb, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "pod sandbox %s not found", id);
    if (strcmp(sb->state, "ready") != 0 || !sb->pod_exists) {
        cri_sandbox_free(sb);
        return cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "pod sandbox %s is not ready", id);
    }
    return 0;
}

/* The log's directory, made when missing, as containerd does (the kubelet
 * makes the pod's log directory; a container's log_path may add levels). */
static int log_dir(const char *path, cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    return cx_mkdir_p(dir, 0755, err);
}

/* The engine pod's name, and its runtime: its infra container's, which
 * RunPodSandbox made under the pod's handler (strings in the arena). */
static int pod_of(struct cri_ctx *ctx, struct cx_engine *e, const struct cri_sandbox *sb,
                  struct cri_ctr_pod *pod, cx_error *err)
{
    struct cx_pod p;
    if (cx_pod_get(e, sb->id, &p, err) < 0)
        return -1;
    pod->sandbox_id = sb->id;
    pod->name = arena_strdup(&ctx->arena, p.name);
    struct cx_ctr infra;
    bool found = false;
    int rc = cx_ctr_lookup(&e->store.db, p.infra_id, &infra, &found, err);
    cx_pod_free(&p);
    if (rc == 0 && found) {
        pod->runtime = infra.runtime ? arena_strdup(&ctx->arena, infra.runtime) : NULL;
        pod->runtime_root = infra.runtime_root ? arena_strdup(&ctx->arena, infra.runtime_root)
                                               : NULL;
        cx_ctr_free(&infra);
    }
    return rc;
}

static int make(struct cri_ctx *ctx, struct cx_engine *e, const Runtime__V1__ContainerConfig *c,
                const struct cri_sandbox *sb, struct cri_container *row, cx_error *err)
{
    struct cri_ctr_pod pod = { .config = (const void *) cri_unpack(
        ctx, &runtime__v1__pod_sandbox_config__descriptor, sb->config, sb->config_len) };
    struct cx_image_rec img = { 0 };
    struct cx_image_config cfg = { 0 };
    bool found;
    if (cri_image_find(&e->store, c->image->image, &img, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "image %s not found (pull it first)",
                        c->image->image);
    /* zeroed: freed on every path, cri_ctr_config called or not */
    _cleanup_(cx_run_opts_free) struct cx_run_opts o = { 0 };
    _cleanup_(cri_ctr_spec_free) struct cri_ctr_spec spec = { 0 };
    int rc = pod_of(ctx, e, sb, &pod, err);
    if (rc == 0)
        rc = cri_ctr_config(c, &pod, img.id, &o, &spec, err);
    if (rc == 0 && spec.log_path)
        rc = log_dir(spec.log_path, err);
    if (rc == 0)
        rc = cx_engine_image_config(e, &img, &cfg, err);
    struct cx_ctr ctr = { 0 };
    memcpy(ctr.id, row->id, sizeof ctr.id);
    if (rc == 0) {
        rc = cx_ctr_create(e, &img, &cfg, &o, &ctr, err);
        cx_image_config_free(&cfg);
    }
    cx_image_rec_free(&img);
    if (rc == 0) {
        cx_ctr_free(&ctr);
        CX_FAULT("container made");
        rc = cri_container_set(&e->store.db, row->id, "state", "created", err);
    }
    return rc;
}

CRI_HANDLER(cri_create_container)
{
    const Runtime__V1__CreateContainerRequest *req = (const void *) in;
    const Runtime__V1__ContainerConfig *c = req->config;
    if (c == NULL || c->metadata == NULL || c->image == NULL || !c->image->image[0])
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "container config: metadata and "
                        "image are required");
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_sandbox sb;
    if (sandbox_for(ctx, e, req->pod_sandbox_id, &sb, err) < 0)
        return -1;
    struct cri_container row = { .sandbox_id = sb.id, .created = cx_now_ns() };
    row.name_key = arena_printf(&ctx->arena, "%s_%s_%u", sb.id, c->metadata->name,
                                c->metadata->attempt);
    /* the full path, which ContainerStatus reports (crictl logs reads it) */
    const Runtime__V1__PodSandboxConfig *pod = (const void *) cri_unpack(
        ctx, &runtime__v1__pod_sandbox_config__descriptor, sb.config, sb.config_len);
    if (c->log_path[0] && pod && pod->log_directory[0])
        row.log_path = arena_printf(&ctx->arena, "%s/%s", pod->log_directory, c->log_path);
    cx_ctr_new_id(row.id);
    bool existing = false;
    int rc = pack(ctx, &c->base, &row, err);
    if (rc == 0)
        rc = reserve(ctx, e, &row, &existing, err);
    CX_FAULT("container name reserved");
    if (rc == 0 && !existing && make(ctx, e, c, &sb, &row, err) < 0) {
        cx_error ignored;
        cx_ctr_remove(e, row.id, true, true, &ignored);
        cri_container_delete(&e->store.db, row.id, &ignored);
        rc = -1;
    }
    cri_sandbox_free(&sb);
    if (rc < 0)
        return -1;
    if (!existing)
        cri_event_publish(row.id, RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT);
    Runtime__V1__CreateContainerResponse *r = CRI_NEW(
        ctx, Runtime__V1__CreateContainerResponse, runtime__v1__create_container_response__init);
    r->container_id = arena_strdup(&ctx->arena, row.id);
    *out = &r->base;
    return 0;
}

int cri_container_of(struct cri_ctx *ctx, const char *id, struct cri_container *row,
                     struct cx_ctr *c, bool *found, cx_error *err)
{
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    if (id == NULL || !id[0])
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "container_id is empty");
    if (cri_container_get(&e->store.db, id, false, row, found, err) < 0)
        return -1;
    if (!*found || !row->ctr_exists || strcmp(row->state, "creating") == 0) {
        if (*found)
            cri_container_free(row);
        *found = false;
        return 0;
    }
    bool have;
    if (cx_ctr_lookup(&e->store.db, row->id, c, &have, err) < 0 || !have) {
        cri_container_free(row);
        *found = false;
        return have ? -1 : 0;
    }
    return 0;
}

CRI_HANDLER(cri_start_container)
{
    const Runtime__V1__StartContainerRequest *req = (const void *) in;
    struct cri_container row;
    struct cx_ctr c;
    bool found;
    if (cri_container_of(ctx, req->container_id, &row, &c, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", req->container_id);
    int rc = 0, code;
    if (strcmp(row.state, "created") != 0)
        rc = cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "container %s was started already "
                      "(CRI containers start once)", row.id);
    else if (cri_container_set(&ctx->engine->store.db, row.id, "state", "started", err) < 0)
        rc = -1;
    else if (cx_ctr_start(ctx->engine, &c, NULL, NULL, &code, err) < 0) {
        char msg[CX_ERROR_MAX + 64];
        cx_error_format(err, msg, sizeof msg);
        cri_container_set(&ctx->engine->store.db, row.id, "start_error", msg,
                          &(cx_error){ 0 });
        rc = -1;
    }
    if (rc == 0)
        cri_event_publish(row.id, RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT);
    cri_container_free(&row);
    cx_ctr_free(&c);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__StartContainerResponse,
                    runtime__v1__start_container_response__init)->base;
    return 0;
}

CRI_HANDLER(cri_stop_container)
{
    const Runtime__V1__StopContainerRequest *req = (const void *) in;
    struct cri_container row;
    struct cx_ctr c;
    bool found;
    if (cri_container_of(ctx, req->container_id, &row, &c, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", req->container_id);
    int timeout = req->timeout < 0 ? 0 : req->timeout > 3600 ? 3600 : (int) req->timeout;
    int rc = cx_ctr_stop(ctx->engine, &c, timeout, err);
    if (rc == 0)
        cri_event_publish(row.id, RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT);
    cri_container_free(&row);
    cx_ctr_free(&c);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__StopContainerResponse,
                    runtime__v1__stop_container_response__init)->base;
    return 0;
}

CRI_HANDLER(cri_remove_container)
{
    const Runtime__V1__RemoveContainerRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    struct cri_container row;
    bool found;
    if (cri_container_get(&e->store.db, req->container_id, false, &row, &found, err) < 0)
        return -1;
    int rc = 0;
    if (found && row.ctr_exists)
        rc = cx_ctr_remove(e, row.id, true, true, err);
    if (found && rc == 0)
        rc = cri_container_delete(&e->store.db, row.id, err);
    if (found && rc == 0)
        cri_event_publish(row.id, RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT);
    if (found)
        cri_container_free(&row);
    if (rc < 0)
        return -1;
    /* an unknown or removed container is removed: the kubelet expects it */
    *out = &CRI_NEW(ctx, Runtime__V1__RemoveContainerResponse,
                    runtime__v1__remove_container_response__init)->base;
    return 0;
}
