/* ports.h: published ports, as `-p` gives them (podman's and docker's
 * syntax): [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], each port a number or
 * a range (START-END, the host's as long as the container's), an empty or
 * missing host port meaning a free one chosen at create. */
#ifndef CAPSA_NET_PORTS_H
#define CAPSA_NET_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

struct cx_port {
    char host_ip[16];     /* "" for every address */
    uint16_t host_port;   /* 0: to be chosen */
    uint16_t ctr_port;
    bool udp;
};

/* One -p value, appended to *v (ranges expanded). */
int cx_ports_parse(const char *spec, struct cx_port **v, size_t *n, cx_error *err);
/* Every spec of a NULL-terminated list of -p values (specs may be NULL). */
int cx_ports_parse_all(char *const *specs, struct cx_port **v, size_t *n, cx_error *err);
/* The same from a JSON array of strings (a record's "publish"), skipping
 * what does not parse. */
void cx_ports_of_json(json_t *list, struct cx_port **v, size_t *n);
/* Host ports still 0 given free ones of this network namespace's (two
 * mappings never get the same). */
int cx_ports_choose(struct cx_port *v, size_t n, cx_error *err);
/* A mapping whose host port is taken here by a socket: an error naming it. */
int cx_ports_check_free(const struct cx_port *v, size_t n, cx_error *err);
/* The CNI portMappings capability argument: [{hostPort, containerPort,
 * protocol, hostIP}] (also the form kept with the container), and back. */
json_t *cx_ports_json(const struct cx_port *v, size_t n);
int cx_ports_from_json(json_t *j, struct cx_port **v, size_t *n, cx_error *err);
/* "80/tcp": the container's side, as podman names a port */
void cx_port_key(const struct cx_port *p, char buf[static 16]);
/* "80/tcp -> 0.0.0.0:8080", as `port` prints it */
void cx_port_format(const struct cx_port *p, char buf[static 48]);

#endif
