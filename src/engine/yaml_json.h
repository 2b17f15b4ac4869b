/* yaml_json.h: the first document of a YAML text (libyaml's parser) as
 * JSON, so a Kubernetes manifest is checked with the JSON tools the tree
 * has.  Mappings become objects (keys must be scalars, a key given twice
 * is an error), sequences arrays; a plain scalar that is an integer,
 * true/false or null/~ becomes that, every other scalar (and every quoted
 * one) a string.  Hostile input is bounded: aliases and anchors are
 * refused (no billion laughs), nesting deeper than 64 is refused, and so
 * is a text over 1 MiB. */
#ifndef CAPSA_ENGINE_YAML_JSON_H
#define CAPSA_ENGINE_YAML_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "common/error.h"

#define CX_YAML_MAX (1u << 20)

int cx_yaml_to_json(const char *text, size_t len, json_t **out, cx_error *err);

#endif
