/* sync.c: see sync.h. */
#include "runtime/sync.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
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
    int got, nfds;
    ssize_t n = cx_recv_with_fd(sock, m, sizeof *m, &got, &nfds);
    if (fd)
        *fd = got;
    else
        cx_close(got);
    if (n <= 0) {
        if (n == 0)
            errno = 0;
        return -1;
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
