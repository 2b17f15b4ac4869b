/* net_gc.c: see net_gc.h. */
#include "engine/net_gc.h"

#include <dirent.h>
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
#include "engine/ctr_net.h"
#include "engine/lifecycle.h"
#include "net/cni_rules.h"
#include "net/ipv4.h"
#include "net/netns.h"
#include "store/lock.h"

static bool is_id(const char *s, size_t len)
{
    return strspn(s, "0123456789abcdef") >= len && len == 64;
}

/* A kept attachment's file name: <network>-<id>-<ifname>.json */
static bool cache_name(const char *name, char net[256], char id[65], char ifname[16])
{
    size_t len = strlen(name);
    if (len < 5 || strcmp(name + len - 5, ".json") != 0)
        return false;
    for (const char *d = strchr(name, '-'); d; d = strchr(d + 1, '-')) {
        size_t at = (size_t) (d - name), iflen = len - 5 - (at + 66);
        if (at == 0 || at > 255 || len < at + 66 + 5 + 1 || !is_id(d + 1, 64) ||
            d[65] != '-' || iflen > 15 || memchr(d + 66, '/', iflen))
            continue;
        snprintf(net, 256, "%.*s", (int) at, name);
        snprintf(id, 65, "%.64s", d + 1);
        snprintf(ifname, 16, "%.*s", (int) iflen, d + 66);
        return true;
    }
    return false;
}

static void strv_add(char ***v, const char *s)
{
    size_t n = cx_strv_len(*v);
    *v = cx_realloc(*v, (n + 2) * sizeof **v);
    (*v)[n] = cx_strdup(s);
    (*v)[n + 1] = NULL;
}

static DIR *open_under(struct cx_engine *e, const char *sub)
{
    _cleanup_free_ char *p = cx_asprintf("%s/%s", e->store.runroot, sub);
    return opendir(p);
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}
#define _cleanup_dir_ __attribute__((cleanup(closedirp)))

/* What was found of a container, and how its DELs went. */
struct stale {
    bool failed;      /* a DEL failed */
    bool no_ns;       /* a DEL ran without the namespace */
    bool leases;      /* leases no DEL released */
    char **ips;       /* the addresses it had (for the rules by hand) */
};

static void keep_error(cx_error *err, cx_error *one)
{
    if (!err->msg[0])
        *err = *one;
    else
        cx_log_error_as_warning(one);
}

/* The addresses ADD's result gave, from a kept attachment */
static void kept_ips(int dirfd, const char *name, char ***ips)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cx_read_file_at(dirfd, name, 4u << 20, &text, &len, &(cx_error){ 0 }) < 0)
        return;
    _cleanup_(json_decrefp) json_t *j = json_loadb(text, len, 0, NULL);
    json_t *ip;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(j, "result"), "ips"), i, ip) {
        const char *a = json_string_value(json_object_get(ip, "address"));
        char addr[16];
        uint32_t v;
        if (a && strcspn(a, "/") < sizeof addr) {
            snprintf(addr, sizeof addr, "%.*s", (int) strcspn(a, "/"), a);
            if (cx_ipv4_parse(addr, &v) == 0)
                strv_add(ips, addr);
        }
    }
}

/* Every attachment kept for id, DELed (final: what failed, forgotten) */
static void del_kept(struct cx_engine *e, const char *id, bool final, struct stale *s,
                     cx_error *err)
{
    _cleanup_dir_ DIR *d = open_under(e, "cni/results");
    _cleanup_free_ char *pin = cx_ctr_netns_path(e, id);
    bool ns = access(pin, F_OK) == 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char net[256], cid[65], ifname[16];
        /* a kept attachment half written by a killed capsactl (".NAME.tmp.PID";
           under the container's lock nobody else writes its files) */
        if (de->d_name[0] == '.' && strstr(de->d_name, id) && strstr(de->d_name, ".tmp."))
            unlinkat(dirfd(d), de->d_name, 0);
        if (!cache_name(de->d_name, net, cid, ifname) || strcmp(cid, id) != 0)
            continue;
        s->no_ns |= !ns;
        kept_ips(dirfd(d), de->d_name, &s->ips);
        cx_error one = { 0 };
        if (cx_ctr_net_del_kept(e, id, net, ifname, &one) < 0) {
            s->failed = true;
            keep_error(err, &one);
            if (final)
                unlinkat(dirfd(d), de->d_name, 0);
        }
    }
}

/* The lease of the file name in dir (a host-local lease: "<id>\n<if>"),
 * naming id? */
static bool lease_of(int dir, const char *name, const char *id)
{
    uint32_t a;
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cx_ipv4_parse(name, &a) < 0 ||
        cx_read_file_at(dir, name, 4096, &text, &len, &(cx_error){ 0 }) < 0)
        return false;
    text[strcspn(text, "\r\n")] = '\0';
    return id ? strcmp(text, id) == 0 : is_id(text, strlen(text));
}

/* The leases still naming id after its DELs: nobody will release them */
static void drop_leases(struct cx_engine *e, const char *id, struct stale *s)
{
    _cleanup_dir_ DIR *ipam = open_under(e, "cni/ipam");
    struct dirent *de;
    while (ipam && (de = readdir(ipam))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_close_ int fd = openat(dirfd(ipam), de->d_name, O_RDONLY | O_DIRECTORY |
                                        O_NOFOLLOW | O_CLOEXEC);
        _cleanup_dir_ DIR *net = fd < 0 ? NULL : fdopendir(fd);
        if (net)
            fd = -1;   /* the DIR owns it */
        struct dirent *le;
        while (net && (le = readdir(net)))
            if (lease_of(dirfd(net), le->d_name, id)) {
                s->leases = true;
                strv_add(&s->ips, le->d_name);
                unlinkat(dirfd(net), le->d_name, 0);
            }
    }
}

static void sweep(const struct cx_ipt_pick *p, cx_error *err)
{
    static const char *const tables[] = { "nat", "filter" };
    for (int i = 0; i < 2; i++) {
        cx_error one = { 0 };
        if (cx_ipt_sweep(tables[i], p, &one) < 0)
            keep_error(err, &one);
    }
}

int cx_net_gc_ctr(struct cx_engine *e, const char *id, bool final, cx_error *err)
{
    struct stale s = { 0 };
    *err = (cx_error){ 0 };
    del_kept(e, id, final, &s, err);
    /* a DEL to try again needs the namespace: the bridge plugin removes
       its masquerading only from inside it */
    bool retry = s.failed && !final;
    _cleanup_free_ char *pin = cx_ctr_netns_path(e, id);
    cx_error one = { 0 };
    if (!retry && access(pin, F_OK) == 0 && cx_ctr_net_detach(e, id, &one) < 0)
        keep_error(err, &one);
    if (!retry)
        drop_leases(e, id, &s);
    /* the rules no DEL removed: the bridge plugin's masquerading when the
       namespace was gone (it learns the addresses inside), all of them
       when the DEL could not run */
    if (!retry && (s.no_ns || s.leases || (final && s.failed))) {
        struct cx_ipt_pick p = { .ctr_id = id, .addrs = s.ips };
        sweep(&p, err);
    }
    cx_strv_free(s.ips);
    return err->msg[0] ? -1 : 0;
}

/* ---- the whole store ---- */

static void ids_add(char ***ids, const char *id)
{
    for (char **v = *ids; v && *v; v++)
        if (strcmp(*v, id) == 0)
            return;
    strv_add(ids, id);
}

/* Every container ID a kept attachment, a pin or a lease names */
static char **named_ids(struct cx_engine *e)
{
    char **ids = NULL;
    struct dirent *de;
    _cleanup_dir_ DIR *res = open_under(e, "cni/results");
    while (res && (de = readdir(res))) {
        char net[256], id[65], ifname[16];
        if (cache_name(de->d_name, net, id, ifname))
            ids_add(&ids, id);
    }
    _cleanup_dir_ DIR *pins = open_under(e, "netns");
    while (pins && (de = readdir(pins)))
        if (is_id(de->d_name, strlen(de->d_name)))
            ids_add(&ids, de->d_name);
    _cleanup_dir_ DIR *ipam = open_under(e, "cni/ipam");
    while (ipam && (de = readdir(ipam))) {
        _cleanup_free_ char *sub = cx_asprintf("cni/ipam/%s", de->d_name);
        _cleanup_dir_ DIR *net = de->d_name[0] == '.' ? NULL : open_under(e, sub);
        struct dirent *le;
        while (net && (le = readdir(net))) {
            char text[65];
            if (!lease_of(dirfd(net), le->d_name, NULL))
                continue;
            _cleanup_close_ int fd = openat(dirfd(net), le->d_name, O_RDONLY | O_CLOEXEC);
            ssize_t n = fd < 0 ? -1 : read(fd, text, 64);
            if (n == 64 && (text[64] = '\0', is_id(text, 64)))
                ids_add(&ids, text);
        }
    }
    return ids;
}

/* Under its lock: collected unless it is live. */
static void gc_one(struct cx_engine *e, const char *id)
{
    _cleanup_lock_ struct cx_lock lock = CX_LOCK_INIT;
    cx_error err = { 0 };
    struct cx_ctr c;
    bool found = false;
    if (cx_lock_take(e->store.locksfd, "ctr", id, true, &lock, &err) < 0 ||
        cx_db_exists(&e->store.db, "SELECT 1 FROM containers WHERE id = ?", id, &found,
                     &err) < 0) {
        cx_log_error_as_warning(&err);
        return;
    }
    if (found && cx_ctr_lookup(&e->store.db, id, &c, NULL, &err) == 0) {
        cx_ctr_sync(e, &c);
        bool live = c.state == CX_CTR_RUNNING || c.state == CX_CTR_PAUSED ||
                    c.state == CX_CTR_CREATED;
        cx_ctr_free(&c);
        if (live)
            return;
    }
    if (cx_net_gc_ctr(e, id, !found, &err) < 0)
        cx_log_error_as_warning(&err);
}

/* Lease directories of networks no longer recorded, once empty of leases */
static void gc_ipam_dirs(struct cx_engine *e)
{
    _cleanup_dir_ DIR *ipam = open_under(e, "cni/ipam");
    struct dirent *de;
    while (ipam && (de = readdir(ipam))) {
        bool found = true, leases = false;
        if (de->d_name[0] == '.' ||
            cx_db_exists(&e->store.db, "SELECT 1 FROM networks WHERE name = ?", de->d_name,
                         &found, &(cx_error){ 0 }) < 0 || found)
            continue;
        _cleanup_free_ char *sub = cx_asprintf("cni/ipam/%s", de->d_name);
        _cleanup_dir_ DIR *net = open_under(e, sub);
        struct dirent *le;
        while (net && (le = readdir(net)))
            leases |= lease_of(dirfd(net), le->d_name, NULL);
        if (!leases)
            cx_rm_rf_at(dirfd(ipam), de->d_name);
    }
}

void cx_net_gc(struct cx_engine *e)
{
    char **ids = named_ids(e);
    for (char **v = ids; v && *v; v++)
        gc_one(e, *v);
    cx_strv_free(ids);
    gc_ipam_dirs(e);
}

/* ---- a removed network ---- */

/* The chains every CNI user of this network namespace shares (firewall's
 * CNI-FORWARD and CNI-ADMIN, portmap's CNI-HOSTPORT-*): the plugins make
 * them at an ADD and never remove them.  Another network of this store,
 * another store, or another runtime (podman's CNI backend uses the same
 * names) may hang rules off them at any time, so they go only when this
 * store has no network left AND they hold nothing but the plugins' own
 * skeleton (a rule of anyone else keeps them).  Removing them then is safe
 * even for another user between two containers: every ADD makes them
 * again. */
static void sweep_shared(struct cx_engine *e, cx_error *err)
{
    bool any = true;
    if (cx_db_exists(&e->store.db, "SELECT 1 FROM networks WHERE name <> ?", "", &any,
                     err) < 0 || any)
        return;
    static const char *const tables[] = { "nat", "filter" };
    for (int i = 0; i < 2; i++) {
        _cleanup_free_ char *saved = NULL, *script = NULL;
        cx_error one = { 0 };
        if (cx_ipt_save(tables[i], &saved, &one) < 0)
            continue;   /* no iptables: nothing of ours */
        script = cx_ipt_shared_script(tables[i], saved);
        if (script && cx_ipt_restore(script, &one) < 0)
            keep_error(err, &one);
    }
}

int cx_net_gc_network(struct cx_engine *e, const struct cx_network *n, cx_error *err)
{
    *err = (cx_error){ 0 };
    cx_net_gc(e);
    struct cx_ipt_pick p = { .network = n->name, .bridge = n->bridge, .subnet = n->subnet };
    sweep(&p, err);
    _cleanup_close_ int ipam = openat(e->store.runrootfd, "cni/ipam", O_RDONLY | O_DIRECTORY |
                                      O_NOFOLLOW | O_CLOEXEC);
    if (ipam >= 0 && !strchr(n->name, '/') && n->name[0] != '.')
        cx_rm_rf_at(ipam, n->name);
    sweep_shared(e, err);
    return err->msg[0] ? -1 : 0;
}
