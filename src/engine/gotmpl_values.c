/* gotmpl_values.c: how a template prints a value (see gotmpl.h): the
 * output buffer, Go's fmt %v and podman's json encoding of a JSON value,
 * Go's truth and the type names errors give. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/gotmpl_internal.h"

/* ---- output ---------------------------------------------------------- */

void gt_sb_add(struct gt_sbuf *b, const char *s, size_t len)
{
    if (b->over || len > OUT_MAX - b->n) {
        b->over = true;
        return;
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        b->p = cx_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_str(struct gt_sbuf *b, const char *s) { gt_sb_add(b, s, strlen(s)); }

static void __attribute__((format(printf, 2, 3))) sb_fmt(struct gt_sbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    gt_sb_add(b, tmp, n < 0 ? 0 : (size_t) n < sizeof tmp ? (size_t) n : sizeof tmp - 1);
}

/* ---- Go's formats ----------------------------------------------------- */

/* x as Go writes a float64: the shortest digits that read back as x, in %e
 * form or %f.  json: encoding/json's choice (%e below 1e-6 and from 1e21,
 * "e-07" written "e-7"); else fmt's %v (%e for exponents < -4 and >= 6). */
static void put_real(struct gt_sbuf *b, double x, bool json)
{
    char buf[48];
    int prec = 1;
    while (snprintf(buf, sizeof buf, "%.*e", prec - 1, x), prec < 17 && strtod(buf, NULL) != x)
        prec++;
    char *e = strchr(buf, 'e');
    int exp = (int) strtol(e + 1, NULL, 10);
    double a = fabs(x);
    if (a != 0 && (json ? a < 1e-6 || a >= 1e21 : exp < -4 || exp >= 6)) {
        if (json && e[1] == '-' && e[2] == '0')
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
    } else if (exp >= prec - 1) {
        /* a whole number: the shortest digits, then zeros (not %f's exact
         * expansion of the binary value) */
        char *o = buf;
        for (const char *p = buf; p < e; p++)
            if (*p != '.')
                *o++ = *p;
        for (int z = exp + 1 - prec; z > 0; z--)
            *o++ = '0';
        *o = '\0';
    } else {
        snprintf(buf, sizeof buf, "%.*f", prec - 1 - exp, x);
    }
    sb_str(b, buf);
}

/* A JSON string as Go's encoder with SetEscapeHTML(false) writes it (podman's
 * "json" function): <, > and & stay, U+2028 and U+2029 are escaped.  The
 * bytes are UTF-8: jansson checks what it parses. */
static void put_jstr(struct gt_sbuf *b, const char *s, size_t len)
{
    gt_sb_add(b, "\"", 1);
    const unsigned char *u = (const unsigned char *) s;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = u[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (esc)
            sb_str(b, esc);
        else if (c < 0x20)
            sb_fmt(b, "\\u%04x", c);
        else if (c == 0xe2 && i + 2 < len && u[i + 1] == 0x80 && (u[i + 2] & 0xfe) == 0xa8)
            sb_fmt(b, "\\u%04x", 0x2028 + (u[i + 2] & 1)), i += 2;
        else
            gt_sb_add(b, s + i, 1);
    }
    gt_sb_add(b, "\"", 1);
}

static int keycmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of object v, in document order or sorted as Go sorts a map's. */
const char **gt_keys_of(json_t *v, bool sorted)
{
    const char **keys = cx_calloc(json_object_size(v) + 1, sizeof *keys);
    const char *key;
    json_t *m;
    size_t n = 0;
    json_object_foreach(v, key, m)
        keys[n++] = key;
    if (sorted)
        qsort(keys, n, sizeof *keys, keycmp);
    return keys;
}

/* v as fmt's %v prints it (lists [a b], objects map[k:v] with sorted keys,
 * null "<no value>" at the top and "<nil>" inside), or with json as
 * podman's json function encodes it (compact, keys in document order). */
void gt_put(struct gt_sbuf *b, json_t *v, int depth, bool json)
{
    size_t i;
    json_t *m;
    if (depth > PRINT_DEPTH_MAX) {
        b->deep = true;
        return;
    }
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: {
        _cleanup_free_ const char **keys = gt_keys_of(v, !json);
        sb_str(b, json ? "{" : "map[");
        for (i = 0; keys[i]; i++) {
            sb_str(b, i == 0 ? "" : json ? "," : " ");
            (json ? put_jstr : gt_sb_add)(b, keys[i], strlen(keys[i]));
            gt_sb_add(b, ":", 1);
            gt_put(b, json_object_get(v, keys[i]), depth + 1, json);
        }
        sb_str(b, json ? "}" : "]");
        break;
    }
    case JSON_ARRAY:
        gt_sb_add(b, "[", 1);
        json_array_foreach(v, i, m) {
            sb_str(b, i == 0 ? "" : json ? "," : " ");
            gt_put(b, m, depth + 1, json);
        }
        gt_sb_add(b, "]", 1);
        break;
    case JSON_STRING:
        (json ? put_jstr : gt_sb_add)(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: sb_fmt(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: put_real(b, json_real_value(v), json); break;
    case JSON_TRUE: case JSON_FALSE: sb_str(b, json_is_true(v) ? "true" : "false"); break;
    case JSON_NULL: sb_str(b, json ? "null" : depth ? "<nil>" : "<no value>"); break;
    }
}

/* Go's truth: false, 0, "", nil and empty lists and maps are false. */
bool gt_truth(json_t *v)
{
    return json_is_true(v) || json_number_value(v) != 0 || json_string_length(v) > 0 ||
           json_array_size(v) > 0 || json_object_size(v) > 0;
}

const char *gt_type_name(json_t *v)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "a map", [JSON_ARRAY] = "a list", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a bool",
        [JSON_FALSE] = "a bool", [JSON_NULL] = "nil",
    };
    return names[v ? json_typeof(v) : JSON_NULL];
}
