/* ipv4.c: see ipv4.h. */
#include "net/ipv4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(int len)
{
    return len == 0 ? 0 : ~0u << (32 - len);
}

int cx_ipv4_parse(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

void cx_ipv4_format(uint32_t a, char buf[static 16])
{
    struct in_addr in = { htonl(a) };
    inet_ntop(AF_INET, &in, buf, 16);
}

int cx_subnet_parse(const char *s, struct cx_subnet *out, cx_error *err)
{
    char ip[16];
    const char *slash = strchr(s, '/');
    char *end;
    if (!slash || (size_t) (slash - s) >= sizeof ip)
        return cx_fail(err, EINVAL, "subnet \"%s\": want an IPv4 network as A.B.C.D/LEN", s);
    memcpy(ip, s, (size_t) (slash - s));
    ip[slash - s] = '\0';
    errno = 0;
    long len = strtol(slash + 1, &end, 10);
    if (cx_ipv4_parse(ip, &out->addr) < 0 || *end || end == slash + 1 || errno)
        return cx_fail(err, EINVAL, "subnet \"%s\": want an IPv4 network as A.B.C.D/LEN", s);
    if (len < 8 || len > 30)
        return cx_fail(err, EINVAL, "subnet \"%s\": the prefix length must be 8 to 30", s);
    out->len = (int) len;
    if (out->addr & ~mask_of(out->len)) {
        char net[16];
        cx_ipv4_format(out->addr & mask_of(out->len), net);
        return cx_fail(err, EINVAL, "subnet \"%s\": not a network address (%s/%ld is)", s,
                       net, len);
    }
    return 0;
}

void cx_subnet_format(const struct cx_subnet *n, char buf[static 20])
{
    char a[16];
    cx_ipv4_format(n->addr, a);
    snprintf(buf, 20, "%s/%d", a, n->len);
}

bool cx_subnet_overlap(const struct cx_subnet *a, const struct cx_subnet *b)
{
    uint32_t m = mask_of(a->len < b->len ? a->len : b->len);
    return (a->addr & m) == (b->addr & m);
}

bool cx_subnet_has(const struct cx_subnet *n, uint32_t a)
{
    return (a & mask_of(n->len)) == n->addr;
}

bool cx_route_overlaps(const struct cx_subnet *n, const char *skip_prefix, char buf[static 64])
{
    FILE *f = fopen("/proc/net/route", "re");
    if (!f)
        return false;
    char line[256];
    bool hit = false;
    if (!fgets(line, sizeof line, f)) {   /* the header */
        fclose(f);
        return false;
    }
    while (!hit && fgets(line, sizeof line, f)) {
        char dev[32];
        unsigned dst, gw, flags, refcnt, use, metric, mask;
        if (sscanf(line, "%31s %x %x %x %u %u %u %x", dev, &dst, &gw, &flags, &refcnt, &use,
                   &metric, &mask) != 8 || mask == 0)
            continue;
        if (skip_prefix && strncmp(dev, skip_prefix, strlen(skip_prefix)) == 0)
            continue;
        struct cx_subnet r = { ntohl(dst), 0 };
        for (uint32_t m = ntohl(mask); m & 0x80000000u; m <<= 1)
            r.len++;
        if (cx_subnet_overlap(n, &r)) {
            char net[20];
            cx_subnet_format(&r, net);
            snprintf(buf, 64, "%s dev %s", net, dev);
            hit = true;
        }
    }
    fclose(f);
    return hit;
}
