/* devices.c: the device rules a container's cgroup enforces, and the v1
 * devices controller's files.
 *
 * The rules in force, in order: linux.resources.devices, then what every
 * container gets.  A node of linux.devices is made in the container's /dev,
 * never allowed by that alone: only linux.resources.devices allows it (as
 * runc; an engine adds the rule for each device it passes in), so a config
 * that denies everything keeps its nodes unusable.  v1 writes them one by one into
 * devices.allow / devices.deny at create; v2 has no devices controller and
 * runs them as an eBPF program (devices_bpf.c).
 *
 * `update` with new rules on v1 does not start over from "deny all" (the
 * container would meet EPERM on /dev/null meanwhile): it works out the
 * whitelist the new rules give, the way the kernel does, and writes only
 * the difference from devices.list, additions first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup/internal.h"

/* The devices a container always gets (runc's list): mknod of any, the
 * default nodes, the pty multiplexer and the ptys, /dev/net/tun. */
static const struct oci_device_rule always_allowed[] = {
    { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
    { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },
    { true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },
    { true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

struct oci_device_rule *cg_device_rules(const struct oci_resources *r, size_t *n)
{
    size_t nr = r ? r->n_devices : 0;
    size_t na = sizeof always_allowed / sizeof always_allowed[0];
    struct oci_device_rule *rules = cx_calloc(nr + na + 1, sizeof *rules);
    *n = 0;
    for (size_t i = 0; i < nr; i++)
        rules[(*n)++] = r->devices[i];
    for (size_t i = 0; i < na; i++)
        rules[(*n)++] = always_allowed[i];
    return rules;
}


struct dev_entry {
    char type;            /* 'c' or 'b' */
    long long major, minor; /* -1: any */
    int access;
};

struct whitelist {
    bool allow_all;       /* the default; entries are then exceptions to it */
    struct dev_entry *e;
    size_t n;
};

int cg_access_bits(const char *a)
{
    int bits = 0;
    for (; *a; a++)
        bits |= *a == 'r' ? ACC_R : *a == 'w' ? ACC_W : *a == 'm' ? ACC_M : 0;
    return bits;
}

static void entry_text(char type, long long major, long long minor, int acc, char *buf,
                       size_t len)
{
    char ma[24] = "*", mi[24] = "*";
    if (type == 'a') {
        snprintf(buf, len, "a");
        return;
    }
    if (major >= 0)
        snprintf(ma, sizeof ma, "%lld", major);
    if (minor >= 0)
        snprintf(mi, sizeof mi, "%lld", minor);
    snprintf(buf, len, "%c %s:%s %s%s%s", type, ma, mi, acc & ACC_R ? "r" : "",
             acc & ACC_W ? "w" : "", acc & ACC_M ? "m" : "");
}

static int write_rule(const char *dir, bool allow, char type, long long major, long long minor,
                      int acc, cx_error *err)
{
    char text[80];
    entry_text(type, major, minor, acc, text, sizeof text);
    return cg_write(dir, allow ? "devices.allow" : "devices.deny", text, err);
}

int cg_v1_devices(const char *dir, const struct oci_resources *r, cx_error *err)
{
    size_t n;
    _cleanup_free_ struct oci_device_rule *rules = cg_device_rules(r, &n);
    for (size_t i = 0; i < n; i++)
        if (write_rule(dir, rules[i].allow, rules[i].type, rules[i].major, rules[i].minor,
                       cg_access_bits(rules[i].access), err) < 0)
            return cx_error_prefix(err, "device rule %zu", i);
    return 0;
}

static struct dev_entry *find(struct whitelist *w, const struct dev_entry *k)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->e[i].type == k->type && w->e[i].major == k->major && w->e[i].minor == k->minor)
            return &w->e[i];
    return NULL;
}

/* One rule, as the kernel applies it: "a" resets; a rule agreeing with the
 * default takes access away from an exception, one against it adds. */
static void emulate(struct whitelist *w, const struct oci_device_rule *r)
{
    if (r->type == 'a') {
        w->allow_all = r->allow;
        w->n = 0;
        return;
    }
    struct dev_entry k = { r->type, r->major, r->minor, cg_access_bits(r->access) };
    struct dev_entry *e = find(w, &k);
    if (r->allow == w->allow_all) {
        if (e && (e->access &= ~k.access) == 0)
            *e = w->e[--w->n];
    } else if (e) {
        e->access |= k.access;
    } else {
        w->e[w->n++] = k;
    }
}

/* devices.list: "a *:* rwm" when everything is allowed, else the whitelist */
static int read_list(const char *dir, struct whitelist *w, size_t cap, cx_error *err)
{
    char buf[65536];
    if (cg_read(dir, "devices.list", buf, sizeof buf) < 0)
        return cx_fail_errno(err, "cgroup: read %s/devices.list", dir);
    w->allow_all = false;
    w->n = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char type, ma[24], mi[24], acc[8];
        if (sscanf(line, "%c %23[^:]:%23s %7s", &type, ma, mi, acc) != 4)
            continue;
        if (type == 'a') {
            w->allow_all = true;
            w->n = 0;
            return 0;
        }
        if (w->n == cap)
            return cx_fail(err, E2BIG, "cgroup: %s/devices.list: too many entries", dir);
        w->e[w->n++] = (struct dev_entry){ type, ma[0] == '*' ? -1 : atoll(ma),
                                           mi[0] == '*' ? -1 : atoll(mi), cg_access_bits(acc) };
    }
    return 0;
}

static int write_diff(const char *dir, struct whitelist *cur, struct whitelist *want,
                      cx_error *err)
{
    for (size_t i = 0; i < want->n; i++) { /* first what is missing ... */
        struct dev_entry *t = &want->e[i], *c = find(cur, t);
        if ((c == NULL || (c->access & t->access) != t->access) &&
            write_rule(dir, true, t->type, t->major, t->minor, t->access, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < cur->n; i++) { /* ... then what is too much */
        struct dev_entry *c = &cur->e[i], *t = find(want, c);
        int extra = c->access & ~(t ? t->access : 0);
        if (extra && write_rule(dir, false, c->type, c->major, c->minor, extra, err) < 0)
            return -1;
    }
    return 0;
}

int cg_v1_devices_update(const char *dir, const struct oci_resources *r, cx_error *err)
{
    size_t n;
    _cleanup_free_ struct oci_device_rule *rules = cg_device_rules(r, &n);
    size_t cap = n + 4096;
    _cleanup_free_ struct dev_entry *want_e = cx_calloc(n + 1, sizeof *want_e);
    _cleanup_free_ struct dev_entry *cur_e = cx_calloc(cap, sizeof *cur_e);
    struct whitelist want = { true, want_e, 0 }, cur = { false, cur_e, 0 };
    for (size_t i = 0; i < n; i++)
        emulate(&want, &rules[i]);
    if (read_list(dir, &cur, cap, err) < 0)
        return -1;
    if (want.allow_all && want.n == 0)
        return cur.allow_all ? 0 : cg_write(dir, "devices.allow", "a", err);
    if (cur.allow_all || want.allow_all) /* a blacklist either side: start over */
        return cg_v1_devices(dir, r, err);
    return write_diff(dir, &cur, &want, err);
}
