/* regconf.c: registries.conf v2 (see regconf.h): a strict reader of the
 * TOML subset the file uses, the [[registry]] lookup and the endpoints a
 * pull tries. */
#include "image/regconf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/reference.h"

#define KEY_SEGMENTS_MAX 8

enum table { T_ROOT, T_ALIASES, T_REGISTRY, T_MIRROR, T_OTHER };

/* bits of struct parser.seen: the known keys set in the current table */
enum {
    K_SEARCH = 1 << 0, K_SHORT = 1 << 1, K_PREFIX = 1 << 2, K_LOCATION = 1 << 3,
    K_INSECURE = 1 << 4, K_BLOCKED = 1 << 5, K_DIGEST_ONLY = 1 << 6, K_PULL_FROM = 1 << 7,
};

struct parser {
    const char *p, *end;
    const char *file;
    unsigned line;
    cx_error *err;
    struct cx_regconf *c;
    enum table table;
    unsigned seen;
    unsigned table_line;        /* the header line of the current table */
    bool had_aliases;
};

enum vkind { V_STR, V_BOOL, V_INT, V_ARRAY };

struct value {
    enum vkind kind;
    char *s;                    /* V_STR */
    bool b;                     /* V_BOOL */
    char **items;               /* V_ARRAY: the strings (NULL for other items) */
    size_t n;
    bool all_strings;
};

static void value_free(struct value *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    free(v->items);
    *v = (struct value) { 0 };
}

static int pfail(struct parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pfail(struct parser *P, const char *fmt, ...)
{
    char why[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(P->err, EINVAL, "%s:%u: %s", P->file, P->line, why);
}


/* ---- lexing ---- */

static bool at_end(const struct parser *P) { return P->p >= P->end; }
static char peek(const struct parser *P) { return at_end(P) ? '\0' : *P->p; }
static bool starts(const struct parser *P, const char *s)
{
    size_t n = strlen(s);
    return (size_t) (P->end - P->p) >= n && memcmp(P->p, s, n) == 0;
}

static void skip_ws(struct parser *P)
{
    while (peek(P) == ' ' || peek(P) == '\t')
        P->p++;
}

static void skip_comment(struct parser *P)
{
    if (peek(P) == '#')
        while (!at_end(P) && *P->p != '\n')
            P->p++;
}

/* A newline ("\n" or "\r\n"); false when there is none here. */
static bool eat_newline(struct parser *P)
{
    if (starts(P, "\r\n"))
        P->p++;
    if (peek(P) != '\n')
        return false;
    P->p++;
    P->line++;
    return true;
}

/* Whitespace, comments and newlines (inside arrays, between statements). */
static void skip_space(struct parser *P)
{
    for (;;) {
        skip_ws(P);
        skip_comment(P);
        if (!eat_newline(P))
            return;
    }
}

/* The rest of the line must be blank or a comment. */
static int expect_eol(struct parser *P, const char *after)
{
    skip_ws(P);
    skip_comment(P);
    if (at_end(P) || eat_newline(P))
        return 0;
    return pfail(P, "unexpected '%c' after %s", *P->p >= 0x20 && *P->p < 0x7f ? *P->p : '?',
                 after);
}

static bool is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Append code point cp as UTF-8. */
static int put_utf8(struct parser *P, char *out, size_t *o, uint32_t cp)
{
    if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return pfail(P, "invalid \\u escape U+%04X", (unsigned) cp);
    /* continuation bytes after a lead byte that says how many follow */
    int more = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
    static const unsigned char lead[] = { 0x00, 0xc0, 0xe0, 0xf0 };
    out[(*o)++] = (char) (lead[more] | (cp >> (6 * more)));
    for (int i = more - 1; i >= 0; i--)
        out[(*o)++] = (char) (0x80 | ((cp >> (6 * i)) & 0x3f));
    return 0;
}

static int hex_escape(struct parser *P, size_t digits, char *out, size_t *o)
{
    uint32_t cp = 0;
    for (size_t i = 0; i < digits; i++, P->p++) {
        char c = peek(P);
        int v = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return pfail(P, "\\%c escape needs %zu hex digits", digits == 4 ? 'u' : 'U', digits);
        cp = cp << 4 | (uint32_t) v;
    }
    return put_utf8(P, out, o, cp);
}

static int escape(struct parser *P, char *out, size_t *o)
{
    static const char from[] = "\"\\btnfr", to[] = "\"\\\b\t\n\f\r";
    char c = peek(P);
    const char *e = c ? strchr(from, c) : NULL;
    P->p++;
    if (c == 'u' || c == 'U')
        return hex_escape(P, c == 'u' ? 4 : 8, out, o);
    if (e == NULL)
        return pfail(P, "unknown escape \\%c in a string", c >= 0x20 && c < 0x7f ? c : '?');
    out[(*o)++] = to[e - from];
    return 0;
}

/* A basic "..." or literal '...' string on one line. */
static int parse_string(struct parser *P, char **out)
{
    char quote = *P->p;
    if (starts(P, quote == '"' ? "\"\"\"" : "'''"))
        return pfail(P, "multi-line strings are not supported");
    P->p++;
    const char *start = P->p;
    const char *nl = memchr(start, '\n', (size_t) (P->end - start));
    size_t cap = (size_t) ((nl ? nl : P->end) - start);
    _cleanup_free_ char *buf = malloc(cap + 1);
    size_t o = 0;
    if (buf == NULL)
        return pfail(P, "out of memory");
    for (;;) {
        if (at_end(P) || *P->p == '\n')
            return pfail(P, "unterminated string");
        char c = *P->p;
        if (c == quote) {
            P->p++;
            break;
        }
        if ((unsigned char) c < 0x20 && c != '\t')
            return pfail(P, "control character 0x%02x in a string", (unsigned) c);
        if (c == 0x7f)
            return pfail(P, "control character 0x7f in a string");
        P->p++;
        if (c == '\\' && quote == '"') {
            if (escape(P, buf, &o) < 0)
                return -1;
        } else {
            buf[o++] = c;
        }
    }
    buf[o] = '\0';
    *out = TAKE_PTR(buf);
    return 0;
}

static void segs_free(char **segs, int n)
{
    for (int i = 0; i < n; i++)
        free(segs[i]);
}

/* One bare or quoted part of a key into *out. */
static int key_segment(struct parser *P, char **out)
{
    char c = peek(P);
    if (c == '"' || c == '\'')
        return parse_string(P, out);
    if (!is_bare(c))
        return pfail(P, "expected a key");
    const char *s = P->p;
    while (is_bare(peek(P)))
        P->p++;
    *out = cx_asprintf("%.*s", (int) (P->p - s), s);
    return 0;
}

/* a.b."c.d" into segs; returns the count or -1 (nothing left allocated) */
static int parse_key(struct parser *P, char **segs)
{
    int n = 0;
    for (;;) {
        skip_ws(P);
        if (n == KEY_SEGMENTS_MAX || key_segment(P, &segs[n]) < 0) {
            if (n == KEY_SEGMENTS_MAX)
                pfail(P, "key has more than %d dotted parts", KEY_SEGMENTS_MAX);
            segs_free(segs, n);
            return -1;
        }
        n++;
        skip_ws(P);
        if (peek(P) != '.')
            return n;
        P->p++;
    }
}

static int parse_scalar(struct parser *P, struct value *v)
{
    char c = peek(P);
    if (c == '"' || c == '\'') {
        v->kind = V_STR;
        return parse_string(P, &v->s);
    }
    const char *s = P->p;
    while (is_bare(peek(P)) || peek(P) == '+' || peek(P) == '.' || peek(P) == ':')
        P->p++;
    size_t n = (size_t) (P->p - s);
    if (n == 4 && memcmp(s, "true", 4) == 0) {
        *v = (struct value) { .kind = V_BOOL, .b = true };
        return 0;
    }
    if (n == 5 && memcmp(s, "false", 5) == 0) {
        *v = (struct value) { .kind = V_BOOL, .b = false };
        return 0;
    }
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    bool digits = i < n;
    for (; i < n; i++)
        digits = digits && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_');
    if (digits) {
        v->kind = V_INT;
        return 0;
    }
    if (c == '{')
        return pfail(P, "inline tables are not supported");
    if (n == 0)
        return pfail(P, "expected a value");
    return pfail(P, "unsupported value \"%.*s\" (strings, true, false, integers and "
                    "arrays only)", (int) (n > 60 ? 60 : n), s);
}

static int parse_array(struct parser *P, struct value *v)
{
    P->p++; /* '[' */
    *v = (struct value) { .kind = V_ARRAY, .all_strings = true };
    for (;;) {
        skip_space(P);
        if (peek(P) == ']')
            break;
        if (peek(P) == '[')
            return pfail(P, "nested arrays are not supported");
        if (v->n == CX_REGCONF_MAX_ARRAY)
            return pfail(P, "array has more than %d items", CX_REGCONF_MAX_ARRAY);
        struct value item = { 0 };
        if (parse_scalar(P, &item) < 0)
            return -1;
        v->items = cx_realloc(v->items, (v->n + 1) * sizeof *v->items);
        v->items[v->n++] = item.kind == V_STR ? TAKE_PTR(item.s) : NULL;
        v->all_strings = v->all_strings && item.kind == V_STR;
        skip_space(P);
        if (peek(P) == ',') {
            P->p++;
            continue;
        }
        if (peek(P) != ']')
            return pfail(P, "expected ',' or ']' in an array");
        break;
    }
    P->p++; /* ']' */
    return 0;
}

static int parse_value(struct parser *P, struct value *v)
{
    skip_ws(P);
    return peek(P) == '[' ? parse_array(P, v) : parse_scalar(P, v);
}

/* ---- checks of what the values mean ---- */

/* host[:port][/path] or, for a prefix, "*.host"; trailing '/' removed */
static int check_location(struct parser *P, const char *what, char *s, bool prefix)
{
    char b[112];
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    if (strstr(s, "://"))
        return pfail(P, "%s \"%s\": URI schemes are not supported", what, cx_printable(s, b));
    if (prefix && strncmp(s, "*.", 2) == 0) {
        if (strpbrk(s + 2, ":/@") == NULL && cx_ref_domain_valid(s + 2, n - 2))
            return 0;
        return pfail(P, "%s \"%s\": a wildcard prefix must be \"*.\" followed by a host name "
                        "alone", what, cx_printable(s, b));
    }
    const char *slash = strchr(s, '/');
    size_t dlen = slash ? (size_t) (slash - s) : n;
    if (!cx_ref_domain_valid(s, dlen) || (slash && !cx_ref_path_valid(slash + 1, n - dlen - 1)))
        return pfail(P, "%s \"%s\": not host[:port][/repository path]", what, cx_printable(s, b));
    return 0;
}

static int want_kind(struct parser *P, const struct value *v, enum vkind k, const char *key)
{
    static const char *names[] = { "a string", "true or false", "an integer", "an array" };
    char b[112];
    if (v->kind == k && (k != V_ARRAY || v->all_strings))
        return 0;
    return pfail(P, "\"%s\" must be %s%s", cx_printable(key, b), names[k],
                 k == V_ARRAY ? " of strings" : "");
}

/* A known key set twice in one table is an error (TOML says so). */
static int once(struct parser *P, unsigned bit, const char *key)
{
    if (P->seen & bit)
        return pfail(P, "duplicate key \"%s\"", key);
    P->seen |= bit;
    return 0;
}

static struct cx_regconf_registry *cur_reg(struct parser *P)
{
    return &P->c->regs[P->c->nregs - 1];
}

static int search_key(struct parser *P, const char *key, struct value *v)
{
    char b[112];
    if (want_kind(P, v, V_ARRAY, key) < 0 || once(P, K_SEARCH, key) < 0)
        return -1;
    if (v->n > CX_REGCONF_MAX_SEARCH)
        return pfail(P, "\"%s\" has more than %d entries", key, CX_REGCONF_MAX_SEARCH);
    for (size_t i = 0; i < v->n; i++) {
        /* a registry name, read as one in front of a path ("a.io/x") */
        _cleanup_free_ char *probe = cx_asprintf("%s/x", v->items[i]);
        if (!cx_ref_domain_valid(v->items[i], strlen(v->items[i])) ||
            !cx_ref_is_qualified(probe))
            return pfail(P, "%s[%zu]: \"%s\" is not host[:port] with a '.' or ':', or "
                            "localhost", key, i, cx_printable(v->items[i], b));
    }
    P->c->search = TAKE_PTR(v->items);
    P->c->nsearch = v->n;
    v->n = 0;
    return 0;
}

static const char *const short_modes[] = { "enforcing", "permissive", "disabled", NULL };
static const char *const pull_modes[] = { "all", "digest-only", "tag-only", NULL };

/* The keys this file defines, per table: where the value goes and what
 * it may be (a location, one of choices, or anything of its kind). */
static const struct keydef {
    enum table table;
    const char *key;
    enum vkind kind;
    unsigned bit;
    size_t off;
    const char *location;   /* checked by check_location, named so */
    const char *const *choices;
} keydefs[] = {
    { T_ROOT, "short-name-mode", V_STR, K_SHORT, offsetof(struct cx_regconf, short_name_mode),
      NULL, short_modes },
#define R(f) offsetof(struct cx_regconf_registry, f)
    { T_REGISTRY, "prefix", V_STR, K_PREFIX, R(prefix), "prefix", NULL },
    { T_REGISTRY, "location", V_STR, K_LOCATION, R(location), "location", NULL },
    { T_REGISTRY, "insecure", V_BOOL, K_INSECURE, R(insecure), NULL, NULL },
    { T_REGISTRY, "blocked", V_BOOL, K_BLOCKED, R(blocked), NULL, NULL },
    { T_REGISTRY, "mirror-by-digest-only", V_BOOL, K_DIGEST_ONLY, R(mirror_by_digest_only),
      NULL, NULL },
#undef R
#define M(f) offsetof(struct cx_regconf_mirror, f)
    { T_MIRROR, "location", V_STR, K_LOCATION, M(location), "mirror location", NULL },
    { T_MIRROR, "insecure", V_BOOL, K_INSECURE, M(insecure), NULL, NULL },
    { T_MIRROR, "pull-from-mirror", V_STR, K_PULL_FROM, M(pull_from_mirror), NULL, pull_modes },
#undef M
};

static int check_choice(struct parser *P, const char *key, const char *s,
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
    return pfail(P, "%s \"%s\": want %s", key, cx_printable(s, b), want);
}

/* Where the current table's values go. */
static char *table_base(struct parser *P)
{
    if (P->table == T_ROOT)
        return (char *) P->c;
    struct cx_regconf_registry *r = cur_reg(P);
    return P->table == T_REGISTRY ? (char *) r : (char *) &r->mirrors[r->nmirrors - 1];
}

static int known_key(struct parser *P, const char *key, struct value *v)
{
    if (P->table == T_ROOT && strcmp(key, "unqualified-search-registries") == 0)
        return search_key(P, key, v);
    for (size_t i = 0; i < sizeof keydefs / sizeof keydefs[0]; i++) {
        const struct keydef *d = &keydefs[i];
        if (d->table != P->table || strcmp(d->key, key) != 0)
            continue;
        if (want_kind(P, v, d->kind, key) < 0 || once(P, d->bit, key) < 0)
            return -1;
        char *dst = table_base(P) + d->off;
        if (d->kind == V_BOOL) {
            *(bool *) dst = v->b;
            return 0;
        }
        if ((d->location && check_location(P, d->location, v->s, d->table == T_REGISTRY &&
                                           d->bit == K_PREFIX) < 0) ||
            (d->choices && check_choice(P, key, v->s, d->choices) < 0))
            return -1;
        *(char **) dst = TAKE_PTR(v->s);
        return 0;
    }
    return 0; /* not ours: read and ignored */
}

static int alias_key(struct parser *P, const char *key, struct value *v)
{
    struct cx_regconf *c = P->c;
    char b[112], b2[112];
    if (want_kind(P, v, V_STR, key) < 0)
        return -1;
    if (cx_ref_is_qualified(key) || !cx_ref_path_valid(key, strlen(key)))
        return pfail(P, "alias \"%s\" is not a short name (a repository path without a "
                        "registry, tag or digest)", cx_printable(key, b));
    struct cx_ref ref;
    cx_error rerr = { 0 };
    if (!cx_ref_is_qualified(v->s) || cx_ref_parse(v->s, &ref, &rerr) < 0)
        return pfail(P, "alias \"%s\": \"%s\" is not a fully qualified reference",
                     cx_printable(key, b), cx_printable(v->s, b2));
    bool digest = ref.digest != NULL;
    cx_ref_free(&ref);
    if (digest)
        return pfail(P, "alias \"%s\": the reference must not have a digest", cx_printable(key, b));
    for (size_t i = 0; i < c->naliases; i++)
        if (strcmp(c->alias_names[i], key) == 0)
            return pfail(P, "duplicate alias \"%s\"", cx_printable(key, b));
    if (c->naliases == CX_REGCONF_MAX_ALIASES)
        return pfail(P, "more than %d aliases", CX_REGCONF_MAX_ALIASES);
    c->alias_names = cx_realloc(c->alias_names, (c->naliases + 1) * sizeof(char *));
    c->alias_values = cx_realloc(c->alias_values, (c->naliases + 1) * sizeof(char *));
    c->alias_names[c->naliases] = cx_strdup(key);
    c->alias_values[c->naliases++] = TAKE_PTR(v->s);
    return 0;
}

/* ---- statements ---- */

static int key_value(struct parser *P)
{
    char *segs[KEY_SEGMENTS_MAX], b[112];
    unsigned line = P->line;
    int n = parse_key(P, segs);
    if (n < 0)
        return -1;
    skip_ws(P);
    struct value v = { 0 };
    int r = 0;
    if (peek(P) != '=')
        r = pfail(P, "expected '=' after key \"%s\"", cx_printable(segs[n - 1], b));
    if (r == 0) {
        P->p++;
        r = parse_value(P, &v);
    }
    if (r == 0)
        r = expect_eol(P, "a value");
    if (r == 0 && n == 1) {
        /* errors about the value name the key's line */
        unsigned next = P->line;
        P->line = line;
        /* a dotted key is nothing this file defines: read and ignored */
        if (P->table == T_ALIASES)
            r = alias_key(P, segs[0], &v);
        else if (P->table != T_OTHER)
            r = known_key(P, segs[0], &v);
        P->line = next;
    }
    value_free(&v);
    segs_free(segs, n);
    return r;
}

/* The table that ends: a [[registry]] needs a prefix or a location. */
static int finish_table(struct parser *P)
{
    if (P->table == T_MIRROR) {
        struct cx_regconf_registry *r = cur_reg(P);
        if (r->mirrors[r->nmirrors - 1].location == NULL)
            return cx_fail(P->err, EINVAL, "%s:%u: [[registry.mirror]] has no location",
                           P->file, P->table_line);
    }
    if (P->table != T_REGISTRY)
        return 0;
    struct cx_regconf_registry *r = cur_reg(P);
    if (r->prefix == NULL && r->location == NULL)
        return cx_fail(P->err, EINVAL, "%s:%u: [[registry]] has neither prefix nor location",
                       P->file, P->table_line);
    if (r->prefix == NULL)
        r->prefix = cx_strdup(r->location);
    return 0;
}

static int open_registry(struct parser *P)
{
    struct cx_regconf *c = P->c;
    if (c->nregs == CX_REGCONF_MAX_REGISTRIES)
        return pfail(P, "more than %d [[registry]] tables", CX_REGCONF_MAX_REGISTRIES);
    c->regs = cx_realloc(c->regs, (c->nregs + 1) * sizeof *c->regs);
    c->regs[c->nregs++] = (struct cx_regconf_registry) { 0 };
    P->table = T_REGISTRY;
    return 0;
}

static int open_mirror(struct parser *P)
{
    if (P->c->nregs == 0)
        return pfail(P, "[[registry.mirror]] before any [[registry]]");
    struct cx_regconf_registry *r = cur_reg(P);
    if (r->nmirrors == CX_REGCONF_MAX_MIRRORS)
        return pfail(P, "more than %d mirrors in one [[registry]]", CX_REGCONF_MAX_MIRRORS);
    r->mirrors = cx_realloc(r->mirrors, (r->nmirrors + 1) * sizeof *r->mirrors);
    r->mirrors[r->nmirrors++] = (struct cx_regconf_mirror) { 0 };
    P->table = T_MIRROR;
    return 0;
}

static int open_table(struct parser *P, char **segs, int n, bool array)
{
    bool registry = strcmp(segs[0], "registry") == 0;
    bool mirror = registry && n == 2 && strcmp(segs[1], "mirror") == 0;
    if (strcmp(segs[0], "registries") == 0)
        return pfail(P, "[registries.*] is the version 1 format, which is not supported: "
                        "use [[registry]] tables (version 2)");
    if (registry && (n == 1 || mirror) && !array)
        return pfail(P, "[%s] must be an array of tables: use [[%s]]",
                     mirror ? "registry.mirror" : "registry",
                     mirror ? "registry.mirror" : "registry");
    if (n == 1 && strcmp(segs[0], "aliases") == 0 && array)
        return pfail(P, "[[aliases]] must be a table: use [aliases]");
    if (registry && n == 1)
        return open_registry(P);
    if (mirror)
        return open_mirror(P);
    if (n == 1 && strcmp(segs[0], "aliases") == 0) {
        if (P->had_aliases)
            return pfail(P, "table [aliases] defined twice");
        P->had_aliases = true;
        P->table = T_ALIASES;
        return 0;
    }
    P->table = T_OTHER;
    return 0;
}

static int header(struct parser *P)
{
    bool array = starts(P, "[[");
    unsigned line = P->line;
    P->p += array ? 2 : 1;
    char *segs[KEY_SEGMENTS_MAX];
    int n = parse_key(P, segs);
    if (n < 0)
        return -1;
    int r = 0;
    skip_ws(P);
    if (!starts(P, array ? "]]" : "]"))
        r = pfail(P, "expected '%s' to close the table header", array ? "]]" : "]");
    if (r == 0) {
        P->p += array ? 2 : 1;
        r = expect_eol(P, "a table header");
    }
    if (r == 0)
        r = finish_table(P);
    if (r == 0) {
        unsigned next = P->line;
        P->line = P->table_line = line;
        P->seen = 0;
        r = open_table(P, segs, n, array);
        P->line = next;
    }
    segs_free(segs, n);
    return r;
}

static int parse_all(struct parser *P)
{
    for (;;) {
        skip_space(P);
        if (at_end(P))
            return finish_table(P);
        int r = peek(P) == '[' ? header(P) : key_value(P);
        if (r < 0)
            return -1;
    }
}

int cx_regconf_parse(const char *text, size_t len, const char *filename,
                     struct cx_regconf *out, cx_error *err)
{
    if (filename == NULL)
        filename = "registries.conf";
    if (len > CX_REGCONF_MAX_SIZE)
        return cx_fail(err, EFBIG, "%s: larger than %d bytes", filename, CX_REGCONF_MAX_SIZE);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *q = text; q < nul; q++)
            line += *q == '\n';
        return cx_fail(err, EINVAL, "%s:%u: NUL byte in the file", filename, line);
    }
    struct cx_regconf c = { 0 };
    struct parser P = { .p = text, .end = text + len, .file = filename, .line = 1,
                        .err = err, .c = &c, .table = T_ROOT };
    if (starts(&P, "\xef\xbb\xbf"))
        P.p += 3; /* a UTF-8 byte order mark */
    if (parse_all(&P) < 0) {
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
