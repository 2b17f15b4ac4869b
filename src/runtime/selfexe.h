/* selfexe.h: keeping the capsa binary out of a container's reach
 * (CVE-2019-5736).
 *
 * Until it execs the user's program, a container's init (and an exec'd
 * process) is a clone of this capsa process, so /proc/PID/exe names our
 * binary.  Besides making those processes non-dumpable, create, run and
 * exec re-execute themselves once from a read-only clone of their own
 * binary's mount (open_tree + mount_setattr + execveat): /proc/PID/exe
 * then leads to a detached read-only mount, and no write through it can
 * reach the file on the host.  No copy is made (unlike a memfd), so nothing
 * is charged to any cgroup.
 *
 * The re-exec costs about 0.9 ms (bench/README.md).  Non-dumpable alone
 * is not enough: a container without CAP_SYS_PTRACE still reaches the
 * binary by having it executed as its own program (args[0] or an image's
 * /bin/sh linked to /proc/self/exe: the process then runs our binary,
 * dumpable, and the container holds /proc/PID/exe until nothing runs it
 * and reopens it for writing).  So it is done for every container that
 * shares the host's user namespace (in one of its own, the container's
 * root cannot write the host's binary), and never for a binary already on
 * a read-only mount.  tests/security/test_cve_2019_5736.py.
 */
#ifndef CAPSA_SELFEXE_H
#define CAPSA_SELFEXE_H

#include <stdbool.h>

#include <jansson.h>

#include "oci/spec.h"

/* main() hands over its argv for a later re-exec. */
void selfexe_init(char **argv);
/* Could a process of this container reach and write our binary?
 * (config: the container's; proc: an exec'd process, or NULL.) */
bool selfexe_needed(const struct oci_spec *config, const struct oci_process *proc);
/* The same for exec, from the config JSON kept in state.json. */
bool selfexe_needed_json(json_t *config, const struct oci_process *proc);
/* Re-exec from a read-only clone; returns only if that was not possible
 * (logged at debug) or not needed. */
void selfexe_protect(void);
/* True when /proc/self/exe is on a read-only mount. */
bool selfexe_is_protected(void);

/* argv[0] as capsa was started (before any re-exec), or NULL: where its
 * helper programs are looked for. */
const char *selfexe_argv0(void);

#endif
