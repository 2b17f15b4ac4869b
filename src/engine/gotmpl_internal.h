/* gotmpl_internal.h: what gotmpl.c (the interpreter), gotmpl_values.c
 * (printing values as Go does) and gotmpl_funcs.c (the built-in functions)
 * share.  Not a public header: see gotmpl.h. */
#ifndef CAPSA_ENGINE_GOTMPL_INTERNAL_H
#define CAPSA_ENGINE_GOTMPL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define OUT_MAX (64 << 20)      /* rendered bytes */
#define PRINT_DEPTH_MAX 256     /* JSON nesting when printed */

/* ---- values (gotmpl_values.c) ----------------------------------------- */

struct gt_sbuf {
    char *p;
    size_t n, cap;
    bool over, deep;  /* past OUT_MAX; nested past PRINT_DEPTH_MAX */
};

/* Append len bytes of s (NUL-terminated), or set b->over. */
void gt_sb_add(struct gt_sbuf *b, const char *s, size_t len);

/* jansson fails only for want of memory, where capsa aborts */
static inline json_t *gt_jnew(json_t *v) { return v ? v : (abort(), NULL); }

static inline json_t *gt_jstr(const char *s, size_t n)
{
    return gt_jnew(json_stringn_nocheck(s, n));
}

/* The keys of object v (a calloc'd, NULL-terminated array), in document
 * order or sorted as Go sorts a map's. */
const char **gt_keys_of(json_t *v, bool sorted);

/* v as fmt's %v prints it, or with json as podman's json function encodes
 * it; past PRINT_DEPTH_MAX it sets b->deep. */
void gt_put(struct gt_sbuf *b, json_t *v, int depth, bool json);

/* Go's truth: false, 0, "", nil and empty lists and maps are false. */
bool gt_truth(json_t *v);

/* "a map", "a string"... for error messages. */
const char *gt_type_name(json_t *v);

/* ---- functions (gotmpl_funcs.c) --------------------------------------- */

#define GT_WHY 200  /* bytes of a function's error message */

/* args: a letter an argument (s string, l list, . anything), '+'
 * repeating the last one.  call: with the arguments checked; fails with
 * why filled in (GT_WHY bytes). */
struct gt_fn {
    const char *name, *args;
    int (*call)(const struct gt_fn *f, json_t **a, int n, json_t **out, char *why);
};

/* The function called name (len bytes), NULL for none. */
const struct gt_fn *gt_fn_find(const char *name, size_t len);

/* The n arguments a are what fn takes, or -1 and why. */
int gt_fn_check(const struct gt_fn *fn, json_t **a, int n, char *why);

#endif
