/* spec_res.h: the parts of config.json that give a container some of the
 * host: linux.resources (cgroup limits and the device rules), the device
 * nodes of --device (linux.devices) and the kernel parameters
 * (linux.sysctl). */
#ifndef CAPSA_ENGINE_SPEC_RES_H
#define CAPSA_ENGINE_SPEC_RES_H

#include <jansson.h>

#include "common/error.h"
#include "engine/run_opts.h"

/* --device: each host node stat'ed now (a symlink followed), as a
 * linux.devices entry at its container path (*nodes) and a cgroup rule
 * allowing its type, major, minor and permissions (*rules).  A missing
 * host node, a directory or a file that is no device is an error naming
 * the flag.  Both arrays are new (empty without --device). */
int cx_spec_user_devices(const struct cx_run_opts *o, json_t **nodes, json_t **rules,
                         cx_error *err);

/* linux.resources: every device denied but the rules given (all allowed
 * for --privileged), then memory, CPU and pids as the flags ask (podman's
 * defaults: swap twice --memory, 2048 pids). */
json_t *cx_spec_resources(const struct cx_run_opts *o, json_t *rules);

/* linux.sysctl: net.ipv4.ping_group_range "0 0" in a network namespace
 * of its own (ping without CAP_NET_RAW, as podman), then --sysctl (the
 * last value of a key wins); NULL when empty. */
json_t *cx_spec_sysctl(const struct cx_run_opts *o);

#endif
