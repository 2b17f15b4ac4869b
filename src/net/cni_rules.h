/* cni_rules.h: the iptables rules CNI's plugins leave behind, found and
 * removed.  The bridge plugin's ipMasq (a chain CNI-<hash> per container,
 * jumped to from nat POSTROUTING with the comment `name: "NET" id: "ID"`),
 * portmap's (CNI-DN-<hash> per container, jumped to from the shared
 * CNI-HOSTPORT-DNAT with `dnat name: "NET" id: "ID"`) and firewall's (two
 * rules per address in the shared filter chain CNI-FORWARD) go with the
 * container's DEL; they stay when that DEL could not run (no plugin, or
 * the bridge plugin's when the network namespace was already gone).
 *
 * One table at a time: what `iptables-save -t TABLE` prints is read, the
 * rules a predicate picks are deleted, then every container chain
 * (CNI-<hash>, CNI-DN-<hash>) that only those rules jumped to is flushed
 * and deleted, all in one `iptables-restore --noflush` (one transaction
 * per table: a rule changed meanwhile fails it whole, nothing half done). */
#ifndef CAPSA_NET_CNI_RULES_H
#define CAPSA_NET_CNI_RULES_H

#include <stdbool.h>

#include "common/error.h"

/* One rule of an iptables-save listing, its fields unquoted ("" when
 * absent). */
struct cx_ipt_rule {
    char chain[32], target[32], src[48], dst[48], in[20], out[20];
    bool not_src, not_dst;
    char comment[256];
};

/* What the sweep removes: a rule r of the table. */
struct cx_ipt_pick {
    /* the rules naming the network NET: its comments, and in CNI-* chains
       its bridge (-i/-o) or an address of its subnet (-s/-d) */
    const char *network, *bridge, *subnet;
    /* the rules naming a container: its comments (the 64-hex ID), and in
       CNI-FORWARD its addresses (a.b.c.d, NULL-terminated) */
    const char *ctr_id;
    char *const *addrs;
};

bool cx_ipt_picked(const struct cx_ipt_pick *p, const struct cx_ipt_rule *r);
/* One "-A ..." line parsed; false when it is not one. */
bool cx_ipt_parse(const char *line, struct cx_ipt_rule *r);

/* The iptables-restore script removing from table (listed in saved) the
 * rules p picks and the container chains left without a jump to them;
 * NULL when there is nothing to remove. */
char *cx_ipt_sweep_script(const char *table, const char *saved, const struct cx_ipt_pick *p);
/* The script removing the chains every CNI user of the namespace shares
 * (filter: CNI-FORWARD, CNI-ADMIN; nat: CNI-HOSTPORT-DNAT, -MASQ,
 * -SETMARK) and the jumps of the built-in chains to them, when they hold
 * nothing but what the plugins put there for themselves; else NULL. */
char *cx_ipt_shared_script(const char *table, const char *saved);

/* Run them, in the caller's network namespace: the listing of table
 * (iptables-save -t table), and a script (iptables-restore --noflush). */
int cx_ipt_save(const char *table, char **out, cx_error *err);
int cx_ipt_restore(const char *script, cx_error *err);
/* Sweep table for p (nothing there, or no iptables: nothing done). */
int cx_ipt_sweep(const char *table, const struct cx_ipt_pick *p, cx_error *err);

#endif
