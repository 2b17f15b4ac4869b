/* watch.h: waiting for a container to change, without polling.
 *
 * A watch is opened before the state is first read, so no change between
 * that read and the wait is lost: inotify on the container's run directory
 * (the shim's exit file, renamed into place) and on <runroot>/exits (the
 * code an --rm container leaves), and a pidfd each on the container's init
 * and on its shim (which exits after the exit command).  Every source is
 * best effort: a wait never sleeps longer than it is told, so a watch that
 * could open nothing degrades to a short poll. */
#ifndef CAPSA_ENGINE_WATCH_H
#define CAPSA_ENGINE_WATCH_H

#include "engine/engine.h"

struct cx_ctr_watch {
    int ino, shim, init;   /* -1 when not open */
};

/* Never fails; a source it cannot open is left out. */
void cx_ctr_watch_open(struct cx_engine *e, const char *id, struct cx_ctr_watch *w);
/* Until one of the sources fires, or max_ms pass. */
void cx_ctr_watch_wait(struct cx_ctr_watch *w, int max_ms);
/* Until the shim has exited (it does after its exit command), or max_ms
 * pass; at once when its exit was seen or it could not be watched. */
void cx_ctr_watch_shim_gone(struct cx_ctr_watch *w, int max_ms);
void cx_ctr_watch_close(struct cx_ctr_watch *w);

#endif
