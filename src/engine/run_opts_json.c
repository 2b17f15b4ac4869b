/* run_opts_json.c: the run options as the container record keeps them
 * (JSON), and back: what `start`, a restart policy and `inspect` read after
 * capsactl has exited. */
#include "engine/run_opts.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/spec_mounts.h"

/* ---- the record: to JSON and back ---- */

enum jkind { J_STR, J_BOOL, J_I64, J_U64, J_INT, J_UINT, J_STRV };

#define JF(key, kind, member) { key, kind, offsetof(struct cx_run_opts, member) }
static const struct jfield {
    const char *key;
    enum jkind kind;
    size_t off;
} jfields[] = {
    JF("name", J_STR, name), JF("rm", J_BOOL, rm), JF("detach", J_BOOL, detach),
    JF("interactive", J_BOOL, interactive), JF("tty", J_BOOL, tty),
    JF("detach_keys", J_STR, detach_keys), JF("env", J_STRV, env),
    JF("workdir", J_STR, workdir), JF("user", J_STR, user), JF("hostname", J_STR, hostname),
    JF("read_only", J_BOOL, read_only), JF("privileged", J_BOOL, privileged),
    JF("no_new_privileges", J_BOOL, no_new_privileges), JF("init", J_BOOL, init),
    JF("seccomp", J_STR, seccomp), JF("cap_add", J_STRV, cap_add),
    JF("cap_drop", J_STRV, cap_drop), JF("memory", J_I64, memory),
    JF("cpu_quota", J_I64, cpu_quota), JF("cpu_period", J_U64, cpu_period),
    JF("cpu_shares", J_U64, cpu_shares), JF("pids_limit", J_I64, pids_limit),
    JF("restart_max", J_UINT, restart_max), JF("labels", J_STRV, labels),
    JF("annotations", J_STRV, annotations), JF("stop_signal", J_STR, stop_signal),
    JF("stop_timeout", J_INT, stop_timeout), JF("log_max_size", J_I64, log_max_size),
    JF("log_none", J_BOOL, log_none), JF("image", J_STR, image), JF("args", J_STRV, args),
    JF("networks", J_STRV, networks), JF("publish", J_STRV, publish),
    JF("publish_all", J_BOOL, publish_all), JF("pod", J_STR, pod),
    JF("join_pid", J_STR, ns_join[CX_NS_PID]), JF("join_net", J_STR, ns_join[CX_NS_NET]),
    JF("join_ipc", J_STR, ns_join[CX_NS_IPC]), JF("join_uts", J_STR, ns_join[CX_NS_UTS]),
    JF("ip", J_STR, ip),
    JF("mac_address", J_STR, mac), JF("aliases", J_STRV, aliases), JF("dns", J_STRV, dns),
    JF("dns_search", J_STRV, dns_search), JF("dns_options", J_STRV, dns_options),
    JF("add_hosts", J_STRV, add_hosts), JF("no_hosts", J_BOOL, no_hosts),
    /* added for capsad (a record made before has none: the defaults) */
    JF("log_path", J_STR, log_path), JF("devices", J_STRV, devices),
    JF("sysctls", J_STRV, sysctls), JF("cgroup_parent", J_STR, cgroup_parent),
    JF("pid_host", J_BOOL, pid_host), JF("ipc_host", J_BOOL, ipc_host),
    JF("uts_host", J_BOOL, uts_host), JF("cpuset_cpus", J_STR, cpuset_cpus),
    JF("cpuset_mems", J_STR, cpuset_mems), JF("memory_swap", J_I64, memory_swap),
    JF("memory_reservation", J_I64, memory_reservation),
    JF("has_oom_score_adj", J_BOOL, has_oom_score_adj),
    JF("oom_score_adj", J_INT, oom_score_adj), JF("group_add", J_STRV, group_add),
    JF("mask", J_STRV, mask), JF("unmask", J_STRV, unmask), JF("apparmor", J_STR, apparmor),
    JF("runtime", J_STR, runtime), JF("no_infra_autostart", J_BOOL, no_infra_autostart),
    JF("readonly_paths", J_STRV, readonly_paths), JF("runtime_root", J_STR, runtime_root),
    JF("cni_args", J_STR, cni_args), JF("cri_env", J_BOOL, cri_env),
};
#define NJFIELDS (sizeof jfields / sizeof jfields[0])

static const char *const restart_names[] = { "no", "on-failure", "always", "unless-stopped", NULL };
static const char *const net_names[] = { "default", "none", "host", "cni", "container",
                                          NULL };
static const char *const pull_names[] = { "missing", "always", "never", NULL };

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *field_json(const struct jfield *f, const struct cx_run_opts *o)
{
    const char *p = (const char *) o + f->off;
    switch (f->kind) {
    case J_STR: return *(char *const *) p ? json_string(*(char *const *) p) : NULL;
    case J_BOOL: return json_boolean(*(const bool *) p);
    case J_I64: return json_integer(*(const int64_t *) p);
    case J_U64: return json_integer((json_int_t) *(const uint64_t *) p);
    case J_INT: return json_integer(*(const int *) p);
    case J_UINT: return json_integer(*(const unsigned *) p);
    case J_STRV: return *(char **const *) p ? strv_json(*(char **const *) p) : NULL;
    }
    return NULL;
}

json_t *cx_run_opts_to_json(const struct cx_run_opts *o)
{
    json_t *j = json_object();
    for (size_t i = 0; i < NJFIELDS; i++) {
        json_t *v = field_json(&jfields[i], o);
        if (v)
            json_object_set_new(j, jfields[i].key, v);
    }
    if (o->entrypoint_set)
        json_object_set_new(j, "entrypoint", strv_json(o->entrypoint));
    json_object_set_new(j, "restart", json_string(restart_names[o->restart]));
    json_object_set_new(j, "network", json_string(net_names[o->network]));
    json_object_set_new(j, "pull", json_string(pull_names[o->pull]));
    json_t *ulimits = json_array();
    for (size_t i = 0; i < o->nulimits; i++) {
        const struct cx_ulimit *u = &o->ulimits[i];  /* unlimited as -1 */
        json_array_append_new(ulimits, json_pack("{s:s,s:I,s:I}", "name", u->name, "soft",
                                                 (json_int_t) u->soft, "hard",
                                                 (json_int_t) u->hard));
    }
    json_object_set_new(j, "mounts", cx_mount_reqs_json(o->mounts, o->nmounts));
    json_object_set_new(j, "ulimits", ulimits);
    return j;
}

static int bad(const char *key, const char *what, cx_error *err)
{
    return cx_fail(err, 0, "run options: %s: expected %s", key, what);
}

static int strv_from(json_t *v, const char *key, char ***out, cx_error *err)
{
    if (!json_is_array(v))
        return bad(key, "an array of strings", err);
    char **r = cx_calloc(json_array_size(v) + 1, sizeof *r);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s == NULL)
            return cx_strv_free(r), bad(key, "an array of strings", err);
        r[i] = cx_strdup(s);
    }
    *out = r;
    return 0;
}

static int field_from(const struct jfield *f, json_t *v, struct cx_run_opts *o, cx_error *err)
{
    char *p = (char *) o + f->off;
    bool integer = f->kind != J_STR && f->kind != J_BOOL && f->kind != J_STRV;
    json_int_t x = json_integer_value(v);
    if (integer && !json_is_integer(v))
        return bad(f->key, "an integer", err);
    if ((f->kind == J_U64 || f->kind == J_UINT) && x < 0)
        return bad(f->key, "a non-negative integer", err);
    switch (f->kind) {
    case J_STR:
        if (!json_is_string(v))
            return bad(f->key, "a string", err);
        return *(char **) p = cx_strdup(json_string_value(v)), 0;
    case J_BOOL:
        if (!json_is_boolean(v))
            return bad(f->key, "a boolean", err);
        return *(bool *) p = json_is_true(v), 0;
    case J_I64: return *(int64_t *) p = x, 0;
    case J_U64: return *(uint64_t *) p = (uint64_t) x, 0;
    case J_INT: return *(int *) p = (int) x, 0;
    case J_UINT: return *(unsigned *) p = (unsigned) x, 0;
    case J_STRV: return strv_from(v, f->key, (char ***) p, err);
    }
    return 0;
}

static int name_index(json_t *j, const char *key, const char *const *names, int *out,
                      cx_error *err)
{
    json_t *v = json_object_get(j, key);
    if (v == NULL)
        return 0;
    for (int i = 0; names[i]; i++)
        if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0)
            return *out = i, 0;
    return bad(key, "a known name", err);
}

static int ulimits_from(json_t *a, struct cx_run_opts *o, cx_error *err)
{
    size_t i;
    json_t *u;
    json_array_foreach(a, i, u) {
        const char *name = json_string_value(json_object_get(u, "name")), *known = NULL;
        json_t *soft = json_object_get(u, "soft"), *hard = json_object_get(u, "hard");
        int res = 0;
        if (name)
            known = cx_ulimit_known(name, &res);
        if (!known || !json_is_integer(soft) || !json_is_integer(hard))
            return bad("ulimits", "objects of a known name, soft and hard", err);
        o->ulimits = cx_realloc(o->ulimits, (o->nulimits + 1) * sizeof *o->ulimits);
        o->ulimits[o->nulimits++] = (struct cx_ulimit) {
            res, known, (uint64_t) json_integer_value(soft), (uint64_t) json_integer_value(hard) };
    }
    return 0;
}

static int from_json(json_t *j, struct cx_run_opts *o, cx_error *err)
{
    if (!json_is_object(j))
        return cx_fail(err, 0, "run options: expected a JSON object");
    for (size_t i = 0; i < NJFIELDS; i++) {
        json_t *v = json_object_get(j, jfields[i].key);
        if (v && !json_is_null(v) && field_from(&jfields[i], v, o, err) < 0)
            return -1;
    }
    json_t *ep = json_object_get(j, "entrypoint");
    if (ep && !json_is_null(ep)) {
        if (strv_from(ep, "entrypoint", &o->entrypoint, err) < 0)
            return -1;
        o->entrypoint_set = true;
    }
    int restart = 0, net = 0, pull = 0;
    if (name_index(j, "restart", restart_names, &restart, err) < 0 ||
        name_index(j, "network", net_names, &net, err) < 0 ||
        name_index(j, "pull", pull_names, &pull, err) < 0)
        return -1;
    o->restart = (enum cx_restart_policy) restart;
    o->network = (enum cx_net_mode) net;
    o->pull = (enum cx_pull_policy) pull;
    json_t *m = json_object_get(j, "mounts"), *u = json_object_get(j, "ulimits");
    if ((m && !json_is_array(m)) || (u && !json_is_array(u)))
        return bad(m && !json_is_array(m) ? "mounts" : "ulimits", "an array", err);
    return cx_mount_reqs_from_json(m, o, err) < 0 ? -1 : ulimits_from(u, o, err);
}

int cx_run_opts_from_json(json_t *j, struct cx_run_opts *o, cx_error *err)
{
    cx_run_opts_init(o);
    if (from_json(j, o, err) < 0) {
        cx_run_opts_free(o);
        return -1;
    }
    return 0;
}
