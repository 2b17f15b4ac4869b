/* run_opts_util.h: parsing "run" + flags and checking the result, for the
 * cx_run_opts unit tests (test_run_opts.c, test_run_opts_mounts.c).
 * Include after <cmocka.h>. */
#ifndef CAPSA_TEST_RUN_OPTS_UTIL_H
#define CAPSA_TEST_RUN_OPTS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run_opts.h"

#define MAXARGS 128

/* Parse "run" + the NULL-terminated arguments. */
static inline int parse_v(struct cx_run_opts *o, cx_error *err, va_list ap)
{
    char *argv[MAXARGS] = { "run" };
    int argc = 1;
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < MAXARGS - 1;)
        argv[argc++] = a;
    argv[argc] = NULL;
    return cx_run_opts_parse(argc, argv, o, err);
}

static inline void ok(struct cx_run_opts *o, ...)
{
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, o);
    int r = parse_v(o, &err, ap);
    va_end(ap);
    if (r != 0)
        fail_msg("parse failed: %s", err.msg);
}

/* The parse fails with exactly msg. */
static inline void bad_v(const char *msg, ...)
{
    struct cx_run_opts o;
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, msg);
    int r = parse_v(&o, &err, ap);
    va_end(ap);
    assert_int_equal(r, -1);
    assert_string_equal(err.msg, msg);
    assert_null(o.image);  /* left freed and zeroed */
    cx_run_opts_free(&o);
}

/* The parse of "run" + args ('|' separated) fails with exactly msg. */
static inline void bad(const char *args, const char *msg)
{
    char *copy = strdup(args), *argv[MAXARGS] = { "run" };
    int argc = 1;
    for (char *save = NULL, *t = strtok_r(copy, "|", &save); t && argc < MAXARGS - 1;
         t = strtok_r(NULL, "|", &save))
        argv[argc++] = t;
    struct cx_run_opts o;
    cx_error err = { 0 };
    assert_int_equal(cx_run_opts_parse(argc, argv, &o, &err), -1);
    assert_string_equal(err.msg, msg);
    assert_null(o.image);  /* left freed and zeroed */
    free(copy);
}

struct bad_case {
    const char *args, *msg;
};

static inline void bad_table(const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bad(c[i].args, c[i].msg);
}

static inline void strv_is(char **v, ...)
{
    va_list ap;
    va_start(ap, v);
    size_t i = 0;
    for (const char *s; (s = va_arg(ap, const char *)) != NULL; i++) {
        assert_non_null(v);
        assert_non_null(v[i]);
        assert_string_equal(v[i], s);
    }
    va_end(ap);
    if (v)
        assert_null(v[i]);
    else
        assert_int_equal(i, 0);
}

#endif
