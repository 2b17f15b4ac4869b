/* ctr_runtime.h: the OCI runtime a container runs under, and every step
 * the engine asks of it after create.  Each container records its runtime
 * (containers.h: runtime, runtime_root; chosen at create, kept for good):
 *
 *   capsa (NULL)   capsa-shim runs `capsa --root <runroot>/runtime create`,
 *                  and the rest is libcapsa in process on that root: no
 *                  process is run for a state, a kill or a start
 *   another        its binary (runc, crun, ...) with runc's command line:
 *                  capsa-shim runs `RT --root ROOT create` and the rest
 *                  runs RT too (oci_cli.h); ROOT is <runroot>/runtimes/<name>
 *                  unless capsad's handler names one
 *
 * The lifecycle code calls these and never asks which it is. */
#ifndef CAPSA_ENGINE_CTR_RUNTIME_H
#define CAPSA_ENGINE_CTR_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/containers.h"
#include "engine/engine.h"
#include "runtime/state.h"

#define CX_RUNTIME_BUILTIN "capsa"

/* What capsa-shim is given: -r bin --runtime-arg --root --runtime-arg root. */
struct cx_rt {
    const char *bin, *root;
    bool cli;               /* another runtime, driven by its command line */
};
void cx_rt_of(const struct cx_engine *e, const struct cx_ctr *c, struct cx_rt *rt);
/* The runtime's name, as inspect's OCIRuntime shows it: "capsa", "runc". */
const char *cx_rt_name(const struct cx_ctr *c);

/* At create: the runtime asked (--runtime NAME|PATH, NULL: the engine's
 * default, e->default_runtime, else capsa) resolved to *bin (NULL: capsa
 * in process) and *root (root if given, else <runroot>/runtimes/<name>).
 * A NAME is looked up on PATH; a PATH must be absolute and executable. */
int cx_rt_resolve(struct cx_engine *e, const char *want, const char *root, char **bin,
                  char **root_out, cx_error *err);

/* The runtime's status of the container (enum cx_status), -1 when it has
 * none or cannot say. */
int cx_rt_status(struct cx_engine *e, const struct cx_ctr *c);
int cx_rt_start(struct cx_engine *e, const struct cx_ctr *c, cx_error *err);
int cx_rt_kill(struct cx_engine *e, const struct cx_ctr *c, int sig, bool all, cx_error *err);
int cx_rt_pause(struct cx_engine *e, const struct cx_ctr *c, bool pause, cx_error *err);
/* res: linux.resources JSON, merged into the container's */
int cx_rt_update(struct cx_engine *e, const struct cx_ctr *c, json_t *res, cx_error *err);
/* The runtime's container gone, killed first if it runs; none: 0. */
int cx_rt_delete(struct cx_engine *e, const struct cx_ctr *c, cx_error *err);
/* Host pids of the container's processes (top). */
int cx_rt_pids(struct cx_engine *e, const struct cx_ctr *c, pid_t **pids, size_t *n,
               cx_error *err);
/* For stats: its cgroup directories ({"dirs": [...]}, as cgroup_stats
 * takes them) and its config.json, both the caller's; fails as when the
 * runtime has no such container. */
int cx_rt_cgroups(struct cx_engine *e, const struct cx_ctr *c, json_t **cg, json_t **config,
                  cx_error *err);

#endif
