/* fwrules.h: the firewall rules of a bridge network, made once per network
 * instead of once per container.  The CNI bridge plugin's ipMasq and the
 * firewall plugin each run iptables several times at every ADD and DEL
 * (a chain per container); a network's traffic needs only, in the netns
 * capsactl runs in:
 *
 *   filter FORWARD  -i BRIDGE -j ACCEPT                      (out of it)
 *                   -o BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED,DNAT
 *                             -j ACCEPT                      (replies, published ports)
 *   nat POSTROUTING -s SUBNET ! -d SUBNET -j MASQUERADE      (to the world)
 *
 * and, for an --internal network, nothing leaves or enters the bridge:
 *
 *   filter FORWARD  -i BRIDGE ! -o BRIDGE -j DROP
 *                   -o BRIDGE ! -i BRIDGE -j DROP
 *
 * Each rule carries the comment "capsa network NAME", so they are found
 * and removed exactly (network rm).  Adding checks each rule first (-C),
 * so it can be repeated; removing ignores a rule already gone. */
#ifndef CAPSA_NET_FWRULES_H
#define CAPSA_NET_FWRULES_H

#include <stdbool.h>

#include "common/error.h"

struct cx_fw_net {
    const char *name, *bridge, *subnet;
    bool internal;
};

int cx_fw_rules_add(const struct cx_fw_net *n, cx_error *err);
/* Every rule is tried; the error names the first that could not go. */
int cx_fw_rules_remove(const struct cx_fw_net *n, cx_error *err);

/* The iptables arguments of rule i (0, 1, ...) after the table and the
 * action: {"FORWARD", "-i", "capsa0", ...}, NULL past the last; table
 * gets "filter" or "nat".  For the unit test. */
char **cx_fw_rule(const struct cx_fw_net *n, int i, const char **table);

#endif
