/* spec_defaults.h: what config.json starts from besides the mounts:
 * podman's default capabilities and their merge with --cap-add/--cap-drop,
 * the default rlimits, the host's devices for --privileged, the masked and
 * read-only paths, and the seccomp profile (the default, a file, none). */
#ifndef CAPSA_ENGINE_SPEC_DEFAULTS_H
#define CAPSA_ENGINE_SPEC_DEFAULTS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "engine/run_opts.h"

/* podman's linux.maskedPaths and linux.readonlyPaths (NULL-terminated). */
extern const char *const cx_spec_masked_paths[];
extern const char *const cx_spec_readonly_paths[];
/* linux.maskedPaths (readonly false) or linux.readonlyPaths: those above
 * (none for --privileged) but the ones --security-opt unmask= names (ALL,
 * a path or a glob); then, masked only, --security-opt mask=. */
json_t *cx_spec_paths(const struct cx_run_opts *o, bool readonly);

/* The container's capabilities, sorted "CAP_*" names (NULL-terminated;
 * cx_strv_free): every one in the engine's bounding set for --privileged
 * or --cap-add ALL, else podman's 11 defaults; then --cap-add, less
 * --cap-drop (--cap-drop ALL keeps only what --cap-add names). */
int cx_spec_caps(const struct cx_run_opts *o, char ***out, cx_error *err);

/* process.capabilities: the bounding set is caps; root holds them
 * effective and permitted, another user only those --cap-add named
 * (effective, permitted, inheritable and ambient), as podman does. */
json_t *cx_spec_caps_json(char *const *caps, const struct cx_run_opts *o, uid_t uid);

/* process.rlimits: RLIMIT_NOFILE 1048576 and RLIMIT_NPROC kernel.pid_max
 * (podman's defaults), each held to the engine's own hard limit when it
 * lacks CAP_SYS_RESOURCE to raise it; then --ulimit.  An unlimited value
 * is written as INT64_MAX: jansson (and so capsa's config parser) has no
 * integer above it. */
json_t *cx_spec_rlimits(const struct cx_run_opts *o);
#define CX_SPEC_RLIMIT_UNLIMITED ((uint64_t) INT64_MAX)

/* linux.devices: every character and block device under the host's /dev
 * (not /dev/pts, /dev/shm, /dev/mqueue, /dev/console), sorted by path. */
int cx_spec_host_devices(json_t **out, cx_error *err);

/* linux.seccomp: NULL (*out) for seccomp=unconfined and for --privileged;
 * seccomp=FILE: an OCI linux.seccomp object read from FILE (a docker or
 * podman profile, with archMap and includes/excludes, is refused); else
 * capsa's default profile for caps (cx_seccomp_default). */
int cx_spec_seccomp(const struct cx_run_opts *o, char *const *caps, json_t **out,
                    cx_error *err);

#endif
