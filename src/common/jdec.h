/* jdec.h: table-driven decoding of JSON documents into C structs.
 *
 * Every value is reached through a jpath, so any error names its field the
 * way a user reads it: "config.json: linux.namespaces[2].type: unknown
 * namespace "netz"".  Unknown keys are ignored (config.md requires it);
 * known keys of the wrong type are errors.  Decoded strings point into the
 * json_t document, which must outlive the result; arrays are allocated from
 * a jd_pool released in one call.
 */
#ifndef CAPSA_JDEC_H
#define CAPSA_JDEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct jpath {
    const struct jpath *up;
    const char *key; /* object member, or NULL for an array element */
    size_t idx;
};

struct jd_pool {
    void **items;
    size_t n, cap;
};

struct jd_ctx {
    const char *doc;     /* "config.json" */
    struct jd_pool *pool;
    cx_error *err;
};

void *jd_alloc(struct jd_pool *pool, size_t n, size_t size);
void jd_pool_free(struct jd_pool *pool);

void jpath_format(const struct jpath *p, char *buf, size_t len);
int jd_fail(struct jd_ctx *c, const struct jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum jd_kind {
    JD_STR,     /* const char * */
    JD_BOOL,    /* bool */
    JD_I64,     /* int64_t within [min, max] */
    JD_U32,     /* uint32_t */
    JD_U64,     /* uint64_t (JSON integers >= 0) */
    JD_STRV,    /* const char ** NULL-terminated */
    JD_OBJECT,  /* json_t * of an object, validated later */
    JD_CUSTOM,  /* custom(c, value, path, base + off) */
};

struct jd_field;
typedef int (*jd_custom_fn)(struct jd_ctx *c, json_t *v, const struct jpath *p,
                            void *dst);

struct jd_field {
    const char *key;
    enum jd_kind kind;
    size_t off;
    size_t has_off;     /* offset of a bool set when present, or JD_NOHAS */
    bool required;
    int64_t min, max;   /* JD_I64 only; both 0 means the full range */
    jd_custom_fn custom;
};

#define JD_NOHAS ((size_t) -1)
#define JD_END { NULL, 0, 0, 0, false, 0, 0, NULL }
/* A field of struct st: plain, with a presence flag, or custom. */
#define JD_F(st, key, kind, member, req) \
    { key, kind, offsetof(st, member), JD_NOHAS, req, 0, 0, NULL }
#define JD_FH(st, key, kind, member, has) \
    { key, kind, offsetof(st, member), offsetof(st, has), false, 0, 0, NULL }
#define JD_FC(st, key, member, fn, req) \
    { key, JD_CUSTOM, offsetof(st, member), JD_NOHAS, req, 0, 0, fn }

/* Decode the fields of object v (at path p) into base. */
int jd_fields(struct jd_ctx *c, json_t *v, const struct jpath *p,
              const struct jd_field *fields, void *base);

/* Check that v is an object / array, naming the path otherwise. */
int jd_expect_object(struct jd_ctx *c, json_t *v, const struct jpath *p);
int jd_expect_array(struct jd_ctx *c, json_t *v, const struct jpath *p);
int jd_string_value(struct jd_ctx *c, json_t *v, const struct jpath *p,
                    const char **out);
int jd_strv_value(struct jd_ctx *c, json_t *v, const struct jpath *p,
                  const char ***out);
/* Decode an array of objects: calls each(c, elem, path, base + i * size). */
int jd_array_of(struct jd_ctx *c, json_t *v, const struct jpath *p,
                size_t size, void **out, size_t *n,
                int (*each)(struct jd_ctx *, json_t *, const struct jpath *, void *));

#endif
