/* regconf_lookup.c: what registries.conf says about a name: its
 * [[registry]] (longest prefix), its aliases, and the endpoints to pull it
 * from (mirrors first).  Parsing is regconf.c. */
#include "image/regconf.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/reference.h"

/* ---- lookups ---- */

const char *cx_regconf_alias(const struct cx_regconf *c, const char *short_name)
{
    for (size_t i = 0; c && short_name && i < c->naliases; i++)
        if (strcmp(c->alias_names[i], short_name) == 0)
            return c->alias_values[i];
    return NULL;
}

/* How much of name the prefix matches (0: no match). */
static size_t match_len(const char *prefix, const char *name, bool *wild)
{
    *wild = strncmp(prefix, "*.", 2) == 0;
    if (*wild) {
        size_t dlen = strcspn(name, "/");
        size_t hlen = strcspn(name, ":/");
        size_t slen = strlen(prefix + 1); /* ".example.com" */
        if (hlen > slen && memcmp(name + hlen - slen, prefix + 1, slen) == 0)
            return dlen;
        return 0;
    }
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == '/'))
        return n;
    return 0;
}

static const struct cx_regconf_registry *find(const struct cx_regconf *c, const char *name,
                                              size_t *len)
{
    const struct cx_regconf_registry *best = NULL;
    bool best_wild = false;
    *len = 0;
    for (size_t i = 0; c && name && i < c->nregs; i++) {
        bool wild;
        size_t n = match_len(c->regs[i].prefix, name, &wild);
        if (n > *len || (n > 0 && n == *len && best_wild && !wild)) {
            best = &c->regs[i];
            *len = n;
            best_wild = wild;
        }
    }
    return best;
}

const struct cx_regconf_registry *cx_regconf_find(const struct cx_regconf *c, const char *name)
{
    size_t n;
    return find(c, name, &n);
}

void cx_endpoints_free(struct cx_endpoint *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].host);
        free(e[i].repository);
    }
    free(e);
}

/* Add the endpoint base + rest ("host/repo..."). */
static int add_endpoint(struct cx_endpoint *e, size_t *n, const char *name, const char *base,
                        const char *rest, bool insecure, bool mirror, cx_error *err)
{
    _cleanup_free_ char *full = cx_asprintf("%s%s", base, rest);
    const char *slash = strchr(full, '/');
    if (slash == NULL || slash[1] == '\0')
        return cx_fail(err, EINVAL, "registries.conf maps %s to %s, which has no repository path",
                       name, full);
    size_t hlen = (size_t) (slash - full);
    bool hub = (hlen == 9 && memcmp(full, "docker.io", 9) == 0) ||
               (hlen == 15 && memcmp(full, "index.docker.io", 15) == 0);
    e[*n] = (struct cx_endpoint) {
        .host = hub ? cx_strdup("registry-1.docker.io") : cx_asprintf("%.*s", (int) hlen, full),
        .repository = cx_strdup(slash + 1),
        .insecure = insecure,
        .mirror = mirror,
    };
    (*n)++;
    return 0;
}

static bool mirror_wanted(const struct cx_regconf_registry *r, const struct cx_regconf_mirror *m,
                          bool by_digest)
{
    const char *mode = m->pull_from_mirror;
    if (mode == NULL)
        mode = r->mirror_by_digest_only ? "digest-only" : "all";
    if (strcmp(mode, "digest-only") == 0)
        return by_digest;
    if (strcmp(mode, "tag-only") == 0)
        return !by_digest;
    return true;
}

int cx_regconf_endpoints_for(const struct cx_regconf *c, const char *name, bool by_digest,
                             struct cx_endpoint **out, size_t *n, cx_error *err)
{
    if (name == NULL || strchr(name, '/') == NULL || strlen(name) > CX_REF_NAME_MAX)
        return cx_fail(err, EINVAL, "image name \"%.300s\" is not domain/repository",
                       name ? name : "");
    size_t mlen;
    const struct cx_regconf_registry *r = find(c, name, &mlen);
    if (r && r->blocked)
        return cx_fail(err, EACCES, "registry %s is blocked in registries.conf", r->prefix);
    size_t cap = 1 + (r ? r->nmirrors : 0), cnt = 0;
    struct cx_endpoint *e = cx_calloc(cap, sizeof *e);
    int rc = 0;
    for (size_t i = 0; r && rc == 0 && i < r->nmirrors; i++)
        if (mirror_wanted(r, &r->mirrors[i], by_digest))
            rc = add_endpoint(e, &cnt, name, r->mirrors[i].location, name + mlen,
                              r->mirrors[i].insecure, true, err);
    if (rc == 0 && r && r->location)
        rc = add_endpoint(e, &cnt, name, r->location, name + mlen, r->insecure, false, err);
    else if (rc == 0)
        rc = add_endpoint(e, &cnt, name, name, "", r && r->insecure, false, err);
    if (rc < 0) {
        cx_endpoints_free(e, cnt);
        return -1;
    }
    *out = e;
    *n = cnt;
    return 0;
}

int cx_regconf_endpoints(const struct cx_regconf *c, const char *name,
                         struct cx_endpoint **out, size_t *n, cx_error *err)
{
    return cx_regconf_endpoints_for(c, name, false, out, n, err);
}
