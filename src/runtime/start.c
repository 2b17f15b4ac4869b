/* start.c: `start` connects to the init's start socket (start.sock in the
 * container's directory) and says GO.  The init runs the startContainer
 * hooks and answers READY right before it execs the user's program (or
 * the hook's error); start removes the socket, so the state reads
 * "running", runs the poststart hooks and returns. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/procinfo.h"
#include "runtime/sync.h"

#define START_SOCKET "start.sock"

/* The socket's path through our fd of its directory: short whatever the
 * length of --root and the id. */
static void start_address(int dirfd, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/" START_SOCKET, dirfd);
}

int cx_start_socket_listen(int dirfd, cx_error *err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "create the start socket");
    start_address(dirfd, &sa);
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
        fchmodat(dirfd, START_SOCKET, 0600, 0) < 0 || listen(fd, 4) < 0)
        return cx_fail_errno(err, "create the start socket");
    return TAKE_FD(fd);
}

static int connect_init(const struct cx_container *c, cx_error *err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "socket");
    start_address(c->dirfd, &sa);
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
        if (errno == ECONNREFUSED)
            return cx_fail(err, 0, "container not running: its init has exited");
        return cx_fail_errno(err, "connect to the init of %s", c->id);
    }
    return TAKE_FD(fd);
}

int cx_start(const char *root, const char *id, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, true, &c, err) < 0)
        return -1;
    switch (c->st->status) {
    case CX_CREATED:
        break;
    case CX_STOPPED:
        return cx_fail(err, 0, "cannot start a container that has stopped");
    case CX_CREATING:
        return cx_fail(err, 0, "cannot start a container that is still being created");
    default:
        return cx_fail(err, 0, "cannot start an already running container");
    }
    cx_debug("start %s: init pid %d", id, (int) c->st->pid);
    _cleanup_close_ int conn = connect_init(c, err);
    if (conn < 0)
        return -1;
    if (sync_send(conn, SYNC_GO) < 0)
        return cx_fail_errno(err, "start container %s", id);
    /* from here the container is started, whatever its hooks say */
    if (unlinkat(c->dirfd, START_SOCKET, 0) < 0)
        return cx_fail_errno(err, "remove the start socket of %s", id);
    if (sync_expect(conn, SYNC_READY, "container init", NULL, err) < 0)
        return cx_error_prefix(err, "start container %s", id);
    _cleanup_free_ char *state = hooks_state(c->st->oci_version, id, "running", c->st->pid,
                                             c->st->bundle, c->st->annotations);
    if (hooks_run_json(cx_container_config(c), HOOK_POSTSTART, state, err) < 0) {
        /* runtime.md: an error, and the container is stopped */
        proc_signal_same(c->st->pid, c->st->pid_start, SIGKILL);
        return -1;
    }
    return 0;
}
