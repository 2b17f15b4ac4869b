/* cni.c: see cni.h. */
#include "net/cni.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"

json_t *cx_cni_request(const struct cx_cni_conf *c, json_t *plugin,
                       const struct cx_cni_attach *a, json_t *prev)
{
    json_t *req = json_deep_copy(plugin);
    json_object_set_new(req, "cniVersion", json_string(c->version));
    json_object_set_new(req, "name", json_string(c->name));
    json_t *rc = json_object();
    const char *cap;
    json_t *on;
    json_object_foreach(json_object_get(plugin, "capabilities"), cap, on) {
        json_t *v = a ? json_object_get(a->capability_args, cap) : NULL;
        if (json_is_true(on) && v)
            json_object_set(rc, cap, v);
    }
    json_object_del(req, "capabilities");
    if (json_object_size(rc))
        json_object_set_new(req, "runtimeConfig", rc);
    else
        json_decref(rc);
    if (prev)
        json_object_set(req, "prevResult", prev);
    return req;
}

static char *cache_path(const char *dir, const char *net, const struct cx_cni_attach *a)
{
    return cx_asprintf("%s/%s-%s-%s.json", dir, net, a->container_id,
                       a->ifname ? a->ifname : "eth0");
}

static int cache_write(const char *dir, const struct cx_cni_conf *c,
                       const struct cx_cni_attach *a, json_t *result, cx_error *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cx_fail_errno(err, "mkdir %s", dir);
    _cleanup_(json_decrefp) json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:O, s:O*, s:O*}", "kind", "cniCacheV1",
        "containerId", a->container_id, "ifName", a->ifname ? a->ifname : "eth0",
        "cniArgs", a->args ? a->args : "", "config", c->doc,
        "capabilityArgs", a->capability_args, "result", result);
    _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    _cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *path = cache_path(dir, c->name, a);
    if (!text || d < 0)
        return cx_fail(err, EIO, "CNI cache %s: cannot write", path);
    return cx_write_file_atomic_at(d, strrchr(path, '/') + 1, text, strlen(text), 0600, err);
}

/* The kept attachment: its configuration, ADD's result (NULL when ADD
 * never finished), and the attachment as ADD made it (its capability
 * arguments and CNI_ARGS over a's): DEL and CHECK get what ADD got, as
 * the spec asks. */
struct kept {
    struct cx_cni_conf conf;
    json_t *result, *caps;
    char *args;
    struct cx_cni_attach attach;
};

static void kept_free(struct kept *k)
{
    cx_cni_conf_free(&k->conf);
    json_decref(k->result);
    json_decref(k->caps);
    free(k->args);
}

static int kept_read(const char *path, const struct cx_cni_attach *a, struct kept *k,
                     cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cx_read_file_at(AT_FDCWD, path, 4u << 20, &text, &len, err) < 0)
        return -1;
    _cleanup_(json_decrefp) json_t *j = json_loadb(text, len, 0, NULL);
    _cleanup_free_ char *conf = json_dumps(json_object_get(j, "config"), JSON_COMPACT);
    if (!conf || cx_cni_conf_parse(conf, strlen(conf), path, &k->conf, err) < 0)
        return conf ? -1 : cx_fail(err, EINVAL, "%s: no configuration kept", path);
    json_t *r = json_object_get(j, "result"), *ca = json_object_get(j, "capabilityArgs");
    k->result = json_is_object(r) ? json_incref(r) : NULL;
    k->caps = json_is_object(ca) ? json_incref(ca) : NULL;
    const char *kept_args = json_string_value(json_object_get(j, "cniArgs"));
    k->args = kept_args && kept_args[0] ? cx_strdup(kept_args) : NULL;
    k->attach = *a;
    k->attach.capability_args = k->caps;
    if (k->args)
        k->attach.args = k->args;
    return 0;
}

int cx_cni_add(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
               const struct cx_cni_attach *a, const char *cache_dir, json_t **result,
               cx_error *err)
{
    *result = NULL;
    if (cache_write(cache_dir, c, a, NULL, err) < 0)
        return -1;
    json_t *prev = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(c->plugins, i, p) {
        _cleanup_(json_decrefp) json_t *req = cx_cni_request(c, p, a, prev);
        json_t *r = NULL;
        if (cx_cni_plugin_run(rt, "ADD", json_string_value(json_object_get(p, "type")), a,
                              req, &r, err) < 0) {
            json_decref(prev);
            return cx_error_prefix(err, "network %s", c->name);
        }
        if (r) {
            json_decref(prev);
            prev = r;
        }
        /* what is added so far: a DEL after a kill here gives the plugins
           the addresses (firewall removes its rules only from prevResult) */
        if (cache_write(cache_dir, c, a, prev, err) < 0) {
            json_decref(prev);
            return -1;
        }
        CX_FAULT("cni plugin added");
    }
    *result = prev;
    return 0;
}

int cx_cni_del(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
               const struct cx_cni_attach *a, const char *network, const char *cache_dir,
               cx_error *err)
{
    _cleanup_free_ char *path = cache_path(cache_dir, network, a);
    _cleanup_(kept_free) struct kept k = { 0 };
    if (access(path, F_OK) == 0) {
        if (kept_read(path, a, &k, err) < 0)
            return -1;
        c = &k.conf;
        a = &k.attach;
    }
    if (!c)
        return 0;
    for (size_t i = json_array_size(c->plugins); i-- > 0;) {
        json_t *p = json_array_get(c->plugins, i);
        _cleanup_(json_decrefp) json_t *req = cx_cni_request(c, p, a, k.result);
        json_t *r = NULL;
        if (cx_cni_plugin_run(rt, "DEL", json_string_value(json_object_get(p, "type")), a,
                              req, &r, err) < 0)
            return cx_error_prefix(err, "network %s", c->name);
        json_decref(r);
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "remove %s", path);
    return 0;
}

int cx_cni_check(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
                 const struct cx_cni_attach *a, const char *cache_dir, cx_error *err)
{
    _cleanup_free_ char *path = cache_path(cache_dir, c->name, a);
    _cleanup_(kept_free) struct kept k = { 0 };
    if (kept_read(path, a, &k, err) < 0)
        return cx_error_prefix(err, "network %s: no attachment of %.12s kept", c->name,
                               a->container_id);
    if (k.conf.disable_check)
        return 0;
    size_t i;
    json_t *p;
    json_array_foreach(k.conf.plugins, i, p) {
        _cleanup_(json_decrefp) json_t *req = cx_cni_request(&k.conf, p, &k.attach, k.result);
        json_t *r = NULL;
        if (cx_cni_plugin_run(rt, "CHECK", json_string_value(json_object_get(p, "type")),
                              &k.attach, req, &r, err) < 0)
            return cx_error_prefix(err, "network %s", k.conf.name);
        json_decref(r);
    }
    return 0;
}
