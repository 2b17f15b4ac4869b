/* default_spec.h: the config.json `capsa spec` writes: the same defaults
 * engines and users know from `runc spec` (a shell on a terminal, three
 * capabilities, the standard mounts, masked and read-only paths). */
#ifndef CAPSA_DEFAULT_SPEC_H
#define CAPSA_DEFAULT_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* rootless: a user namespace mapping uid/gid to root, no network
 * namespace, /sys bound from the host, no device rules. */
json_t *oci_default_spec(bool rootless, uid_t uid, gid_t gid);

#endif
