/* testutil.h: helpers shared by the config.json unit tests.
 *
 * A test starts from a minimal valid config, replaces one member named by a
 * dotted path with a JSON fragment, and checks the exact error message (or
 * the decoded result).  Include after <cmocka.h>.
 */
#ifndef CAPSA_TESTUTIL_H
#define CAPSA_TESTUTIL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "oci/spec.h"

#define TU_MINIMAL \
    "{\"ociVersion\":\"1.0.2-dev\"," \
    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}," \
    "\"root\":{\"path\":\"rootfs\"}}"

static inline json_t *tu_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return v;
}

static inline json_t *tu_minimal(void)
{
    return tu_json(TU_MINIMAL);
}

/* Set doc.<dotted> to the JSON fragment value (NULL removes the member),
 * creating intermediate objects. */
static inline void tu_set(json_t *doc, const char *dotted, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "%s", dotted);
    json_t *o = doc;
    char *key = path, *dot;
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        json_t *next = json_object_get(o, key);
        if (next == NULL) {
            next = json_object();
            json_object_set_new(o, key, next);
        }
        assert_true(json_is_object(next));
        o = next;
        key = dot + 1;
    }
    if (value == NULL)
        json_object_del(o, key);
    else
        json_object_set_new(o, key, tu_json(value));
}

/* Serialize doc (consumed) and run oci_spec_parse on it. */
static inline int tu_parse(json_t *doc, struct oci_spec **out, cx_error *err)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert_non_null(text);
    cx_error_clear(err);
    int rc = oci_spec_parse(text, "config.json", out, err);
    free(text);
    return rc;
}

/* doc (consumed) must fail with exactly msg. */
static inline void tu_expect_error(json_t *doc, const char *msg)
{
    struct oci_spec *s = NULL;
    cx_error err;
    assert_int_equal(tu_parse(doc, &s, &err), -1);
    assert_null(s);
    assert_string_equal(err.msg, msg);
}

/* The minimal config with one member replaced must fail with exactly msg. */
static inline void tu_expect_set_error(const char *dotted, const char *value,
                                       const char *msg)
{
    json_t *doc = tu_minimal();
    tu_set(doc, dotted, value);
    tu_expect_error(doc, msg);
}

/* The minimal config with one member replaced must parse. */
static inline struct oci_spec *tu_parse_set(const char *dotted, const char *value)
{
    json_t *doc = tu_minimal();
    struct oci_spec *s = NULL;
    cx_error err;
    tu_set(doc, dotted, value);
    if (tu_parse(doc, &s, &err) < 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_non_null(s);
    return s;
}

#endif
