/* toml.h: a strict reader of the TOML subset capsa's configuration files
 * use (registries.conf, capsad.conf), into a jansson tree.
 *
 * Read: comments; `key = value` with bare or quoted keys, dotted keys
 * (a.b = 1 makes the table a); basic "..." strings (escapes \" \\ \b \t
 * \n \f \r \uXXXX \UXXXXXXXX) and literal '...' strings; true and false;
 * decimal integers (64-bit, '_' between digits); arrays of those
 * (multi-line, comments, a trailing comma, mixed kinds); [table] and
 * [[array-of-tables]] headers with dotted names ([a.b] makes a if it is
 * missing; [a.b] after [[a]] goes into a's last table).  Refused with a
 * message: multi-line strings, inline tables, nested arrays, floats, dates,
 * NUL bytes.  TOML's rules hold: a key set twice, a table defined twice, a
 * header naming a value, dotted keys adding to a table a header defined:
 * each an error.  Every error names the file and line:
 * `capsad.conf:12: expected '=' after key "listen"`.
 *
 * A table is a JSON object, an array of tables an array of objects, a
 * value the JSON value (strings are kept as their bytes; keys keep the
 * file's order).  The reader knows nothing of what keys mean: callers walk
 * the tree, and ask cx_toml_line() where a key was set, so that their own
 * errors name the line too. */
#ifndef CAPSA_COMMON_TOML_H
#define CAPSA_COMMON_TOML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CX_TOML_KEY_PARTS_MAX 8    /* a.b.c: parts of one key or header */

struct cx_toml {
    json_t *root;       /* the top-level table */
    json_t *meta;       /* private: the line of each key and item, how each table was made */
};

/* Parse text[0..len) (a UTF-8 byte order mark is skipped); filename
 * prefixes every error.  out is written only on success. */
int cx_toml_parse(const char *text, size_t len, const char *filename, struct cx_toml *out,
                  cx_error *err);
void cx_toml_free(struct cx_toml *t);

/* The line key was set on in table (for a table: its header's line, or
 * where it was first named when no header defined it); 0 when table has
 * no such key. */
unsigned cx_toml_line(const struct cx_toml *t, const json_t *table, const char *key);
/* The line of array's item i: the header of an array of tables' [[x]], or
 * the line of a value in an array; 0 when unknown. */
unsigned cx_toml_item_line(const struct cx_toml *t, const json_t *array, size_t i);
/* True for a table that exists only because a header named something
 * inside it ([a.b] alone makes a): no header or dotted key defined it. */
bool cx_toml_implicit(const struct cx_toml *t, const json_t *table);
/* True for an array made by [[x]] headers, not by `x = [...]`. */
bool cx_toml_is_table_array(const struct cx_toml *t, const json_t *array);

#endif
