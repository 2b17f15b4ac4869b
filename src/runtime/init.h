/* init.h: the container's init before it execs the user's process.
 *
 * create.c clones the init with the new namespaces; init_main() then joins
 * namespaces by path, builds the root filesystem (rootfs.c), sets up the
 * console, the user, capabilities and limits, reports READY and waits on
 * its start socket until `start` connects.  Every failure goes back to the parent over the
 * sync socket.  Order of the last steps: user -> capabilities ->
 * no_new_privs -> ... start ... -> close_range -> seccomp (loaded last,
 * see seccomp.h) -> CAP_SYS_ADMIN dropped if it was held for the load ->
 * execve.
 */
#ifndef CAPSA_INIT_H
#define CAPSA_INIT_H

#include <stdbool.h>
#include <sys/capability.h>

#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"

struct init_ctx {
    const struct oci_spec *spec;
    const struct oci_process *process;
    const char *id;
    const char *rootfs;        /* absolute host path */
    const char *bundle;        /* absolute host path */
    int sync_fd;               /* child end of the sync socketpair */
    int start_fd;              /* start.sock, listening: `start` connects */
    int console_fd;            /* connected --console-socket, or -1 */
    int close_fds[4];          /* parent-only fds to drop first (-1 unused) */
    int preserve_fds;          /* fds 3 .. 3+n-1 stay open across exec */
    int *idmap_fds;            /* per mount: a prepared idmapped tree, or -1 */
    int *device_trees;         /* per linux.devices entry: a host node's mount, or NULL */
    struct cx_seccomp *seccomp; /* compiled by create; insns NULL: none */
    struct cgroup_entry *cg;   /* cgroupfs: the v1 cgroups to enter first; NULL: none */
    cap_t caps_final;          /* held back for the seccomp load (process.h) */
    pid_t host_pid;            /* ours in the host's /proc (notify state) */
    bool no_pivot;
    bool no_new_keyring;
    struct ns_plan ns;
};

_Noreturn void init_main(struct init_ctx *ctx);

#endif
