/* gotmpl.h: the part of Go's text/template that `--format` users type:
 * {{.Field.Sub}}, {{json .Field}}, {{index .Map "key"}}, {{.Field}} of a
 * list (space separated as Go prints it), literal text between actions,
 * "\t" and "\n" as podman's table formats give them.  Evaluated on JSON.
 * Anything else is an error naming the action, never a silent empty. */
#ifndef CAPSA_ENGINE_GOTMPL_H
#define CAPSA_ENGINE_GOTMPL_H

#include <jansson.h>

#include "common/error.h"

/* Render tmpl for doc; *out is malloc'd. */
int cx_gotmpl_render(const char *tmpl, json_t *doc, char **out, cx_error *err);

#endif
