/* toml.c: see toml.h.  Lexing and values first, then the rules that put
 * keys and tables into the tree, then statements. */
#include "common/toml.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

/* How a table or array came to be (the meta entry's "f"): TOML's rules
 * about defining things twice depend on it. */
enum {
    F_IMPLICIT = 1 << 0,    /* named by a header inside it, not defined yet */
    F_HEADER = 1 << 1,      /* defined by a [header] (or an [[item]]) */
    F_DOTTED = 1 << 2,      /* defined by dotted keys */
    F_TABLE_ARRAY = 1 << 3, /* an array made by [[x]] */
};

struct parser {
    const char *p, *end;
    const char *file;
    unsigned line;
    cx_error *err;
    json_t *root, *meta;
    json_t *cur;                /* the table key = value lines go to */
};

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

/* ---- where things are: meta, keyed by the address of a table or array ---- */

static json_t *meta_of(json_t *meta, const json_t *c)
{
    char k[32];
    snprintf(k, sizeof k, "%p", (const void *) c);
    return json_object_get(meta, k);
}

/* The entry of table or array c, made when missing. */
static json_t *meta_need(struct parser *P, const json_t *c)
{
    json_t *m = meta_of(P->meta, c);
    if (m == NULL) {
        char k[32];
        snprintf(k, sizeof k, "%p", (const void *) c);
        m = json_pack("{s:i,s:o,s:o}", "f", 0, "k", json_object(), "i", json_array());
        json_object_set_new(P->meta, k, m);
    }
    return m;
}

static unsigned flags_of(struct parser *P, const json_t *c)
{
    return (unsigned) json_integer_value(json_object_get(meta_of(P->meta, c), "f"));
}

static void set_flags(struct parser *P, const json_t *c, unsigned f)
{
    json_object_set_new(meta_need(P, c), "f", json_integer(f));
}

static void note_line(struct parser *P, json_t *table, const char *key, unsigned line)
{
    json_object_set_new_nocheck(json_object_get(meta_need(P, table), "k"), key,
                                json_integer(line));
}

/* table[key] = v (owned), set on line */
static void put(struct parser *P, json_t *table, const char *key, json_t *v, unsigned line)
{
    json_object_set_new_nocheck(table, key, v);
    note_line(P, table, key, line);
}

/* array += v (owned), on line */
static void push(struct parser *P, json_t *array, json_t *v, unsigned line)
{
    json_array_append_new(array, v);
    json_array_append_new(json_object_get(meta_need(P, array), "i"), json_integer(line));
}

static unsigned line_in(json_t *meta, const json_t *table, const char *key)
{
    json_t *m = meta_of(meta, table);
    return (unsigned) json_integer_value(json_object_get(json_object_get(m, "k"), key));
}

unsigned cx_toml_line(const struct cx_toml *t, const json_t *table, const char *key)
{
    return line_in(t->meta, table, key);
}

unsigned cx_toml_item_line(const struct cx_toml *t, const json_t *array, size_t i)
{
    json_t *m = meta_of(t->meta, array);
    return (unsigned) json_integer_value(json_array_get(json_object_get(m, "i"), i));
}

static unsigned flags_in(const struct cx_toml *t, const json_t *c)
{
    return (unsigned) json_integer_value(json_object_get(meta_of(t->meta, c), "f"));
}

bool cx_toml_implicit(const struct cx_toml *t, const json_t *table)
{
    return json_is_object(table) && (flags_in(t, table) & F_IMPLICIT);
}

bool cx_toml_is_table_array(const struct cx_toml *t, const json_t *array)
{
    return json_is_array(array) && (flags_in(t, array) & F_TABLE_ARRAY);
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

/* Well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF (TOML wants it; jansson's writer refuses anything else). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
                    : (c & 0xf8) == 0xf0 ? 3 : 4;
        if (more == 4 || more >= n - i)   /* a bad lead byte, or cut short */
            return false;
        uint32_t cp = more == 0 ? c : c & (0x3f >> more);
        for (size_t j = 1; j <= more; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        static const uint32_t least[] = { 0, 0x80, 0x800, 0x10000 };
        if (cp < least[more] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += more + 1;
    }
    return true;
}

/* A basic "..." or literal '...' string on one line, into *out (NUL-ended;
 * it holds no NUL: raw ones are refused before parsing, \u0000 here). */
static int parse_string(struct parser *P, char **out, size_t *len)
{
    char quote = *P->p;
    if (starts(P, quote == '"' ? "\"\"\"" : "'''"))
        return pfail(P, "multi-line strings are not supported");
    P->p++;
    const char *start = P->p;
    const char *nl = memchr(start, '\n', (size_t) (P->end - start));
    /* an escape never makes more bytes than it takes (\UXXXXXXXX: 10 -> 4) */
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
    if (!utf8_valid((const unsigned char *) buf, o))
        return pfail(P, "a string is not valid UTF-8");
    if (len)
        *len = o;
    *out = TAKE_PTR(buf);
    return 0;
}

static void parts_free(char **parts, int n)
{
    for (int i = 0; i < n; i++)
        free(parts[i]);
}

/* One bare or quoted part of a key into *out. */
static int key_part(struct parser *P, char **out)
{
    char c = peek(P);
    if (c == '"' || c == '\'')
        return parse_string(P, out, NULL);
    if (!is_bare(c))
        return pfail(P, "expected a key");
    const char *s = P->p;
    while (is_bare(peek(P)))
        P->p++;
    *out = cx_asprintf("%.*s", (int) (P->p - s), s);
    return 0;
}

/* a.b."c.d" into parts; returns the count or -1 (nothing left allocated) */
static int parse_key(struct parser *P, char **parts)
{
    int n = 0;
    for (;;) {
        skip_ws(P);
        if (n == CX_TOML_KEY_PARTS_MAX || key_part(P, &parts[n]) < 0) {
            if (n == CX_TOML_KEY_PARTS_MAX)
                pfail(P, "key has more than %d dotted parts", CX_TOML_KEY_PARTS_MAX);
            parts_free(parts, n);
            return -1;
        }
        n++;
        skip_ws(P);
        if (peek(P) != '.')
            return n;
        P->p++;
    }
}

/* The key as written, for messages: a.b.c (parts printable, cut). */
static const char *key_name(char **parts, int n, char buf[static 112])
{
    char joined[256] = "";
    for (int i = 0; i < n; i++) {
        size_t o = strlen(joined);
        snprintf(joined + o, sizeof joined - o, "%s%s", i ? "." : "", parts[i]);
    }
    return cx_printable(joined, buf);
}

/* [+-]digits with '_' between digits, no leading zero; *ok false when s
 * is not that (then maybe something else, e.g. a float). */
static int parse_int(struct parser *P, const char *s, size_t n, json_t **out, bool *ok)
{
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    char digits[32];
    size_t d = 0;
    *ok = false;
    if (i == n)
        return 0;
    for (size_t j = i; j < n; j++) {
        bool digit = s[j] >= '0' && s[j] <= '9';
        bool sep = s[j] == '_' && j > i && j + 1 < n && s[j - 1] != '_' &&
                   s[j + 1] >= '0' && s[j + 1] <= '9';
        if (!digit && !sep)
            return 0;
        if (digit && d < sizeof digits - 1)
            digits[d++] = s[j];
    }
    *ok = true;
    digits[d] = '\0';
    if (d > 1 && digits[0] == '0')
        return pfail(P, "integer \"%.*s\" has a leading zero", (int) (n > 40 ? 40 : n), s);
    _cleanup_free_ char *signed_digits = cx_asprintf("%s%s", s[0] == '-' ? "-" : "", digits);
    int64_t v;
    if (d >= sizeof digits - 1 || cx_parse_i64(signed_digits, &v) < 0)
        return pfail(P, "integer \"%.*s\" is out of range", (int) (n > 40 ? 40 : n), s);
    *out = json_integer((json_int_t) v);
    return 0;
}

static int parse_scalar(struct parser *P, json_t **out)
{
    char c = peek(P);
    if (c == '"' || c == '\'') {
        char *s;
        size_t len;
        if (parse_string(P, &s, &len) < 0)
            return -1;
        *out = json_stringn_nocheck(s, len);
        free(s);
        return 0;
    }
    const char *s = P->p;
    while (is_bare(peek(P)) || peek(P) == '+' || peek(P) == '.' || peek(P) == ':')
        P->p++;
    size_t n = (size_t) (P->p - s);
    if (n == 4 && memcmp(s, "true", 4) == 0) {
        *out = json_true();
        return 0;
    }
    if (n == 5 && memcmp(s, "false", 5) == 0) {
        *out = json_false();
        return 0;
    }
    bool is_int;
    if (parse_int(P, s, n, out, &is_int) < 0)
        return -1;
    if (is_int)
        return 0;
    if (c == '{')
        return pfail(P, "inline tables are not supported");
    if (n == 0)
        return pfail(P, "expected a value");
    return pfail(P, "unsupported value \"%.*s\" (strings, true, false, integers and "
                    "arrays only)", (int) (n > 60 ? 60 : n), s);
}

/* [v, ...] into *out; the line of each item into lines */
static int parse_array(struct parser *P, json_t **out, json_t *lines)
{
    P->p++; /* '[' */
    json_auto_t *a = json_array();
    for (;;) {
        skip_space(P);
        if (peek(P) == ']')
            break;
        if (peek(P) == '[')
            return pfail(P, "nested arrays are not supported");
        json_t *item;
        unsigned line = P->line;
        if (parse_scalar(P, &item) < 0)
            return -1;
        json_array_append_new(a, item);
        json_array_append_new(lines, json_integer(line));
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
    *out = TAKE_PTR(a);
    return 0;
}

/* ---- keys and tables into the tree ---- */

/* Where the value of a dotted key a.b.c goes: the table a.b under cur,
 * made (defined by dotted keys) where missing.  NULL after an error. */
static json_t *dotted_parent(struct parser *P, char **parts, int n, unsigned line)
{
    char b[112], b2[112];
    json_t *t = P->cur;
    for (int i = 0; i < n - 1; i++) {
        json_t *next = json_object_get(t, parts[i]);
        if (next == NULL) {
            next = json_object();
            put(P, t, parts[i], next, line);
            set_flags(P, next, F_DOTTED);
        } else if (!json_is_object(next) || (flags_of(P, next) & F_HEADER)) {
            pfail(P, "key \"%s\": \"%s\" (line %u) is %s", key_name(parts, n, b),
                  cx_printable(parts[i], b2), line_in(P->meta, t, parts[i]),
                  json_is_object(next) ? "a table defined by a header: set the key there"
                                       : "not a table");
            return NULL;
        } else if (flags_of(P, next) & F_IMPLICIT) {
            set_flags(P, next, F_DOTTED);
        }
        t = next;
    }
    return t;
}

static int set_value(struct parser *P, char **parts, int n, json_t *v, json_t *lines,
                     unsigned line)
{
    char b[112];
    json_t *t = dotted_parent(P, parts, n, line);
    if (t == NULL)
        return -1;
    if (json_object_get(t, parts[n - 1]))
        return pfail(P, "duplicate key \"%s\"", key_name(parts, n, b));
    put(P, t, parts[n - 1], json_incref(v), line);
    if (json_is_array(v))
        json_object_set(meta_need(P, v), "i", lines);
    return 0;
}

/* A header [x.y] or [[x.y]] whose part i names what cannot be walked
 * through or defined there. */
static int not_table(struct parser *P, char **parts, int n, bool array, json_t *t, int i)
{
    char b[112], b2[112];
    json_t *v = json_object_get(t, parts[i]);
    unsigned line = line_in(P->meta, t, parts[i]);
    if (json_is_object(v) && !array)
        return pfail(P, "table [%s] defined twice", key_name(parts, n, b));
    const char *what = json_is_object(v) ? "a table, not an array of tables"
                     : (flags_of(P, v) & F_TABLE_ARRAY) ? "an array of tables: use [[...]]"
                     : "a value, not a table";
    return pfail(P, "%s%s%s: \"%s\" (line %u) is %s", array ? "[[" : "[",
                 key_name(parts, n, b), array ? "]]" : "]", cx_printable(parts[i], b2), line,
                 what);
}

/* [a.b.c] or [[a.b.c]]: a and b walked (an array of tables: its last
 * table) or made (implicit), c defined here. */
static int open_table(struct parser *P, char **parts, int n, bool array, unsigned line)
{
    json_t *t = P->root;
    for (int i = 0; i < n; i++) {
        json_t *next = json_object_get(t, parts[i]);
        bool last = i == n - 1;
        unsigned f = next ? flags_of(P, next) : 0;
        if (next == NULL) {
            next = last && array ? json_array() : json_object();
            put(P, t, parts[i], next, line);
            set_flags(P, next, !last ? F_IMPLICIT : array ? F_TABLE_ARRAY : F_HEADER);
        } else if (json_is_array(next) && (f & F_TABLE_ARRAY) && !(last && !array)) {
            if (!last)
                next = json_array_get(next, json_array_size(next) - 1);
        } else if (json_is_object(next) && !last) {
            /* walked through: [a.b] after [a], after a.x = 1, or after [a.c] */
        } else if (json_is_object(next) && !array && (f & F_IMPLICIT)) {
            set_flags(P, next, F_HEADER);
            note_line(P, t, parts[i], line); /* its line is now this header's */
        } else {
            return not_table(P, parts, n, array, t, i);
        }
        t = next;
    }
    if (array) {
        json_t *item = json_object();
        push(P, t, item, line);
        set_flags(P, item, F_HEADER);
        t = item;
    }
    P->cur = t;
    return 0;
}

/* ---- statements ---- */

static int key_value(struct parser *P)
{
    char *parts[CX_TOML_KEY_PARTS_MAX], b[112];
    unsigned line = P->line;
    int n = parse_key(P, parts);
    if (n < 0)
        return -1;
    skip_ws(P);
    json_auto_t *v = NULL;
    json_auto_t *lines = json_array();
    int r = 0;
    if (peek(P) != '=')
        r = pfail(P, "expected '=' after key \"%s\"", cx_printable(parts[n - 1], b));
    if (r == 0) {
        P->p++;
        skip_ws(P);
        r = peek(P) == '[' ? parse_array(P, &v, lines) : parse_scalar(P, &v);
    }
    if (r == 0)
        r = expect_eol(P, "a value");
    if (r == 0) {
        /* errors about where the value goes name the key's line */
        unsigned next = P->line;
        P->line = line;
        r = set_value(P, parts, n, v, lines, line);
        P->line = next;
    }
    parts_free(parts, n);
    return r;
}

static int header(struct parser *P)
{
    bool array = starts(P, "[[");
    unsigned line = P->line;
    P->p += array ? 2 : 1;
    char *parts[CX_TOML_KEY_PARTS_MAX];
    int n = parse_key(P, parts);
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
    if (r == 0) {
        unsigned next = P->line;
        P->line = line;
        r = open_table(P, parts, n, array, line);
        P->line = next;
    }
    parts_free(parts, n);
    return r;
}

int cx_toml_parse(const char *text, size_t len, const char *filename, struct cx_toml *out,
                  cx_error *err)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *q = text; q < nul; q++)
            line += *q == '\n';
        return cx_fail(err, EINVAL, "%s:%u: NUL byte in the file", filename, line);
    }
    struct cx_toml t = { .root = json_object(), .meta = json_object() };
    struct parser P = { .p = text, .end = text + len, .file = filename, .line = 1,
                        .err = err, .root = t.root, .meta = t.meta, .cur = t.root };
    set_flags(&P, t.root, F_HEADER);
    if (starts(&P, "\xef\xbb\xbf"))
        P.p += 3; /* a UTF-8 byte order mark */
    for (;;) {
        skip_space(&P);
        if (at_end(&P))
            break;
        if ((peek(&P) == '[' ? header(&P) : key_value(&P)) < 0) {
            cx_toml_free(&t);
            return -1;
        }
    }
    *out = t;
    return 0;
}

void cx_toml_free(struct cx_toml *t)
{
    if (t == NULL)
        return;
    json_decref(t->root);
    json_decref(t->meta);
    *t = (struct cx_toml) { 0 };
}
