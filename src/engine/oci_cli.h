/* oci_cli.h: another OCI runtime (runc, crun, or any runtime with runc's
 * command line) driven by running it, one process per step:
 *
 *   RT --root ROOT [--systemd-cgroup] state|start|pause|resume|ps ID
 *   RT ... kill [--all] ID SIGNAL   delete [--force] ID
 *   RT ... update --resources /dev/stdin ID  (linux.resources JSON on stdin)
 *
 * create and exec are not here: capsa-shim runs those (-r RT with
 * --runtime-arg --root ROOT, conmon's way).  A failed step is a cx_error
 * carrying the runtime's own last line of stderr; `state` and `ps` answers
 * are decoded strictly (common/jdec.h), so an odd answer becomes an error
 * naming the runtime and the field, never a guess.  Each step is bounded
 * (CX_OCI_CLI_TIMEOUT_MS, then the runtime's process group is killed). */
#ifndef CAPSA_ENGINE_OCI_CLI_H
#define CAPSA_ENGINE_OCI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/state.h"

#define CX_OCI_CLI_TIMEOUT_MS 60000

struct cx_oci_cli {
    const char *bin;       /* the runtime's binary, an absolute path */
    const char *root;      /* its --root */
    bool systemd;          /* --systemd-cgroup (the engine's driver) */
};

/* What `state` says of a container. */
struct cx_oci_state {
    enum cx_status status; /* creating, created, running, paused, stopped */
    int pid;               /* its init; 0 once stopped */
};

/* argv of `bin --root root [--systemd-cgroup] args...` into v, NULL
 * terminated, at most cap entries with the NULL; the count, or -1 when it
 * does not fit.  Pure. */
int cx_oci_cli_argv(const struct cx_oci_cli *r, const char *const *args, const char **v,
                    size_t cap);
/* The answer of `bin state`, decoded; errors name bin.  Pure. */
int cx_oci_state_parse(const char *bin, const char *text, size_t len, struct cx_oci_state *st,
                       cx_error *err);
/* The answer of `bin ps --format json`: a JSON array of pids.  Pure. */
int cx_oci_pids_parse(const char *bin, const char *text, size_t len, pid_t **pids, size_t *n,
                      cx_error *err);
/* What a failed runtime said: its last non-empty line of stderr, with a
 * logrus line (`time=... level=error msg="..."`, runc's) reduced to its
 * message; "" when it said nothing.  Pure. */
void cx_oci_cli_message(const char *text, size_t len, char *out, size_t outlen);

int cx_oci_cli_state(const struct cx_oci_cli *r, const char *id, struct cx_oci_state *st,
                     cx_error *err);
int cx_oci_cli_start(const struct cx_oci_cli *r, const char *id, cx_error *err);
int cx_oci_cli_kill(const struct cx_oci_cli *r, const char *id, int sig, bool all,
                    cx_error *err);
int cx_oci_cli_pause(const struct cx_oci_cli *r, const char *id, bool pause, cx_error *err);
int cx_oci_cli_update(const struct cx_oci_cli *r, const char *id, json_t *res, cx_error *err);
int cx_oci_cli_delete(const struct cx_oci_cli *r, const char *id, bool force, cx_error *err);
int cx_oci_cli_ps(const struct cx_oci_cli *r, const char *id, pid_t **pids, size_t *n,
                  cx_error *err);

#endif
