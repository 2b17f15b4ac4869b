/* ctr_net.h: a container on its CNI networks.  At create, each network it
 * joins is recorded (container_networks: eth0, eth1, ... in the order
 * given); at each start a network namespace is made and pinned at
 * <runroot>/netns/<id> (loopback up), and the networks' plugins ADD it;
 * at each stop (the exit command, stop, rm) they DEL it from what ADD
 * left in <runroot>/cni/results, and the pin is removed.  A start that
 * fails halfway DELs what it had added. */
#ifndef CAPSA_ENGINE_CTR_NET_H
#define CAPSA_ENGINE_CTR_NET_H

#include <stdbool.h>

#include <jansson.h>

#include "engine/engine.h"
#include "engine/run_opts.h"

/* <runroot>/netns/<id> */
char *cx_ctr_netns_path(struct cx_engine *e, const char *id);
int cx_ctr_net_record(struct cx_engine *e, const char *id, char *const *networks,
                      cx_error *err);
/* -p and -P made explicit for the record: every host port chosen (free
 * now), the image's ExposedPorts for -P; *out NULL-terminated. */
int cx_ctr_ports_resolve(char *const *publish, bool all, json_t *exposed, char ***out,
                         cx_error *err);
/* --ip in the subnet of its network, not its gateway: before create */
int cx_ctr_net_check(struct cx_engine *e, const struct cx_run_opts *o, cx_error *err);
/* o: the record's options; the first network gets the resolved -p
 * (portMappings), --ip (ips) and --mac-address (mac) */
struct cx_net_job;
/* The start's part, before the shim: the namespace made and pinned, each
 * network's configuration made, then the plugins' ADD started in a thread
 * of its own (*job NULL: the container is on no network). */
int cx_ctr_net_attach_begin(struct cx_engine *e, const char *id, const struct cx_run_opts *o,
                            struct cx_net_job **job, cx_error *err);
/* Then, before the container's process runs: ADD waited for, the
   addresses recorded, the hosts files rewritten; on failure what was
   added is DELed.  Frees job. */
int cx_ctr_net_attach_end(struct cx_engine *e, struct cx_net_job *job, cx_error *err);
/* network connect/disconnect: the container (by name or ID) joins or
 * leaves network now if it runs, else at its next start.  Only for a
 * container on CNI networks (not --network none, host or the private
 * default). */
int cx_ctr_net_connect(struct cx_engine *e, const char *ctr, const char *network,
                       cx_error *err);
int cx_ctr_net_disconnect(struct cx_engine *e, const char *ctr, const char *network,
                          cx_error *err);
/* inspect's NetworkSettings (podman's fields): the address on each
 * network (the first one's also at the top) and the published ports of
 * the record's options opts. */
json_t *cx_ctr_net_settings(struct cx_engine *e, const char *id, json_t *opts);
/* Never stops at the first error: every network is tried, the pin removed. */
int cx_ctr_net_detach(struct cx_engine *e, const char *id, cx_error *err);
/* DEL one attachment of id from what was kept of it in <runroot>/cni/results
 * (its record not needed; nothing kept: nothing done), its pin as the
 * netns (src/engine/net_gc.c). */
int cx_ctr_net_del_kept(struct cx_engine *e, const char *id, const char *network,
                        const char *ifname, cx_error *err);

#endif
