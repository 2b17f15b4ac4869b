/* cgroup.c: the cgroup seam (see cgroup.h).  Until 3/4 lands capsa creates
 * no cgroup: the container stays in the caller's, linux.resources is
 * parsed and validated but not applied, and pids are found through the
 * container's pid namespace (runtime/pids.c). */
#include "runtime/cgroup/cgroup.h"

int cgroup_enter(const struct oci_spec *spec, const char *id, pid_t pid,
                 cx_error *err)
{
    (void) spec; (void) id; (void) pid; (void) err;
    return 0;
}

int cgroup_join(json_t *config, const char *id, pid_t pid, cx_error *err)
{
    (void) config; (void) id; (void) pid; (void) err;
    return 0;
}

int cgroup_destroy(json_t *config, const char *id, cx_error *err)
{
    (void) config; (void) id; (void) err;
    return 0;
}

int cgroup_pids(json_t *config, const char *id, pid_t **pids, size_t *n,
                cx_error *err)
{
    (void) config; (void) id; (void) err;
    *pids = NULL;
    *n = 0;
    return 1;
}
