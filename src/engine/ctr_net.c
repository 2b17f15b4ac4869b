/* ctr_net.c: see ctr_net.h. */
#include "engine/ctr_net.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/hosts.h"
#include "engine/lifecycle.h"
#include "engine/net_gc.h"
#include "engine/networks.h"
#include "store/lock.h"
#include "net/cni.h"
#include "net/ipv4.h"
#include "net/netns.h"
#include "net/ports.h"

char *cx_ctr_netns_path(struct cx_engine *e, const char *id)
{
    return cx_asprintf("%s/netns/%s", e->store.runroot, id);
}

/* CNI_PATH (colon-separated) when set, else the default directories;
 * CAPSACTL_CNI_TIMEOUT (seconds, default 60) per plugin. */
struct rt {
    struct cx_cni_rt rt;
    char *copy;
    const char *dirs[17];
};

static void rt_init(struct rt *r)
{
    const char *env = getenv("CNI_PATH"), *t = getenv("CAPSACTL_CNI_TIMEOUT");
    int secs = t ? atoi(t) : 0;
    memset(r, 0, sizeof *r);
    r->rt.timeout_ms = (secs > 0 && secs < 3600 ? secs : 60) * 1000;
    if (!env || !*env) {
        r->rt.dirs = cx_cni_default_dirs;
        return;
    }
    r->copy = cx_strdup(env);
    size_t n = 0;
    char *save = NULL;
    for (char *d = strtok_r(r->copy, ":", &save); d && n < 16; d = strtok_r(NULL, ":", &save))
        r->dirs[n++] = d;
    r->rt.dirs = r->dirs;
}

int cx_ctr_net_record(struct cx_engine *e, const char *id, char *const *networks,
                      cx_error *err)
{
    for (size_t i = 0; networks && networks[i]; i++) {
        struct cx_network n;
        if (cx_network_get(e, networks[i], &n, err) < 0)
            return -1;
        char ifname[16];
        snprintf(ifname, sizeof ifname, "eth%zu", i);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = cx_db_prepare(&e->store.db, "INSERT INTO container_networks (container_id, "
                              "network, ifname) VALUES (?, ?, ?)", &st, err);
        if (r == 0) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, n.name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, ifname, -1, SQLITE_STATIC);
            r = sqlite3_step(st) == SQLITE_DONE ? 0
                : sqlite3_errcode(e->store.db.h) == SQLITE_CONSTRAINT
                ? cx_fail(err, EEXIST, "network %s given twice", n.name)
                : cx_db_fail(&e->store.db, "recording a container's network", err);
        }
        cx_network_free(&n);
        if (r < 0)
            return -1;
    }
    return 0;
}

struct attachment {
    char *network, *ifname;
};

static int attachments(struct cx_engine *e, const char *id, struct attachment **out, size_t *n,
                       cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, "SELECT network, ifname FROM container_networks WHERE "
                      "container_id = ? ORDER BY ifname", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = cx_realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = (struct attachment){ cx_strdup(cx_db_text(st, 0)),
                                              cx_strdup(cx_db_text(st, 1)) };
    }
    return 0;
}

static void attachments_free(struct attachment *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].network), free(a[i].ifname);
    free(a);
}

/* The address and MAC ADD gave the container's interface ifname. */
static void record_result(struct cx_engine *e, const char *id, const char *network,
                          const char *ifname, json_t *result)
{
    json_t *ifs = json_object_get(result, "interfaces"), *ip;
    const char *addr = NULL, *mac = "";
    size_t i;
    json_array_foreach(json_object_get(result, "ips"), i, ip) {
        json_t *k = json_object_get(ip, "interface");
        json_t *itf = json_is_integer(k) ? json_array_get(ifs, (size_t) json_integer_value(k))
                                         : NULL;
        const char *name = json_string_value(json_object_get(itf, "name"));
        if (!addr || (name && strcmp(name, ifname) == 0)) {
            addr = json_string_value(json_object_get(ip, "address"));
            mac = json_string_value(json_object_get(itf, "mac")) ?: "";
        }
    }
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    cx_error ignored = { 0 };
    if (cx_db_prepare(&e->store.db, "UPDATE container_networks SET ip = ?, mac = ? WHERE "
                      "container_id = ? AND network = ?", &st, &ignored) < 0)
        return;
    const char *v[] = { addr ? addr : "", mac, id, network };
    for (int k = 0; k < 4; k++)
        sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_STATIC);
    sqlite3_step(st);
}

/* The configuration of network name for an attachment with capability
 * arguments caps, its rules made first (once per boot). */
static int network_conf(struct cx_engine *e, const char *name, json_t *caps,
                        struct cx_cni_conf *out, cx_error *err)
{
    struct cx_network n;
    if (cx_network_get(e, name, &n, err) < 0)
        return -1;
    int rc = cx_network_rules(e, &n, err) < 0 ? -1 : cx_network_conf(e, &n, caps, out, err);
    cx_network_free(&n);
    return rc;
}

static int add_one(struct cx_engine *e, const struct rt *r, const char *id, const char *ns,
                   const struct attachment *a, const char *cache, json_t *caps, cx_error *err)
{
    struct cx_cni_conf c;
    if (network_conf(e, a->network, caps, &c, err) < 0)
        return -1;
    struct cx_cni_attach at = { .container_id = id, .netns = ns, .ifname = a->ifname,
                                .capability_args = caps };
    json_t *result = NULL;
    int rc = cx_cni_add(&r->rt, &c, &at, cache, &result, err);
    if (rc == 0)
        record_result(e, id, a->network, a->ifname, result);
    json_decref(result);
    cx_cni_conf_free(&c);
    return rc;
}

int cx_ctr_ports_resolve(char *const *publish, bool all, json_t *exposed, char ***out,
                         cx_error *err)
{
    struct cx_port *v = NULL;
    size_t n = 0;
    *out = NULL;
    if (cx_ports_parse_all(publish, &v, &n, err) < 0)
        return free(v), -1;
    const char *key;
    json_t *unused;
    if (all)
        json_object_foreach(exposed, key, unused)
            if (cx_ports_parse(key, &v, &n, err) < 0)
                return free(v), cx_error_prefix(err, "the image's ExposedPorts");
    if (cx_ports_choose(v, n, err) < 0)
        return free(v), -1;
    *out = cx_calloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = cx_asprintf("%s:%u:%u/%s", v[i].host_ip, v[i].host_port, v[i].ctr_port,
                                v[i].udp ? "udp" : "tcp");
    free(v);
    return 0;
}

/* Another live container of this store publishing one of v's host ports
 * (portmap's rules hold no socket, so binding cannot tell). */
static int ports_of_others(struct cx_engine *e, const char *id, const struct cx_port *v,
                           size_t n, cx_error *err)
{
    struct cx_ctr *list;
    size_t count;
    if (n == 0 || cx_ctr_list(&e->store.db, &list, &count, err) < 0)
        return n == 0 ? 0 : -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        cx_ctr_sync(e, &list[i]);
        if (strcmp(list[i].id, id) == 0 || (list[i].state != CX_CTR_RUNNING &&
                                             list[i].state != CX_CTR_PAUSED))
            continue;
        _cleanup_(json_decrefp) json_t *o = json_loads(list[i].opts, 0, NULL);
        struct cx_port *w = NULL;
        size_t m = 0;
        cx_ports_of_json(json_object_get(o, "publish"), &w, &m);
        for (size_t a = 0; a < m && rc == 0; a++)
            for (size_t b = 0; b < n && rc == 0; b++)
                if (w[a].host_port == v[b].host_port && w[a].udp == v[b].udp &&
                    (!w[a].host_ip[0] || !v[b].host_ip[0] ||
                     strcmp(w[a].host_ip, v[b].host_ip) == 0))
                    rc = cx_fail(err, 0, "port %u/%s is already published by container %s",
                                 v[b].host_port, v[b].udp ? "udp" : "tcp", list[i].name);
        free(w);
    }
    cx_ctrs_free(list, count);
    return rc;
}

/* The record's ports, checked free, as the portMappings capability. */
static int port_caps(struct cx_engine *e, const char *id, char *const *publish, json_t *caps,
                     cx_error *err)
{
    struct cx_port *v = NULL;
    size_t n = 0;
    if (cx_ports_parse_all(publish, &v, &n, err) < 0)
        return free(v), -1;
    int rc = ports_of_others(e, id, v, n, err);
    if (rc == 0)
        rc = cx_ports_check_free(v, n, err);
    if (rc == 0 && n)
        json_object_set_new(caps, "portMappings", cx_ports_json(v, n));
    free(v);
    return rc;
}

int cx_ctr_net_check(struct cx_engine *e, const struct cx_run_opts *o, cx_error *err)
{
    if (!o->ip || o->network != CX_NET_CNI || !o->networks || !o->networks[0])
        return 0;
    struct cx_network n;
    struct cx_subnet s = { 0, 32 };
    uint32_t ip = 0, gw = 0;
    if (cx_network_get(e, o->networks[0], &n, err) < 0)
        return -1;
    int rc = cx_subnet_parse(n.subnet, &s, err);
    if (rc == 0 && (cx_ipv4_parse(o->ip, &ip) < 0 || cx_ipv4_parse(n.gateway, &gw) < 0))
        rc = cx_fail(err, EINVAL, "--ip %s: network %s's record is damaged", o->ip, n.name);
    uint32_t host = ip & ~(~0u << (32 - s.len));
    if (rc == 0 && !cx_subnet_has(&s, ip))
        rc = cx_fail(err, EINVAL, "--ip %s: not in network %s's subnet %s", o->ip, n.name,
                     n.subnet);
    else if (rc == 0 && (host == 0 || host == ~(~0u << (32 - s.len))))
        rc = cx_fail(err, EINVAL, "--ip %s: not a host address of network %s's subnet %s "
                     "(its network or broadcast address)", o->ip, n.name, n.subnet);
    else if (rc == 0 && ip == gw)
        rc = cx_fail(err, EINVAL, "--ip %s: the gateway of network %s (subnet %s)", o->ip,
                     n.name, n.subnet);
    cx_network_free(&n);
    return rc;
}

/* --ip: an address another container of the store holds on network is an
 * error before anything is added (host-local's would name no one). */
static int ip_of_others(struct cx_engine *e, const char *id, const char *network,
                        const char *ip, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&e->store.db, "SELECT c.name FROM container_networks cn JOIN "
                      "containers c ON c.id = cn.container_id WHERE cn.network = ?1 AND "
                      "cn.container_id != ?2 AND (cn.ip = ?3 OR cn.ip LIKE ?3 || '/%')",
                      &st, err) < 0)
        return -1;
    const char *v[] = { network, id, ip };
    for (int k = 0; k < 3; k++)
        sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        return cx_fail(err, EADDRINUSE, "--ip %s: the address is in use on network %s by "
                       "container %s", ip, network, cx_db_text(st, 0));
    return 0;
}

/* The first network's capability arguments: portMappings, ips, mac. */
static int first_caps(struct cx_engine *e, const char *id, const struct cx_run_opts *o,
                      const char *network, json_t **caps, cx_error *err)
{
    *caps = json_object();
    if (port_caps(e, id, o->publish, *caps, err) < 0)
        return -1;
    if (o->ip && ip_of_others(e, id, network, o->ip, err) < 0)
        return -1;
    if (o->ip)
        json_object_set_new(*caps, "ips", json_pack("[s]", o->ip));
    if (o->mac)
        json_object_set_new(*caps, "mac", json_string(o->mac));
    return 0;
}

/* ---- attach: the plugins' ADD in a thread of its own, while the shim
   and the runtime make the container ---- */

struct cx_net_job {
    char *id, *ns, *cache, *args;
    struct rt rt;
    struct attachment *a;
    size_t n;
    struct cx_cni_conf *confs;
    json_t *caps, **results;
    int rc;
    cx_error err;
    pthread_t thread;
    bool threaded;
};

static void job_free(struct cx_net_job *j)
{
    for (size_t i = 0; j->confs && i < j->n; i++) {
        cx_cni_conf_free(&j->confs[i]);
        json_decref(j->results[i]);
    }
    free(j->confs);
    free(j->results);
    attachments_free(j->a, j->n);
    json_decref(j->caps);
    free(j->rt.copy);
    free(j->id), free(j->ns), free(j->cache), free(j->args);
    free(j);
}

/* the thread: no database, no engine; the plugins only */
static void *job_add(void *arg)
{
    struct cx_net_job *j = arg;
    for (size_t i = 0; j->rc == 0 && i < j->n; i++) {
        struct cx_cni_attach at = { .container_id = j->id, .netns = j->ns,
                                    .ifname = j->a[i].ifname, .args = j->args,
                                    .capability_args = i == 0 ? j->caps : NULL };
        j->rc = cx_cni_add(&j->rt.rt, &j->confs[i], &at, j->cache, &j->results[i], &j->err);
        CX_FAULT("network added");
    }
    return NULL;
}

/* each network's configuration, its rules made (once per boot) */
static int job_confs(struct cx_engine *e, struct cx_net_job *j, cx_error *err)
{
    j->confs = cx_calloc(j->n, sizeof *j->confs);
    j->results = cx_calloc(j->n, sizeof *j->results);
    for (size_t i = 0; i < j->n; i++)
        if (network_conf(e, j->a[i].network, i == 0 ? j->caps : NULL, &j->confs[i], err) < 0)
            return -1;
    return 0;
}

int cx_ctr_net_attach_begin(struct cx_engine *e, const char *id, const struct cx_run_opts *o,
                            struct cx_net_job **out, cx_error *err)
{
    struct cx_net_job *j = cx_calloc(1, sizeof *j);
    *out = NULL;
    int rc = attachments(e, id, &j->a, &j->n, err);
    if (rc < 0 || j->n == 0) {
        job_free(j);
        return rc;
    }
    j->id = cx_strdup(id);
    j->args = o->cni_args ? cx_strdup(o->cni_args) : NULL;
    j->cache = cx_asprintf("%s/cni/results", e->store.runroot);
    _cleanup_free_ char *dir = cx_asprintf("%s/netns", e->store.runroot);
    rt_init(&j->rt);
    /* what an earlier run left (a start or stop that was killed, a DEL
       that failed): DELed before this ADD, which overwrites what was kept */
    cx_error ignored = { 0 };
    if (cx_net_gc_ctr(e, id, true, &ignored) < 0)
        cx_log_error_as_warning(&ignored);
    if (first_caps(e, id, o, j->a[0].network, &j->caps, err) < 0 ||
        job_confs(e, j, err) < 0 || cx_mkdir_p(j->cache, 0700, err) < 0 ||
        cx_netns_create(dir, id, &j->ns, err) < 0) {
        job_free(j);
        return -1;
    }
    j->threaded = pthread_create(&j->thread, NULL, job_add, j) == 0;
    if (!j->threaded)
        job_add(j);
    *out = j;
    return 0;
}

int cx_ctr_net_attach_end(struct cx_engine *e, struct cx_net_job *j, cx_error *err)
{
    if (!j)
        return 0;
    if (j->threaded)
        pthread_join(j->thread, NULL);
    int rc = j->rc;
    for (size_t i = 0; i < j->n; i++)
        if (j->results[i])
            record_result(e, j->id, j->a[i].network, j->a[i].ifname, j->results[i]);
    cx_error ignored = { 0 };
    if (rc < 0) {
        *err = j->err;
        cx_ctr_net_detach(e, j->id, &ignored);
    }
    bool user = false;   /* else its own line only: the default network has no names */
    for (size_t i = 0; rc == 0 && i < j->n; i++) {
        user |= strcmp(j->a[i].network, CX_NETWORK_DEFAULT) != 0;
        if (cx_hosts_refresh(e, j->a[i].network, &ignored) < 0)
            cx_log_error_as_warning(&ignored);
    }
    if (rc == 0 && !user && cx_hosts_refresh_one(e, j->id, &ignored) < 0)
        cx_log_error_as_warning(&ignored);
    job_free(j);
    return rc;
}

int cx_ctr_net_detach(struct cx_engine *e, const char *id, cx_error *err)
{
    struct attachment *a;
    size_t n;
    if (attachments(e, id, &a, &n, err) < 0)
        return -1;
    _cleanup_free_ char *dir = cx_asprintf("%s/netns", e->store.runroot);
    _cleanup_free_ char *cache = cx_asprintf("%s/cni/results", e->store.runroot);
    _cleanup_free_ char *ns = cx_ctr_netns_path(e, id);
    struct rt r;
    rt_init(&r);
    int rc = 0;
    for (size_t i = n; i-- > 0;) {
        struct cx_cni_attach at = { .container_id = id, .netns = ns, .ifname = a[i].ifname };
        cx_error one = { 0 };
        if (cx_cni_del(&r.rt, NULL, &at, a[i].network, cache, &one) < 0) {
            if (rc == 0)
                *err = one;
            else
                cx_log_error(&one);
            rc = -1;
        }
        CX_FAULT("network deleted");
    }
    cx_error one = { 0 };
    if (cx_netns_remove(dir, id, &one) < 0 && rc == 0)
        *err = one, rc = -1;
    /* no longer attached: out of the others' hosts files */
    cx_db_run(&e->store.db, "UPDATE container_networks SET ip = '', mac = '' WHERE "
              "container_id = ?", id, NULL, &(cx_error){ 0 });
    for (size_t i = 0; i < n; i++)
        if (cx_hosts_refresh(e, a[i].network, &one) < 0)
            cx_log_error_as_warning(&one);
    free(r.copy);
    attachments_free(a, n);
    return rc;
}

int cx_ctr_net_del_kept(struct cx_engine *e, const char *id, const char *network,
                        const char *ifname, cx_error *err)
{
    _cleanup_free_ char *cache = cx_asprintf("%s/cni/results", e->store.runroot);
    _cleanup_free_ char *ns = cx_ctr_netns_path(e, id);
    struct rt r;
    rt_init(&r);
    struct cx_cni_attach at = { .container_id = id, .netns = ns, .ifname = ifname };
    int rc = cx_cni_del(&r.rt, NULL, &at, network, cache, err);
    free(r.copy);
    return rc;
}

static void split_cidr(const char *cidr, char ip[16], int *len)
{
    snprintf(ip, 16, "%.*s", (int) strcspn(cidr, "/"), cidr);
    const char *slash = strchr(cidr, '/');
    *len = slash ? atoi(slash + 1) : 0;
}

static json_t *ports_settings(json_t *opts)
{
    json_t *out = json_object();
    struct cx_port *v = NULL;
    size_t n = 0;
    cx_ports_of_json(json_object_get(opts, "publish"), &v, &n);
    for (size_t k = 0; k < n; k++) {
        char key[16], port[8];
        cx_port_key(&v[k], key);
        snprintf(port, sizeof port, "%u", v[k].host_port);
        json_t *list = json_object_get(out, key);
        if (!list)
            json_object_set_new(out, key, list = json_array());
        json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", v[k].host_ip,
                                              "HostPort", port));
    }
    free(v);
    return out;
}

json_t *cx_ctr_net_settings(struct cx_engine *e, const char *id, json_t *opts)
{
    json_t *nets = json_object();
    json_t *s = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "IPAddress", "", "IPPrefixLen", 0,
                          "Gateway", "", "MacAddress", "", "Networks", nets, "Ports",
                          ports_settings(opts));
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    /* the gateway while the container has an address (as podman) */
    if (cx_db_prepare(&e->store.db, "SELECT c.network, c.ip, c.mac, c.ifname, "
                      "CASE WHEN c.ip = '' THEN '' ELSE n.gateway END "
                      "FROM container_networks c JOIN networks n ON n.name = c.network "
                      "WHERE c.container_id = ? ORDER BY c.ifname", &st, &(cx_error){ 0 }) < 0)
        return s;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bool first = true;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char ip[16];
        int len;
        split_cidr(cx_db_text(st, 1), ip, &len);
        json_t *aliases = strcmp(cx_db_text(st, 0), CX_NETWORK_DEFAULT) == 0 ? NULL
                          : json_object_get(opts, "aliases");
        json_object_set_new(nets, cx_db_text(st, 0),
                            json_pack("{s:s, s:i, s:s, s:s, s:s, s:o}", "IPAddress", ip,
                                      "IPPrefixLen", len, "Gateway", cx_db_text(st, 4),
                                      "MacAddress", cx_db_text(st, 2), "InterfaceName",
                                      cx_db_text(st, 3), "Aliases",
                                      json_is_array(aliases) ? json_incref(aliases)
                                                             : json_array()));
        if (first) {
            json_object_set_new(s, "IPAddress", json_string(ip));
            json_object_set_new(s, "IPPrefixLen", json_integer(len));
            json_object_set_new(s, "Gateway", json_string(cx_db_text(st, 4)));
            json_object_set_new(s, "MacAddress", json_string(cx_db_text(st, 2)));
        }
        first = false;
    }
    return s;
}

/* ---- connect, disconnect ---- */

struct held {
    struct cx_ctr c;
    struct cx_lock lock;
    bool live;
};

static int hold(struct cx_engine *e, const char *what, struct held *h, cx_error *err)
{
    h->lock = (struct cx_lock){ .fd = -1 };
    struct cx_ctr c;
    if (cx_ctr_lookup(&e->store.db, what, &c, NULL, err) < 0)
        return -1;
    int r = cx_lock_take(e->store.locksfd, "ctr", c.id, true, &h->lock, err);
    if (r == 0)
        r = cx_ctr_lookup(&e->store.db, c.id, &h->c, NULL, err);
    cx_ctr_free(&c);
    if (r < 0)
        return cx_lock_release(&h->lock), -1;
    _cleanup_(json_decrefp) json_t *o = json_loads(h->c.opts, 0, NULL);
    if (!json_is_string(json_object_get(o, "network")) ||
        strcmp(json_string_value(json_object_get(o, "network")), "cni") != 0) {
        cx_fail(err, EINVAL, "container %s is not on networks (it was made with --network "
                "none, host or none given): networks can be joined by containers made with "
                "--network NAME", h->c.name);
        cx_ctr_free(&h->c);
        return cx_lock_release(&h->lock), -1;
    }
    cx_ctr_sync(e, &h->c);
    _cleanup_free_ char *pin = cx_ctr_netns_path(e, h->c.id);
    h->live = (h->c.state == CX_CTR_RUNNING || h->c.state == CX_CTR_PAUSED ||
               h->c.state == CX_CTR_CREATED) && access(pin, F_OK) == 0;
    return 0;
}

static void unhold(struct held *h)
{
    cx_ctr_free(&h->c);
    cx_lock_release(&h->lock);
}

int cx_ctr_net_connect(struct cx_engine *e, const char *ctr, const char *network,
                       cx_error *err)
{
    struct held h;
    struct cx_network n = { 0 };
    if (hold(e, ctr, &h, err) < 0)
        return -1;
    struct attachment *a;
    size_t count;
    int rc = cx_network_get(e, network, &n, err);
    if (rc == 0 && (rc = attachments(e, h.c.id, &a, &count, err)) == 0) {
        int next = 0;
        for (size_t i = 0; i < count && rc == 0; i++) {
            if (strcmp(a[i].network, n.name) == 0)
                rc = cx_fail(err, EEXIST, "container %s is already on network %s", h.c.name,
                             n.name);
            if (atoi(a[i].ifname + 3) >= next)
                next = atoi(a[i].ifname + 3) + 1;
        }
        char ifname[16];
        snprintf(ifname, sizeof ifname, "eth%d", next);
        struct attachment mine = { n.name, ifname };
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (rc == 0 && (rc = cx_db_prepare(&e->store.db, "INSERT INTO container_networks "
                                           "(container_id, network, ifname) VALUES (?, ?, ?)",
                                           &st, err)) == 0) {
            sqlite3_bind_text(st, 1, h.c.id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, n.name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, ifname, -1, SQLITE_STATIC);
            rc = cx_db_step_done(&e->store.db, st, err);
        }
        if (rc == 0 && h.live) {
            struct rt r;
            rt_init(&r);
            _cleanup_free_ char *ns = cx_ctr_netns_path(e, h.c.id);
            _cleanup_free_ char *cache = cx_asprintf("%s/cni/results", e->store.runroot);
            rc = add_one(e, &r, h.c.id, ns, &mine, cache, NULL, err);
            if (rc < 0)
                cx_db_run(&e->store.db, "DELETE FROM container_networks WHERE container_id = ? "
                          "AND network = ?", h.c.id, n.name, &(cx_error){ 0 });
            else
                cx_hosts_refresh(e, n.name, &(cx_error){ 0 });
            free(r.copy);
        }
        attachments_free(a, count);
    }
    cx_network_free(&n);
    unhold(&h);
    return rc;
}

int cx_ctr_net_disconnect(struct cx_engine *e, const char *ctr, const char *network,
                          cx_error *err)
{
    struct held h;
    if (hold(e, ctr, &h, err) < 0)
        return -1;
    struct attachment *a;
    size_t count;
    int rc = attachments(e, h.c.id, &a, &count, err);
    const struct attachment *mine = NULL;
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (strcmp(a[i].network, network) == 0)
            mine = &a[i];
    if (rc == 0 && !mine)
        rc = cx_fail(err, ENOENT, "container %s is not on network %s", h.c.name, network);
    if (rc == 0 && h.live) {
        struct rt r;
        rt_init(&r);
        _cleanup_free_ char *ns = cx_ctr_netns_path(e, h.c.id);
        _cleanup_free_ char *cache = cx_asprintf("%s/cni/results", e->store.runroot);
        struct cx_cni_attach at = { .container_id = h.c.id, .netns = ns,
                                    .ifname = mine->ifname };
        rc = cx_cni_del(&r.rt, NULL, &at, mine->network, cache, err);
        free(r.copy);
    }
    if (rc == 0)
        rc = cx_db_run(&e->store.db, "DELETE FROM container_networks WHERE container_id = ? "
                       "AND network = ?", h.c.id, network, err);
    if (rc == 0) {
        cx_hosts_refresh(e, network, &(cx_error){ 0 });
        cx_hosts_refresh_one(e, h.c.id, &(cx_error){ 0 });
    }
    attachments_free(a, count);
    unhold(&h);
    return rc;
}
