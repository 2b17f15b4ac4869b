/* lock.h: one lock file per object (<root>/locks/<kind>-<hex>), taken
 * with flock: the slow work on a blob, a layer or an image is done by one
 * process at a time, and a lock that can be taken means its last holder
 * is gone (the kernel drops it with the process). */
#ifndef CAPSA_STORE_LOCK_H
#define CAPSA_STORE_LOCK_H

#include <stdbool.h>

#include "common/error.h"

struct cx_lock {
    int fd;
};
#define CX_LOCK_INIT { -1 }

/* Take the lock kind-key (key: a digest's hex, checked by the caller).
 * wait false: return 1 without waiting when another process holds it. */
int cx_lock_take(int locksfd, const char *kind, const char *key, bool wait,
                 struct cx_lock *out, cx_error *err);
void cx_lock_release(struct cx_lock *l);
static inline void cx_lock_releasep(struct cx_lock *l) { cx_lock_release(l); }
#define _cleanup_lock_ __attribute__((cleanup(cx_lock_releasep)))

#endif
