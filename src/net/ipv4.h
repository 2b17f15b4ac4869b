/* ipv4.h: IPv4 subnets as networks need them: "a.b.c.d/len" parsed
 * strictly (the address must be the network's own), overlap, membership,
 * the n-th host; and the host's routes (/proc/net/route), which a new
 * network must not shadow. */
#ifndef CAPSA_NET_IPV4_H
#define CAPSA_NET_IPV4_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct cx_subnet {
    uint32_t addr;   /* host order */
    int len;         /* prefix length */
};

int cx_subnet_parse(const char *s, struct cx_subnet *out, cx_error *err);
/* "10.99.1.0/24" */
void cx_subnet_format(const struct cx_subnet *n, char buf[static 20]);
int cx_ipv4_parse(const char *s, uint32_t *out);      /* 0, or -1 */
void cx_ipv4_format(uint32_t a, char buf[static 16]);
bool cx_subnet_overlap(const struct cx_subnet *a, const struct cx_subnet *b);
bool cx_subnet_has(const struct cx_subnet *n, uint32_t a);
/* A route of this network namespace that n would overlap (not the default
 * route, not one through a device named skip_prefix*): its text in buf. */
bool cx_route_overlaps(const struct cx_subnet *n, const char *skip_prefix, char buf[static 64]);

#endif
