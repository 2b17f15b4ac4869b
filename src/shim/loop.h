/* loop.h: the shim's event loop: one epoll set, every source a struct
 * with its fd and callback; no threads.  Signals arrive through a
 * signalfd, the container's death through its pidfd, deadlines through
 * timerfds, all as ordinary sources. */
#ifndef CAPSA_SHIM_LOOP_H
#define CAPSA_SHIM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct loop_src;
typedef void (*loop_fn)(struct loop_src *src, uint32_t events);

struct loop_src {
    int fd;
    loop_fn fn;
    void *data;
    uint32_t events;     /* what is registered now (0: parked) */
    bool added;
};

struct epoll_event;

struct loop {
    int epfd;
    bool stop;
    /* the batch being dispatched: loop_del blanks later entries for the
     * source it removes, so a callback may free another source safely */
    struct epoll_event *batch;
    int batch_n;
};

int loop_init(struct loop *l, cx_error *err);
void loop_src_init(struct loop_src *s, int fd, loop_fn fn, void *data);
int loop_add(struct loop *l, struct loop_src *s, uint32_t events, cx_error *err);
/* Change the interest set; 0 parks the source without removing it. */
void loop_set(struct loop *l, struct loop_src *s, uint32_t events);
/* Remove a source; once this returns the loop never touches it again, so
 * the caller may free it, even from inside another source's callback. */
void loop_del(struct loop *l, struct loop_src *s);
/* Dispatch ready sources once; timeout_ms as for epoll_wait. */
int loop_once(struct loop *l, int timeout_ms);
void loop_close(struct loop *l);

/* Now on CLOCK_MONOTONIC, in milliseconds: for deadlines kept outside
 * the loop (a bounded flush, a lock waited for). */
int64_t loop_now_ms(void);
/* A one-shot timerfd firing after ms milliseconds (CLOCK_MONOTONIC). */
int loop_timer_fd(int64_t ms, cx_error *err);

#endif
