/* sysctl.h: linux.sysctl, written by the init into its own /proc/sys.
 *
 * Only sysctls the container's namespaces isolate are allowed: IPC ones
 * (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) with a new IPC
 * namespace, net.* with a network namespace other than the host's,
 * kernel.hostname/domainname with a UTS namespace.  Anything else would
 * change the host and is refused, naming the key. */
#ifndef CAPSA_SYSCTL_H
#define CAPSA_SYSCTL_H

#include "common/error.h"
#include "oci/spec.h"

/* Check every key against the namespaces (create, before clone). */
int sysctl_check(const struct oci_spec *spec, cx_error *err);
/* Write them (init, after the container's /proc is mounted and pivoted,
 * before /proc/sys is made read-only). */
int sysctl_apply(const struct oci_spec *spec, cx_error *err);

#endif
