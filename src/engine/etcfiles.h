/* etcfiles.h: a container's /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, made per container in <root>/containers/<id>/ and
 * bind-mounted over the image's. */
#ifndef CAPSA_ENGINE_ETCFILES_H
#define CAPSA_ENGINE_ETCFILES_H

#include <stdbool.h>

#include "engine/engine.h"

/* host_network: the host's resolv.conf as it is; otherwise its loopback
 * nameservers (unreachable from another network namespace) dropped. */
int cx_etc_files_write(struct cx_engine *e, const char *id, const char *hostname,
                       bool host_network, cx_error *err);

/* The first line of a hostname file into hostname (unchanged when the
 * file cannot be read). */
void cx_hostname_read(const char *path, char hostname[65]);

/* resolv.conf text for a container from the host's text (pure). */
char *cx_resolv_conf_for_container(const char *host, bool host_network);

#endif
