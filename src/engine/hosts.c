/* hosts.c: see hosts.h.  Why /etc/hosts and not a DNS server: Debian
 * ships no dnsname plugin, aardvark-dns speaks netavark's configuration,
 * and a resolver of our own would be one more daemon per network.  The
 * files need none, work with every libc and busybox, and are exact at
 * every join and leave; their limit is that a name is not found before
 * its container has started, which a DNS server would not change. */
#include "engine/hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/networks.h"
#include "engine/run_opts.h"
#include "store/lock.h"

#define MARK "# capsa: the containers on its networks\n"

struct peer {
    char *id, *name, *ip, *aliases;   /* aliases: " a b", or "" */
};

static void peers_free(struct peer *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].id), free(p[i].name), free(p[i].ip), free(p[i].aliases);
    free(p);
}

/* --network-alias of a container's record (its options, JSON) */
static char *aliases_of(const char *opts)
{
    _cleanup_(json_decrefp) json_t *o = json_loads(opts, 0, NULL);
    char *out = cx_strdup("");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(o, "aliases"), i, a) {
        const char *s = json_string_value(a);
        if (s && cx_host_name_ok(s)) {
            char *next = cx_asprintf("%s %s", out, s);
            free(out);
            out = next;
        }
    }
    return out;
}

static struct peer peer_of(sqlite3_stmt *st)
{
    char *ip = cx_strdup(cx_db_text(st, 2));
    ip[strcspn(ip, "/")] = '\0';   /* "10.100.0.5/24" */
    return (struct peer){ cx_strdup(cx_db_text(st, 0)), cx_strdup(cx_db_text(st, 1)), ip,
                          aliases_of(cx_db_text(st, 3)) };
}

/* The attached containers that share a user network with container id
 * (not itself), or, with id NULL, the attached containers of network:
 * their ID, name, address and aliases. */
static int query(struct cx_engine *e, const char *id, const char *network, struct peer **out,
                 size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, id
                      ? "SELECT DISTINCT c.id, c.name, b.ip, c.opts FROM container_networks a "
                        "JOIN container_networks b ON a.network = b.network "
                        "JOIN containers c ON c.id = b.container_id WHERE a.container_id = ?1 "
                        "AND b.container_id != ?1 AND a.network != ?2 AND b.ip != '' "
                        "ORDER BY c.name, b.ip"
                      : "SELECT c.id, c.name, cn.ip, c.opts FROM container_networks cn JOIN "
                        "containers c ON c.id = cn.container_id WHERE cn.network = ?2 AND "
                        "cn.ip != ''",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id ? CX_NETWORK_DEFAULT : network, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = cx_realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = peer_of(st);
    }
    return 0;
}

/* The container's own line, podman's "IP hostname name": its address on
 * its first network, its hostname (the file's), name, short ID and
 * aliases, each once; "" when it has no address. */
static char *self_text(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&e->store.db, "SELECT c.id, c.name, cn.ip, c.opts FROM "
                      "container_networks cn JOIN containers c ON c.id = cn.container_id "
                      "WHERE cn.container_id = ? AND cn.ip != '' ORDER BY cn.ifname LIMIT 1",
                      &st, err) < 0)
        return NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return cx_strdup("");
    struct peer *me = cx_calloc(1, sizeof *me);
    *me = peer_of(st);
    _cleanup_free_ char *hn = NULL;
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, &(cx_error){ 0 });
    if (dir < 0 || cx_read_file_at(dir, "hostname", 256, &hn, NULL, &(cx_error){ 0 }) < 0)
        hn = cx_strdup("");
    hn[strcspn(hn, "\n")] = '\0';
    char id12[13];
    snprintf(id12, sizeof id12, "%.12s", me->id);
    bool named = strcmp(hn, me->name) == 0 || !cx_host_name_ok(hn);
    char *text = cx_asprintf("%s\t%s%s%s%s%s%s\n", me->ip, named ? "" : hn, named ? "" : " ",
                             me->name, strcmp(hn, id12) == 0 ? "" : " ",
                             strcmp(hn, id12) == 0 ? "" : id12, me->aliases);
    peers_free(me, 1);
    return text;
}

/* id's own line, then "IP\tname id12 aliases" for each peer of id */
static char *peers_text(struct cx_engine *e, const char *id, cx_error *err)
{
    struct peer *p;
    size_t n;
    char *text = self_text(e, id, err);
    if (!text || query(e, id, NULL, &p, &n, err) < 0)
        return free(text), NULL;
    for (size_t i = 0; i < n; i++) {
        char *next = cx_asprintf("%s%s\t%s %.12s%s\n", text, p[i].ip, p[i].name, p[i].id,
                                 p[i].aliases);
        free(text);
        text = next;
    }
    peers_free(p, n);
    return text;
}

/* hosts with everything from the marker on replaced by peers */
static int rewrite(struct cx_engine *e, const char *id, const char *peers, cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, false, err);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (dir < 0 || cx_read_file_at(dir, "hosts", 1 << 20, &text, &len, err) < 0)
        return -1;
    char *mark = strstr(text, MARK);
    if (mark)
        *mark = '\0';
    _cleanup_free_ char *next = cx_asprintf("%s%s%s", text, MARK, peers);
    _cleanup_close_ int fd = openat(dir, "hosts", O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || cx_write_all(fd, next, strlen(next)) < 0)
        return cx_fail_errno(err, "container %.12s: rewriting its hosts file", id);
    return 0;
}

int cx_hosts_refresh(struct cx_engine *e, const char *network, cx_error *err)
{
    if (strcmp(network, CX_NETWORK_DEFAULT) == 0)
        return 0;
    struct cx_lock lock = { .fd = -1 };
    if (cx_lock_take(e->store.locksfd, "hosts", network, true, &lock, err) < 0)
        return -1;
    struct peer *members;
    size_t n;
    int rc = query(e, NULL, network, &members, &n, err);
    for (size_t i = 0; i < n; i++) {
        cx_error one = { 0 };
        _cleanup_free_ char *text = peers_text(e, members[i].id, &one);
        if ((!text || rewrite(e, members[i].id, text, &one) < 0) && rc == 0) {
            *err = one;
            rc = -1;
        }
    }
    peers_free(members, n);
    cx_lock_release(&lock);
    return rc;
}

int cx_hosts_refresh_one(struct cx_engine *e, const char *id, cx_error *err)
{
    _cleanup_free_ char *text = peers_text(e, id, err);
    return text ? rewrite(e, id, text, err) : -1;
}
