/* regconf.h: registries.conf version 2, the file podman, CRI-O and skopeo
 * share (containers-registries.conf(5)): search registries, short-name
 * mode, [[registry]] tables with mirrors, [aliases].
 *
 * The file is TOML, read by common/toml.h (the subset it describes: no
 * multi-line strings, inline tables, floats or dates), strictly: TOML's
 * own rules (a key set twice is an error) and this file's (kinds and forms
 * of the known keys).  Unknown keys and tables are read and ignored; every
 * error names the file and line: `registries.conf:12: expected '=' after
 * key "location"`.  The file is at most 1 MiB; counts are bounded (see the
 * CX_REGCONF_MAX_* below). */
#ifndef CAPSA_IMAGE_REGCONF_H
#define CAPSA_IMAGE_REGCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CX_REGCONF_PATH "/etc/containers/registries.conf"
#define CX_REGCONF_MAX_SIZE (1024 * 1024)
#define CX_REGCONF_MAX_REGISTRIES 1024
#define CX_REGCONF_MAX_MIRRORS 64      /* per [[registry]] */
#define CX_REGCONF_MAX_SEARCH 64
#define CX_REGCONF_MAX_ALIASES 8192

struct cx_regconf_mirror {
    char *location;
    bool insecure;
    char *pull_from_mirror;     /* "all", "digest-only", "tag-only" or NULL (all) */
};

struct cx_regconf_registry {
    char *prefix;       /* "docker.io", "docker.io/library", "*.example.com"; defaults to location */
    char *location;     /* "registry.example.com:5000/namespace" or NULL */
    bool insecure, blocked;
    bool mirror_by_digest_only;
    struct cx_regconf_mirror *mirrors;
    size_t nmirrors;
};

struct cx_regconf {
    char **search;      /* unqualified-search-registries */
    size_t nsearch;
    char *short_name_mode;  /* "enforcing"/"permissive"/"disabled" or NULL */
    struct cx_regconf_registry *regs;
    size_t nregs;
    char **alias_names, **alias_values;
    size_t naliases;
};

/* Parse text[0..len) (NULs are refused); filename prefixes every error.
 * Checked: prefixes and locations have the reference grammar's form
 * (host[:port][/path], or "*.host" for a prefix, no URI scheme), search
 * registries are host[:port], short-name-mode is one of its three values,
 * alias names and values are unique names / references.  out is written
 * only on success. */
int cx_regconf_parse(const char *text, size_t len, const char *filename,
                     struct cx_regconf *out, cx_error *err);
/* path NULL: /etc/containers/registries.conf; a missing file is an empty
 * config when missing_ok.  Errors name the path. */
int cx_regconf_load(const char *path, bool missing_ok, struct cx_regconf *out, cx_error *err);
void cx_regconf_free(struct cx_regconf *c);

/* The [[registry]] whose prefix matches name ("docker.io/library/busybox")
 * best: the longest prefix match on path-component boundaries; a prefix
 * "*.example.com" matches the name's host when it is a subdomain
 * ("a.example.com/x", "b.a.example.com/x", not "example.com/x") and then
 * counts as long as that host; on a tie an exact prefix beats a wildcard,
 * then the earlier table wins.  NULL when none. */
const struct cx_regconf_registry *cx_regconf_find(const struct cx_regconf *c, const char *name);

/* Where to pull name (domain/path, no tag) from, in order: each mirror,
 * then the primary location, each with the repository path on that host
 * (the matched prefix replaced by the location; a registry without
 * location is the name itself) and whether it is insecure (plain HTTP
 * allowed and TLS not verified).  A docker.io host is registry-1.docker.io.
 * A blocked registry is an error "registry docker.io is blocked in
 * registries.conf".  No matching [[registry]]: one endpoint, the name's own
 * domain, secure.  *out is an array of *n, freed with cx_endpoints_free. */
struct cx_endpoint {
    char *host;         /* "registry-1.docker.io", "mirror.local:5000" */
    char *repository;   /* "library/busybox" */
    bool insecure;
    bool mirror;
};
/* For a pull by tag: mirrors that serve digests only (mirror-by-digest-only,
 * pull-from-mirror = "digest-only") are left out. */
int cx_regconf_endpoints(const struct cx_regconf *c, const char *name,
                         struct cx_endpoint **out, size_t *n, cx_error *err);
/* The same, saying whether the pull is by digest (by_digest true: mirrors
 * with pull-from-mirror = "tag-only" are left out instead). */
int cx_regconf_endpoints_for(const struct cx_regconf *c, const char *name, bool by_digest,
                             struct cx_endpoint **out, size_t *n, cx_error *err);
void cx_endpoints_free(struct cx_endpoint *e, size_t n);

/* The alias of a short name ("fedora" -> "registry.fedoraproject.org/fedora"),
 * or NULL. */
const char *cx_regconf_alias(const struct cx_regconf *c, const char *short_name);

#endif
