/* ctr_live.h: the state of many containers at the cost a list can pay.
 * ListContainers, ListPodSandbox, the stats lists and the events'
 * comparison read every container, the kubelet every second.
 * cx_ctr_sync costs a running container two opens for its exit file and
 * a read of /proc/<pid>/stat (its start time, so that a reused pid does
 * not pass for the container): some 15 µs, most of it path walks.
 *
 * Here a running container's init is known by a pidfd, opened the first
 * time it is seen (and kept only when the start time read after the open
 * is the record's: then the pidfd is that process, whatever its number
 * becomes).  A list asks one poll() of all its containers' pidfds: a
 * pidfd not readable is an init that still runs, so its shim (which
 * writes the exit file once it has reaped the init) has written none, and
 * the record's "running" stands, as cx_ctr_sync would find.  An init that
 * ended (readable), a container not known yet or not kept, a record of
 * another boot or between create and start get cx_ctr_sync, so an exit is
 * seen by the next list; a record at rest (configured, exited) costs
 * nothing: only the engine moves it on.
 *
 * The pidfds are capsad's only: close-on-exec, at most a quarter of the
 * fd limit (beyond, containers are read the full way), closed when their
 * process ends or when no list asked for them for CRI_LIVE_FORGET_NS. */
#ifndef CAPSA_CRI_CTR_LIVE_H
#define CAPSA_CRI_CTR_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/containers.h"
#include "engine/engine.h"

#define CRI_LIVE_FORGET_NS INT64_C(60000000000)

/* cx_ctr_sync of the n records v[i], cheaply. */
void cri_ctrs_sync_quick(struct cx_engine *e, struct cx_ctr *const *v, size_t n);
/* The same for one. */
void cri_ctr_sync_quick(struct cx_engine *e, struct cx_ctr *c);

/* For the tests: the pidfds kept, and all of them closed. */
size_t cri_live_size(void);
void cri_live_clear(void);

#endif
