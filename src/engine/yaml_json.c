/* yaml_json.c: see yaml_json.h. */
#include "engine/yaml_json.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/cleanup.h"
#include "common/util.h"

#define MAX_DEPTH 64

struct reader {
    yaml_parser_t p;
    yaml_event_t ev;
    bool have;
};

static int next(struct reader *r, cx_error *err)
{
    if (r->have)
        yaml_event_delete(&r->ev);
    r->have = false;
    if (!yaml_parser_parse(&r->p, &r->ev))
        return cx_fail(err, 0, "YAML: %s at line %zu, column %zu",
                       r->p.problem ? r->p.problem : "cannot parse",
                       r->p.problem_mark.line + 1, r->p.problem_mark.column + 1);
    r->have = true;
    return 0;
}

static json_t *plain_scalar(const char *v, size_t len)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
        return json_true();
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
        return json_false();
    if (len == 0 || strcmp(v, "null") == 0 || strcmp(v, "~") == 0)
        return json_null();
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end == '\0' && errno == 0 && (isdigit((unsigned char) v[0]) ||
                                       ((v[0] == '-' || v[0] == '+') && v[1])))
        return json_integer(n);
    return json_stringn(v, len);
}

static int node(struct reader *r, int depth, json_t **out, cx_error *err);

static int mapping(struct reader *r, int depth, json_t **out, cx_error *err)
{
    json_auto_t *o = json_object();
    for (;;) {
        if (next(r, err) < 0)
            return -1;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (r->ev.type != YAML_SCALAR_EVENT)
            return cx_fail(err, 0, "YAML: line %zu: a key must be a plain string",
                           r->ev.start_mark.line + 1);
        _cleanup_free_ char *key = cx_strdup((const char *) r->ev.data.scalar.value);
        size_t line = r->ev.start_mark.line + 1;
        json_t *v = NULL;
        if (next(r, err) < 0 || node(r, depth + 1, &v, err) < 0)
            return -1;
        if (json_object_get(o, key)) {
            json_decref(v);
            return cx_fail(err, 0, "YAML: line %zu: key \"%s\" given twice", line, key);
        }
        json_object_set_new(o, key, v);
    }
    *out = json_incref(o);
    return 0;
}

static int sequence(struct reader *r, int depth, json_t **out, cx_error *err)
{
    json_auto_t *a = json_array();
    for (;;) {
        if (next(r, err) < 0)
            return -1;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        json_t *v = NULL;
        if (node(r, depth + 1, &v, err) < 0)
            return -1;
        json_array_append_new(a, v);
    }
    *out = json_incref(a);
    return 0;
}

/* the node whose first event is r->ev */
static int node(struct reader *r, int depth, json_t **out, cx_error *err)
{
    if (depth > MAX_DEPTH)
        return cx_fail(err, 0, "YAML: nested deeper than %d", MAX_DEPTH);
    switch (r->ev.type) {
    case YAML_ALIAS_EVENT:
        return cx_fail(err, 0, "YAML: line %zu: aliases are not supported",
                       r->ev.start_mark.line + 1);
    case YAML_SCALAR_EVENT: {
        const yaml_event_t *e = &r->ev;
        if (e->data.scalar.anchor)
            return cx_fail(err, 0, "YAML: line %zu: anchors are not supported",
                           e->start_mark.line + 1);
        const char *v = (const char *) e->data.scalar.value;
        *out = e->data.scalar.plain_implicit && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
               ? plain_scalar(v, e->data.scalar.length)
               : json_stringn(v, e->data.scalar.length);
        return *out ? 0 : cx_fail(err, 0, "YAML: line %zu: a string that is not UTF-8",
                                  e->start_mark.line + 1);
    }
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (r->ev.type == YAML_MAPPING_START_EVENT ? r->ev.data.mapping_start.anchor != NULL
                                                   : r->ev.data.sequence_start.anchor != NULL)
            return cx_fail(err, 0, "YAML: line %zu: anchors are not supported",
                           r->ev.start_mark.line + 1);
        return r->ev.type == YAML_MAPPING_START_EVENT ? mapping(r, depth, out, err)
                                                      : sequence(r, depth, out, err);
    default:
        return cx_fail(err, 0, "YAML: line %zu: unexpected event",
                       r->ev.start_mark.line + 1);
    }
}

int cx_yaml_to_json(const char *text, size_t len, json_t **out, cx_error *err)
{
    *out = NULL;
    if (len > CX_YAML_MAX)
        return cx_fail(err, EFBIG, "YAML: over %u bytes", CX_YAML_MAX);
    struct reader r = { .have = false };
    if (!yaml_parser_initialize(&r.p))
        return cx_fail(err, ENOMEM, "YAML: cannot start the parser");
    yaml_parser_set_input_string(&r.p, (const unsigned char *) text, len);
    int rc = 0;
    /* stream start, document start (or stream end: empty), the node */
    while (rc == 0 && (rc = next(&r, err)) == 0 && r.ev.type != YAML_DOCUMENT_START_EVENT &&
           r.ev.type != YAML_STREAM_END_EVENT)
        ;
    if (rc == 0 && r.ev.type == YAML_STREAM_END_EVENT)
        rc = cx_fail(err, 0, "YAML: no document");
    if (rc == 0 && (rc = next(&r, err)) == 0)
        rc = node(&r, 0, out, err);
    if (r.have)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.p);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
