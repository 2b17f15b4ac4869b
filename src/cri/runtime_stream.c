/* runtime_stream.c: Exec, Attach and PortForward.  None of them streams
 * itself: each checks its target and its flags as the kubelet's
 * streaming server does, stores what the session needs under a one-time
 * token (stream/tokens.h) and answers the URL of capsad's streaming
 * listener (stream/server.h), where the client (crictl, the kubelet)
 * connects within 60 s and capsad-stream serves the session. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/handlers.h"
#include "cri/records.h"
#include "cri/stream/desc.h"
#include "cri/stream/tokens.h"
#include "common/loop.h"
#include "engine/ctr_net.h"
#include "engine/lifecycle.h"

/* Store desc under a token; the URL in the arena. */
static char *issue(struct cri_ctx *ctx, enum stream_kind kind, json_t *desc, cx_error *err)
{
    struct capsad *d = ctx->app;
    if (d->tokens == NULL || d->stream_url == NULL) {
        json_decref(desc);
        cri_fail(ctx, err, GRPC_UNAVAILABLE, "the streaming server is not running");
        return NULL;
    }
    json_object_set_new(desc, "kind", json_string(stream_kind_name(kind)));
    json_object_set_new(desc, "root", json_string(d->cfg->root));
    json_object_set_new(desc, "runroot", json_string(d->cfg->runroot));
    char token[STREAM_TOKEN_LEN + 1];
    if (stream_token_put(d->tokens, desc, loop_now_ms(), token, err) < 0) {
        if (err->errnum == EAGAIN)
            cri_fail(ctx, err, GRPC_RESOURCE_EXHAUSTED, "%s", err->msg);
        return NULL;
    }
    char url[256];
    snprintf(url, sizeof url, "%s/%s/%s", d->stream_url, stream_kind_name(kind), token);
    return arena_strdup(&ctx->arena, url);
}

/* The kubelet's checks of the flags, the same words. */
static int check_flags(struct cri_ctx *ctx, bool tty, bool in, bool out, bool errs, cx_error *err)
{
    if (tty && errs)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "tty and stderr cannot both be true");
    if (!in && !out && !errs)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT,
                        "one of stdin, stdout, or stderr must be set");
    return 0;
}

static json_t *flags_json(const char *id, bool tty, bool in, bool out, bool errs)
{
    return json_pack("{s:s, s:b, s:b, s:b, s:b}", "container", id, "tty", tty, "stdin", in,
                     "stdout", out, "stderr", errs);
}

CRI_HANDLER(cri_exec)
{
    const Runtime__V1__ExecRequest *req = (const void *) in;
    if (req->n_cmd == 0)
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "exec: cmd is empty");
    if (check_flags(ctx, req->tty, req->stdin, req->stdout, req->stderr, err) < 0)
        return -1;
    struct cx_ctr c;
    if (cri_running_ctr(ctx, req->container_id, &c, err) < 0)
        return -1;
    json_t *desc = flags_json(c.id, req->tty, req->stdin, req->stdout, req->stderr);
    cx_ctr_free(&c);
    json_t *cmd = json_array();
    for (size_t i = 0; i < req->n_cmd; i++)
        json_array_append_new(cmd, json_string(req->cmd[i]));
    json_object_set_new(desc, "cmd", cmd);
    char *url = issue(ctx, STREAM_EXEC, desc, err);
    if (url == NULL)
        return -1;
    Runtime__V1__ExecResponse *resp =
        CRI_NEW(ctx, Runtime__V1__ExecResponse, runtime__v1__exec_response__init);
    resp->url = url;
    *out = &resp->base;
    return 0;
}

CRI_HANDLER(cri_attach)
{
    const Runtime__V1__AttachRequest *req = (const void *) in;
    if (check_flags(ctx, req->tty, req->stdin, req->stdout, req->stderr, err) < 0)
        return -1;
    struct cx_ctr c;
    if (cri_running_ctr(ctx, req->container_id, &c, err) < 0)
        return -1;
    json_t *desc = flags_json(c.id, req->tty, req->stdin, req->stdout, req->stderr);
    cx_ctr_free(&c);
    char *url = issue(ctx, STREAM_ATTACH, desc, err);
    if (url == NULL)
        return -1;
    Runtime__V1__AttachResponse *resp =
        CRI_NEW(ctx, Runtime__V1__AttachResponse, runtime__v1__attach_response__init);
    resp->url = url;
    *out = &resp->base;
    return 0;
}

/* The network namespace of a ready sandbox: the infra container's pinned
 * one (a pod on CNI networks), else its process's (host network). */
static char *sandbox_netns(struct cri_ctx *ctx, const char *id, cx_error *err)
{
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return NULL;
    struct cri_sandbox sb;
    if (cri_sandbox_find(ctx, e, id, &sb, err) < 0)
        return NULL;
    struct cx_ctr c = { 0 };
    bool have = false;
    if (strcmp(sb.state, "ready") == 0 && sb.pod_exists && sb.infra_id[0] &&
        cx_ctr_lookup(&e->store.db, sb.infra_id, &c, &have, &(cx_error){ 0 }) == 0 && have)
        cx_ctr_sync(e, &c);
    bool up = have && c.state == CX_CTR_RUNNING;
    char *path = NULL;
    if (up) {
        _cleanup_free_ char *pinned = cx_ctr_netns_path(e, sb.infra_id);
        path = access(pinned, F_OK) == 0 ? arena_strdup(&ctx->arena, pinned)
                                         : arena_printf(&ctx->arena, "/proc/%d/ns/net", c.pid);
    }
    if (have)
        cx_ctr_free(&c);
    cri_sandbox_free(&sb);
    if (!up)
        cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "pod sandbox %s is not ready", id);
    return path;
}

CRI_HANDLER(cri_port_forward)
{
    const Runtime__V1__PortForwardRequest *req = (const void *) in;
    for (size_t i = 0; i < req->n_port; i++)
        if (req->port[i] < 1 || req->port[i] > 65535)
            return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "port-forward: invalid port %d "
                            "(ports are 1 to 65535)", req->port[i]);
    char *netns = sandbox_netns(ctx, req->pod_sandbox_id, err);
    if (netns == NULL)
        return -1;
    json_t *desc = json_pack("{s:s, s:s}", "sandbox", req->pod_sandbox_id, "netns", netns);
    char *url = issue(ctx, STREAM_PORTFORWARD, desc, err);
    if (url == NULL)
        return -1;
    Runtime__V1__PortForwardResponse *resp =
        CRI_NEW(ctx, Runtime__V1__PortForwardResponse, runtime__v1__port_forward_response__init);
    resp->url = url;
    *out = &resp->base;
    return 0;
}
