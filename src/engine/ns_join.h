/* ns_join.h: a container in namespaces of another container: with
 * `--network container:NAME` that one's network namespace (and its
 * /etc/hosts and /etc/resolv.conf), and a pod's members in its infra
 * container's network, IPC and UTS namespaces (PID too with --share pid).
 *
 * At create the other container is named by ID in the record
 * (o->ns_join); config.json lists those namespaces without a path.  At
 * every start the other container must run (a pod's infra container is
 * started first; any other is an error naming it), and the paths
 * /proc/PID/ns/... of its process then are written into config.json just
 * before the runtime reads it. */
#ifndef CAPSA_ENGINE_NS_JOIN_H
#define CAPSA_ENGINE_NS_JOIN_H

#include "engine/engine.h"
#include "engine/run_opts.h"

/* At create: --pod (the pod's ID and its infra container's namespaces) and
 * --network container:NAME made into IDs in o (which owns them). */
int cx_ns_joins_resolve(struct cx_engine *e, struct cx_run_opts *o, cx_error *err);
/* The same on a copy of o (*out, to free with cx_run_opts_free). */
int cx_ns_joins_copy(struct cx_engine *e, const struct cx_run_opts *o,
                     struct cx_run_opts *out, cx_error *err);
/* The ID whose /etc/hosts and /etc/resolv.conf the container uses, or
 * NULL: its own. */
const char *cx_ns_join_files_of(const struct cx_run_opts *o);
/* At start (under the container's lock): the other containers running,
 * their namespaces' paths in id's config.json. */
int cx_ns_joins_apply(struct cx_engine *e, const char *id, const struct cx_run_opts *o,
                      cx_error *err);

#endif
