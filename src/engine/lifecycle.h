/* lifecycle.h: what happens to a container, from its record to its
 * removal.  Every step takes the container's lock (locks/ctr-<id>), except
 * the waits: stop and wait poll the derived state so the shim's exit
 * command (`capsactl container cleanup ID`) can take the lock meanwhile. */
#ifndef CAPSA_ENGINE_LIFECYCLE_H
#define CAPSA_ENGINE_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/containers.h"
#include "engine/engine.h"
#include "engine/run_opts.h"
#include "image/manifest.h"

int64_t cx_now_ns(void);

/* Record a container from an image and options, make its bundle (rootfs
 * mounted, config.json written).  On failure nothing is left.  out is
 * zeroed by the caller, or has the ID to use in out->id (capsad reserves
 * IDs before it creates). */
int cx_ctr_create(struct cx_engine *e, const struct cx_image_rec *img,
                  const struct cx_image_config *cfg, const struct cx_run_opts *o,
                  struct cx_ctr *out, cx_error *err);

/* Called between the shim's pid and the runtime's start (to attach). */
typedef int (*cx_before_start_fn)(void *arg, const struct cx_ctr *c, cx_error *err);

/* Start a created or exited container: its shim and runtime container
 * (made anew), then start.  The exit code of a command that cannot run is
 * in err->errnum's place: *code 126/127 when known, else 125. */
int cx_ctr_start(struct cx_engine *e, struct cx_ctr *c, cx_before_start_fn before,
                 void *arg, int *code, cx_error *err);

/* The state with what the record cannot know yet: the shim's exit file,
 * a dead pid, another boot.  Never writes. */
void cx_ctr_sync(struct cx_engine *e, struct cx_ctr *c);

/* Signal the container's processes. */
int cx_ctr_kill(struct cx_engine *e, struct cx_ctr *c, int sig, cx_error *err);
/* Stop: signal, wait timeout s, then SIGKILL; returns once it is exited. */
int cx_ctr_stop(struct cx_engine *e, struct cx_ctr *c, int timeout, cx_error *err);
/* Wait until exited (timeout_ms < 0: forever); *code its exit code (-1 unknown). */
int cx_ctr_wait(struct cx_engine *e, const char *id, int timeout_ms, int *code,
                cx_error *err);
int cx_ctr_pause(struct cx_engine *e, struct cx_ctr *c, bool pause, cx_error *err);
/* The exit command's work: record the exit, delete the runtime container,
 * unmount, then --rm or the restart policy.  Idempotent. */
int cx_ctr_cleanup(struct cx_engine *e, const char *id, cx_error *err);
/* Remove (force: stop it first), with its anonymous volumes when volumes. */
int cx_ctr_remove(struct cx_engine *e, const char *what, bool force, bool volumes,
                  cx_error *err);

#endif
