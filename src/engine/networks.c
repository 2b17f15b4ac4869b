/* networks.c: see networks.h. */
#include "engine/networks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "net/fwrules.h"
#include "engine/net_gc.h"
#include "net/ipv4.h"
#include "net/link.h"

/* --network's modes, not network names */
static const char *const reserved[] = { "none", "host", "bridge", "default", "private",
                                        "slirp4netns", "container", "ns", NULL };

void cx_network_free(struct cx_network *n)
{
    free(n->name);
    free(n->id);
    free(n->bridge);
    free(n->subnet);
    free(n->gateway);
    free(n->labels);
    free(n->conf_file);
    cx_strv_free(n->containers);
    memset(n, 0, sizeof *n);
}

void cx_networks_free(struct cx_network *n, size_t count)
{
    for (size_t i = 0; i < count; i++)
        cx_network_free(&n[i]);
    free(n);
}

#define COLUMNS "name, id, bridge, subnet, gateway, internal, labels, created, conf_file"

static void from_row(struct cx_engine *e, sqlite3_stmt *st, struct cx_network *n)
{
    memset(n, 0, sizeof *n);
    n->name = cx_strdup(cx_db_text(st, 0));
    n->id = cx_strdup(cx_db_text(st, 1));
    n->bridge = cx_strdup(cx_db_text(st, 2));
    n->subnet = cx_strdup(cx_db_text(st, 3));
    n->gateway = cx_strdup(cx_db_text(st, 4));
    n->internal = sqlite3_column_int(st, 5) != 0;
    n->labels = cx_strdup(cx_db_text(st, 6));
    n->created = sqlite3_column_int64(st, 7);
    n->conf_file = cx_strdup(cx_db_text(st, 8));
    cx_error ignored = { 0 };
    if (cx_db_texts(&e->store.db, "SELECT container_id FROM container_networks WHERE "
                    "network = ? ORDER BY container_id", n->name, &n->containers,
                    &n->ncontainers, &ignored) < 0)
        n->containers = NULL, n->ncontainers = 0;
}

static int select_networks(struct cx_engine *e, const char *sql, const char *arg,
                           struct cx_network **out, size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, sql, &st, err) < 0)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = cx_realloc(*out, cap * sizeof **out);
        }
        from_row(e, st, &(*out)[(*n)++]);
    }
    return 0;
}

int cx_network_list(struct cx_engine *e, struct cx_network **out, size_t *n, cx_error *err)
{
    return select_networks(e, "SELECT " COLUMNS " FROM networks ORDER BY name", NULL, out, n,
                           err);
}

/* ---- choosing a subnet, a gateway, a bridge ---- */

/* what conflicts with subnet s: another network's, or a route's */
static int subnet_free(struct cx_network *all, size_t n, const struct cx_subnet *s,
                       cx_error *err)
{
    char text[20], route[64];
    cx_subnet_format(s, text);
    for (size_t i = 0; i < n; i++) {
        struct cx_subnet o;
        if (cx_subnet_parse(all[i].subnet, &o, &(cx_error){ 0 }) == 0 &&
            cx_subnet_overlap(s, &o))
            return cx_fail(err, EEXIST, "subnet %s overlaps network %s's (%s)", text,
                           all[i].name, all[i].subnet);
    }
    if (cx_route_overlaps(s, "capsa", route))
        return cx_fail(err, EEXIST, "subnet %s overlaps a route of this host (%s): give "
                       "--subnet another range", text, route);
    return 0;
}

static int pick_subnet(struct cx_network *all, size_t n, const char *name, const char *given,
                       struct cx_subnet *s, cx_error *err)
{
    if (given || strcmp(name, CX_NETWORK_DEFAULT) == 0) {
        if (cx_subnet_parse(given ? given : CX_NETWORK_DEFAULT_SUBNET, s, err) < 0)
            return -1;
        return subnet_free(all, n, s, err);
    }
    for (uint32_t k = 0; k < 256; k++) {
        *s = (struct cx_subnet){ (10u << 24) | (100u << 16) | (k << 8), 24 };
        if (subnet_free(all, n, s, &(cx_error){ 0 }) == 0)
            return 0;
    }
    return cx_fail(err, ENOSPC, "no free subnet left in 10.100.0.0/16: give --subnet");
}

static int pick_gateway(const struct cx_subnet *s, const char *given, char out[16],
                        cx_error *err)
{
    uint32_t gw = s->addr + 1, bcast = s->addr | ~(~0u << (32 - s->len));
    if (given && cx_ipv4_parse(given, &gw) < 0)
        return cx_fail(err, EINVAL, "gateway \"%s\": not an IPv4 address", given);
    if (!cx_subnet_has(s, gw) || gw == s->addr || gw == bcast)
        return cx_fail(err, EINVAL, "gateway %s: not a host address of the subnet", given);
    cx_ipv4_format(gw, out);
    return 0;
}

static void pick_bridge(struct cx_network *all, size_t n, const char *name, char out[16])
{
    for (unsigned k = strcmp(name, CX_NETWORK_DEFAULT) == 0 ? 0 : 1; ; k++) {
        snprintf(out, 16, "capsa%u", k);
        bool used = false;
        for (size_t i = 0; i < n && !used; i++)
            used = strcmp(all[i].bridge, out) == 0;
        if (!used)
            return;
    }
}

/* ---- records ---- */

static int name_check(const char *name, cx_error *err)
{
    if (cx_cni_name_check(name, err) < 0)
        return -1;
    for (const char *const *r = reserved; *r; r++)
        if (strcmp(name, *r) == 0)
            return cx_fail(err, EINVAL, "network name \"%s\" is reserved (a --network mode)",
                           name);
    return 0;
}

static int insert(struct cx_engine *e, const char *name, const struct cx_network_opts *o,
                  cx_error *err)
{
    struct cx_network *all = NULL;
    size_t n = 0;
    if (cx_network_list(e, &all, &n, err) < 0)
        return -1;
    struct cx_subnet s;
    char subnet[20], gw[16], bridge[16], id[65];
    int r = pick_subnet(all, n, name, o->subnet, &s, err);
    if (r == 0)
        r = pick_gateway(&s, o->gateway, gw, err);
    if (r == 0) {
        pick_bridge(all, n, name, bridge);
        cx_subnet_format(&s, subnet);
        cx_ctr_new_id(id);
    }
    cx_networks_free(all, n);
    if (r < 0)
        return cx_error_prefix(err, "network %s", name);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&e->store.db, "INSERT INTO networks (name, id, bridge, subnet, gateway, "
                      "internal, labels, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st, err) < 0)
        return -1;
    const char *texts[] = { name, id, bridge, subnet, gw };
    for (int i = 0; i < 5; i++)
        sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, o->internal);
    sqlite3_bind_text(st, 7, o->labels_json ? o->labels_json : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, cx_now_ns());
    if (sqlite3_step(st) == SQLITE_DONE)
        return 0;
    if (sqlite3_errcode(e->store.db.h) == SQLITE_CONSTRAINT)
        return cx_fail(err, EEXIST, "network %s already exists", name);
    return cx_db_fail(&e->store.db, "recording a network", err);
}

static int by_name(struct cx_engine *e, const char *what, struct cx_network *out, bool *found,
                   cx_error *err)
{
    struct cx_network *v;
    size_t n;
    *found = false;
    if (select_networks(e, "SELECT " COLUMNS " FROM networks WHERE name = ?1", what, &v, &n,
                        err) < 0)
        return -1;
    if (n == 0) {
        free(v);
        _cleanup_free_ char *like = cx_asprintf("%s*", what);
        if (strlen(what) < 3 || strspn(what, "0123456789abcdef") != strlen(what) ||
            select_networks(e, "SELECT " COLUMNS " FROM networks WHERE id GLOB ?1", like, &v,
                            &n, err) < 0)
            return strlen(what) < 3 || strspn(what, "0123456789abcdef") != strlen(what) ? 0
                                                                                       : -1;
        if (n > 1) {
            cx_networks_free(v, n);
            return cx_fail(err, EINVAL, "network ID prefix %s is ambiguous", what);
        }
    }
    if (n == 1) {
        *out = v[0];
        *found = true;
        free(v);
    } else
        free(v);
    return 0;
}

int cx_network_create(struct cx_engine *e, const char *name, const struct cx_network_opts *o,
                      struct cx_network *out, cx_error *err)
{
    if (name_check(name, err) < 0 || cx_db_begin(&e->store.db, err) < 0)
        return -1;
    if (insert(e, name, o, err) < 0 || cx_db_commit(&e->store.db, err) < 0) {
        cx_db_rollback(&e->store.db);
        return -1;
    }
    bool found;
    if (by_name(e, name, out, &found, err) < 0)
        return -1;
    return found ? 0 : cx_fail(err, ENOENT, "network %s: gone right after it was made", name);
}

int cx_network_get(struct cx_engine *e, const char *what, struct cx_network *out,
                   cx_error *err)
{
    bool found;
    if (by_name(e, what, out, &found, err) < 0)
        return -1;
    if (found)
        return 0;
    if (strcmp(what, CX_NETWORK_DEFAULT) != 0)
        return cx_fail(err, ENOENT, "network %s not found", what);
    struct cx_network_opts o = { 0 };
    if (cx_network_create(e, what, &o, out, err) == 0)
        return 0;
    if (err->errnum != EEXIST)   /* made meanwhile by another capsactl */
        return -1;
    cx_error_clear(err);
    return by_name(e, what, out, &found, err) < 0 ? -1
           : found ? 0 : cx_fail(err, ENOENT, "network %s not found", what);
}

int cx_network_of_file(struct cx_engine *e, const char *path, const struct cx_cni_conf *conf,
                       struct cx_network *out, cx_error *err)
{
    bool found;
    if (by_name(e, conf->name, out, &found, err) < 0)
        return -1;
    if (found && !out->conf_file[0]) {
        cx_network_free(out);
        return cx_fail(err, EEXIST, "the CNI configuration %s names network %s, which is a "
                       "capsactl network: rename one of them", path, conf->name);
    }
    if (found && strcmp(out->conf_file, path) == 0)
        return 0;
    if (found) {
        cx_network_free(out);
        if (cx_db_run(&e->store.db, "UPDATE networks SET conf_file = ?2 WHERE name = ?1",
                      conf->name, path, err) < 0)
            return -1;
    } else {
        /* bridge: a placeholder no interface has, unique as the column wants */
        char id[65];
        cx_ctr_new_id(id);
        _cleanup_free_ char *bridge = cx_asprintf("cni:%s", conf->name);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (cx_db_prepare(&e->store.db, "INSERT OR IGNORE INTO networks (name, id, bridge, "
                          "subnet, gateway, created, conf_file) VALUES (?, ?, ?, '', '', ?, ?)",
                          &st, err) < 0)
            return -1;
        sqlite3_bind_text(st, 1, conf->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, bridge, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, cx_now_ns());
        sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
        if (cx_db_step_done(&e->store.db, st, err) < 0)
            return -1;
    }
    if (by_name(e, conf->name, out, &found, err) < 0)
        return -1;
    return found ? 0 : cx_fail(err, ENOENT, "network %s: gone right after it was made",
                               conf->name);
}

/* A marker per network under <runroot>/cni/rules: its firewall rules are
 * in place (the runroot is a tmpfs: a reboot clears both). */
static char *rules_marker(struct cx_engine *e, const char *name)
{
    return cx_asprintf("%s/cni/rules/%s", e->store.runroot, name);
}

static void fw_of(const struct cx_network *n, struct cx_fw_net *fw)
{
    *fw = (struct cx_fw_net){ .name = n->name, .bridge = n->bridge, .subnet = n->subnet,
                              .internal = n->internal };
}

int cx_network_rules(struct cx_engine *e, const struct cx_network *n, cx_error *err)
{
    _cleanup_free_ char *marker = rules_marker(e, n->name);
    if (n->conf_file[0] || access(marker, F_OK) == 0)
        return 0;
    struct cx_fw_net fw;
    fw_of(n, &fw);
    _cleanup_free_ char *dir = cx_asprintf("%s/cni/rules", e->store.runroot);
    if (cx_fw_rules_add(&fw, err) < 0 || cx_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_close_ int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    return fd < 0 ? cx_fail_errno(err, "create %s", marker) : 0;
}

static int rules_remove(struct cx_engine *e, const struct cx_network *n, cx_error *err)
{
    _cleanup_free_ char *marker = rules_marker(e, n->name);
    struct cx_fw_net fw;
    fw_of(n, &fw);
    unlink(marker);
    return cx_fw_rules_remove(&fw, err);
}

int cx_network_remove(struct cx_engine *e, const char *name, cx_error *err)
{
    struct cx_network n;
    if (cx_network_get(e, name, &n, err) < 0)
        return -1;
    int r = 0;
    if (n.ncontainers)
        r = cx_fail(err, EBUSY, "network %s is in use by container %.12s (and %zu more): "
                    "remove them, or disconnect them first", n.name, n.containers[0],
                    n.ncontainers - 1);
    else if ((r = cx_db_run(&e->store.db, "DELETE FROM networks WHERE name = ?", n.name, NULL,
                            err)) == 0 && !n.conf_file[0])
        r = cx_link_delete(n.bridge, err);   /* the bridge plugin leaves it */
    if (n.conf_file[0]) {
        /* a file's network: its plugins' leftovers are the file's business */
    } else if (r == 0)
        r = rules_remove(e, &n, err);
    if (r == 0 && !n.ncontainers && !n.conf_file[0]) {
        cx_error gc = { 0 };  /* and what its plugins left: a warning, the network is gone */
        if (cx_net_gc_network(e, &n, &gc) < 0)
            cx_log_error_as_warning(&gc);
    }
    cx_network_free(&n);
    return r;
}

/* bridge (no ipMasq: the network's rules masquerade, cx_network_rules),
 * portmap only with ports to publish, tuning only with a MAC to set */
int cx_network_conf(struct cx_engine *e, const struct cx_network *n, json_t *caps,
                    struct cx_cni_conf *out, cx_error *err)
{
    if (n->conf_file[0])   /* read at each use: the admin may change it */
        return cx_cni_conf_load(n->conf_file, out, err);
    _cleanup_free_ char *ipam_dir = cx_asprintf("%s/cni/ipam", e->store.runroot);
    _cleanup_free_ char *tuning_dir = cx_asprintf("%s/cni/tuning", e->store.runroot);
    _cleanup_(json_decrefp) json_t *routes = n->internal ? json_array()
                                             : json_pack("[{s:s}]", "dst", "0.0.0.0/0");
    _cleanup_(json_decrefp) json_t *doc = json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:b, s:b, s:b, s:{s:b}, s:{s:s, s:[[{s:s, s:s}]], s:O, "
        "s:s}}]}",
        "cniVersion", "1.0.0", "name", n->name, "plugins",
        "type", "bridge", "bridge", n->bridge, "isGateway", !n->internal, "ipMasq", false,
        "hairpinMode", true, "capabilities", "ips", true,
        "ipam", "type", "host-local", "ranges", "subnet", n->subnet, "gateway", n->gateway,
        "routes", routes, "dataDir", ipam_dir);
    json_t *plugins = json_object_get(doc, "plugins");
    if (json_object_get(caps, "portMappings"))
        json_array_append_new(plugins, json_pack("{s:s, s:b, s:{s:b}}", "type", "portmap",
                                                 "snat", true, "capabilities", "portMappings",
                                                 true));
    if (json_object_get(caps, "mac"))
        json_array_append_new(plugins, json_pack("{s:s, s:s, s:{s:b}}", "type", "tuning",
                                                 "dataDir", tuning_dir, "capabilities", "mac",
                                                 true));
    _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!text)
        return cx_fail(err, ENOMEM, "network %s: cannot make its configuration", n->name);
    return cx_cni_conf_parse(text, strlen(text), n->name, out, err);
}
