/* authfile.h: registry credentials in containers' auth.json
 * (containers-auth.json(5)) and docker's ~/.docker/config.json:
 *
 *   {"auths": {"quay.io": {"auth": "<base64 of user:password>"}}}
 *
 * A key is "host[:port]", "host[:port]/namespace[/repo]" or a URL such as
 * docker's "https://index.docker.io/v1/" (scheme and path dropped: the host
 * alone).  docker.io, index.docker.io and registry-1.docker.io are one
 * registry.  Files are at most 1 MiB; credential helpers (credsStore,
 * credHelpers) and identity tokens are not used. */
#ifndef CAPSA_IMAGE_AUTHFILE_H
#define CAPSA_IMAGE_AUTHFILE_H

#include <stdbool.h>

#include "common/error.h"

#define CX_AUTH_MAX_SIZE (1024 * 1024)

/* Default path to write: $REGISTRY_AUTH_FILE, else
 * ${XDG_RUNTIME_DIR}/containers/auth.json, else
 * /run/containers/<uid>/auth.json (podman's order).  Never NULL. */
char *cx_auth_default_path(void);

/* Find credentials for registry host[:port] and, optionally, repository
 * ("library/busybox").  Files, in order: authfile (NULL: the default path
 * and then ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json), then
 * docker's ($DOCKER_CONFIG/config.json or $HOME/.docker/config.json).  In
 * the first file that has a match, the most specific key wins
 * ("host/ns/repo" over "host/ns" over "host").  Missing files are not
 * errors; a malformed file is (naming the file and the key).  *found is
 * false (and *user, *pass NULL) when there are none. */
int cx_auth_lookup(const char *authfile, const char *host, const char *repository,
                   char **user, char **pass, bool *found, cx_error *err);

/* Split "auth" (strict base64 of "user:password", as auth.json and the
 * CRI's AuthConfig hold it) into *user and *pass; EINVAL when it is not. */
int cx_auth_decode(const char *b64, char **user, char **pass, cx_error *err);

/* login: store user:pass under key in authfile (NULL: the default path):
 * written tmp + fsync + rename with mode 0600, a missing parent directory
 * made 0700, other entries and other top-level keys kept.  A user name
 * must not contain ':'. */
int cx_auth_store(const char *authfile, const char *key, const char *user, const char *pass,
                  cx_error *err);

/* logout: remove key (or the entry naming the same registry location, e.g.
 * "https://index.docker.io/v1/" for "docker.io"); *found false when absent
 * (the file is then left alone). */
int cx_auth_remove(const char *authfile, const char *key, bool *found, cx_error *err);
/* logout --all: empty "auths" (other top-level keys are kept). */
int cx_auth_remove_all(const char *authfile, cx_error *err);

#endif
