/* sandbox_config.c: see sandbox_config.h. */
#include "cri/sandbox_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/containers.h"
#include "engine/run_opts.h"
#include "image/digest.h"

bool cri_path_has_dotdot(const char *p)
{
    for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
        if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
            return true;
    return false;
}

void cri_pod_spec_free(struct cri_pod_spec *s)
{
    free(s->name_key);
    free(s->pod_name);
    free(s->hostname);
    cx_strv_free(s->publish);
    cx_strv_free(s->dns);
    cx_strv_free(s->dns_search);
    cx_strv_free(s->dns_options);
    cx_strv_free(s->sysctls);
    free(s->cgroup_parent);
    free(s->cni_args);
    memset(s, 0, sizeof *s);
}

/* A name the kubelet sends: any printable text (the API server checked
 * it; critest sends capitals); it only goes into our name key and, when
 * it fits the engine's rules, into the pod's name */
static int k8s_name(const char *what, const char *v, cx_error *err)
{
    if (v == NULL || v[0] == '\0')
        return cx_fail(err, EINVAL, "sandbox config: metadata.%s is empty", what);
    char shown[112];
    for (const unsigned char *c = (const unsigned char *) v; *c; c++)
        if (*c < 0x21 || *c == 0x7f || *c == '/' || *c == ';' || *c == '=')
            return cx_fail(err, EINVAL, "sandbox config: metadata.%s \"%s\" has a space, a "
                           "control character, '/', ';' or '='", what, cx_printable(v, shown));
    if (strlen(v) > 253 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        return cx_fail(err, EINVAL, "sandbox config: metadata.%s \"%s\" is not a name", what,
                       cx_printable(v, shown));
    return 0;
}

static void strv_of(char ***out, char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cx_strv_push(out, cx_strdup(v[i]));
}

static int ports(const Runtime__V1__PodSandboxConfig *c, struct cri_pod_spec *s, cx_error *err)
{
    static const char *const proto[] = { "tcp", "udp", "sctp" };
    for (size_t i = 0; i < c->n_port_mappings; i++) {
        const Runtime__V1__PortMapping *p = c->port_mappings[i];
        if (p->host_port == 0)
            continue;   /* exposed only: nothing to publish */
        if (p->container_port <= 0 || p->container_port > 65535 || p->host_port < 0 ||
            p->host_port > 65535 || (unsigned) p->protocol > 2)
            return cx_fail(err, EINVAL, "sandbox config: port_mappings[%zu]: ports must be "
                           "1..65535 and the protocol TCP, UDP or SCTP", i);
        if (p->host_ip[0] && strspn(p->host_ip, "0123456789.") != strlen(p->host_ip))
            return cx_fail(err, EINVAL, "sandbox config: port_mappings[%zu]: host_ip must be "
                           "an IPv4 address", i);
        char *v = p->host_ip[0]
                      ? cx_asprintf("%s:%d:%d/%s", p->host_ip, p->host_port, p->container_port,
                                    proto[p->protocol])
                      : cx_asprintf("%d:%d/%s", p->host_port, p->container_port,
                                    proto[p->protocol]);
        cx_strv_push(&s->publish, v);
    }
    return 0;
}

static int namespaces(const Runtime__V1__PodSandboxConfig *c, struct cri_pod_spec *s,
                      cx_error *err)
{
    const Runtime__V1__LinuxSandboxSecurityContext *sc =
        c->linux ? c->linux->security_context : NULL;
    const Runtime__V1__NamespaceOption *ns = sc ? sc->namespace_options : NULL;
    if (ns == NULL) {
        /* absent: every mode its zero value, POD, as protobuf reads it */
        s->share_pid = true;
        return 0;
    }
    if (ns->network == RUNTIME__V1__NAMESPACE_MODE__NODE)
        s->host_network = true;
    else if (ns->network != RUNTIME__V1__NAMESPACE_MODE__POD)
        return cx_fail(err, EINVAL, "sandbox config: the network namespace mode must be POD "
                       "or NODE");
    if (ns->ipc == RUNTIME__V1__NAMESPACE_MODE__NODE)
        s->host_ipc = true;
    else if (ns->ipc != RUNTIME__V1__NAMESPACE_MODE__POD)
        return cx_fail(err, EINVAL, "sandbox config: the IPC namespace mode must be POD or "
                       "NODE");
    switch (ns->pid) {
    case RUNTIME__V1__NAMESPACE_MODE__NODE: s->host_pid = true; break;
    case RUNTIME__V1__NAMESPACE_MODE__POD: s->share_pid = true; break;
    case RUNTIME__V1__NAMESPACE_MODE__CONTAINER: break;
    default:
        return cx_fail(err, EINVAL, "sandbox config: the PID namespace mode must be POD, "
                       "CONTAINER or NODE");
    }
    if (ns->userns_options && ns->userns_options->mode != RUNTIME__V1__NAMESPACE_MODE__NODE)
        return cx_fail(err, EINVAL, "sandbox config: user namespaces are not supported yet");
    return 0;
}

static int sysctls(const Runtime__V1__PodSandboxConfig *c, struct cri_pod_spec *s,
                   cx_error *err)
{
    for (size_t i = 0; c->linux && i < c->linux->n_sysctls; i++) {
        const char *k = c->linux->sysctls[i]->key, *v = c->linux->sysctls[i]->value;
        if (!k[0] || strchr(k, '='))
            return cx_fail(err, EINVAL, "sandbox config: sysctl \"%s\" is not a name", k);
        cx_strv_push(&s->sysctls, cx_asprintf("%s=%s", k, v));
    }
    return 0;
}

/* The engine's pod name: readable when it fits its rules, else hashed */
static char *pod_name(const char *key)
{
    char *n = cx_asprintf("k8s_%s", key);
    if (cx_ctr_name_check(n, &(cx_error){ 0 }) == 0)
        return n;
    free(n);
    struct cx_digest d;
    char hex[CX_DIGEST_MAX];
    if (cx_digest_buffer(CX_SHA256, key, strlen(key), &d, &(cx_error){ 0 }) < 0)
        abort();   /* SHA-256 is always there */
    cx_digest_format(&d, hex);
    return cx_asprintf("k8s_%.32s", strchr(hex, ':') + 1);
}

int cri_pod_spec_make(const Runtime__V1__PodSandboxConfig *c, struct cri_pod_spec *s,
                      cx_error *err)
{
    memset(s, 0, sizeof *s);
    if (c == NULL || c->metadata == NULL)
        return cx_fail(err, EINVAL, "sandbox config: metadata is required");
    const Runtime__V1__PodSandboxMetadata *m = c->metadata;
    if (k8s_name("name", m->name, err) < 0 || k8s_name("namespace", m->namespace_, err) < 0 ||
        k8s_name("uid", m->uid, err) < 0)
        return -1;
    if (c->log_directory[0] && (c->log_directory[0] != '/' || cri_path_has_dotdot(c->log_directory)))
        return cx_fail(err, EINVAL, "sandbox config: log_directory must be an absolute path "
                       "without \"..\"");
    s->name_key = cx_asprintf("%s_%s_%s_%u", m->name, m->namespace_, m->uid, m->attempt);
    s->pod_name = pod_name(s->name_key);
    /* as the kubelet's other runtimes give them (the infra container's id
       is added once known): plugins such as Calico read the pod from here */
    s->cni_args = cx_asprintf("IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;"
                              "K8S_POD_UID=%s", m->namespace_, m->name, m->uid);
    /* no hostname: the node's, as containerd gives */
    char node[HOST_NAME_MAX + 1] = "localhost";
    if (!c->hostname[0] && gethostname(node, sizeof node) < 0)
        snprintf(node, sizeof node, "localhost");
    const char *host = c->hostname[0] ? c->hostname : node;
    if (cx_hostname_check(host, err) < 0) {
        cri_pod_spec_free(s);
        err->errnum = EINVAL;
        return cx_error_prefix(err, "sandbox config: hostname");
    }
    s->hostname = cx_strdup(host);
    if (ports(c, s, err) < 0 || namespaces(c, s, err) < 0 || sysctls(c, s, err) < 0) {
        cri_pod_spec_free(s);
        return -1;
    }
    if (s->host_network && s->publish) {
        cx_strv_free(s->publish);   /* the node's ports are the pod's already */
        s->publish = NULL;
    }
    if (c->dns_config) {
        strv_of(&s->dns, c->dns_config->servers, c->dns_config->n_servers);
        strv_of(&s->dns_search, c->dns_config->searches, c->dns_config->n_searches);
        strv_of(&s->dns_options, c->dns_config->options, c->dns_config->n_options);
    }
    if (c->linux && c->linux->cgroup_parent[0])
        s->cgroup_parent = cx_strdup(c->linux->cgroup_parent);
    return 0;
}

int cri_pod_spec_infra(struct cx_run_opts *o, void *spec, cx_error *err)
{
    struct cri_pod_spec *s = spec;
    o->ipc_host = s->host_ipc;
    o->cni_args = s->cni_args ? cx_strdup(s->cni_args) : NULL;
    o->pid_host = s->host_pid;
    if (s->runtime) {
        free(o->runtime);
        free(o->runtime_root);
        o->runtime = cx_strdup(s->runtime);
        o->runtime_root = s->runtime_root ? cx_strdup(s->runtime_root) : NULL;
    }
    for (char **v = s->sysctls; v && *v; v++)
        if (cx_run_opts_res_flag(o, CX_RF_SYSCTL, *v, err) < 0)
            return cx_error_prefix(err, "sandbox config: sysctls");
    if (s->cgroup_parent && cx_run_opts_res_flag(o, CX_RF_CGROUP_PARENT, s->cgroup_parent,
                                                 err) < 0)
        return cx_error_prefix(err, "sandbox config: cgroup_parent");
    if (cx_run_opts_res_check(o, err) < 0)
        return cx_error_prefix(err, "sandbox config");
    static const enum cx_net_flag kinds[] = { CX_NF_DNS, CX_NF_DNS_SEARCH, CX_NF_DNS_OPTION };
    char **const lists[] = { s->dns, s->dns_search, s->dns_options };
    for (int k = 0; k < 3; k++)
        for (char **v = lists[k]; v && *v; v++)
            if (cx_run_opts_net_flag(o, kinds[k], *v, err) < 0)
                return cx_error_prefix(err, "sandbox config: dns_config");
    return 0;
}
