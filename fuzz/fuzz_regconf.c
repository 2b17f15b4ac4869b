/* fuzz_regconf: registries.conf through cx_regconf_parse, then the lookups
 * a pull makes for names the file itself mentions: every endpoint has a
 * host and a repository, a failure says why. */
#include "fuzz.h"
#include "image/regconf.h"

static void endpoints(const struct cx_regconf *c, const char *name)
{
    for (int by_digest = 0; by_digest < 2; by_digest++) {
        struct cx_endpoint *e = NULL;
        size_t n = 0;
        cx_error err = { 0 };
        (void) cx_regconf_find(c, name);
        if (cx_regconf_endpoints_for(c, name, by_digest, &e, &n, &err) < 0) {
            fz_failed(&err);
            continue;
        }
        FZ_CHECK(n >= 1);
        for (size_t i = 0; i < n; i++)
            FZ_CHECK(e[i].host[0] && e[i].repository[0] && !strchr(e[i].host, '/'));
        FZ_CHECK(!e[n - 1].mirror);
        cx_endpoints_free(e, n);
    }
}

static void lookups(const struct cx_regconf *c)
{
    for (size_t i = 0; i < c->nregs; i++) {
        const struct cx_regconf_registry *r = &c->regs[i];
        FZ_CHECK(r->prefix != NULL);
        const char *p = r->prefix[0] == '*' ? r->prefix + 2 : r->prefix;
        char *name = malloc(strlen(p) + 16);
        sprintf(name, "%s%s/x/y", r->prefix[0] == '*' ? "a." : "", p);
        endpoints(c, name);
        free(name);
        for (size_t j = 0; j < r->nmirrors; j++)
            FZ_CHECK(r->mirrors[j].location != NULL);
    }
    for (size_t i = 0; i < c->naliases; i++) {
        endpoints(c, c->alias_values[i]);
        FZ_CHECK(cx_regconf_alias(c, c->alias_names[i]) != NULL);
    }
    for (size_t i = 0; i < c->nsearch; i++) {
        char *name = malloc(strlen(c->search[i]) + 16);
        sprintf(name, "%s/library/x", c->search[i]);
        endpoints(c, name);
        free(name);
    }
    endpoints(c, "docker.io/library/busybox");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cx_regconf c = { 0 };
    cx_error err = { 0 };
    if (cx_regconf_parse((const char *) data, size, "registries.conf", &c, &err) < 0) {
        fz_failed(&err);
        FZ_CHECK(c.regs == NULL && c.search == NULL);
        return 0;
    }
    lookups(&c);
    cx_regconf_free(&c);
    return 0;
}
