/* jdec.c: see jdec.h. */
#include "common/jdec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void *jd_alloc(struct jd_pool *pool, size_t n, size_t size)
{
    if (pool->n == pool->cap) {
        size_t cap = pool->cap ? pool->cap * 2 : 16;
        void **items = realloc(pool->items, cap * sizeof *items);
        if (items == NULL)
            abort();
        pool->items = items;
        pool->cap = cap;
    }
    void *p = cx_calloc(n, size);
    pool->items[pool->n++] = p;
    return p;
}

void jd_pool_free(struct jd_pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        free(pool->items[i]);
    free(pool->items);
    pool->items = NULL;
    pool->n = pool->cap = 0;
}

static size_t path_put(const struct jpath *p, char *buf, size_t len)
{
    size_t at = 0;
    if (p == NULL)
        return 0;
    at = path_put(p->up, buf, len);
    if (at >= len)
        return at;
    int n;
    if (p->key)
        n = snprintf(buf + at, len - at, "%s%s", at ? "." : "", p->key);
    else
        n = snprintf(buf + at, len - at, "[%zu]", p->idx);
    return n < 0 ? at : at + (size_t) n;
}

void jpath_format(const struct jpath *p, char *buf, size_t len)
{
    buf[0] = '\0';
    path_put(p, buf, len);
}

int jd_fail(struct jd_ctx *c, const struct jpath *p, const char *fmt, ...)
{
    char path[512], what[CX_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    jpath_format(p, path, sizeof path);
    if (path[0])
        return cx_fail(c->err, 0, "%s: %s: %s", c->doc, path, what);
    return cx_fail(c->err, 0, "%s: %s", c->doc, what);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

int jd_expect_object(struct jd_ctx *c, json_t *v, const struct jpath *p)
{
    if (!json_is_object(v))
        return jd_fail(c, p, "expected an object, got %s", type_name(v));
    return 0;
}

int jd_expect_array(struct jd_ctx *c, json_t *v, const struct jpath *p)
{
    if (!json_is_array(v))
        return jd_fail(c, p, "expected an array, got %s", type_name(v));
    return 0;
}

int jd_string_value(struct jd_ctx *c, json_t *v, const struct jpath *p,
                    const char **out)
{
    if (!json_is_string(v))
        return jd_fail(c, p, "expected a string, got %s", type_name(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return jd_fail(c, p, "string contains a NUL byte");
    *out = json_string_value(v);
    return 0;
}

int jd_strv_value(struct jd_ctx *c, json_t *v, const struct jpath *p,
                  const char ***out)
{
    if (jd_expect_array(c, v, p) < 0)
        return -1;
    size_t n = json_array_size(v);
    const char **vec = jd_alloc(c->pool, n + 1, sizeof *vec);
    for (size_t i = 0; i < n; i++) {
        struct jpath ep = { p, NULL, i };
        if (jd_string_value(c, json_array_get(v, i), &ep, &vec[i]) < 0)
            return -1;
    }
    *out = vec;
    return 0;
}

int jd_array_of(struct jd_ctx *c, json_t *v, const struct jpath *p,
                size_t size, void **out, size_t *n,
                int (*each)(struct jd_ctx *, json_t *, const struct jpath *, void *))
{
    if (jd_expect_array(c, v, p) < 0)
        return -1;
    size_t len = json_array_size(v);
    char *items = jd_alloc(c->pool, len, size);
    for (size_t i = 0; i < len; i++) {
        struct jpath ep = { p, NULL, i };
        json_t *e = json_array_get(v, i);
        if (jd_expect_object(c, e, &ep) < 0 || each(c, e, &ep, items + i * size) < 0)
            return -1;
    }
    *out = items;
    *n = len;
    return 0;
}

static int decode_int(struct jd_ctx *c, const struct jd_field *f, json_t *v,
                      const struct jpath *p, void *dst)
{
    if (!json_is_integer(v))
        return jd_fail(c, p, "expected an integer, got %s", type_name(v));
    json_int_t x = json_integer_value(v);
    switch (f->kind) {
    case JD_U32:
        if (x < 0 || x > (json_int_t) UINT32_MAX)
            return jd_fail(c, p, "%lld is out of range [0, %u]", (long long) x,
                           UINT32_MAX);
        *(uint32_t *) dst = (uint32_t) x;
        return 0;
    case JD_U64:
        if (x < 0)
            return jd_fail(c, p, "%lld must not be negative", (long long) x);
        *(uint64_t *) dst = (uint64_t) x;
        return 0;
    default:
        if ((f->min || f->max) && (x < f->min || x > f->max))
            return jd_fail(c, p, "%lld is out of range [%lld, %lld]",
                           (long long) x, (long long) f->min, (long long) f->max);
        *(int64_t *) dst = x;
        return 0;
    }
}

static int decode_one(struct jd_ctx *c, const struct jd_field *f, json_t *v,
                      const struct jpath *p, void *dst)
{
    switch (f->kind) {
    case JD_STR:
        return jd_string_value(c, v, p, (const char **) dst);
    case JD_BOOL:
        if (!json_is_boolean(v))
            return jd_fail(c, p, "expected a boolean, got %s", type_name(v));
        *(bool *) dst = json_is_true(v);
        return 0;
    case JD_I64: case JD_U32: case JD_U64:
        return decode_int(c, f, v, p, dst);
    case JD_STRV:
        return jd_strv_value(c, v, p, (const char ***) dst);
    case JD_OBJECT:
        if (jd_expect_object(c, v, p) < 0)
            return -1;
        *(json_t **) dst = v;
        return 0;
    case JD_CUSTOM:
        return f->custom(c, v, p, dst);
    }
    return jd_fail(c, p, "internal: unknown field kind");
}

int jd_fields(struct jd_ctx *c, json_t *v, const struct jpath *p,
              const struct jd_field *fields, void *base)
{
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    for (const struct jd_field *f = fields; f->key; f++) {
        struct jpath fp = { p, f->key, 0 };
        json_t *fv = json_object_get(v, f->key);
        if (fv == NULL) {
            if (f->required)
                return jd_fail(c, &fp, "required but missing");
            continue;
        }
        /* null is "absent" for optional fields, as Go's decoder treats it */
        if (json_is_null(fv) && !f->required)
            continue;
        if (decode_one(c, f, fv, &fp, (char *) base + f->off) < 0)
            return -1;
        if (f->has_off != JD_NOHAS)
            *(bool *) ((char *) base + f->has_off) = true;
    }
    return 0;
}
