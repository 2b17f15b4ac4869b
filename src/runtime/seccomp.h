/* seccomp.h: linux.seccomp, from profile to loaded filter.
 *
 * Two halves, in two processes:
 *  - the runtime (create, exec), before the clone/fork: the profile
 *    (decoded and validated by oci/seccomp.c) is compiled to a classic BPF
 *    program with libseccomp (seccomp_compile.c), or found already
 *    compiled in <root>/@seccomp-cache/ (seccomp_cache.c); with
 *    SCMP_ACT_NOTIFY the listener socket is connected here, on the host's
 *    paths (seccomp_notify.c).  A bad profile fails create before any
 *    container exists.
 *  - the container's process (init.c, exec.c), as the very last step
 *    before execve: cx_seccomp_load() hands the program to seccomp(2) with
 *    the profile's flags -- no libseccomp work there -- and sends the
 *    notify fd.  After it the process makes no syscall but sendmsg (notify
 *    only), capset (see process.h: CAP_SYS_ADMIN held for the load) and
 *    execve, so a profile that denies getcwd, chdir, close_range or setuid
 *    still runs.
 */
#ifndef CAPSA_SECCOMP_H
#define CAPSA_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/seccomp.h"

struct cx_seccomp {
    struct sock_filter *insns;   /* the program; NULL: no filter */
    unsigned short len;
    unsigned int flags;          /* for seccomp(2), NEW_LISTENER included */
    int listener_fd;             /* connected to listenerPath, or -1 */
    json_t *notify_state;        /* the container process state, pid unset */
};

#define CX_SECCOMP_INIT { NULL, 0, 0, -1, NULL }

/* Who the notify agent is told about (the container's state). */
struct cx_seccomp_who {
    const char *oci_version, *id, *status, *bundle;
    json_t *annotations;
};

/* Runtime side: compile the profile (or take it from the cache under
 * root, which may be NULL: no cache).  s == NULL leaves *out empty. */
int cx_seccomp_prepare(const struct oci_seccomp *s, const char *root,
                       struct cx_seccomp *out, cx_error *err);
/* Runtime side, with SCMP_ACT_NOTIFY: connect to listenerPath and make
 * the container process state (the rest of *sc as prepared). */
int cx_seccomp_connect(const struct oci_seccomp *s, const struct cx_seccomp_who *who,
                       struct cx_seccomp *sc, cx_error *err);
void cx_seccomp_release(struct cx_seccomp *sc);

/* Container side: load the filter into this process; with a listener,
 * send it the fd and the container process state naming host_pid. */
int cx_seccomp_load(struct cx_seccomp *sc, pid_t host_pid, cx_error *err);

/* Our pid as the host's /proc sees it (call before leaving the host's
 * mounts); getpid() when that /proc is not the host's. */
pid_t cx_seccomp_host_pid(void);

#endif
