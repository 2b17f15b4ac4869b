/* net_gc.h: what a container's networks leave behind when the DEL of its
 * attachments never ran, and what a removed network leaves.
 *
 * A capsactl killed during a start (after ADD), a stop or an rm, a shim
 * SIGKILLed with its container (no exit command), or a plugin missing or
 * hanging at the DEL leave some of: the pin <runroot>/netns/<id> (with the
 * container's veth), the kept attachments <runroot>/cni/results/
 * <net>-<id>-<if>.json, host-local leases (<runroot>/cni/ipam/<net>/<ip>,
 * naming the container), and iptables rules (the bridge plugin's ipMasq
 * chain, portmap's CNI-DN chain and its jump, firewall's CNI-FORWARD
 * rules).  A kept attachment holds its whole configuration, so its DEL
 * needs no record; what no DEL can remove any more (the bridge plugin
 * removes its ipMasq rules only from inside the network namespace, which
 * may be gone) is removed by hand: the leases naming the container, the
 * rules whose comment names it or that name its addresses (after a DEL
 * without the namespace, or with leases no DEL released). */
#ifndef CAPSA_ENGINE_NET_GC_H
#define CAPSA_ENGINE_NET_GC_H

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/networks.h"

/* Container id (not live; its lock held, or no record): every attachment
 * kept for it DELed from what was kept (recorded or not), then its pin
 * removed.  final: no later DEL will come (the record is gone, or a start
 * is about to ADD, which overwrites what was kept): what a failed DEL left
 * is removed by hand and the kept attachment with it.  Not final and a DEL
 * failed: the kept attachment, the pin and the leases stay for the next
 * try (stop, start, rm, prune).  The first failure in *err (all is tried). */
int cx_net_gc_ctr(struct cx_engine *e, const char *id, bool final, cx_error *err);
/* The whole store: every container a kept attachment, a pin or a lease
 * names that is not live (created, running or paused), or has no record
 * any more, under its lock; then the lease directories of networks no
 * longer recorded.  Failures are warnings. */
void cx_net_gc(struct cx_engine *e);
/* After network n's record and bridge are gone: the store collected, then
 * the iptables rules naming n (its comments, its bridge, its subnet) and
 * its lease directory removed; with no network left in the store, the
 * chains every CNI user shares too, when they hold only the plugins' own
 * rules (net/cni_rules.h). */
int cx_net_gc_network(struct cx_engine *e, const struct cx_network *n, cx_error *err);

#endif
