/* cgroup.h: where a container's cgroup is made, joined and removed.
 *
 * The seams are fixed now; 3/4 (cgroups on v1, hybrid and v2) fills them:
 *   cgroup_enter()    create.c, in the parent, right after clone3 and before
 *                     the init is told to go on, so the init cannot fork
 *                     outside its cgroup
 *   cgroup_join()     exec, for the new process before it execs
 *   cgroup_destroy()  delete, after the processes are gone
 *   cgroup_pids()     ps and kill --all
 */
#ifndef CAPSA_CGROUP_H
#define CAPSA_CGROUP_H

#include <jansson.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

int cgroup_enter(const struct oci_spec *spec, const char *id, pid_t pid,
                 cx_error *err);
int cgroup_join(json_t *config, const char *id, pid_t pid, cx_error *err);
int cgroup_destroy(json_t *config, const char *id, cx_error *err);
/* The container's pids; *n = 0 and returns 1 when not tracked by cgroup. */
int cgroup_pids(json_t *config, const char *id, pid_t **pids, size_t *n,
                cx_error *err);

#endif
