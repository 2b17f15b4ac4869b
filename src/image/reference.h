/* reference.h: image references as docker and podman write them
 * ("busybox", "quay.io/a/b:v1", "localhost:5000/x@sha256:..."), parsed
 * strictly by distribution's reference grammar and normalized the way
 * docker does (docker.io, "library/" for a one-component docker.io name).
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] component ( "/" component )*
 *   domain    := host [ ":" port ],  host: DNS labels, IPv4, or "[IPv6]"
 *   component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain when it is followed by '/' and contains
 * '.' or ':', is "localhost", or has an uppercase letter (a path component
 * never may); otherwise the domain is the default (docker.io).  The whole
 * normalized name (domain "/" path) is at most 255 characters. */
#ifndef CAPSA_IMAGE_REFERENCE_H
#define CAPSA_IMAGE_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CX_REF_DEFAULT_DOMAIN "docker.io"
#define CX_REF_NAME_MAX 255
#define CX_REF_TAG_MAX 128

struct cx_ref {
    char *domain;   /* "docker.io", "quay.io", "localhost:5000", "[::1]:5000", "localhost" */
    char *path;     /* "library/busybox" */
    char *tag;      /* NULL when only a digest was given; "latest" when neither */
    char *digest;   /* "sha256:<hex>" (checked with cx_digest_parse) or NULL */
};

/* Parse and normalize s.  out is written only on success; free it with
 * cx_ref_free.  An image ID is not a reference: 64 lowercase hex digits,
 * alone or after "sha256:", are refused with a message saying so (the
 * caller looks such a string up as an ID first).  Errors are one line:
 * `invalid reference "Busybox": repository name must be lowercase`. */
int cx_ref_parse(const char *s, struct cx_ref *out, cx_error *err);
/* The same, with default_domain (a valid host[:port]) put in front of an
 * unqualified name instead of docker.io (podman's
 * unqualified-search-registries); "library/" is added only for docker.io. */
int cx_ref_parse_in(const char *s, const char *default_domain, struct cx_ref *out,
                    cx_error *err);
/* Whether the first component of s is a domain (by the rule above). */
bool cx_ref_is_qualified(const char *s);

/* "docker.io/library/busybox:latest", "x/y@sha256:..", "x/y:t@sha256:.." */
char *cx_ref_string(const struct cx_ref *r);
/* "docker.io/library/busybox" */
char *cx_ref_name(const struct cx_ref *r);
void cx_ref_free(struct cx_ref *r);

/* The grammar's pieces, for other parsers of names (registries.conf):
 * s[0..len) is a host[:port] / a "/"-separated repository path. */
bool cx_ref_domain_valid(const char *s, size_t len);
bool cx_ref_path_valid(const char *s, size_t len);

#endif
