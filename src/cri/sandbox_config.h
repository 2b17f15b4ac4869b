/* sandbox_config.h: a RunPodSandbox request checked and turned into the
 * engine's pod options, pure (no store, no system call): the tests and
 * the fuzzer drive it directly. */
#ifndef CAPSA_CRI_SANDBOX_CONFIG_H
#define CAPSA_CRI_SANDBOX_CONFIG_H

#include "cri.pb-c.h"
#include "common/error.h"
#include "engine/pods.h"

/* What a sandbox is made from; strings are malloc'd. */
struct cri_pod_spec {
    char *name_key;            /* name_namespace_uid_attempt: the reservation */
    char *pod_name;            /* the engine's pod name (k8s_..., or hashed) */
    char *hostname;
    char **publish;            /* "[IP:]HOST:CTR/proto" */
    char **dns, **dns_search, **dns_options;
    char **sysctls;            /* "key=value" */
    bool host_network, host_ipc, host_pid, share_pid;
    char *cgroup_parent;
    /* the runtime handler's binary and --root (borrowed from capsad's
     * configuration, not freed); NULL: capsa */
    const char *runtime, *runtime_root;
    char *cni_args;            /* the pod's identity for CNI plugins (CNI_ARGS) */
};

/* Whether path has a ".." component (a kubelet's path must not climb). */
bool cri_path_has_dotdot(const char *p);
void cri_pod_spec_free(struct cri_pod_spec *s);
/* Check the request (metadata, hostname, log directory, ports, namespace
 * modes) and fill s; EINVAL naming the field when it is bad. */
int cri_pod_spec_make(const Runtime__V1__PodSandboxConfig *c, struct cri_pod_spec *s,
                      cx_error *err);
/* The infra container's options the spec adds (DNS servers, the
 * runtime, ...). */
int cri_pod_spec_infra(struct cx_run_opts *o, void *spec, cx_error *err);

#endif
