/* namespaces.h: which namespaces a container gets and how.
 *
 * ns_plan_build() splits linux.namespaces into: flags for clone3 (new
 * namespaces created with the init), namespaces joined by path in the
 * parent before clone (pid and time only take effect for children), and
 * namespaces the init joins itself (user first, so that the others are
 * entered with the right credentials), then unshares what must be owned
 * by a joined user namespace.
 */
#ifndef CAPSA_NAMESPACES_H
#define CAPSA_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

#define NS_MAX 8

struct ns_join {
    int type;   /* CLONE_NEW* */
    int fd;     /* opened namespace file */
};

struct ns_plan {
    int clone_flags;            /* new namespaces created by clone3 */
    int unshare_flags;          /* new namespaces created after joining user */
    struct ns_join parent_join[NS_MAX];  /* pid, time: setns before clone */
    int n_parent_join;
    struct ns_join child_join[NS_MAX];   /* user first, then the rest */
    int n_child_join;
    bool new_user;
    bool new_time;              /* unshared by the parent, offsets written, then clone */
};

int ns_plan_build(const struct oci_spec *spec, struct ns_plan *plan,
                  cx_error *err);
void ns_plan_close(struct ns_plan *plan);
/* Entering a pid or time namespace for our children (below) affects every
 * later fork, the sanitizers' helpers included: save ours first and
 * restore it once the child exists.  save returns an fd or -1. */
int ns_children_save(void);
void ns_children_restore(int saved);
/* Parent: enter pid/time namespaces for the children to come; a new time
 * namespace is made here, with linux.timeOffsets, for the init to be born
 * into (offsets can only be set before a process lives there). */
int ns_join_parent(struct ns_plan *plan, const struct oci_spec *spec, cx_error *err);
/* Init: join by path (user first), then unshare the delayed ones. */
int ns_join_child(struct ns_plan *plan, cx_error *err);
/* Write /proc/PID/<file> ("uid_map" or "gid_map") from mappings. */
int ns_write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n,
                 cx_error *err);
/* Parent: write uid_map/gid_map of a new user namespace. */
int ns_write_id_maps(pid_t pid, const struct oci_spec *spec, cx_error *err);

#endif
