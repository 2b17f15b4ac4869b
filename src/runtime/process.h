/* process.h: turning the init (or an exec'd process) into the configured
 * process: limits, user, capabilities, no_new_privs, program lookup. */
#ifndef CAPSA_PROCESS_H
#define CAPSA_PROCESS_H

#include <stddef.h>
#include <sys/capability.h>

#include "common/error.h"
#include "oci/spec.h"

/* rlimits and oomScoreAdj: while still privileged. */
int process_set_limits(const struct oci_process *p, cx_error *err);
/* groups, gid, uid (keeping capabilities across), then the five
 * capability sets and no_new_privs.
 *
 * hold_admin (a seccomp filter is to be loaded): without no_new_privs,
 * seccomp(2) needs CAP_SYS_ADMIN, which the configured sets or the user
 * switch may drop.  Loading the filter before this step would filter the
 * runtime's own remaining work (setuid, capset, chdir, getcwd,
 * close_range), so instead CAP_SYS_ADMIN is kept effective and permitted
 * on top of the configured sets; *final gets those sets (NULL when nothing
 * is held) for process_release_admin() right after the load: one capset,
 * the only syscall besides execve (and the notify sendmsg) that the
 * filter sees. */
int process_set_identity(const struct oci_process *p, bool hold_admin, cap_t *final,
                         cx_error *err);
/* Set exactly the sets process_set_identity held back (frees final). */
int process_release_admin(cap_t final, cx_error *err);
/* Find args[0] the way execvp would, with PATH from the process env.
 * Errors read as runc's ("exec: "x": executable file not found in $PATH",
 * "exec: "/x": permission denied"), which engines map to 127 and 126.
 * First gives the process HOME, as runc does, when its env has none: the
 * home of its uid in the container's /etc/passwd, else "/". */
int process_lookup(const struct oci_process *p, char *out, size_t len,
                   cx_error *err);
/* chdir to cwd, which must resolve inside the container. */
int process_chdir(const struct oci_process *p, cx_error *err);
/* Mark every fd from first up close-on-exec (close_range). */
void process_close_fds(int first);

#endif
