/* loop.c: see loop.h. */
#include "common/loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

int loop_init(struct loop *l, cx_error *err)
{
    l->stop = false;
    l->batch = NULL;
    l->batch_n = 0;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return cx_fail_errno(err, "epoll_create1");
    return 0;
}

void loop_src_init(struct loop_src *s, int fd, loop_fn fn, void *data)
{
    s->fd = fd;
    s->fn = fn;
    s->data = data;
    s->events = 0;
    s->added = false;
}

int loop_add(struct loop *l, struct loop_src *s, uint32_t events, cx_error *err)
{
    struct epoll_event ev = { .events = events, .data.ptr = s };
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
        return cx_fail_errno(err, "epoll_ctl add fd %d", s->fd);
    s->events = events;
    s->added = true;
    return 0;
}

void loop_set(struct loop *l, struct loop_src *s, uint32_t events)
{
    if (!s->added || s->events == events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = s };
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0)
        s->events = events;
}

void loop_del(struct loop *l, struct loop_src *s)
{
    if (!s->added)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    s->added = false;
    s->events = 0;
    for (int i = 0; i < l->batch_n; i++)
        if (l->batch[i].data.ptr == s)
            l->batch[i].data.ptr = NULL;
}

int loop_once(struct loop *l, int timeout_ms)
{
    struct epoll_event evs[16];
    int n = epoll_wait(l->epfd, evs, 16, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    l->batch = evs;
    l->batch_n = n;
    for (int i = 0; i < n; i++) {
        /* NULL: a callback earlier in this batch removed (and maybe freed) it */
        struct loop_src *s = evs[i].data.ptr;
        if (s && s->added && s->fn)
            s->fn(s, evs[i].events);
    }
    l->batch = NULL;
    l->batch_n = 0;
    return n;
}

void loop_close(struct loop *l)
{
    l->epfd = cx_close(l->epfd);
}

int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_timer_fd(int64_t ms, cx_error *err)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0)
        return cx_fail_errno(err, "timerfd_create");
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (ms % 1000) * 1000000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    if (timerfd_settime(fd, 0, &its, NULL) < 0) {
        int e = errno;
        close(fd);
        return cx_fail(err, e, "timerfd_settime");
    }
    return fd;
}

int loop_wakeup_fd(cx_error *err)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return cx_fail_errno(err, "eventfd");
    return fd;
}

void loop_wakeup(int fd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: the loop is woken anyway */
    int saved = errno;
    ssize_t n;
    do
        n = write(fd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
    errno = saved;
}

uint64_t loop_wakeup_drain(int fd)
{
    uint64_t n;
    ssize_t r;
    do
        r = read(fd, &n, sizeof n);
    while (r < 0 && errno == EINTR);
    return r == (ssize_t) sizeof n ? n : 0;
}
