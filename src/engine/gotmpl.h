/* gotmpl.h: the part of Go's text/template that `--format` users type:
 * {{.Field.Sub}}, {{json .Field}}, {{index .Map "key"}}, {{.Field}} of a
 * list (space separated as Go prints it), literal text between actions,
 * "\t" and "\n" as podman's table formats give them.  Evaluated on JSON.
 * Anything else is an error naming the action, never a silent empty.
 *
 * Actions: {{.A.B}} (object keys, case-sensitive), {{.}}, {{$}} and {{$.A}}
 * (the document), {{json X}}, {{index X K...}}, {{join LIST SEP}},
 * {{upper S}}, {{lower S}}, {{title S}} (ASCII letters only), pipes
 * {{X | json}} (the piped value is the last argument), parentheses
 * {{(index .Mounts 0).Source}}, {{if X}}..{{else if Y}}..{{else}}..{{end}},
 * {{with X}}..{{end}}, {{range X}}..{{else}}..{{end}} and
 * {{range $k, $v := X}} (a map ranges in sorted key order), "..." and `...`
 * strings, numbers, true, false, nil, and "{{- " / " -}}" trimming.  In
 * literal text the two characters \t and \n become a tab and a newline, as
 * podman does before it parses.  Other Go functions (printf, len, eq...)
 * and comments are errors ("function "printf" not defined").
 *
 * Printing is Go's fmt %v: strings raw, integers as integers, real numbers
 * as Go writes a float64 (1e+06, 1.5e-07, 2.5), true/false, lists [a b],
 * objects map[k:v k2:v2] with sorted keys (podman prints its structs as
 * {a b}: a JSON document has no structs), null inside a list or map <nil>.
 * {{json X}} is encoding/json as podman's json function calls it (no HTML
 * escaping): compact, object keys in document order.
 *
 * Missing keys: a JSON object is a Go map, so .Missing is Go's "no value":
 * printed "<no value>", false for {{if}}, null for json; a field of it is
 * the same (podman's structs would fail with "can't evaluate field", but a
 * document may leave out a field podman always has: we degrade instead).
 * A JSON null is the same.  A field of a string, number, bool or list is
 * an error.  {{index .Map "missing"}} is "", as podman's string maps
 * (Labels, Annotations) give it.
 *
 * Errors are "template: LINE:COL: ..." (1-based), for syntax anywhere in
 * the template, branches not taken included, and for execution:
 * "template: 1:3: executing <index .Names 5>: error calling index: index
 * out of range: 5".  Bounds: template 1 MiB, output 64 MiB, blocks and
 * parentheses 64 deep, 32 variables, 15 arguments, values printed 256 deep.
 * The caller adds the final newline and any "table" header. */
#ifndef CAPSA_ENGINE_GOTMPL_H
#define CAPSA_ENGINE_GOTMPL_H

#include <jansson.h>

#include "common/error.h"

/* Render tmpl for doc (NULL: no value); *out is malloc'd, untouched on
 * error. */
int cx_gotmpl_render(const char *tmpl, json_t *doc, char **out, cx_error *err);

#endif
