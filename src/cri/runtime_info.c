/* runtime_info.c: what the kubelet asks about the runtime itself: Version,
 * Status (RuntimeReady, NetworkReady), RuntimeConfig (the cgroup driver,
 * which the kubelet's must match), UpdateRuntimeConfig (the pod CIDR,
 * into cni_conf_template's network: cni_template.h), and the methods
 * capsad answers without a feature behind them. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "cri/cni_template.h"
#include "cri/handlers.h"
#include "net/cni_confdir.h"

#include "capsa-config.h"

/* the kubelet's CRI API version these messages are */
#define CRI_API_VERSION "v1"

CRI_HANDLER(cri_version)
{
    (void) in;
    (void) err;
    Runtime__V1__VersionResponse *r =
        CRI_NEW(ctx, Runtime__V1__VersionResponse, runtime__v1__version_response__init);
    r->version = "0.1.0";
    r->runtime_name = "capsa";
    r->runtime_version = CAPSA_VERSION;
    r->runtime_api_version = CRI_API_VERSION;
    *out = &r->base;
    return 0;
}

static Runtime__V1__RuntimeCondition *condition(struct cri_ctx *ctx, const char *type,
                                                bool ok, const char *reason,
                                                const char *message)
{
    Runtime__V1__RuntimeCondition *c =
        CRI_NEW(ctx, Runtime__V1__RuntimeCondition, runtime__v1__runtime_condition__init);
    c->type = (char *) type;
    c->status = ok;
    c->reason = arena_strdup(&ctx->arena, reason);
    c->message = arena_strdup(&ctx->arena, message);
    return c;
}

/* NetworkReady: a valid configuration in the CNI directory */
static Runtime__V1__RuntimeCondition *network_ready(struct cri_ctx *ctx)
{
    struct capsad *d = ctx->app;
    struct cx_cni_conf conf;
    _cleanup_free_ char *path = NULL;
    cx_error err = { 0 };
    if (cx_cni_confdir_first(d->cfg->cni_conf_dir, &conf, &path, &err) < 0) {
        char msg[CX_ERROR_MAX + 64];
        cx_error_format(&err, msg, sizeof msg);
        return condition(ctx, "NetworkReady", false, "NetworkPluginNotReady", msg);
    }
    cx_cni_conf_free(&conf);
    return condition(ctx, "NetworkReady", true, "", "");
}

/* The handlers the kubelet may name: the default one (""), then each by
 * name; no optional feature is claimed for any (recursive read-only
 * mounts, user namespaces), as none is offered through the CRI yet. */
static void handlers(struct cri_ctx *ctx, Runtime__V1__StatusResponse *r)
{
    const struct cri_config *c = ((struct capsad *) ctx->app)->cfg;
    r->n_runtime_handlers = c->nruntimes + 1;
    r->runtime_handlers = arena_alloc(&ctx->arena, r->n_runtime_handlers *
                                                   sizeof *r->runtime_handlers);
    for (size_t i = 0; i < r->n_runtime_handlers; i++) {
        Runtime__V1__RuntimeHandler *h = CRI_NEW(ctx, Runtime__V1__RuntimeHandler,
                                                 runtime__v1__runtime_handler__init);
        h->name = i == 0 ? "" : c->runtimes[i - 1].name;
        h->features = CRI_NEW(ctx, Runtime__V1__RuntimeHandlerFeatures,
                              runtime__v1__runtime_handler_features__init);
        r->runtime_handlers[i] = h;
    }
}

CRI_HANDLER(cri_status)
{
    (void) err;
    const Runtime__V1__StatusRequest *req = (const void *) in;
    struct capsad *d = ctx->app;
    Runtime__V1__StatusResponse *r =
        CRI_NEW(ctx, Runtime__V1__StatusResponse, runtime__v1__status_response__init);
    r->status = CRI_NEW(ctx, Runtime__V1__RuntimeStatus, runtime__v1__runtime_status__init);
    r->status->n_conditions = 2;
    r->status->conditions = arena_alloc(&ctx->arena, 2 * sizeof *r->status->conditions);
    r->status->conditions[0] = condition(ctx, "RuntimeReady", true, "", "");
    r->status->conditions[1] = network_ready(ctx);
    handlers(ctx, r);
    if (req->verbose) {
        json_auto_t *cfg = cri_config_json(d->cfg);
        _cleanup_free_ char *text = json_dumps(cfg, JSON_COMPACT);
        r->n_info = 1;
        r->info = arena_alloc(&ctx->arena, sizeof *r->info);
        r->info[0] = CRI_NEW(ctx, Runtime__V1__StatusResponse__InfoEntry,
                             runtime__v1__status_response__info_entry__init);
        r->info[0]->key = "config";
        r->info[0]->value = arena_strdup(&ctx->arena, text ? text : "{}");
    }
    *out = &r->base;
    return 0;
}

CRI_HANDLER(cri_runtime_config)
{
    (void) in;
    (void) err;
    struct capsad *d = ctx->app;
    Runtime__V1__RuntimeConfigResponse *r = CRI_NEW(
        ctx, Runtime__V1__RuntimeConfigResponse, runtime__v1__runtime_config_response__init);
    r->linux = CRI_NEW(ctx, Runtime__V1__LinuxRuntimeConfiguration,
                       runtime__v1__linux_runtime_configuration__init);
    r->linux->cgroup_driver = strcmp(d->cfg->cgroup_manager, "systemd") == 0
                                  ? RUNTIME__V1__CGROUP_DRIVER__SYSTEMD
                                  : RUNTIME__V1__CGROUP_DRIVER__CGROUPFS;
    *out = &r->base;
    return 0;
}

/* one rendering at a time: two kubelet calls never interleave their writes */
static pthread_mutex_t template_mu = PTHREAD_MUTEX_INITIALIZER;

CRI_HANDLER(cri_update_runtime_config)
{
    const Runtime__V1__UpdateRuntimeConfigRequest *req = (const void *) in;
    struct capsad *d = ctx->app;
    const char *cidr = req->runtime_config && req->runtime_config->network_config
                           ? req->runtime_config->network_config->pod_cidr : "";
    /* without a template the pod CIDR is not capsad's business (accepted,
     * not even read): the network is what cni_conf_dir holds */
    struct cri_pod_cidrs c = { 0 };
    if (d->cfg->cni_conf_template && cri_pod_cidrs_parse(cidr ? cidr : "", &c, err) < 0) {
        ctx->code = GRPC_INVALID_ARGUMENT;
        return -1;
    }
    int rc = 0;
    if (c.n > 0) {
        bool written;
        pthread_mutex_lock(&template_mu);
        rc = cri_cni_template_apply(d->cfg->cni_conf_template, d->cfg->cni_conf_dir, &c,
                                    &written, err);
        pthread_mutex_unlock(&template_mu);
        /* a template missing, wrong or too big is capsad's configuration at
         * fault, not the request */
        if (rc < 0 && (err->errnum == EINVAL || err->errnum == ENOENT || err->errnum == EFBIG))
            ctx->code = GRPC_FAILED_PRECONDITION;
        if (rc == 0 && written)
            cx_log(CX_LOG_INFO, "pod CIDR %s: wrote %s/%s from %s", cidr,
                   d->cfg->cni_conf_dir, CRI_CNI_TEMPLATE_FILE, d->cfg->cni_conf_template);
    }
    cri_pod_cidrs_free(&c);
    if (rc < 0)
        return -1;
    *out = &CRI_NEW(ctx, Runtime__V1__UpdateRuntimeConfigResponse,
                    runtime__v1__update_runtime_config_response__init)->base;
    return 0;
}

CRI_HANDLER(cri_checkpoint_container)
{
    (void) in;
    (void) out;
    return cri_fail(ctx, err, GRPC_UNIMPLEMENTED, "capsa cannot checkpoint containers yet");
}

CRI_HANDLER(cri_list_metric_descriptors)
{
    (void) in;
    (void) err;
    *out = &CRI_NEW(ctx, Runtime__V1__ListMetricDescriptorsResponse,
                    runtime__v1__list_metric_descriptors_response__init)->base;
    return 0;
}

CRI_HANDLER(cri_list_pod_sandbox_metrics)
{
    (void) in;
    (void) err;
    *out = &CRI_NEW(ctx, Runtime__V1__ListPodSandboxMetricsResponse,
                    runtime__v1__list_pod_sandbox_metrics_response__init)->base;
    return 0;
}
