/* ports.c: see ports.h. */
#include "net/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* "N" or "N-M" (1..65535); *lo = *hi = 0 for "" when empty_ok */
static int range(const char *s, size_t len, bool empty_ok, unsigned *lo, unsigned *hi)
{
    char buf[16];
    if (len == 0 && empty_ok)
        return *lo = *hi = 0, 0;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    uint64_t a, b;
    if (cx_parse_u64(buf, &a) < 0 || (dash && cx_parse_u64(dash + 1, &b) < 0))
        return -1;
    if (!dash)
        b = a;
    if (a < 1 || b > 65535 || b < a)
        return -1;
    *lo = (unsigned) a, *hi = (unsigned) b;
    return 0;
}

int cx_ports_parse(const char *spec, struct cx_port **v, size_t *n, cx_error *err)
{
    _cleanup_free_ char *s = cx_strdup(spec);
    bool udp = false;
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "udp") == 0)
            udp = true;
        else if (strcmp(slash + 1, "tcp") != 0)
            return cx_fail(err, 0, "-p %s: the protocol is tcp or udp", spec);
    }
    /* from the right: CONTAINERPORT, then HOSTPORT, then IP (which has no
       colon: IPv4) */
    char *c2 = strrchr(s, ':'), *ip = NULL, *hostp = NULL, *ctrp = s;
    if (c2) {
        *c2 = '\0';
        ctrp = c2 + 1;
        char *c1 = strrchr(s, ':');
        if (c1) {
            *c1 = '\0';
            ip = s, hostp = c1 + 1;
        } else
            hostp = s;
    }
    struct in_addr a;
    if (ip && *ip && inet_pton(AF_INET, ip, &a) != 1)
        return cx_fail(err, 0, "-p %s: \"%s\" is not an IPv4 address", spec, ip);
    unsigned clo, chi, hlo, hhi;
    if (range(ctrp, strlen(ctrp), false, &clo, &chi) < 0 ||
        range(hostp ? hostp : "", hostp ? strlen(hostp) : 0, true, &hlo, &hhi) < 0)
        return cx_fail(err, 0, "-p %s: want [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], ports "
                       "1 to 65535 or ranges START-END", spec);
    if (hlo && hhi - hlo != chi - clo)
        return cx_fail(err, 0, "-p %s: the host range and the container range differ in "
                       "length", spec);
    for (unsigned k = 0; k <= chi - clo; k++) {
        *v = cx_realloc(*v, (*n + 1) * sizeof **v);
        struct cx_port *p = &(*v)[(*n)++];
        memset(p, 0, sizeof *p);
        snprintf(p->host_ip, sizeof p->host_ip, "%s", ip && *ip ? ip : "");
        p->host_port = (uint16_t) (hlo ? hlo + k : 0);
        p->ctr_port = (uint16_t) (clo + k);
        p->udp = udp;
    }
    return 0;
}

int cx_ports_parse_all(char *const *specs, struct cx_port **v, size_t *n, cx_error *err)
{
    for (size_t i = 0; specs && specs[i]; i++)
        if (cx_ports_parse(specs[i], v, n, err) < 0)
            return -1;
    return 0;
}

void cx_ports_of_json(json_t *list, struct cx_port **v, size_t *n)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        cx_error ignored = { 0 };
        if (json_is_string(p))
            cx_ports_parse(json_string_value(p), v, n, &ignored);
    }
}

static int probe(const struct cx_port *p, uint16_t port, uint16_t *got)
{
    _cleanup_close_ int fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) |
                                    SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (p->host_ip[0])
        inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
        return -errno;
    if (got && getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
        *got = ntohs(sa.sin_port);
    return 0;
}

int cx_ports_choose(struct cx_port *v, size_t n, cx_error *err)
{
    for (size_t i = 0; i < n; i++) {
        for (int tries = 0; v[i].host_port == 0 && tries < 64; tries++) {
            uint16_t got = 0;
            int rc = probe(&v[i], 0, &got);
            if (rc < 0)
                return cx_fail(err, -rc, "-p: no free %s port", v[i].udp ? "udp" : "tcp");
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = j != i && v[j].host_port == got && v[j].udp == v[i].udp;
            if (!dup)
                v[i].host_port = got;
        }
        if (v[i].host_port == 0)
            return cx_fail(err, EADDRINUSE, "-p: no free port found");
    }
    return 0;
}

int cx_ports_check_free(const struct cx_port *v, size_t n, cx_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = probe(&v[i], v[i].host_port, NULL);
        if (rc == -EADDRINUSE)
            return cx_fail(err, 0, "port %u/%s is already in use on %s: choose another with "
                           "-p", v[i].host_port, v[i].udp ? "udp" : "tcp",
                           v[i].host_ip[0] ? v[i].host_ip : "0.0.0.0");
        if (rc < 0)
            return cx_fail(err, -rc, "port %u/%s on %s", v[i].host_port,
                           v[i].udp ? "udp" : "tcp", v[i].host_ip[0] ? v[i].host_ip : "0.0.0.0");
    }
    return 0;
}

json_t *cx_ports_json(const struct cx_port *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_pack("{s:i, s:i, s:s}", "hostPort", v[i].host_port, "containerPort",
                              v[i].ctr_port, "protocol", v[i].udp ? "udp" : "tcp");
        if (v[i].host_ip[0])
            json_object_set_new(m, "hostIP", json_string(v[i].host_ip));
        json_array_append_new(a, m);
    }
    return a;
}

int cx_ports_from_json(json_t *j, struct cx_port **v, size_t *n, cx_error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(j, i, m) {
        json_int_t hp = json_integer_value(json_object_get(m, "hostPort"));
        json_int_t cp = json_integer_value(json_object_get(m, "containerPort"));
        const char *proto = json_string_value(json_object_get(m, "protocol"));
        const char *ip = json_string_value(json_object_get(m, "hostIP"));
        if (hp < 1 || hp > 65535 || cp < 1 || cp > 65535 || !proto ||
            (strcmp(proto, "tcp") && strcmp(proto, "udp")) || (ip && strlen(ip) > 15))
            return cx_fail(err, EINVAL, "port mappings: entry %zu is not valid", i);
        *v = cx_realloc(*v, (*n + 1) * sizeof **v);
        struct cx_port *p = &(*v)[(*n)++];
        memset(p, 0, sizeof *p);
        snprintf(p->host_ip, sizeof p->host_ip, "%s", ip ? ip : "");
        p->host_port = (uint16_t) hp, p->ctr_port = (uint16_t) cp;
        p->udp = strcmp(proto, "udp") == 0;
    }
    return 0;
}

void cx_port_key(const struct cx_port *p, char buf[static 16])
{
    snprintf(buf, 16, "%u/%s", p->ctr_port, p->udp ? "udp" : "tcp");
}

void cx_port_format(const struct cx_port *p, char buf[static 48])
{
    char key[16];
    cx_port_key(p, key);
    snprintf(buf, 48, "%s -> %s:%u", key, p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port);
}
