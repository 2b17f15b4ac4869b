/* link.h: the few network devices capsa handles itself, over rtnetlink:
 * a network's bridge deleted with the network (the CNI bridge plugin
 * leaves it), and a new namespace's loopback brought up. */
#ifndef CAPSA_NET_LINK_H
#define CAPSA_NET_LINK_H

#include <stdbool.h>

#include "common/error.h"

/* Delete the device name in this network namespace; none is success. */
int cx_link_delete(const char *name, cx_error *err);
bool cx_link_exists(const char *name);
/* Bring "lo" up in this network namespace (0, or -errno). */
int cx_link_lo_up(void);

#endif
