/* seccomp_notify.c: SCMP_ACT_NOTIFY's listener (config-linux.md, "The
 * Container Process State"): one connection per process, one sendmsg
 * carrying the state JSON and, with SCM_RIGHTS, the seccomp fd. */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/cleanup.h"
#include "runtime/seccomp_internal.h"

/* Connected in the runtime, on the host's paths: by the time the filter
 * is loaded the process is inside the container's root. */
int seccomp_notify_connect(const char *path, cx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return cx_fail(err, ENAMETOOLONG, "config.json: linux.seccomp.listenerPath: %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "seccomp listener: socket");
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
        return cx_fail_errno(err, "connect to the seccomp listener %s", path);
    return TAKE_FD(fd);
}

int seccomp_notify_send(int sock, const char *state, int listener, cx_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    size_t len = strlen(state), off = 0;
    struct iovec iov = { (void *) state, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    memset(&u, 0, sizeof u);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &listener, sizeof listener);
    /* the fd goes with the first call only (config-linux.md) */
    while (off < len) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cx_fail_errno(err, "send the seccomp fd to the listener");
        off += (size_t) n;
        iov = (struct iovec) { (char *) state + off, len - off };
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
    }
    return 0;
}
