/* networks.h: capsactl's networks: CNI bridge networks recorded in the
 * store's database (schema 4), each with its own bridge (capsa0 for the
 * default network "capsa", capsaN for the others), an IPv4 subnet that
 * overlaps no other network and no route of the host, and a conflist made
 * from the record: bridge (with host-local IPAM, leases under
 * <runroot>/cni/ipam), portmap, firewall, tuning. */
#ifndef CAPSA_ENGINE_NETWORKS_H
#define CAPSA_ENGINE_NETWORKS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "net/cni_conf.h"

#define CX_NETWORK_DEFAULT "capsa"
#define CX_NETWORK_DEFAULT_SUBNET "10.99.0.0/16"
/* user networks without --subnet: the first free 10.100.N.0/24, N = 0..255 */

struct cx_network {
    char *name, *id, *bridge, *subnet, *gateway, *labels;
    char *conf_file;     /* "": capsactl's bridge network; else the CNI
                          * configuration file it is (no bridge, subnet or
                          * rules of ours: the file's plugins do it all) */
    bool internal;
    int64_t created;
    char **containers;   /* the IDs of the containers on it */
    size_t ncontainers;
};

void cx_network_free(struct cx_network *n);
void cx_networks_free(struct cx_network *n, size_t count);

struct cx_network_opts {
    const char *subnet, *gateway;  /* NULL: chosen */
    bool internal;
    const char *labels_json;       /* NULL: {} */
};

int cx_network_create(struct cx_engine *e, const char *name, const struct cx_network_opts *o,
                      struct cx_network *out, cx_error *err);
/* By name, or by ID or a unique prefix of it; the default network is made
 * on its first use.  Not found: ENOENT, "network NAME not found". */
int cx_network_get(struct cx_engine *e, const char *what, struct cx_network *out,
                   cx_error *err);
int cx_network_list(struct cx_engine *e, struct cx_network **out, size_t *n, cx_error *err);
/* Remove an unused network and its bridge (in use: EBUSY naming a
 * container). */
int cx_network_remove(struct cx_engine *e, const char *name, cx_error *err);
/* The CNI configuration of n for an attachment with capability arguments
 * caps ({"portMappings": [...], "mac": "..."} or NULL): bridge with
 * host-local, portmap when there are ports, tuning when there is a MAC. */
int cx_network_conf(struct cx_engine *e, const struct cx_network *n, json_t *caps,
                    struct cx_cni_conf *out, cx_error *err);
/* The network the CNI configuration file path (already read into conf)
 * describes, recorded under conf's name (or its record updated to path).
 * A capsactl network of that name: EEXIST. */
int cx_network_of_file(struct cx_engine *e, const char *path, const struct cx_cni_conf *conf,
                       struct cx_network *out, cx_error *err);
/* n's firewall rules (net/fwrules.h), made once per boot: a marker under
 * <runroot>/cni/rules says they are there. */
int cx_network_rules(struct cx_engine *e, const struct cx_network *n, cx_error *err);

#endif
