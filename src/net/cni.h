/* cni.h: capsa as a CNI runtime (shared/specs/cni/SPEC.md, section 3):
 * a network configuration's plugins run in order for ADD (each given the
 * one before's result as prevResult), in reverse for DEL, in order for
 * CHECK, each with the request derived from its plugin object (cniVersion
 * and name of the list, runtimeConfig from the capabilities it declares
 * and the attachment's capability arguments, no "capabilities").
 *
 * ADD's final result is kept, with the configuration and the attachment's
 * arguments, in cache_dir/<network>-<container>-<ifname>.json, written
 * before ADD starts (so a killed ADD is still undone by DEL) and after
 * each plugin's ADD (the result so far: a DEL after a kill gives the
 * plugins that added the addresses as prevResult); DEL and CHECK use
 * exactly what was kept, and DEL removes it. */
#ifndef CAPSA_NET_CNI_H
#define CAPSA_NET_CNI_H

#include "net/cni_conf.h"
#include "net/cni_exec.h"

int cx_cni_add(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
               const struct cx_cni_attach *a, const char *cache_dir, json_t **result,
               cx_error *err);
/* Without a cached attachment: the configuration c as it is now (may be
 * NULL: nothing to do then). */
int cx_cni_del(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
               const struct cx_cni_attach *a, const char *network, const char *cache_dir,
               cx_error *err);
int cx_cni_check(const struct cx_cni_rt *rt, const struct cx_cni_conf *c,
                 const struct cx_cni_attach *a, const char *cache_dir, cx_error *err);

/* The request for one plugin (exposed for the unit tests). */
json_t *cx_cni_request(const struct cx_cni_conf *c, json_t *plugin,
                       const struct cx_cni_attach *a, json_t *prev);

#endif
