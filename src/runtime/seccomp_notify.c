/* seccomp_notify.c: SCMP_ACT_NOTIFY's listener (config-linux.md, "The
 * Container Process State"): one connection per process, one sendmsg
 * carrying the state JSON and, with SCM_RIGHTS, the seccomp fd. */
#include <string.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "common/unixsock.h"
#include "runtime/seccomp_internal.h"

/* Connected in the runtime, on the host's paths: by the time the filter
 * is loaded the process is inside the container's root. */
int seccomp_notify_connect(const char *path, cx_error *err)
{
    return cx_unix_connect(path, "seccomp listener", err);
}

int seccomp_notify_send(int sock, const char *state, int listener, cx_error *err)
{
    /* the fd goes with the first part only (config-linux.md) */
    if (cx_send_with_fd(sock, state, strlen(state), listener) < 0)
        return cx_fail_errno(err, "send the seccomp fd to the listener");
    return 0;
}
