/* loop.h: an event loop for capsa-shim and capsad: one epoll set, every
 * source a struct with its fd and callback.  Signals arrive through a
 * signalfd, a child's death through its pidfd, deadlines through timerfds,
 * work finished by other threads through an eventfd, all as ordinary
 * sources.
 *
 * The loop is single-threaded: only the thread that runs loop_once() may
 * call the loop_* functions on it or touch its sources.  A program with
 * worker threads (capsad) hands their results over through a queue it
 * locks itself and wakes the loop with an eventfd (loop_wakeup_fd below). */
#ifndef CAPSA_COMMON_LOOP_H
#define CAPSA_COMMON_LOOP_H

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

/* Waking the loop from other threads.  loop_wakeup_fd() makes an eventfd
 * (non-blocking, close-on-exec) to add as a source for EPOLLIN.  A worker
 * pushes its result onto a queue under the queue's mutex, unlocks, then
 * calls loop_wakeup(fd).  The source's callback first calls
 * loop_wakeup_drain(fd), then takes the whole queue under the mutex:
 * draining first means a wake-up posted after the queue was taken stays
 * pending and fires the callback again, so no result is left waiting.
 * loop_wakeup() may be called from any thread and from a signal handler
 * (one write(2)); wake-ups posted before the loop runs coalesce into one
 * callback. */
int loop_wakeup_fd(cx_error *err);
void loop_wakeup(int fd);
/* The wake-ups posted since the last drain (0: none). */
uint64_t loop_wakeup_drain(int fd);

#endif
