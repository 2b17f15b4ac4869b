/* cni_rules.c: see cni_rules.h. */
#include "net/cni_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "net/cni_exec.h"
#include "net/ipv4.h"

#define IPT_TIMEOUT_MS 30000

/* The next word of an iptables-save line into buf (cut to size): a
 * quoted one unquoted (\" and \\ inside).  False at the end. */
static bool word(const char **p, char *buf, size_t size)
{
    const char *s = *p + strspn(*p, " ");
    size_t n = 0;
    if (!*s)
        return false;
    bool quoted = *s == '"';
    s += quoted;
    for (; *s && (quoted ? *s != '"' : *s != ' '); s++) {
        if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
            s++;
        if (n + 1 < size)
            buf[n++] = *s;
    }
    buf[n] = '\0';
    *p = s + (quoted && *s == '"');
    return true;
}

static void set(char *dst, size_t size, const char *v)
{
    snprintf(dst, size, "%s", v);
}

bool cx_ipt_parse(const char *line, struct cx_ipt_rule *r)
{
    memset(r, 0, sizeof *r);
    const char *p = line;
    char w[256];
    if (!word(&p, w, sizeof w) || strcmp(w, "-A") != 0 || !word(&p, r->chain, sizeof r->chain))
        return false;
    bool neg = false;
    while (word(&p, w, sizeof w)) {
        char v[256] = "";
        bool takes = strcmp(w, "-s") == 0 || strcmp(w, "-d") == 0 || strcmp(w, "-i") == 0 ||
                     strcmp(w, "-o") == 0 || strcmp(w, "-j") == 0 || strcmp(w, "-g") == 0 ||
                     strcmp(w, "--comment") == 0;
        if (strcmp(w, "!") == 0) {
            neg = true;
            continue;
        }
        if (takes && !word(&p, v, sizeof v))
            break;
        if (strcmp(w, "-s") == 0)
            set(r->src, sizeof r->src, v), r->not_src = neg;
        else if (strcmp(w, "-d") == 0)
            set(r->dst, sizeof r->dst, v), r->not_dst = neg;
        else if (strcmp(w, "-i") == 0)
            set(r->in, sizeof r->in, v);
        else if (strcmp(w, "-o") == 0)
            set(r->out, sizeof r->out, v);
        else if (strcmp(w, "-j") == 0 || strcmp(w, "-g") == 0)
            set(r->target, sizeof r->target, v);
        else if (strcmp(w, "--comment") == 0)
            set(r->comment, sizeof r->comment, v);
        neg = false;
    }
    return true;
}

/* "a.b.c.d[/len]" within subnet */
static bool within(const char *addr, const char *subnet)
{
    struct cx_subnet net;
    char ip[48];
    uint32_t a;
    if (!*addr || !subnet || cx_subnet_parse(subnet, &net, &(cx_error){ 0 }) < 0)
        return false;
    snprintf(ip, sizeof ip, "%.*s", (int) strcspn(addr, "/"), addr);
    const char *slash = strchr(addr, '/');
    int len = slash ? atoi(slash + 1) : 32;
    return cx_ipv4_parse(ip, &a) == 0 && len >= net.len && cx_subnet_has(&net, a);
}

static bool is_host(const char *addr, const char *ip)
{
    size_t n = strlen(ip);
    return strncmp(addr, ip, n) == 0 && (!addr[n] || strcmp(addr + n, "/32") == 0);
}

static bool names_network(const struct cx_ipt_pick *p, const struct cx_ipt_rule *r)
{
    if (!p->network)
        return false;
    _cleanup_free_ char *tag = cx_asprintf("name: \"%s\" id: \"", p->network);
    if (strstr(r->comment, tag))
        return true;
    if (!cx_str_has_prefix(r->chain, "CNI-") || strcmp(r->chain, "CNI-ADMIN") == 0)
        return false;   /* a rule of the admin's own: never ours */
    if (p->bridge && (strcmp(r->in, p->bridge) == 0 || strcmp(r->out, p->bridge) == 0))
        return true;
    return (!r->not_src && within(r->src, p->subnet)) ||
           (!r->not_dst && within(r->dst, p->subnet));
}

static bool names_ctr(const struct cx_ipt_pick *p, const struct cx_ipt_rule *r)
{
    if (!p->ctr_id)
        return false;
    _cleanup_free_ char *tag = cx_asprintf("id: \"%s\"", p->ctr_id);
    if (strstr(r->comment, tag))
        return true;
    for (char *const *a = p->addrs; a && *a && strcmp(r->chain, "CNI-FORWARD") == 0; a++)
        if (is_host(r->src, *a) || is_host(r->dst, *a))
            return true;
    return false;
}

bool cx_ipt_picked(const struct cx_ipt_pick *p, const struct cx_ipt_rule *r)
{
    return names_network(p, r) || names_ctr(p, r);
}

/* ---- a listing, parsed ---- */

struct listing {
    char **lines;          /* the "-A" lines */
    struct cx_ipt_rule *rules;
    bool *gone;
    size_t n;
    char **chains;         /* the user chains (":NAME - [..]") */
    bool *dropped;
    size_t nchains;
};

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    for (size_t i = 0; i < l->nchains; i++)
        free(l->chains[i]);
    free(l->lines), free(l->rules), free(l->gone), free(l->chains), free(l->dropped);
}

static void listing_read(const char *saved, struct listing *l)
{
    memset(l, 0, sizeof *l);
    for (const char *s = saved; s && *s;) {
        size_t len = strcspn(s, "\n");
        _cleanup_free_ char *line = cx_asprintf("%.*s", (int) len, s);
        s += len + (s[len] == '\n');
        struct cx_ipt_rule r;
        if (line[0] == ':' && strstr(line, " - ")) {
            l->chains = cx_realloc(l->chains, (l->nchains + 1) * sizeof *l->chains);
            l->chains[l->nchains++] = cx_asprintf("%.*s", (int) strcspn(line + 1, " "),
                                                  line + 1);
        } else if (cx_ipt_parse(line, &r)) {
            l->lines = cx_realloc(l->lines, (l->n + 1) * sizeof *l->lines);
            l->rules = cx_realloc(l->rules, (l->n + 1) * sizeof *l->rules);
            l->rules[l->n] = r;
            l->lines[l->n++] = line;
            line = NULL;
        }
    }
    l->gone = cx_calloc(l->n + 1, sizeof *l->gone);
    l->dropped = cx_calloc(l->nchains + 1, sizeof *l->dropped);
}

static bool shared(const char *chain)
{
    return strcmp(chain, "CNI-FORWARD") == 0 || strcmp(chain, "CNI-ADMIN") == 0 ||
           cx_str_has_prefix(chain, "CNI-HOSTPORT-");
}

/* Jumps to chain: gone ones, kept ones. */
static void jumps(const struct listing *l, const char *chain, size_t *gone, size_t *kept)
{
    *gone = *kept = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->rules[i].target, chain) == 0)
            ++*(l->gone[i] ? gone : kept);
}

/* Container chains that only removed rules jumped to go, with their
 * rules (which may jump further: until nothing changes). */
static void drop_orphans(struct listing *l)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t c = 0; c < l->nchains; c++) {
            size_t gone, kept;
            if (l->dropped[c] || !cx_str_has_prefix(l->chains[c], "CNI-") ||
                shared(l->chains[c]))
                continue;
            jumps(l, l->chains[c], &gone, &kept);
            if (gone == 0 || kept)
                continue;
            l->dropped[c] = changed = true;
            for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->rules[i].chain, l->chains[c]) == 0)
                    l->gone[i] = true;
        }
    }
}

static bool dropped(const struct listing *l, const char *chain)
{
    for (size_t c = 0; c < l->nchains; c++)
        if (l->dropped[c] && strcmp(l->chains[c], chain) == 0)
            return true;
    return false;
}

/* -D the gone rules of chains that stay, -F then -X the dropped chains */
static char *script(const char *table, const struct listing *l)
{
    char *text = NULL;
    size_t size = 0, count = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        abort();
    fprintf(f, "*%s\n", table);
    for (size_t i = 0; i < l->n; i++)
        if (l->gone[i] && !dropped(l, l->rules[i].chain))
            fprintf(f, "-D%s\n", l->lines[i] + 2), count++;
    for (size_t c = 0; c < l->nchains; c++)
        if (l->dropped[c])
            fprintf(f, "-F %s\n", l->chains[c]), count++;
    for (size_t c = 0; c < l->nchains; c++)
        if (l->dropped[c])
            fprintf(f, "-X %s\n", l->chains[c]);
    fprintf(f, "COMMIT\n");
    fclose(f);
    if (count == 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *cx_ipt_sweep_script(const char *table, const char *saved, const struct cx_ipt_pick *p)
{
    struct listing l;
    listing_read(saved, &l);
    for (size_t i = 0; i < l.n; i++)
        l.gone[i] = cx_ipt_picked(p, &l.rules[i]);
    drop_orphans(&l);
    char *s = script(table, &l);
    listing_free(&l);
    return s;
}

/* ---- the shared chains ---- */

static bool builtin(const char *chain)
{
    static const char *const names[] = { "INPUT", "FORWARD", "OUTPUT", "PREROUTING",
                                         "POSTROUTING", NULL };
    for (const char *const *n = names; *n; n++)
        if (strcmp(chain, *n) == 0)
            return true;
    return false;
}

/* Only the plugins' own rules in the group: CNI-ADMIN and
 * CNI-HOSTPORT-DNAT empty, CNI-FORWARD's one jump to CNI-ADMIN, the
 * HOSTPORT MASQ and SETMARK chains' mark rules; no jump to the group but
 * from a built-in chain; no CNI-DN-* chain (a container's). */
static bool skeleton_only(const struct listing *l)
{
    for (size_t c = 0; c < l->nchains; c++)
        if (cx_str_has_prefix(l->chains[c], "CNI-DN-"))
            return false;
    for (size_t i = 0; i < l->n; i++) {
        const struct cx_ipt_rule *r = &l->rules[i];
        if (shared(r->target) && !shared(r->chain) && !builtin(r->chain))
            return false;
        if (strcmp(r->chain, "CNI-ADMIN") == 0 || strcmp(r->chain, "CNI-HOSTPORT-DNAT") == 0)
            return false;
        if (strcmp(r->chain, "CNI-FORWARD") == 0 && strcmp(r->target, "CNI-ADMIN") != 0)
            return false;
        if ((strcmp(r->chain, "CNI-HOSTPORT-MASQ") == 0 && strcmp(r->target, "MASQUERADE")) ||
            (strcmp(r->chain, "CNI-HOSTPORT-SETMARK") == 0 && strcmp(r->target, "MARK")))
            return false;
    }
    return true;
}

char *cx_ipt_shared_script(const char *table, const char *saved)
{
    struct listing l;
    listing_read(saved, &l);
    char *s = NULL;
    if (skeleton_only(&l)) {
        for (size_t i = 0; i < l.n; i++)
            l.gone[i] = shared(l.rules[i].target) || shared(l.rules[i].chain);
        for (size_t c = 0; c < l.nchains; c++)
            l.dropped[c] = shared(l.chains[c]);
        s = script(table, &l);
    }
    listing_free(&l);
    return s;
}

/* ---- running iptables ---- */

int cx_ipt_save(const char *table, char **out, cx_error *err)
{
    char *argv[] = { "iptables-save", "-t", (char *) table, NULL };
    return cx_cni_tool_run(argv, NULL, IPT_TIMEOUT_MS, out, err);
}

int cx_ipt_restore(const char *script, cx_error *err)
{
    char *argv[] = { "iptables-restore", "--noflush", NULL };
    _cleanup_free_ char *out = NULL;
    return cx_cni_tool_run(argv, script, IPT_TIMEOUT_MS, &out, err);
}

int cx_ipt_sweep(const char *table, const struct cx_ipt_pick *p, cx_error *err)
{
    _cleanup_free_ char *saved = NULL;
    cx_error none = { 0 };
    if (cx_ipt_save(table, &saved, &none) < 0)
        return 0;   /* no iptables here: no plugin could have made a rule */
    _cleanup_free_ char *s = cx_ipt_sweep_script(table, saved, p);
    return s ? cx_ipt_restore(s, err) : 0;
}
