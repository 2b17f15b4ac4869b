/* seccomp_default.h: capsa's default seccomp profile for containers made
 * by the engine (src/engine/seccomp_default.json, compiled in at build
 * time), as OCI linux.seccomp JSON for a given capability set. */
#ifndef CAPSA_ENGINE_SECCOMP_DEFAULT_H
#define CAPSA_ENGINE_SECCOMP_DEFAULT_H

#include <jansson.h>

#include "common/error.h"

/* The profile's linux.seccomp object for a container holding the
 * capabilities caps ("CAP_SYS_ADMIN", ...; NULL-terminated): syscalls that
 * a capability makes safe are allowed only with it, as docker and podman
 * do.  *out is a new reference. */
int cx_seccomp_default(const char *const *caps, json_t **out, cx_error *err);

/* The same for a machine named as uname(2) names it ("x86_64", "i686",
 * "aarch64", "s390x", ...); cx_seccomp_default() passes this one's.  An
 * unknown machine gets no architectures and no machine-specific groups. */
int cx_seccomp_default_for(const char *const *caps, const char *machine, json_t **out,
                           cx_error *err);

/* The same from another text in seccomp_default.json's format; doc names
 * it in errors ("doc: groups[3].action: unknown action ..."). */
int cx_seccomp_default_from(const char *text, const char *doc, const char *const *caps,
                            const char *machine, json_t **out, cx_error *err);

#endif
