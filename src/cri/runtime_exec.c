/* runtime_exec.c: ExecSync, the kubelet's exec probes: a process in a
 * running container, its output gathered (each stream at most 8 MiB, so
 * the reply stays under the 16 MiB message limit) and its time bounded by
 * the request's timeout and the call's deadline, whichever ends first. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "engine/containers.h"
#include "engine/exec.h"
#include "engine/lifecycle.h"

#define EXEC_OUTPUT_MAX (8u << 20)

int cri_running_ctr(struct cri_ctx *ctx, const char *id, struct cx_ctr *c, cx_error *err)
{
    struct cri_container row;
    bool found;
    if (cri_container_of(ctx, id, &row, c, &found, err) < 0)
        return -1;
    if (!found)
        return cri_fail(ctx, err, GRPC_NOT_FOUND, "container %s not found", id);
    cri_container_free(&row);
    cx_ctr_sync(ctx->engine, c);
    if (c->state != CX_CTR_RUNNING) {
        cx_ctr_free(c);
        return cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "container %s is not running", id);
    }
    return 0;
}

CRI_HANDLER(cri_exec_sync)
{
    const Runtime__V1__ExecSyncRequest *req = (const void *) in;
    if (req->n_cmd == 0)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "exec: cmd is empty");
    struct cx_ctr c;
    if (cri_running_ctr(ctx, req->container_id, &c, err) < 0)
        return -1;
    char **args = arena_alloc(&ctx->arena, (req->n_cmd + 1) * sizeof *args);
    for (size_t i = 0; i < req->n_cmd; i++)
        args[i] = req->cmd[i];
    struct cx_exec_req r = { .args = args };
    int64_t left = cri_time_left(ctx);
    int64_t timeout = req->timeout > 0 ? req->timeout * 1000 : -1;
    if (left != INT64_MAX && (timeout < 0 || left < timeout))
        timeout = left;
    struct cx_exec_output o;
    int code;
    int rc = cx_ctr_exec_capture(ctx->engine, &c, &r, timeout, EXEC_OUTPUT_MAX, &o, &code,
                                 err);
    cx_ctr_free(&c);
    if (rc < 0) {
        cx_exec_output_free(&o);
        if (err->errnum == ETIMEDOUT)
            return cri_fail(ctx, err, GRPC_DEADLINE_EXCEEDED, "exec in %s: timed out after "
                            "%lld ms (the process was killed)", req->container_id,
                            (long long) timeout);
        return -1;
    }
    Runtime__V1__ExecSyncResponse *resp =
        CRI_NEW(ctx, Runtime__V1__ExecSyncResponse, runtime__v1__exec_sync_response__init);
    resp->stdout.data = memcpy(arena_alloc(&ctx->arena, o.out_len + 1), o.out, o.out_len);
    resp->stdout.len = o.out_len;
    resp->stderr.data = memcpy(arena_alloc(&ctx->arena, o.err_len + 1), o.err, o.err_len);
    resp->stderr.len = o.err_len;
    resp->exit_code = code;
    cx_exec_output_free(&o);
    *out = &resp->base;
    return 0;
}
