/* unixsock.c: see unixsock.h. */
#include "common/unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"

int cx_unix_connect(const char *path, const char *what, cx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return cx_fail(err, ENAMETOOLONG, "%s %s: path too long for a unix socket", what, path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cx_fail_errno(err, "%s: socket", what);
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
        return cx_fail_errno(err, "connect to the %s %s", what, path);
    return TAKE_FD(fd);
}

/* Whether a live process listens at path: connect tells (ECONNREFUSED:
 * the socket file outlived its listener). */
static int probe_stale(const char *path, const char *what, cx_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : cx_fail_errno(err, "%s: stat %s", what, path);
    if (!S_ISSOCK(st.st_mode))
        return cx_fail(err, EEXIST, "%s: %s exists and is not a socket", what, path);
    cx_error ignored;
    _cleanup_close_ int fd = cx_unix_connect(path, what, &ignored);
    if (fd >= 0)
        return cx_fail(err, EADDRINUSE, "%s: another process listens on %s", what, path);
    if (unlink(path) < 0 && errno != ENOENT)
        return cx_fail_errno(err, "%s: remove the stale socket %s", what, path);
    return 0;
}

int cx_unix_listen(const char *path, mode_t mode, const char *what, cx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return cx_fail(err, ENAMETOOLONG, "%s: %s: path too long for a unix socket", what, path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (probe_stale(path, what, err) < 0)
        return -1;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return cx_fail_errno(err, "%s: socket", what);
    /* bound with no access, then opened to mode: never a moment wider */
    mode_t old = umask(0777);
    int rc = bind(fd, (struct sockaddr *) &sa, sizeof sa);
    umask(old);
    if (rc < 0)
        return cx_fail_errno(err, "%s: bind %s", what, path);
    if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        unlink(path);
        return cx_fail(err, e, "%s: listen on %s", what, path);
    }
    return TAKE_FD(fd);
}

int cx_send_with_fd(int sock, const void *data, size_t len, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    size_t off = 0;
    struct iovec iov = { (void *) data, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    while (off < len) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t) n;
        iov = (struct iovec){ (char *) data + off, len - off };
        mh.msg_control = NULL; /* the fd went with the first part */
        mh.msg_controllen = 0;
    }
    return 0;
}

ssize_t cx_recv_with_fd(int sock, void *buf, size_t len, int *fd, int *nfds)
{
    struct iovec iov = { buf, len };
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;
    *fd = -1;
    *nfds = 0;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof got, sizeof got);
            if (*fd < 0)
                *fd = got;
            else
                close(got);
            (*nfds)++;
        }
    }
    return n;
}
