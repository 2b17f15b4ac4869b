/* runtime_update.c: UpdateContainerResources (the kubelet's in-place
 * resize: linux.resources merged into the running container through the
 * runtime's update, and into the row's config, which ContainerStatus
 * reports) and ReopenContainerLog (after the kubelet rotated the
 * log: the shim is told to reopen its file, and we wait until it has, so
 * the kubelet never sees a log without its writer). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/util.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "engine/ctr_runtime.h"
#include "engine/engine.h"
#include "engine/lifecycle.h"

/* The engine record of a CRI container the runtime holds (created or
 * running), and its row. */
static int live(struct cri_ctx *ctx, const char *id, struct cri_container *row,
                struct cx_ctr *c, cx_error *err)
{
    bool found;
    if (cri_container_of(ctx, id, row, c, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", id);
    cx_ctr_sync(ctx->engine, c);
    if (c->state != CX_CTR_RUNNING && c->state != CX_CTR_PAUSED && c->state != CX_CTR_CREATED) {
        cx_ctr_free(c);
        cri_container_free(row);
        return cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "container %s is not running", id);
    }
    return 0;
}

/* linux.resources of the OCI spec from the CRI's */
static json_t *resources_json(const Runtime__V1__LinuxContainerResources *r)
{
    json_t *res = json_object(), *cpu = json_object(), *mem = json_object();
    if (r->cpu_shares > 0)
        json_object_set_new(cpu, "shares", json_integer(r->cpu_shares));
    if (r->cpu_quota != 0)
        json_object_set_new(cpu, "quota", json_integer(r->cpu_quota));
    if (r->cpu_period > 0)
        json_object_set_new(cpu, "period", json_integer(r->cpu_period));
    if (r->cpuset_cpus[0])
        json_object_set_new(cpu, "cpus", json_string(r->cpuset_cpus));
    if (r->cpuset_mems[0])
        json_object_set_new(cpu, "mems", json_string(r->cpuset_mems));
    if (r->memory_limit_in_bytes > 0)
        json_object_set_new(mem, "limit", json_integer(r->memory_limit_in_bytes));
    /* no swap beyond the limit unless asked, as at create (ctr_config.c) */
    if (r->memory_swap_limit_in_bytes > 0 || r->memory_limit_in_bytes > 0)
        json_object_set_new(mem, "swap", json_integer(r->memory_swap_limit_in_bytes > 0
                                                          ? r->memory_swap_limit_in_bytes
                                                          : r->memory_limit_in_bytes));
    if (json_object_size(cpu))
        json_object_set(res, "cpu", cpu);
    if (json_object_size(mem))
        json_object_set(res, "memory", mem);
    json_decref(cpu);
    json_decref(mem);
    return res;
}

/* Each field the request sets (those resources_json applies) over the
 * one in force. */
static void merge(Runtime__V1__LinuxContainerResources *to,
                  const Runtime__V1__LinuxContainerResources *r)
{
    if (r->cpu_shares > 0)
        to->cpu_shares = r->cpu_shares;
    if (r->cpu_quota != 0)
        to->cpu_quota = r->cpu_quota;
    if (r->cpu_period > 0)
        to->cpu_period = r->cpu_period;
    if (r->cpuset_cpus[0])
        to->cpuset_cpus = r->cpuset_cpus;
    if (r->cpuset_mems[0])
        to->cpuset_mems = r->cpuset_mems;
    if (r->memory_limit_in_bytes > 0)
        to->memory_limit_in_bytes = r->memory_limit_in_bytes;
    if (r->memory_swap_limit_in_bytes > 0 || r->memory_limit_in_bytes > 0)
        to->memory_swap_limit_in_bytes = r->memory_swap_limit_in_bytes > 0
                                             ? r->memory_swap_limit_in_bytes
                                             : r->memory_limit_in_bytes;
}

/* The resources now in force into the row's config, which ContainerStatus
 * answers (the kubelet's in-place resize reads them back); a config that
 * does not decode is left as it is. */
static int remember(struct cri_ctx *ctx, const struct cri_container *row,
                    const Runtime__V1__LinuxContainerResources *r, cx_error *err)
{
    Runtime__V1__ContainerConfig *c = (void *) cri_unpack(
        ctx, &runtime__v1__container_config__descriptor, row->config, row->config_len);
    if (c == NULL)
        return 0;
    if (c->linux == NULL)
        c->linux = CRI_NEW(ctx, Runtime__V1__LinuxContainerConfig,
                           runtime__v1__linux_container_config__init);
    if (c->linux->resources == NULL)
        c->linux->resources = CRI_NEW(ctx, Runtime__V1__LinuxContainerResources,
                                      runtime__v1__linux_container_resources__init);
    merge(c->linux->resources, r);
    size_t len = protobuf_c_message_get_packed_size(&c->base);
    uint8_t *buf = arena_alloc(&ctx->arena, len + 1);
    protobuf_c_message_pack(&c->base, buf);
    return cri_container_set_config(&ctx->engine->store.db, row->id, buf, len, err);
}

CRI_HANDLER(cri_update_container_resources)
{
    const Runtime__V1__UpdateContainerResourcesRequest *req = (const void *) in;
    struct cri_container row;
    struct cx_ctr c;
    if (live(ctx, req->container_id, &row, &c, err) < 0)
        return -1;
    int rc = 0;
    if (req->linux) {
        json_auto_t *res = resources_json(req->linux);
        rc = cx_rt_update(ctx->engine, &c, res, err);
        if (rc == 0)
            rc = remember(ctx, &row, req->linux, err);
    }
    cx_ctr_free(&c);
    cri_container_free(&row);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__UpdateContainerResourcesResponse,
                    runtime__v1__update_container_resources_response__init)->base;
    return 0;
}

/* The shim's ctl fifo: "2" asks it to reopen its log. */
static int ask_reopen(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, err);
    if (dir < 0)
        return -1;
    _cleanup_close_ int fd = openat(dir, "ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || write(fd, "2 0 0\n", 6) != 6)
        return cx_fail_errno(err, "container %.12s: ask its monitor to reopen the log", id);
    return 0;
}

CRI_HANDLER(cri_reopen_container_log)
{
    const Runtime__V1__ReopenContainerLogRequest *req = (const void *) in;
    struct cri_container row;
    struct cx_ctr c;
    if (live(ctx, req->container_id, &row, &c, err) < 0)
        return -1;
    _cleanup_free_ char *path = cx_engine_log_path(ctx->engine, c.id, c.opts);
    int rc = c.state == CX_CTR_CREATED
                 ? cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "container %s is not running",
                            req->container_id)
                 : path ? ask_reopen(ctx->engine, c.id, err) : 0;
    /* until the new file is there (the shim writes to the old one so far:
     * nothing is lost), at most 2 s */
    struct stat st;
    for (int64_t end = loop_now_ms() + 2000; rc == 0 && path && stat(path, &st) < 0 &&
                                             loop_now_ms() < end;)
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    if (rc == 0 && path && stat(path, &st) < 0)
        rc = cx_fail(err, EIO, "container %s: its log %s was not reopened in 2 s",
                     req->container_id, path);
    cx_ctr_free(&c);
    cri_container_free(&row);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__ReopenContainerLogResponse,
                    runtime__v1__reopen_container_log_response__init)->base;
    return 0;
}

/* a resize the kernel would refuse, named */
static const char *bad_resources(const Runtime__V1__LinuxContainerResources *r)
{
    if (r == NULL)
        return NULL;
    if (r->cpu_period < 0 || r->cpu_shares < 0 || r->memory_limit_in_bytes < 0 ||
        r->memory_swap_limit_in_bytes < 0 || r->oom_score_adj < -1000 || r->oom_score_adj > 1000)
        return "a negative or out-of-range value";
    return NULL;
}

/* UpdatePodSandboxResources comes after the kubelet has resized the
 * pod-level cgroup itself (the pod's cgroup parent is the kubelet's, and
 * each container's own limits come through UpdateContainerResources):
 * capsad keeps no pod-level cgroup of its own, so there is nothing more
 * to apply.  The pod must exist and the values must make sense. */
CRI_HANDLER(cri_update_pod_sandbox_resources)
{
    const Runtime__V1__UpdatePodSandboxResourcesRequest *req = (const void *) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    const char *bad = bad_resources(req->overhead);
    if (bad == NULL)
        bad = bad_resources(req->resources);
    if (bad)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "pod sandbox %s: resources with %s",
                        req->pod_sandbox_id, bad);
    struct cri_sandbox sb;
    if (cri_sandbox_find(ctx, e, req->pod_sandbox_id, &sb, err) < 0)
        return -1;
    cri_sandbox_free(&sb);
    *out = &CRI_NEW(ctx, Runtime__V1__UpdatePodSandboxResourcesResponse,
                    runtime__v1__update_pod_sandbox_resources_response__init)->base;
    return 0;
}
