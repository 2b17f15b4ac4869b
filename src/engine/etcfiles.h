/* etcfiles.h: a container's /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, made per container in <root>/containers/<id>/ and
 * bind-mounted over the image's. */
#ifndef CAPSA_ENGINE_ETCFILES_H
#define CAPSA_ENGINE_ETCFILES_H

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/run_opts.h"

/* resolv.conf: the host's, its loopback nameservers (unreachable from
 * another network namespace) dropped unless o's network is the host's;
 * --dns, --dns-search and --dns-option each replace their part.  hosts:
 * localhost, the --add-host lines, and the hostname on 127.0.1.1 unless
 * the container is on networks (hosts.c gives it its address there). */
int cx_etc_files_write(struct cx_engine *e, const char *id, const char *hostname,
                       const struct cx_run_opts *o, cx_error *err);

/* The first line of a hostname file into hostname (unchanged when the
 * file cannot be read). */
void cx_hostname_read(const char *path, char hostname[65]);

/* The files' text (pure) from the host's resolv.conf text and o. */
char *cx_resolv_conf_for_container(const char *host, const struct cx_run_opts *o);
char *cx_hosts_for_container(const char *hostname, const struct cx_run_opts *o);

#endif
