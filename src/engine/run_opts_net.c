/* run_opts_net.c: see run_opts.h.  A container's address, MAC, aliases,
 * resolver and extra /etc/hosts lines, as podman names them.  Every value
 * ends up in a file of the container (/etc/hosts, /etc/resolv.conf) or in a
 * CNI request, so each is checked to its characters here: no blank, no
 * newline, nothing a resolver or a plugin would read otherwise. */
#include "engine/run_opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/networks.h"

#define NAME_MAX_LEN 253

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* A host name as /etc/hosts holds it: [A-Za-z0-9][A-Za-z0-9_.-]*, at most
 * 253 characters. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char) s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

/* A search domain: labels of [A-Za-z0-9_-] (1 to 63), dot separated, one
 * final dot allowed. */
static bool domain_ok(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > NAME_MAX_LEN || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((isalnum((unsigned char) s[i]) || s[i] == '-' || s[i] == '_') &&
                   ++label <= 63) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

bool cx_host_name_ok(const char *s)
{
    return name_ok(s, strlen(s));
}

static int parse_ip(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    unsigned char buf[4];
    if (inet_pton(AF_INET, arg, buf) != 1)
        return cx_fail(err, 0, "--ip: \"%s\" is not an IPv4 address (A.B.C.D)", arg);
    free(o->ip);
    o->ip = cx_strdup(arg);
    return 0;
}

/* Six hex pairs separated by ':' (or '-'), kept as lower-case with ':'. */
static int parse_mac(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    unsigned b[6];
    char sep = strlen(arg) == 17 ? arg[2] : '\0', text[18];
    bool ok = sep == ':' || sep == '-';
    for (int i = 0; ok && i < 6; i++) {
        const char *p = arg + 3 * i;
        ok = isxdigit((unsigned char) p[0]) && isxdigit((unsigned char) p[1]) &&
             (i == 5 || p[2] == sep) && sscanf(p, "%2x", &b[i]) == 1;
    }
    if (!ok)
        return cx_fail(err, 0, "--mac-address: \"%s\" is not a MAC address (six hex pairs: "
                       "92:d0:c6:0a:29:33)", arg);
    if (b[0] & 1)
        return cx_fail(err, 0, "--mac-address: %s is a multicast address (the first byte "
                       "must be even)", arg);
    if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
        return cx_fail(err, 0, "--mac-address: %s is the null address", arg);
    snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
             b[5]);
    free(o->mac);
    o->mac = cx_strdup(text);
    return 0;
}

/* resolv.conf options: "ndots:2", "edns0", "timeout:1"... */
static bool dns_option_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !isalpha((unsigned char) s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char) s[i]) && !strchr("_.:-", s[i]))
            return false;
    return true;
}

char *cx_add_host_line(const char *arg, cx_error *err)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
        return cx_fail(err, 0, "--add-host: \"%s\": expected HOST:IP", arg), NULL;
    _cleanup_free_ char *ip = cx_strdup(colon + 1);
    size_t n = strlen(ip);
    if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
        memmove(ip, ip + 1, n - 2);
        ip[n - 2] = '\0';
    }
    if (strcmp(ip, "host-gateway") == 0)
        return cx_fail(err, 0, "--add-host: \"%s\": host-gateway is not supported (give the "
                       "address)", arg), NULL;
    if (!is_ip(ip))
        return cx_fail(err, 0, "--add-host: \"%s\": \"%s\" is not an IP address", arg, ip),
               NULL;
    _cleanup_free_ char *names = cx_strdup("");
    for (const char *h = arg;; h += strcspn(h, ";:") + 1) {  /* up to the first ':' */
        size_t len = strcspn(h, ";:");
        if (!name_ok(h, len))
            return cx_fail(err, 0, "--add-host: \"%s\": \"%.*s\" is not a valid host name",
                           arg, (int) len, h), NULL;
        char *next = cx_asprintf("%s%s%.*s", names, names[0] ? " " : "", (int) len, h);
        free(names);
        names = next;
        if (h[len] == ':')
            break;
    }
    return cx_asprintf("%s\t%s\n", ip, names);
}

static int add_checked(char ***v, const char *flag, const char *arg, bool ok, const char *what,
                       cx_error *err)
{
    if (!ok)
        return cx_fail(err, 0, "%s: \"%s\" is not %s", flag, arg, what);
    cx_strv_push(v, cx_strdup(arg));
    return 0;
}

int cx_run_opts_net_flag(struct cx_run_opts *o, enum cx_net_flag f, const char *arg,
                         cx_error *err)
{
    _cleanup_free_ char *line = NULL;
    switch (f) {
    case CX_NF_IP: return parse_ip(o, arg, err);
    case CX_NF_MAC: return parse_mac(o, arg, err);
    case CX_NF_ALIAS:
        return add_checked(&o->aliases, "--network-alias", arg, name_ok(arg, strlen(arg)),
                           "a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 "
                           "characters)", err);
    case CX_NF_DNS:
        return add_checked(&o->dns, "--dns", arg, strcmp(arg, "none") == 0 || is_ip(arg),
                           "an IP address (or none)", err);
    case CX_NF_DNS_SEARCH:
        return add_checked(&o->dns_search, "--dns-search", arg,
                           strcmp(arg, ".") == 0 || domain_ok(arg),
                           "a domain name (or ., none)", err);
    case CX_NF_DNS_OPTION:
        return add_checked(&o->dns_options, "--dns-option", arg, dns_option_ok(arg),
                           "a resolver option (as ndots:2, edns0)", err);
    case CX_NF_ADD_HOST:
        if ((line = cx_add_host_line(arg, err)) == NULL)
            return -1;
        return cx_strv_push(&o->add_hosts, cx_strdup(arg)), 0;
    }
    return cx_fail(err, 0, "run: internal error: unhandled network flag %d", (int) f);
}

bool cx_run_opts_dns_none(const struct cx_run_opts *o)
{
    return o->dns && strcmp(o->dns[0], "none") == 0;
}

static bool on_user_network(const struct cx_run_opts *o)
{
    for (size_t i = 0; o->network == CX_NET_CNI && o->networks && o->networks[i]; i++)
        if (strcmp(o->networks[i], CX_NETWORK_DEFAULT) != 0)
            return true;
    return false;
}

int cx_run_opts_net_check(const struct cx_run_opts *o, cx_error *err)
{
    const char *flag = o->ip ? "--ip" : "--mac-address";
    size_t nets = cx_strv_len(o->networks);
    if ((o->ip || o->mac) && o->network != CX_NET_CNI)
        return cx_fail(err, 0, "%s: a static address needs a network (not --network none, "
                       "host or container:)", flag);
    if ((o->ip || o->mac) && nets > 1)
        return cx_fail(err, 0, "%s: applies to one network, and --network names %zu", flag,
                       nets);
    if (o->aliases && !on_user_network(o))
        return cx_fail(err, 0, "--network-alias: aliases are names on user-created networks "
                       "(the default network resolves none): --network NAME");
    for (size_t i = 0; o->dns && o->dns[i]; i++)
        if (strcmp(o->dns[i], "none") == 0 && cx_strv_len(o->dns) > 1)
            return cx_fail(err, 0, "--dns none: conflicts with the other --dns servers");
    if (o->add_hosts && o->no_hosts)
        return cx_fail(err, 0, "--add-host: conflicts with --no-hosts (which leaves the "
                       "image's /etc/hosts as it is)");
    return 0;
}
