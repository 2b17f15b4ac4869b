/* kube.c: see kube.h. */
#include "engine/kube.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/volumes.h"

/* every key of o is one of allowed (NULL-terminated) */
static int only_keys(json_t *o, const char *where, const char *const *allowed, cx_error *err)
{
    if (!json_is_object(o))
        return cx_fail(err, 0, "kube: %s: want a mapping", where);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0)
            i++;
        if (!allowed[i])
            return cx_fail(err, 0, "kube: %s.%s is not supported", where, k);
    }
    return 0;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int want_str(json_t *o, const char *where, const char *key, bool required,
                    const char **out, cx_error *err)
{
    json_t *v = json_object_get(o, key);
    *out = json_string_value(v);
    if ((v && !*out) || (required && !*out))
        return cx_fail(err, 0, "kube: %s.%s: want a string", where, key);
    return 0;
}

static void push2(char ***v, const char *flag, const char *value)
{
    cx_strv_push(v, cx_strdup(flag));
    cx_strv_push(v, cx_strdup(value));
}

/* ---- ports: hostPort ones become the pod's -p ---- */

static int port_flag(json_t *p, const char *where, char ***pod_args, cx_error *err)
{
    static const char *const keys[] = { "containerPort", "hostPort", "protocol", "name",
                                        "hostIP", NULL };
    if (only_keys(p, where, keys, err) < 0)
        return -1;
    json_t *c = json_object_get(p, "containerPort"), *h = json_object_get(p, "hostPort");
    const char *proto = str(p, "protocol"), *ip = str(p, "hostIP");
    if (!json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > 65535)
        return cx_fail(err, 0, "kube: %s.containerPort: want a port number", where);
    if (h && (!json_is_integer(h) || json_integer_value(h) < 1 ||
              json_integer_value(h) > 65535))
        return cx_fail(err, 0, "kube: %s.hostPort: want a port number", where);
    if (proto && strcmp(proto, "TCP") != 0 && strcmp(proto, "UDP") != 0)
        return cx_fail(err, 0, "kube: %s.protocol: TCP or UDP", where);
    if (!h)
        return 0;   /* the pod's own port, not published */
    _cleanup_free_ char *spec = cx_asprintf("%s%s%lld:%lld/%s", ip ? ip : "", ip ? ":" : "",
                                            (long long) json_integer_value(h),
                                            (long long) json_integer_value(c),
                                            proto && proto[0] == 'U' ? "udp" : "tcp");
    push2(pod_args, "-p", spec);
    return 0;
}

/* ---- volumes ---- */

/* "-v" values by volume name: a host path, or the pod's named volume */
static int volume_sources(json_t *vols, const char *pod, json_t *sources, char ***named,
                          cx_error *err)
{
    static const char *const keys[] = { "name", "hostPath", "emptyDir", NULL };
    static const char *const host_keys[] = { "path", "type", NULL };
    size_t i;
    json_t *v;
    if (vols && !json_is_array(vols) && !json_is_null(vols))
        return cx_fail(err, 0, "kube: spec.volumes: want a list");
    json_array_foreach(vols, i, v) {
        const char *name, *path;
        if (only_keys(v, "spec.volumes[]", keys, err) < 0 ||
            want_str(v, "spec.volumes[]", "name", true, &name, err) < 0)
            return -1;
        json_t *hp = json_object_get(v, "hostPath"), *ed = json_object_get(v, "emptyDir");
        if (!!hp == !!ed)
            return cx_fail(err, 0, "kube: volume %s: give hostPath or emptyDir", name);
        if (hp && (only_keys(hp, "hostPath", host_keys, err) < 0 ||
                   want_str(hp, "hostPath", "path", true, &path, err) < 0))
            return -1;
        if (hp && path[0] != '/')
            return cx_fail(err, 0, "kube: volume %s: hostPath.path must be absolute",
                           name);
        if (json_object_get(sources, name))
            return cx_fail(err, 0, "kube: volume %s: given twice", name);
        _cleanup_free_ char *vol = hp ? cx_strdup(path) : cx_asprintf("%s-%s", pod, name);
        if (ed && cx_volume_name_check(vol, err) < 0)
            return cx_error_prefix(err, "kube: volume %s", name);
        if (ed)
            cx_strv_push(named, cx_strdup(vol));
        json_object_set_new(sources, name, json_string(vol));
    }
    return 0;
}

static int mounts(json_t *vm, const char *where, json_t *sources, char ***args, cx_error *err)
{
    static const char *const keys[] = { "name", "mountPath", "readOnly", NULL };
    size_t i;
    json_t *m;
    if (vm && !json_is_array(vm) && !json_is_null(vm))
        return cx_fail(err, 0, "kube: %s.volumeMounts: want a list", where);
    json_array_foreach(vm, i, m) {
        const char *name, *path;
        if (only_keys(m, "volumeMounts[]", keys, err) < 0 ||
            want_str(m, "volumeMounts[]", "name", true, &name, err) < 0 ||
            want_str(m, "volumeMounts[]", "mountPath", true, &path, err) < 0)
            return -1;
        const char *src = str(sources, name);
        if (!src)
            return cx_fail(err, 0, "kube: %s: volume %s is not in spec.volumes", where,
                           name);
        _cleanup_free_ char *v = cx_asprintf("%s:%s%s", src, path,
                                             json_is_true(json_object_get(m, "readOnly"))
                                             ? ":ro" : "");
        push2(args, "-v", v);
    }
    return 0;
}

/* ---- a container ---- */

static int strings(json_t *a, const char *where, const char *key, char ***out,
                   cx_error *err)
{
    json_t *v = json_object_get(a, key), *s;
    size_t i;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return cx_fail(err, 0, "kube: %s.%s: want a list of strings", where, key);
    json_array_foreach(v, i, s) {
        if (!json_is_string(s))
            return cx_fail(err, 0, "kube: %s.%s: want a list of strings", where, key);
        cx_strv_push(out, cx_strdup(json_string_value(s)));
    }
    return 0;
}

static int env_flags(json_t *env, const char *where, char ***args, cx_error *err)
{
    static const char *const keys[] = { "name", "value", NULL };
    size_t i;
    json_t *e;
    if (env && !json_is_array(env))
        return cx_fail(err, 0, "kube: %s.env: want a list", where);
    json_array_foreach(env, i, e) {
        const char *name, *value;
        if (only_keys(e, "env[]", keys, err) < 0 ||
            want_str(e, "env[]", "name", true, &name, err) < 0 ||
            want_str(e, "env[]", "value", false, &value, err) < 0)
            return -1;
        _cleanup_free_ char *kv = cx_asprintf("%s=%s", name, value ? value : "");
        push2(args, "-e", kv);
    }
    return 0;
}

static const char *restart_of(const char *policy)
{
    return !policy || strcmp(policy, "Always") == 0 ? "always"
           : strcmp(policy, "OnFailure") == 0 ? "on-failure"
           : strcmp(policy, "Never") == 0 ? "no" : NULL;
}

static const char *pull_of(const char *policy)
{
    return !policy || strcmp(policy, "IfNotPresent") == 0 ? "missing"
           : strcmp(policy, "Always") == 0 ? "always"
           : strcmp(policy, "Never") == 0 ? "never" : NULL;
}

static int container(json_t *c, const struct cx_kube_plan *p, json_t *sources,
                     const char *restart, char ***args, char ***pod_args, cx_error *err)
{
    static const char *const keys[] = { "name", "image", "command", "args", "env",
                                        "workingDir", "ports", "volumeMounts",
                                        "imagePullPolicy", NULL };
    const char *name, *image, *wd, *pullp;
    if (only_keys(c, "spec.containers[]", keys, err) < 0 ||
        want_str(c, "spec.containers[]", "name", true, &name, err) < 0 ||
        want_str(c, "spec.containers[]", "image", true, &image, err) < 0 ||
        want_str(c, "spec.containers[]", "workingDir", false, &wd, err) < 0 ||
        want_str(c, "spec.containers[]", "imagePullPolicy", false, &pullp, err) < 0)
        return -1;
    _cleanup_free_ char *where = cx_asprintf("container %s", name);
    _cleanup_free_ char *full = cx_asprintf("%s-%s", p->pod, name);
    if (cx_ctr_name_check(full, err) < 0)
        return cx_error_prefix(err, "kube: %s", where);
    if (!pull_of(pullp))
        return cx_fail(err, 0, "kube: %s.imagePullPolicy: Always, IfNotPresent or "
                       "Never", where);
    cx_strv_push(args, cx_strdup("create"));
    push2(args, "--pod", p->pod);
    push2(args, "--name", full);
    push2(args, "--restart", restart);
    push2(args, "--pull", pull_of(pullp));
    if (wd)
        push2(args, "-w", wd);
    _cleanup_strv_ char **cmd = NULL, **cargs = NULL;
    json_t *ports = json_object_get(c, "ports"), *port;
    size_t i;
    if (ports && !json_is_array(ports))
        return cx_fail(err, 0, "kube: %s.ports: want a list", where);
    json_array_foreach(ports, i, port)
        if (port_flag(port, where, pod_args, err) < 0)
            return -1;
    if (env_flags(json_object_get(c, "env"), where, args, err) < 0 ||
        mounts(json_object_get(c, "volumeMounts"), where, sources, args, err) < 0 ||
        strings(c, where, "command", &cmd, err) < 0 || strings(c, where, "args", &cargs, err) < 0)
        return -1;
    if (cmd) {  /* command replaces the entrypoint, args the image's Cmd */
        json_auto_t *j = json_array();
        for (size_t k = 0; cmd[k]; k++)
            json_array_append_new(j, json_string(cmd[k]));
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        push2(args, "--entrypoint", text);
    }
    cx_strv_push(args, cx_strdup(image));
    for (size_t k = 0; cargs && cargs[k]; k++)
        cx_strv_push(args, cx_strdup(cargs[k]));
    return 0;
}

/* ---- the manifest ---- */

static int metadata(json_t *doc, struct cx_kube_plan *p, cx_error *err)
{
    static const char *const keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
    static const char *const meta_keys[] = { "name", "labels", "namespace", "annotations",
                                             NULL };
    json_t *meta = json_object_get(doc, "metadata");
    const char *name, *kind = str(doc, "kind"), *api = str(doc, "apiVersion");
    if (only_keys(doc, "the manifest", keys, err) < 0)
        return -1;
    if (!kind || strcmp(kind, "Pod") != 0 || !api || strcmp(api, "v1") != 0)
        return cx_fail(err, 0, "kube: only apiVersion v1, kind Pod is supported (got "
                       "%s %s)", api ? api : "no apiVersion", kind ? kind : "no kind");
    if (only_keys(meta, "metadata", meta_keys, err) < 0 ||
        want_str(meta, "metadata", "name", true, &name, err) < 0)
        return -1;
    if (cx_ctr_name_check(name, err) < 0)
        return cx_error_prefix(err, "kube: metadata.name");
    p->pod = cx_strdup(name);
    cx_strv_push(&p->pod_args, cx_strdup("create"));
    push2(&p->pod_args, "--name", name);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(meta, "labels"), k, v) {
        if (!json_is_string(v))
            return cx_fail(err, 0, "kube: metadata.labels.%s: want a string", k);
        _cleanup_free_ char *kv = cx_asprintf("%s=%s", k, json_string_value(v));
        push2(&p->pod_args, "--label", kv);
    }
    return 0;
}

int cx_kube_plan(json_t *doc, struct cx_kube_plan *p, cx_error *err)
{
    static const char *const spec_keys[] = { "containers", "volumes", "restartPolicy",
                                             "hostname", NULL };
    memset(p, 0, sizeof *p);
    json_t *spec = json_object_get(doc, "spec"), *cs, *c;
    json_auto_t *sources = json_object();
    const char *hostname = NULL, *restart = NULL;
    int rc = metadata(doc, p, err);
    if (rc == 0)
        rc = only_keys(spec, "spec", spec_keys, err);
    if (rc == 0)
        rc = want_str(spec, "spec", "hostname", false, &hostname, err);
    if (rc == 0 && !(restart = restart_of(str(spec, "restartPolicy"))))
        rc = cx_fail(err, 0, "kube: spec.restartPolicy: Always, OnFailure or Never");
    if (rc == 0 && hostname)
        push2(&p->pod_args, "--hostname", hostname);
    if (rc == 0)
        rc = volume_sources(json_object_get(spec, "volumes"), p->pod, sources, &p->volumes,
                            err);
    cs = json_object_get(spec, "containers");
    if (rc == 0 && (!json_is_array(cs) || json_array_size(cs) == 0))
        rc = cx_fail(err, 0, "kube: spec.containers: want a list of at least one");
    size_t i;
    json_array_foreach(cs, i, c) {
        if (rc < 0)
            break;
        p->ctr_args = cx_realloc(p->ctr_args, (p->nctrs + 1) * sizeof *p->ctr_args);
        p->ctr_args[p->nctrs] = NULL;
        rc = container(c, p, sources, restart, &p->ctr_args[p->nctrs++], &p->pod_args, err);
    }
    if (rc < 0)
        cx_kube_plan_free(p);
    return rc;
}

void cx_kube_plan_free(struct cx_kube_plan *p)
{
    free(p->pod);
    cx_strv_free(p->pod_args);
    for (size_t i = 0; i < p->nctrs; i++)
        cx_strv_free(p->ctr_args[i]);
    free(p->ctr_args);
    cx_strv_free(p->volumes);
    memset(p, 0, sizeof *p);
}
