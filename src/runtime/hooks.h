/* hooks.h: OCI hooks, each run with the container's state JSON on stdin.
 *
 * Where each kind runs (config.md, runtime.md):
 *   prestart, createRuntime  create.c, in the runtime's namespaces, when the
 *                            init has made its mounts (before pivot_root)
 *   createContainer          init.c, in the container's mount namespace,
 *                            before pivot_root
 *   startContainer           init.c, inside the container, after `start`
 *                            and before the user's program
 *   poststart                start.c, after the program started: a failure
 *                            fails start and stops the container (runtime.md
 *                            lifecycle step 9); poststop follows at delete
 *   poststop                 delete.c, after the processes are gone: a
 *                            failure is a warning
 * A hook that exits non-zero or outlives its timeout fails; its output is
 * quoted in the error.
 */
#ifndef CAPSA_HOOKS_H
#define CAPSA_HOOKS_H

#include <jansson.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

enum hook_kind {
    HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER,
    HOOK_START_CONTAINER, HOOK_POSTSTART, HOOK_POSTSTOP,
};

/* Statuses: "created" for prestart, createRuntime, createContainer and
 * startContainer (runtime.md: the environment of step 2 exists), "running"
 * for poststart, "stopped" for poststop.
 * The state JSON hooks read: ociVersion, id, status, pid (left out when
 * pid <= 0), bundle, annotations.  The pid is as seen where the hook runs:
 * the host's for the runtime-namespace hooks, the container's for
 * createContainer and startContainer. */
char *hooks_state(const char *oci_version, const char *id, const char *status,
                  pid_t pid, const char *bundle, json_t *annotations);
/* Run the hooks of one kind in order; stop at the first failure. */
int hooks_run(const struct oci_hooks *hooks, enum hook_kind kind,
              const char *state, cx_error *err);
/* Same, from the config JSON kept in state.json. */
int hooks_run_json(json_t *config, enum hook_kind kind, const char *state, cx_error *err);
/* ... with a failure logged as a warning (poststop). */
void hooks_run_warn(json_t *config, enum hook_kind kind, const char *state);
bool hooks_any(const struct oci_hooks *hooks, enum hook_kind kind);

#endif
