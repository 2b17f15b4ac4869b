/* gotmpl_funcs.c: the functions a template may call (see gotmpl.h): index,
 * join, json, lower, title, upper, and the check of their arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/gotmpl_internal.h"

/* fail with why set */
#define WHYF(...) (snprintf(why, GT_WHY, __VA_ARGS__), -1)

/* json: podman's encoding; join: the list's items (as printed) joined. */
static int fn_print(const struct gt_fn *f, json_t **a, int n, json_t **out, char *why)
{
    struct gt_sbuf b = { 0 };
    size_t i;
    json_t *m;
    (void) n;
    if (f->name[1] == 's')
        gt_put(&b, a[0], 0, true);
    else
        json_array_foreach(a[0], i, m) {
            if (i)
                gt_sb_add(&b, json_string_value(a[1]), json_string_length(a[1]));
            gt_put(&b, m, 1, false);
        }
    _cleanup_free_ char *p = b.p;
    if (b.over || b.deep)
        return WHYF("value too big or nested too deeply");
    *out = gt_jstr(p ? p : "", b.n);
    return 0;
}

static int index1(json_t *v, json_t *k, json_t **out, char *why)
{
    if (v == NULL || json_is_null(v))
        return WHYF("index of untyped nil");
    if (json_is_object(v)) {
        if (!json_is_string(k))
            return WHYF("map key is %s, not a string", gt_type_name(k));
        /* a missing key gives "", as podman's string maps (labels) do */
        json_t *m = json_object_getn(v, json_string_value(k), json_string_length(k));
        *out = m ? json_incref(m) : gt_jstr("", 0);
        return 0;
    }
    if (!json_is_array(v) && !json_is_string(v))
        return WHYF("can't index %s", gt_type_name(v));
    if (!json_is_integer(k))
        return WHYF("cannot index %s with %s", gt_type_name(v), gt_type_name(k));
    json_int_t i = json_integer_value(k);
    size_t len = json_is_array(v) ? json_array_size(v) : json_string_length(v);
    if (i < 0 || (uint64_t) i >= len)
        return WHYF("index out of range: %" JSON_INTEGER_FORMAT, i);
    *out = json_is_array(v) ? json_incref(json_array_get(v, (size_t) i))
                            : gt_jnew(json_integer((unsigned char) json_string_value(v)[i]));
    return 0;
}

static int fn_index(const struct gt_fn *f, json_t **a, int n, json_t **out, char *why)
{
    json_t *v = json_incref(a[0]);
    (void) f;
    for (int i = 1; i < n; i++) {
        json_t *next = NULL;
        int rc = index1(v, a[i], &next, why);
        json_decref(v);
        if (rc < 0)
            return -1;
        v = next;
    }
    *out = v;
    return 0;
}

/* upper, lower, title: ASCII letters only (Go maps all of Unicode). */
static int fn_case(const struct gt_fn *f, json_t **a, int n, json_t **out, char *why)
{
    const char *s = json_string_value(a[0]);
    size_t len = json_string_length(a[0]);
    _cleanup_free_ char *r = cx_calloc(len + 1, 1);
    char mode = f->name[0];
    bool sep = true;
    (void) n, (void) why;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
        if ((mode == 'u' || (mode == 't' && sep)) && lower)
            c = (char) (c - 'a' + 'A');
        else if (mode == 'l' && upper)
            c = (char) (c - 'A' + 'a');
        /* strings.Title starts a word after ASCII other than letters,
         * digits and '_' */
        sep = (unsigned char) c < 0x80 && !lower && !upper && c != '_' && !(c >= '0' && c <= '9');
        r[i] = c;
    }
    *out = gt_jstr(r, len);
    return 0;
}

static const struct gt_fn fns[] = {
    { "index", ".+", fn_index }, { "join", "ls", fn_print }, { "json", ".", fn_print },
    { "lower", "s", fn_case },   { "title", "s", fn_case },  { "upper", "s", fn_case },
};

const struct gt_fn *gt_fn_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strlen(fns[i].name) == len && memcmp(fns[i].name, name, len) == 0)
            return &fns[i];
    return NULL;
}

int gt_fn_check(const struct gt_fn *fn, json_t **a, int n, char *why)
{
    size_t want = strcspn(fn->args, "+");
    bool more = fn->args[want] == '+';
    if ((size_t) n < want || (!more && (size_t) n > want))
        return WHYF("wrong number of args for %s: want %s%zu got %d", fn->name,
                    more ? "at least " : "", want, n);
    for (int i = 0; i < n; i++) {
        char c = fn->args[(size_t) i < want ? (size_t) i : want - 1];
        const char *need = c == 's' ? "a string" : c == 'l' ? "a list" : NULL;
        if (need && strcmp(gt_type_name(a[i]), need) != 0)
            return WHYF("argument %d is %s, not %s", i + 1, gt_type_name(a[i]), need);
    }
    return 0;
}
