/* sink.c: see sink.h. */
#include "cri/stream/sink.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

void sink_init(struct sink *k, int fd, size_t piece)
{
    *k = (struct sink) { .fd = fd, .piece = piece };
}

void sink_free(struct sink *k)
{
    cx_buf_free(&k->pending);
}

/* Write from p as much as the socket takes now: the bytes written. */
static size_t put(struct sink *k, const unsigned char *p, size_t n)
{
    size_t done = 0;
    while (done < n && k->fd >= 0 && !k->broken) {
        size_t len = n - done;
        if (k->piece && len > k->piece)
            len = k->piece;
        ssize_t w = send(k->fd, p + done, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (errno != EAGAIN && errno != ENOBUFS)
                k->broken = true;
            break;
        }
        done += (size_t) w;
    }
    return k->broken ? n : done;
}

static void maybe_shut(struct sink *k)
{
    if (k->shut_wanted && !k->shut_done && k->pending.len == 0 && k->fd >= 0) {
        shutdown(k->fd, SHUT_WR);
        k->shut_done = true;
    }
}

bool sink_write(struct sink *k, const void *p, size_t n)
{
    size_t done = k->pending.len == 0 ? put(k, p, n) : 0;
    if (done < n)
        cx_buf_add(&k->pending, (const unsigned char *) p + done, n - done);
    return k->pending.len > 0;
}

bool sink_flush(struct sink *k)
{
    if (k->pending.len > 0)
        cx_buf_drop(&k->pending, put(k, k->pending.data, k->pending.len));
    maybe_shut(k);
    return k->pending.len == 0;
}

void sink_shutdown(struct sink *k)
{
    k->shut_wanted = true;
    maybe_shut(k);
}

short sink_events(const struct sink *k)
{
    return k->fd >= 0 && !k->broken && k->pending.len > 0 ? POLLOUT : 0;
}
