/* sync.c: see sync.h. */
#include "runtime/sync.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/unixsock.h"

static int send_msg(int sock, const struct sync_msg *m, int fd)
{
    return cx_send_with_fd(sock, m, sizeof *m, fd);
}

int sync_send(int sock, enum sync_type type)
{
    struct sync_msg m = { .type = type };
    return send_msg(sock, &m, -1);
}

int sync_send_error(int sock, const cx_error *err)
{
    struct sync_msg m = { .type = SYNC_ERROR, .errnum = err->errnum };
    memcpy(m.text, err->msg, sizeof m.text);
    m.text[sizeof m.text - 1] = '\0';
    return send_msg(sock, &m, -1);
}

int sync_send_fd(int sock, int fd)
{
    struct sync_msg m = { .type = SYNC_FD };
    return send_msg(sock, &m, fd);
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
    struct iovec iov = { m, sizeof *m };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;
    if (fd)
        *fd = -1;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0)
            errno = 0;
        return -1;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd && *fd < 0)
                *fd = got;
            else
                close(got);
        }
    if ((size_t) n != sizeof *m) {
        errno = EPROTO;
        return -1;
    }
    m->text[sizeof m->text - 1] = '\0';
    return 0;
}

int sync_expect(int sock, enum sync_type type, const char *peer, int *fd,
                cx_error *err)
{
    struct sync_msg m;
    if (sync_recv(sock, &m, fd) < 0) {
        if (errno == 0)
            return cx_fail(err, 0, "%s exited before it finished its setup", peer);
        return cx_fail_errno(err, "read from %s", peer);
    }
    if (m.type == SYNC_ERROR)
        return cx_fail(err, m.errnum, "%s", m.text);
    if (m.type != (uint32_t) type)
        return cx_fail(err, EPROTO, "%s sent message %u, expected %u", peer,
                       m.type, (unsigned) type);
    return 0;
}
