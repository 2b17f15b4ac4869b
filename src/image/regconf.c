/* regconf.c: registries.conf v2 (see regconf.h): what the keys of the TOML
 * tree (common/toml.h) mean, checked, into struct cx_regconf; the
 * [[registry]] lookup and the endpoints a pull tries are in
 * regconf_lookup.c. */
#include "image/regconf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/toml.h"
#include "common/util.h"
#include "image/reference.h"

enum table { T_ROOT, T_REGISTRY, T_MIRROR };
enum vkind { V_STR, V_BOOL, V_ARRAY };

struct walker {
    const struct cx_toml *t;
    const char *file;
    cx_error *err;
    struct cx_regconf *c;
};

static int wfail(struct walker *W, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int wfail(struct walker *W, unsigned line, const char *fmt, ...)
{
    char why[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(W->err, EINVAL, "%s:%u: %s", W->file, line, why);
}

/* ---- checks of what the values mean ---- */

/* host[:port][/path] or, for a prefix, "*.host"; trailing '/' removed */
static int check_location(struct walker *W, unsigned line, const char *what, char *s,
                          bool prefix)
{
    char b[112];
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    if (strstr(s, "://"))
        return wfail(W, line, "%s \"%s\": URI schemes are not supported", what,
                     cx_printable(s, b));
    if (prefix && strncmp(s, "*.", 2) == 0) {
        if (strpbrk(s + 2, ":/@") == NULL && cx_ref_domain_valid(s + 2, n - 2))
            return 0;
        return wfail(W, line, "%s \"%s\": a wildcard prefix must be \"*.\" followed by a host "
                              "name alone", what, cx_printable(s, b));
    }
    const char *slash = strchr(s, '/');
    size_t dlen = slash ? (size_t) (slash - s) : n;
    if (!cx_ref_domain_valid(s, dlen) || (slash && !cx_ref_path_valid(slash + 1, n - dlen - 1)))
        return wfail(W, line, "%s \"%s\": not host[:port][/repository path]", what,
                     cx_printable(s, b));
    return 0;
}

static bool all_strings(const json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return false;
    return true;
}

static int want_kind(struct walker *W, unsigned line, const json_t *v, enum vkind k,
                     const char *key)
{
    static const char *names[] = { "a string", "true or false", "an array of strings" };
    char b[112];
    if ((k == V_STR && json_is_string(v)) || (k == V_BOOL && json_is_boolean(v)) ||
        (k == V_ARRAY && json_is_array(v) && all_strings(v)))
        return 0;
    return wfail(W, line, "\"%s\" must be %s", cx_printable(key, b), names[k]);
}

static int search_key(struct walker *W, json_t *root)
{
    const char *key = "unqualified-search-registries";
    json_t *v = json_object_get(root, key);
    unsigned line = cx_toml_line(W->t, root, key);
    char b[112];
    if (v == NULL)
        return 0;
    if (want_kind(W, line, v, V_ARRAY, key) < 0)
        return -1;
    size_t n = json_array_size(v);
    if (n > CX_REGCONF_MAX_SEARCH)
        return wfail(W, line, "\"%s\" has more than %d entries", key, CX_REGCONF_MAX_SEARCH);
    W->c->search = cx_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        /* a registry name, read as one in front of a path ("a.io/x") */
        _cleanup_free_ char *probe = cx_asprintf("%s/x", s);
        if (!cx_ref_domain_valid(s, strlen(s)) || !cx_ref_is_qualified(probe))
            return wfail(W, line, "%s[%zu]: \"%s\" is not host[:port] with a '.' or ':', or "
                                  "localhost", key, i, cx_printable(s, b));
        W->c->search[W->c->nsearch++] = cx_strdup(s);
    }
    return 0;
}

static const char *const short_modes[] = { "enforcing", "permissive", "disabled", NULL };
static const char *const pull_modes[] = { "all", "digest-only", "tag-only", NULL };

/* The keys this file defines, per table: where the value goes and what
 * it may be (a location, one of choices, or anything of its kind).  Other
 * keys are read and ignored. */
static const struct keydef {
    enum table table;
    const char *key;
    enum vkind kind;
    size_t off;
    const char *location;   /* checked by check_location, named so */
    bool prefix;            /* a location that may be "*.host" */
    const char *const *choices;
} keydefs[] = {
    { T_ROOT, "short-name-mode", V_STR, offsetof(struct cx_regconf, short_name_mode),
      NULL, false, short_modes },
#define R(f) offsetof(struct cx_regconf_registry, f)
    { T_REGISTRY, "prefix", V_STR, R(prefix), "prefix", true, NULL },
    { T_REGISTRY, "location", V_STR, R(location), "location", false, NULL },
    { T_REGISTRY, "insecure", V_BOOL, R(insecure), NULL, false, NULL },
    { T_REGISTRY, "blocked", V_BOOL, R(blocked), NULL, false, NULL },
    { T_REGISTRY, "mirror-by-digest-only", V_BOOL, R(mirror_by_digest_only), NULL, false, NULL },
#undef R
#define M(f) offsetof(struct cx_regconf_mirror, f)
    { T_MIRROR, "location", V_STR, M(location), "mirror location", false, NULL },
    { T_MIRROR, "insecure", V_BOOL, M(insecure), NULL, false, NULL },
    { T_MIRROR, "pull-from-mirror", V_STR, M(pull_from_mirror), NULL, false, pull_modes },
#undef M
};

static int check_choice(struct walker *W, unsigned line, const char *key, const char *s,
                        const char *const *choices)
{
    char b[112], want[128] = "";
    for (size_t i = 0; choices[i]; i++) {
        if (strcmp(s, choices[i]) == 0)
            return 0;
        size_t o = strlen(want);
        snprintf(want + o, sizeof want - o, "%s\"%s\"", i == 0 ? "" : choices[i + 1] ? ", "
                 : " or ", choices[i]);
    }
    return wfail(W, line, "%s \"%s\": want %s", key, cx_printable(s, b), want);
}

/* The known keys of one table into the struct at base. */
static int read_keys(struct walker *W, json_t *table, enum table which, char *base)
{
    for (size_t i = 0; i < sizeof keydefs / sizeof keydefs[0]; i++) {
        const struct keydef *d = &keydefs[i];
        json_t *v = d->table == which ? json_object_get(table, d->key) : NULL;
        if (v == NULL)
            continue;
        unsigned line = cx_toml_line(W->t, table, d->key);
        if (want_kind(W, line, v, d->kind, d->key) < 0)
            return -1;
        if (d->kind == V_BOOL) {
            *(bool *) (base + d->off) = json_is_true(v);
            continue;
        }
        _cleanup_free_ char *s = cx_strdup(json_string_value(v));
        if ((d->location && check_location(W, line, d->location, s, d->prefix) < 0) ||
            (d->choices && check_choice(W, line, d->key, s, d->choices) < 0))
            return -1;
        *(char **) (base + d->off) = TAKE_PTR(s);
    }
    return 0;
}

/* ---- the tables ---- */

static int read_mirrors(struct walker *W, json_t *reg, struct cx_regconf_registry *r)
{
    json_t *m = json_object_get(reg, "mirror");
    if (json_is_object(m) && !cx_toml_implicit(W->t, m))
        return wfail(W, cx_toml_line(W->t, reg, "mirror"), "[registry.mirror] must be an array "
                     "of tables: use [[registry.mirror]]");
    if (!cx_toml_is_table_array(W->t, m))
        return 0; /* none; a value or [[registry.mirror.x]]: not ours */
    for (size_t i = 0; i < json_array_size(m); i++) {
        unsigned line = cx_toml_item_line(W->t, m, i);
        if (i == CX_REGCONF_MAX_MIRRORS)
            return wfail(W, line, "more than %d mirrors in one [[registry]]",
                         CX_REGCONF_MAX_MIRRORS);
        r->mirrors = cx_realloc(r->mirrors, (r->nmirrors + 1) * sizeof *r->mirrors);
        struct cx_regconf_mirror *mi = &r->mirrors[r->nmirrors++];
        *mi = (struct cx_regconf_mirror) { 0 };
        if (read_keys(W, json_array_get(m, i), T_MIRROR, (char *) mi) < 0)
            return -1;
        if (mi->location == NULL)
            return wfail(W, line, "[[registry.mirror]] has no location");
    }
    return 0;
}

static int read_registry(struct walker *W, json_t *reg, unsigned line)
{
    struct cx_regconf *c = W->c;
    c->regs = cx_realloc(c->regs, (c->nregs + 1) * sizeof *c->regs);
    struct cx_regconf_registry *r = &c->regs[c->nregs++];
    *r = (struct cx_regconf_registry) { 0 };
    if (read_keys(W, reg, T_REGISTRY, (char *) r) < 0 || read_mirrors(W, reg, r) < 0)
        return -1;
    if (r->prefix == NULL && r->location == NULL)
        return wfail(W, line, "[[registry]] has neither prefix nor location");
    if (r->prefix == NULL)
        r->prefix = cx_strdup(r->location);
    return 0;
}

static int read_registries(struct walker *W, json_t *root)
{
    json_t *v = json_object_get(root, "registry");
    unsigned line = cx_toml_line(W->t, root, "registry");
    if (json_is_object(v) && cx_toml_implicit(W->t, v)) {
        /* made by a header below it: [[registry.mirror]] with no [[registry]] */
        json_t *m = json_object_get(v, "mirror");
        if (cx_toml_is_table_array(W->t, m))
            return wfail(W, cx_toml_line(W->t, v, "mirror"),
                         "[[registry.mirror]] before any [[registry]]");
        if (json_is_object(m) && !cx_toml_implicit(W->t, m))
            return wfail(W, cx_toml_line(W->t, v, "mirror"), "[registry.mirror] must be an "
                         "array of tables: use [[registry.mirror]]");
        return 0;
    }
    if (json_is_object(v))
        return wfail(W, line, "[registry] must be an array of tables: use [[registry]]");
    if (!cx_toml_is_table_array(W->t, v))
        return 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        unsigned l = cx_toml_item_line(W->t, v, i);
        if (i == CX_REGCONF_MAX_REGISTRIES)
            return wfail(W, l, "more than %d [[registry]] tables", CX_REGCONF_MAX_REGISTRIES);
        if (read_registry(W, json_array_get(v, i), l) < 0)
            return -1;
    }
    return 0;
}

static int alias_key(struct walker *W, unsigned line, const char *key, json_t *v)
{
    struct cx_regconf *c = W->c;
    char b[112], b2[112];
    if (want_kind(W, line, v, V_STR, key) < 0)
        return -1;
    const char *val = json_string_value(v);
    if (cx_ref_is_qualified(key) || !cx_ref_path_valid(key, strlen(key)))
        return wfail(W, line, "alias \"%s\" is not a short name (a repository path without a "
                              "registry, tag or digest)", cx_printable(key, b));
    struct cx_ref ref;
    cx_error rerr = { 0 };
    if (!cx_ref_is_qualified(val) || cx_ref_parse(val, &ref, &rerr) < 0)
        return wfail(W, line, "alias \"%s\": \"%s\" is not a fully qualified reference",
                     cx_printable(key, b), cx_printable(val, b2));
    bool digest = ref.digest != NULL;
    cx_ref_free(&ref);
    if (digest)
        return wfail(W, line, "alias \"%s\": the reference must not have a digest",
                     cx_printable(key, b));
    if (c->naliases == CX_REGCONF_MAX_ALIASES)
        return wfail(W, line, "more than %d aliases", CX_REGCONF_MAX_ALIASES);
    c->alias_names = cx_realloc(c->alias_names, (c->naliases + 1) * sizeof(char *));
    c->alias_values = cx_realloc(c->alias_values, (c->naliases + 1) * sizeof(char *));
    c->alias_names[c->naliases] = cx_strdup(key);
    c->alias_values[c->naliases++] = cx_strdup(val);
    return 0;
}

/* [aliases]: short name = reference (TOML has made the names unique) */
static int read_aliases(struct walker *W, json_t *root)
{
    json_t *v = json_object_get(root, "aliases");
    if (cx_toml_is_table_array(W->t, v))
        return wfail(W, cx_toml_line(W->t, root, "aliases"),
                     "[[aliases]] must be a table: use [aliases]");
    if (!json_is_object(v))
        return 0; /* none, or `aliases = value`: not ours */
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (json_is_object(val) || cx_toml_is_table_array(W->t, val))
            continue; /* [aliases.x] and the like: not aliases, ignored */
        if (alias_key(W, cx_toml_line(W->t, v, key), key, val) < 0)
            return -1;
    }
    return 0;
}

static int read_root(struct walker *W, json_t *root)
{
    if (json_is_object(json_object_get(root, "registries")))
        return wfail(W, cx_toml_line(W->t, root, "registries"), "[registries.*] is the "
                     "version 1 format, which is not supported: use [[registry]] tables "
                     "(version 2)");
    if (search_key(W, root) < 0 || read_keys(W, root, T_ROOT, (char *) W->c) < 0 ||
        read_registries(W, root) < 0)
        return -1;
    return read_aliases(W, root);
}

int cx_regconf_parse(const char *text, size_t len, const char *filename,
                     struct cx_regconf *out, cx_error *err)
{
    if (filename == NULL)
        filename = "registries.conf";
    if (len > CX_REGCONF_MAX_SIZE)
        return cx_fail(err, EFBIG, "%s: larger than %d bytes", filename, CX_REGCONF_MAX_SIZE);
    _cleanup_(cx_toml_free) struct cx_toml t = { 0 };
    if (cx_toml_parse(text, len, filename, &t, err) < 0)
        return -1;
    struct cx_regconf c = { 0 };
    struct walker W = { .t = &t, .file = filename, .err = err, .c = &c };
    if (read_root(&W, t.root) < 0) {
        cx_regconf_free(&c);
        return -1;
    }
    *out = c;
    return 0;
}

int cx_regconf_load(const char *path, bool missing_ok, struct cx_regconf *out, cx_error *err)
{
    if (path == NULL)
        path = CX_REGCONF_PATH;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (cx_read_file_at(AT_FDCWD, path, CX_REGCONF_MAX_SIZE, &text, &len, err) < 0) {
        if (missing_ok && err->errnum == ENOENT) {
            cx_error_clear(err);
            *out = (struct cx_regconf) { 0 };
            return 0;
        }
        return -1;
    }
    return cx_regconf_parse(text, len, path, out, err);
}

void cx_regconf_free(struct cx_regconf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nsearch; i++)
        free(c->search[i]);
    free(c->search);
    free(c->short_name_mode);
    for (size_t i = 0; i < c->nregs; i++) {
        struct cx_regconf_registry *r = &c->regs[i];
        free(r->prefix);
        free(r->location);
        for (size_t j = 0; j < r->nmirrors; j++) {
            free(r->mirrors[j].location);
            free(r->mirrors[j].pull_from_mirror);
        }
        free(r->mirrors);
    }
    free(c->regs);
    for (size_t i = 0; i < c->naliases; i++) {
        free(c->alias_names[i]);
        free(c->alias_values[i]);
    }
    free(c->alias_names);
    free(c->alias_values);
    *c = (struct cx_regconf) { 0 };
}
