/* fwrules.c: see fwrules.h. */
#include "net/fwrules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "net/cni_exec.h"

#define MAX_ARGS 24

static char **argv_of(const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    char **out = cx_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = cx_strdup(v[i]);
    return out;
}

char **cx_fw_rule(const struct cx_fw_net *n, int i, const char **table)
{
    _cleanup_free_ char *comment = cx_asprintf("capsa network %s", n->name);
    const char *c[] = { "-m", "comment", "--comment", comment };
    *table = "filter";
    if (n->internal) {
        const char *in[] = { "FORWARD", "-i", n->bridge, "!", "-o", n->bridge, c[0], c[1],
                             c[2], c[3], "-j", "DROP", NULL };
        const char *out[] = { "FORWARD", "-o", n->bridge, "!", "-i", n->bridge, c[0], c[1],
                              c[2], c[3], "-j", "DROP", NULL };
        return i == 0 ? argv_of(in) : i == 1 ? argv_of(out) : NULL;
    }
    const char *from[] = { "FORWARD", "-i", n->bridge, c[0], c[1], c[2], c[3], "-j", "ACCEPT",
                           NULL };
    const char *to[] = { "FORWARD", "-o", n->bridge, "-m", "conntrack", "--ctstate",
                         "RELATED,ESTABLISHED,DNAT", c[0], c[1], c[2], c[3], "-j", "ACCEPT",
                         NULL };
    const char *masq[] = { "POSTROUTING", "-s", n->subnet, "!", "-d", n->subnet, c[0], c[1],
                           c[2], c[3], "-j", "MASQUERADE", NULL };
    if (i == 2)
        *table = "nat";
    return i == 0 ? argv_of(from) : i == 1 ? argv_of(to) : i == 2 ? argv_of(masq) : NULL;
}

/* iptables -w 10 -t table action rule...: 0 done, 1 it said no (-C: the
 * rule is not there; msg its first line), -1 it could not run */
static int iptables(const char *table, const char *action, char **rule, char msg[256],
                    cx_error *err)
{
    char *argv[MAX_ARGS + 8] = { "iptables", "-w", "10", "-t", (char *) table, (char *) action };
    size_t k = 6;
    for (size_t i = 0; rule[i] && k < MAX_ARGS + 7; i++)
        argv[k++] = rule[i];
    argv[k] = NULL;
    _cleanup_free_ char *out = NULL;
    cx_error e = { 0 };
    if (cx_cni_tool_run(argv, NULL, 30000, &out, &e) == 0)
        return 0;
    if (e.errnum != EIO) {   /* not found, not started, timed out */
        *err = e;
        return e.errnum == ENOENT ? cx_error_prefix(err, "networks need iptables (install "
                                                    "the iptables package)") : -1;
    }
    snprintf(msg, 256, "%s", e.msg);
    return 1;
}

int cx_fw_rules_add(const struct cx_fw_net *n, cx_error *err)
{
    const char *table;
    char **rule;
    for (int i = 0; (rule = cx_fw_rule(n, i, &table)); i++) {
        _cleanup_strv_ char **r = rule;
        char msg[256] = "";
        int rc = iptables(table, "-C", r, msg, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;   /* there already */
        /* FORWARD: first, before a DROP another tool may have put there */
        rc = iptables(table, strcmp(table, "filter") == 0 ? "-I" : "-A", r, msg, err);
        if (rc < 0)
            return -1;
        if (rc != 0)
            return cx_fail(err, EIO, "network %s: cannot add a rule for %s: %s", n->name,
                           n->bridge, msg);
    }
    return 0;
}

int cx_fw_rules_remove(const struct cx_fw_net *n, cx_error *err)
{
    const char *table;
    char **rule;
    int r = 0;
    for (int i = 0; (rule = cx_fw_rule(n, i, &table)); i++) {
        _cleanup_strv_ char **v = rule;
        char msg[256] = "";
        cx_error e = { 0 };
        int rc;
        /* a rule added twice (two stores on one bridge) goes twice */
        while ((rc = iptables(table, "-C", v, msg, &e)) == 0 &&
               (rc = iptables(table, "-D", v, msg, &e)) == 0)
            ;
        if (rc < 0 && r == 0)
            r = cx_fail(err, e.errnum, "%s", e.msg);
    }
    return r;
}
