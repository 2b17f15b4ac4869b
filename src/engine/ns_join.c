/* ns_join.c: see ns_join.h. */
#include "engine/ns_join.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"

/* config.json's names and /proc/PID/ns's, by enum cx_ns_kind */
static const char *const spec_names[CX_NS_JOINABLE] = { "pid", "network", "ipc", "uts" };
static const char *const proc_names[CX_NS_JOINABLE] = { "pid", "net", "ipc", "uts" };
static const char *const share_names[CX_NS_JOINABLE] = { "pid", "net", "ipc", "uts" };

static void set_join(struct cx_run_opts *o, enum cx_ns_kind k, const char *id)
{
    free(o->ns_join[k]);
    o->ns_join[k] = cx_strdup(id);
}

static void set_network_of(struct cx_run_opts *o, const char *id)
{
    cx_strv_free(o->networks);
    o->networks = NULL;
    cx_strv_push(&o->networks, cx_strdup(id));
    o->network = CX_NET_CONTAINER;
    set_join(o, CX_NS_NET, id);
}

static int resolve_pod(struct cx_engine *e, struct cx_run_opts *o, cx_error *err)
{
    struct cx_pod p;
    if (cx_pod_get(e, o->pod, &p, err) < 0)
        return cx_error_prefix(err, "--pod");
    int r = 0;
    if (!p.infra_id[0])
        r = cx_fail(err, ENOENT, "pod %s has no infra container (remove it and create it "
                    "again)", p.name);
    for (int k = 0; r == 0 && k < CX_NS_JOINABLE; k++)
        if (cx_pod_shares(&p, share_names[k]))
            set_join(o, (enum cx_ns_kind) k, p.infra_id);
    if (r == 0) {
        set_network_of(o, p.infra_id);
        free(o->pod);
        o->pod = cx_strdup(p.id);
    }
    cx_pod_free(&p);
    return r;
}

/* --network container:NAME: that container, if it has a namespace of its own */
static int resolve_container(struct cx_engine *e, struct cx_run_opts *o, cx_error *err)
{
    struct cx_ctr t;
    bool found = false;
    if (cx_ctr_lookup(&e->store.db, o->networks[0], &t, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, ENOENT, "--network container:%s: no such container",
                       o->networks[0]);
    json_auto_t *opts = json_loads(t.opts, 0, NULL);
    const char *other = json_string_value(json_object_get(opts, "join_net"));
    int r = 0;
    if (other)
        r = cx_fail(err, EINVAL, "--network container:%s: it uses the network of container "
                    "%.12s: name that one", o->networks[0], other);
    else
        set_network_of(o, t.id);
    cx_ctr_free(&t);
    return r;
}

int cx_ns_joins_resolve(struct cx_engine *e, struct cx_run_opts *o, cx_error *err)
{
    if (o->pod)
        return resolve_pod(e, o, err);
    if (o->network == CX_NET_CONTAINER)
        return resolve_container(e, o, err);
    return 0;
}

int cx_ns_joins_copy(struct cx_engine *e, const struct cx_run_opts *o,
                     struct cx_run_opts *out, cx_error *err)
{
    json_auto_t *j = cx_run_opts_to_json(o);
    if (!j || cx_run_opts_from_json(j, out, err) < 0)
        return j ? -1 : cx_fail(err, ENOMEM, "the run options: cannot copy");
    if (cx_ns_joins_resolve(e, out, err) < 0) {
        cx_run_opts_free(out);
        return -1;
    }
    return 0;
}

const char *cx_ns_join_files_of(const struct cx_run_opts *o)
{
    return o->ns_join[CX_NS_NET];
}

/* The pid of the container id, running; a pod's infra container is
 * started when it is not. */
static int target_pid(struct cx_engine *e, const char *id, bool start, int *pid,
                      cx_error *err)
{
    struct cx_ctr t;
    bool found = false;
    if (cx_ctr_lookup(&e->store.db, id, &t, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, ENOENT, "container %.12s, whose namespaces it joins, is gone", id);
    cx_ctr_sync(e, &t);
    int r = 0, code;
    bool live = t.state == CX_CTR_RUNNING || t.state == CX_CTR_PAUSED;
    if (!live && start)
        r = cx_ctr_start(e, &t, NULL, NULL, &code, err) < 0
            ? cx_error_prefix(err, "starting the pod's infra container") : 0;
    else if (!live)
        r = cx_fail(err, EINVAL, "container %s, whose namespaces it joins, is not running: "
                    "start it first", t.name);
    *pid = t.pid;
    cx_ctr_free(&t);
    return r;
}

static int patch_config(struct cx_engine *e, const char *id, const int pids[],
                        cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, err);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (dir < 0 || cx_read_file_at(dir, "config.json", 16u << 20, &text, &len, err) < 0)
        return -1;
    json_auto_t *spec = json_loadb(text, len, 0, NULL);
    json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces"), *n;
    size_t i;
    json_array_foreach(ns, i, n) {
        const char *type = json_string_value(json_object_get(n, "type"));
        for (int k = 0; type && k < CX_NS_JOINABLE; k++)
            if (pids[k] > 0 && strcmp(type, spec_names[k]) == 0) {
                _cleanup_free_ char *path = cx_asprintf("/proc/%d/ns/%s", pids[k],
                                                        proc_names[k]);
                json_object_set_new(n, "path", json_string(path));
            }
    }
    _cleanup_free_ char *out = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
    if (!out)
        return cx_fail(err, EINVAL, "container %.12s: its config.json does not parse", id);
    return cx_write_file_atomic_at(dir, "config.json", out, strlen(out), 0600, err);
}

int cx_ns_joins_apply(struct cx_engine *e, const char *id, const struct cx_run_opts *o,
                      cx_error *err)
{
    int pids[CX_NS_JOINABLE] = { 0 };
    bool any = false;
    for (int k = 0; k < CX_NS_JOINABLE; k++) {
        if (!o->ns_join[k])
            continue;
        /* the same container for each kind: asked once */
        for (int j = 0; j < k && !pids[k]; j++)
            if (o->ns_join[j] && strcmp(o->ns_join[j], o->ns_join[k]) == 0)
                pids[k] = pids[j];
        if (!pids[k] && target_pid(e, o->ns_join[k], o->pod && !o->no_infra_autostart,
                                   &pids[k], err) < 0)
            return -1;
        any = true;
    }
    return any ? patch_config(e, id, pids, err) : 0;
}
