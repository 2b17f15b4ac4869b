/* hosts.h: containers on a user-created network find each other by name
 * through their /etc/hosts: each one's file (bind-mounted from
 * <root>/containers/<id>/hosts) holds, below a marker line, the address
 * and name of every container attached to its networks, rewritten in
 * place (the bind mount keeps the inode) whenever one joins or leaves.
 * The default network resolves no names, as podman's and docker's. */
#ifndef CAPSA_ENGINE_HOSTS_H
#define CAPSA_ENGINE_HOSTS_H

#include "engine/engine.h"

/* Rewrite the peers part of the hosts file of every container attached
 * to network (best effort for each file; an error names the first). */
int cx_hosts_refresh(struct cx_engine *e, const char *network, cx_error *err);
/* Rewrite container id's own file (it left a network). */
int cx_hosts_refresh_one(struct cx_engine *e, const char *id, cx_error *err);

#endif
