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
#include "store/lock.h"

#define MARK "# capsa: the containers on its networks\n"

struct peer {
    char *id, *name, *ip;
};

static void peers_free(struct peer *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].id), free(p[i].name), free(p[i].ip);
    free(p);
}

/* The attached containers that share a user network with container id
 * (itself included), or, with id NULL, the attached containers of
 * network: their ID, name and address. */
static int query(struct cx_engine *e, const char *id, const char *network, struct peer **out,
                 size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, id
                      ? "SELECT DISTINCT c.id, c.name, b.ip FROM container_networks a "
                        "JOIN container_networks b ON a.network = b.network "
                        "JOIN containers c ON c.id = b.container_id WHERE a.container_id = ?1 "
                        "AND a.network != ?2 AND b.ip != '' ORDER BY c.name, b.ip"
                      : "SELECT c.id, c.name, cn.ip FROM container_networks cn JOIN containers "
                        "c ON c.id = cn.container_id WHERE cn.network = ?2 AND cn.ip != ''",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id ? CX_NETWORK_DEFAULT : network, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = cx_realloc(*out, (*n + 1) * sizeof **out);
        char *ip = cx_strdup(cx_db_text(st, 2));
        ip[strcspn(ip, "/")] = '\0';   /* "10.100.0.5/24" */
        (*out)[(*n)++] = (struct peer){ cx_strdup(cx_db_text(st, 0)),
                                        cx_strdup(cx_db_text(st, 1)), ip };
    }
    return 0;
}

/* "IP\tname id12" for each peer of id */
static char *peers_text(struct cx_engine *e, const char *id, cx_error *err)
{
    struct peer *p;
    size_t n;
    if (query(e, id, NULL, &p, &n, err) < 0)
        return NULL;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(p[i].ip) + strlen(p[i].name) + 16;
    char *text = cx_calloc(cap, 1);
    for (size_t i = 0; i < n; i++) {
        size_t o = strlen(text);
        snprintf(text + o, cap - o, "%s\t%s %.12s\n", p[i].ip, p[i].name, p[i].id);
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
