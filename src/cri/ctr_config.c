/* ctr_config.c: see ctr_config.h. */
#include "cri/ctr_config.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/sandbox_config.h"
#include "engine/containers.h"

void cri_ctr_spec_free(struct cri_ctr_spec *s)
{
    free(s->name_key);
    free(s->log_path);
    memset(s, 0, sizeof *s);
}

/* capsactl's flags, built up as argv for cx_run_opts_parse */
struct args {
    char **v;
};

static void add(struct args *a, const char *flag, const char *value)
{
    cx_strv_push(&a->v, cx_strdup(flag));
    if (value)
        cx_strv_push(&a->v, cx_strdup(value));
}

static void addf(struct args *a, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void addf(struct args *a, const char *flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = NULL;
    if (vasprintf(&v, fmt, ap) < 0)
        abort();
    va_end(ap);
    add(a, flag, v);
    free(v);
}

static int bad(cx_error *err, const char *fmt, const char *detail)
{
    char shown[112];
    return cx_fail(err, EINVAL, fmt, cx_printable(detail ? detail : "", shown));
}

static int seccomp_file(const char *path, struct args *a, cx_error *err)
{
    if (path[0] != '/' || cri_path_has_dotdot(path))
        return bad(err, "container config: the seccomp profile \"%s\" must be an absolute path",
                   path);
    addf(a, "--security-opt", "seccomp=%s", path);
    return 0;
}

/* seccomp, as containerd reads it: the profile, else the deprecated
 * path ("unconfined", "runtime/default", "docker/default",
 * "localhost/<path>"); none at all is unconfined, as the CRI says (the
 * kubelet asks for RuntimeDefault when it wants it) */
static int seccomp(const Runtime__V1__LinuxContainerSecurityContext *sc, struct args *a,
                   cx_error *err)
{
    const Runtime__V1__SecurityProfile *sp = sc->seccomp;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const char *path = sc->seccomp_profile_path;
#pragma GCC diagnostic pop
    if (sp && sp->profile_type == RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault)
        return 0;
    if (sp && sp->profile_type == RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost)
        return seccomp_file(sp->localhost_ref, a, err);
    if (!sp && path && path[0]) {
        if (strcmp(path, "runtime/default") == 0 || strcmp(path, "docker/default") == 0)
            return 0;
        if (cx_str_has_prefix(path, "localhost/"))
            return seccomp_file(path + strlen("localhost/"), a, err);
        if (strcmp(path, "unconfined") != 0)
            return bad(err, "container config: seccomp profile \"%s\": want unconfined, "
                       "runtime/default or localhost/PATH", path);
    }
    add(a, "--security-opt", "seccomp=unconfined");
    return 0;
}

/* masked and read-only paths: the kubelet's lists replace the defaults;
 * none given keeps them (containerd's rule) */
static void paths(const Runtime__V1__LinuxContainerSecurityContext *sc, struct cx_run_opts *o)
{
    if (sc->n_masked_paths)
        cx_strv_push(&o->unmask, cx_strdup("ALL"));
    for (size_t i = 0; i < sc->n_masked_paths; i++)
        cx_strv_push(&o->mask, cx_strdup(sc->masked_paths[i]));
    for (size_t i = 0; i < sc->n_readonly_paths; i++)
        cx_strv_push(&o->readonly_paths, cx_strdup(sc->readonly_paths[i]));
}

static int security(const Runtime__V1__LinuxContainerSecurityContext *sc, struct args *a,
                    cx_error *err)
{
    if (sc == NULL) {
        add(a, "--security-opt", "seccomp=unconfined");   /* none asked: unconfined */
        return 0;
    }
    if (sc->privileged) {
        add(a, "--privileged", NULL);
        /* privileged: no profile applies, whatever was asked */
        add(a, "--security-opt", "seccomp=unconfined");
    }
    for (size_t i = 0; i < sc->n_supplemental_groups; i++)
        addf(a, "--group-add", "%" PRId64, sc->supplemental_groups[i]);
    const Runtime__V1__NamespaceOption *ns = sc->namespace_options;
    if (ns && ns->pid == RUNTIME__V1__NAMESPACE_MODE__NODE)
        add(a, "--pid", "host");
    if (ns && ns->pid == RUNTIME__V1__NAMESPACE_MODE__TARGET)
        return cx_fail(err, EINVAL, "container config: the TARGET PID namespace mode is not "
                       "supported yet");
    if (sc->readonly_rootfs)
        add(a, "--read-only", NULL);
    if (sc->no_new_privs)
        add(a, "--security-opt", "no-new-privileges");
    for (size_t i = 0; sc->capabilities && i < sc->capabilities->n_add_capabilities; i++)
        add(a, "--cap-add", sc->capabilities->add_capabilities[i]);
    for (size_t i = 0; sc->capabilities && i < sc->capabilities->n_drop_capabilities; i++)
        add(a, "--cap-drop", sc->capabilities->drop_capabilities[i]);
    _cleanup_free_ char *group = sc->run_as_group
                                     ? cx_asprintf(":%" PRId64, sc->run_as_group->value)
                                     : cx_strdup("");
    if (sc->run_as_group && !sc->run_as_user && !sc->run_as_username[0])
        return cx_fail(err, EINVAL, "container config: run_as_group needs run_as_user or "
                       "run_as_username");
    if (sc->run_as_username[0]) {
        if (strpbrk(sc->run_as_username, ":/") || sc->run_as_username[0] == '-')
            return bad(err, "container config: run_as_username \"%s\" is not a user name",
                       sc->run_as_username);
        addf(a, "--user", "%s%s", sc->run_as_username, group);
    } else if (sc->run_as_user) {
        if (sc->run_as_user->value < 0 || sc->run_as_user->value > UINT32_MAX - 1)
            return cx_fail(err, EINVAL, "container config: run_as_user is out of range");
        addf(a, "--user", "%" PRId64 "%s", sc->run_as_user->value, group);
    }
    return sc->privileged ? 0 : seccomp(sc, a, err);
}

static void resources(const Runtime__V1__LinuxContainerResources *r, struct args *a)
{
    if (r == NULL)
        return;
    if (r->memory_limit_in_bytes > 0) {
        addf(a, "--memory", "%" PRId64, r->memory_limit_in_bytes);
        /* no swap unless the kubelet gives some (its NodeSwap settings):
         * the limit bounds memory and swap together, as containerd sets
         * it; capsactl's default (podman's) allows as much swap again */
        addf(a, "--memory-swap", "%" PRId64, r->memory_swap_limit_in_bytes > 0
                                                 ? r->memory_swap_limit_in_bytes
                                                 : r->memory_limit_in_bytes);
    }
    if (r->cpu_shares > 0)
        addf(a, "--cpu-shares", "%" PRId64, r->cpu_shares);
    if (r->cpu_quota > 0)
        addf(a, "--cpu-quota", "%" PRId64, r->cpu_quota);
    if (r->cpu_period > 0)
        addf(a, "--cpu-period", "%" PRId64, r->cpu_period);
    if (r->cpuset_cpus[0])
        add(a, "--cpuset-cpus", r->cpuset_cpus);
    if (r->cpuset_mems[0])
        add(a, "--cpuset-mems", r->cpuset_mems);
    if (r->oom_score_adj)
        addf(a, "--oom-score-adj", "%" PRId64, r->oom_score_adj);
}

static int devices(const Runtime__V1__ContainerConfig *c, struct args *a, cx_error *err)
{
    for (size_t i = 0; i < c->n_devices; i++) {
        const Runtime__V1__Device *d = c->devices[i];
        if (d->host_path[0] != '/' || d->container_path[0] != '/' ||
            cri_path_has_dotdot(d->container_path) || strchr(d->host_path, ':') ||
            strchr(d->container_path, ':'))
            return bad(err, "container config: device %s: paths must be absolute, without "
                       "\"..\" or ':'", d->host_path);
        addf(a, "--device", "%s:%s:%s", d->host_path, d->container_path,
             d->permissions[0] ? d->permissions : "rwm");
    }
    return 0;
}

/* mounts: absolute, no "..", no /etc/hosts games; propagation as the
 * kubelet asks */
static int mounts(const Runtime__V1__ContainerConfig *c, struct cx_run_opts *o, cx_error *err)
{
    static const char *const prop[] = { "rprivate", "rslave", "rshared" };
    for (size_t i = 0; i < c->n_mounts; i++) {
        const Runtime__V1__Mount *m = c->mounts[i];
        if (m->container_path[0] != '/' || cri_path_has_dotdot(m->container_path))
            return bad(err, "container config: mount container_path \"%s\" must be an "
                       "absolute path without \"..\"", m->container_path);
        if (m->host_path[0] != '/' || cri_path_has_dotdot(m->host_path))
            return bad(err, "container config: mount host_path \"%s\" must be an absolute "
                       "path without \"..\"", m->host_path);
        if ((unsigned) m->propagation > 2)
            return bad(err, "container config: mount %s: unknown propagation",
                       m->container_path);
        if (m->n_uidmappings || m->n_gidmappings)
            return bad(err, "container config: mount %s: idmapped mounts are not supported "
                       "yet", m->container_path);
        o->mounts = cx_realloc(o->mounts, (o->nmounts + 1) * sizeof *o->mounts);
        struct cx_mount_req *r = &o->mounts[o->nmounts++];
        memset(r, 0, sizeof *r);
        r->kind = CX_MOUNT_BIND;
        r->source = cx_strdup(m->host_path);
        r->dest = cx_strdup(m->container_path);
        cx_strv_push(&r->options, cx_strdup("rbind"));
        cx_strv_push(&r->options, cx_strdup(m->readonly ? "ro" : "rw"));
        cx_strv_push(&r->options, cx_strdup(prop[m->propagation]));
        /* the kubelet's own /etc/hosts replaces the engine's */
        if (strcmp(m->container_path, "/etc/hosts") == 0)
            o->no_hosts = true;
    }
    return 0;
}

static int log_path(const Runtime__V1__ContainerConfig *c,
                    const Runtime__V1__PodSandboxConfig *pod, struct cri_ctr_spec *s,
                    cx_error *err)
{
    if (!c->log_path[0])
        return 0;
    if (c->log_path[0] == '/' || cri_path_has_dotdot(c->log_path))
        return bad(err, "container config: log_path \"%s\" must be relative to the pod's "
                   "log_directory, without \"..\"", c->log_path);
    if (!pod || !pod->log_directory[0])
        return bad(err, "container config: log_path \"%s\" needs the pod's log_directory",
                   c->log_path);
    s->log_path = cx_asprintf("%s/%s", pod->log_directory, c->log_path);
    return 0;
}

static char *engine_name(const Runtime__V1__ContainerConfig *c, const char *pod_name)
{
    char *n = cx_asprintf("%s_%s_%u", pod_name, c->metadata->name, c->metadata->attempt);
    if (cx_ctr_name_check(n, &(cx_error){ 0 }) == 0)
        return n;
    free(n);
    return NULL;   /* a generated one */
}

static int flags(const Runtime__V1__ContainerConfig *c, const struct cri_ctr_pod *pod,
                 const char *image_id, const char *log, struct cx_run_opts *o, cx_error *err)
{
    struct args a = { NULL };
    add(&a, "create", NULL);
    add(&a, "--pod", pod->sandbox_id);
    /* the pod's cgroup (the kubelet's, with the pod's limits) holds every
       container of the pod, as it holds the infra container */
    const Runtime__V1__PodSandboxConfig *pc = pod->config;
    if (pc && pc->linux && pc->linux->cgroup_parent && pc->linux->cgroup_parent[0])
        add(&a, "--cgroup-parent", pc->linux->cgroup_parent);
    add(&a, "--pull", "never");
    if (pod->runtime)
        add(&a, "--runtime", pod->runtime);
    if (log)
        addf(&a, "--log-opt", "path=%s", log);
    else
        add(&a, "--log-driver", "none");
    if (devices(c, &a, err) < 0)
        return cx_strv_free(a.v), -1;
    if (c->working_dir[0])
        add(&a, "--workdir", c->working_dir);
    for (size_t i = 0; i < c->n_envs; i++) {
        if (!c->envs[i]->key[0] || strchr(c->envs[i]->key, '='))
            return cx_strv_free(a.v), bad(err, "container config: env name \"%s\" is not "
                                          "valid", c->envs[i]->key);
        const ProtobufCBinaryData *v = &c->envs[i]->value;
        if (v->len && memchr(v->data, '\0', v->len))
            return cx_strv_free(a.v), bad(err, "container config: env %s has a NUL byte",
                                          c->envs[i]->key);
        addf(&a, "--env", "%s=%.*s", c->envs[i]->key, (int) v->len, (const char *) v->data);
    }
    if (c->tty)
        add(&a, "--tty", NULL);
    if (c->stdin)
        add(&a, "--interactive", NULL);
    if (security(c->linux ? c->linux->security_context : NULL, &a, err) < 0)
        return cx_strv_free(a.v), -1;
    resources(c->linux ? c->linux->resources : NULL, &a);
    add(&a, image_id, NULL);
    int rc = cx_run_opts_parse((int) cx_strv_len(a.v), a.v, o, err);
    cx_strv_free(a.v);
    if (rc < 0) {
        err->errnum = EINVAL;
        return cx_error_prefix(err, "container config");
    }
    return 0;
}

int cri_ctr_config(const Runtime__V1__ContainerConfig *c, const struct cri_ctr_pod *pod,
                   const char *image_id, struct cx_run_opts *o, struct cri_ctr_spec *s,
                   cx_error *err)
{
    memset(s, 0, sizeof *s);
    cx_run_opts_init(o);
    if (c == NULL || c->metadata == NULL || !c->metadata->name[0])
        return cx_fail(err, EINVAL, "container config: metadata.name is required");
    for (const unsigned char *n = (const unsigned char *) c->metadata->name; *n; n++)
        if (*n < 0x21 || *n == 0x7f || *n == '/')
            return bad(err, "container config: metadata.name \"%s\" has a space, a control "
                       "character or '/'", c->metadata->name);
    if (strlen(c->metadata->name) > 1024)
        return bad(err, "container config: metadata.name \"%s\" is too long",
                   c->metadata->name);
    int rc = log_path(c, pod->config, s, err);
    if (rc == 0 && flags(c, pod, image_id, s->log_path, o, err) < 0) {
        cri_ctr_spec_free(s);
        return -1;
    }
    if (rc == 0)
        rc = mounts(c, o, err);
    if (rc < 0) {
        cx_run_opts_free(o);
        cri_ctr_spec_free(s);
        return -1;
    }
    if (c->linux && c->linux->security_context)
        paths(c->linux->security_context, o);
    if (c->n_command) {
        o->entrypoint_set = true;
        for (size_t i = 0; i < c->n_command; i++)
            cx_strv_push(&o->entrypoint, cx_strdup(c->command[i]));
    }
    for (size_t i = 0; i < c->n_args; i++)
        cx_strv_push(&o->args, cx_strdup(c->args[i]));
    o->name = engine_name(c, pod->name);
    o->runtime_root = pod->runtime && pod->runtime_root ? cx_strdup(pod->runtime_root) : NULL;
    o->no_infra_autostart = true;   /* a dead sandbox is the kubelet's to recreate */
    o->cri_env = true;
    s->name_key = cx_asprintf("%s_%s_%u", pod->sandbox_id, c->metadata->name,
                              c->metadata->attempt);
    return 0;
}
