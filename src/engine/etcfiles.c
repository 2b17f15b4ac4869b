/* etcfiles.c: see etcfiles.h. */
#include "engine/etcfiles.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static bool loopback_nameserver(const char *line)
{
    char addr[64];
    if (sscanf(line, " nameserver %63s", addr) != 1)
        return false;
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* The first word of a resolv.conf line */
static bool keyword_is(const char *line, const char *word)
{
    char w[16];
    return sscanf(line, " %15s", w) == 1 && strcmp(w, word) == 0;
}

/* A line of the host's file that --dns, --dns-search or --dns-option
 * replaces, or an unreachable nameserver. */
static bool dropped(const char *line, const struct cx_run_opts *o, bool host_network)
{
    if (keyword_is(line, "nameserver"))
        return o->dns || (!host_network && loopback_nameserver(line));
    if (keyword_is(line, "search") || keyword_is(line, "domain"))
        return o->dns_search != NULL;
    if (keyword_is(line, "options"))
        return o->dns_options != NULL;
    return false;
}

static void append(char **out, const char *fmt, const char *s)
{
    char *next = cx_asprintf(fmt, *out, s);
    free(*out);
    *out = next;
}

/* The lines of v as "<word> V1 V2..." ("search" and "options") or one
 * "<word> V" each ("nameserver") */
static void append_list(char **out, const char *word, char *const *v, bool one_line)
{
    if (!v || (one_line && cx_strv_len(v) == 0))
        return;
    for (size_t i = 0; v[i]; i++) {
        if (!one_line || i == 0)
            append(out, "%s%s", word);
        append(out, "%s %s", v[i]);
        if (!one_line || !v[i + 1])
            append(out, "%s%s", "\n");
    }
}

static bool search_none(const struct cx_run_opts *o)
{
    for (size_t i = 0; o->dns_search && o->dns_search[i]; i++)
        if (strcmp(o->dns_search[i], ".") == 0)
            return true;
    return false;
}

char *cx_resolv_conf_for_container(const char *host, const struct cx_run_opts *o)
{
    bool host_network = o->network == CX_NET_HOST, any = false;
    char *out = cx_strdup("");
    for (const char *p = host; *p; ) {
        size_t n = strcspn(p, "\n");
        _cleanup_free_ char *line = cx_asprintf("%.*s", (int) n, p);
        if (!dropped(line, o, host_network)) {
            append(&out, "%s%s\n", line);
            any |= keyword_is(line, "nameserver");
        }
        p += n + (p[n] == '\n');
    }
    if (!search_none(o))
        append_list(&out, "search", o->dns_search, true);
    append_list(&out, "nameserver", o->dns, false);
    append_list(&out, "options", o->dns_options, true);
    /* nothing reachable is left: the public resolvers podman falls back to */
    if (!any && !o->dns && !host_network)
        append(&out, "%s%s", "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    return out;
}

char *cx_hosts_for_container(const char *hostname, const struct cx_run_opts *o)
{
    char *out = cx_strdup("127.0.0.1\tlocalhost localhost.localdomain\n"
                          "::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n");
    for (size_t i = 0; o->add_hosts && o->add_hosts[i]; i++) {
        _cleanup_free_ char *line = cx_add_host_line(o->add_hosts[i], &(cx_error){ 0 });
        if (line)   /* checked at parse */
            append(&out, "%s%s", line);
    }
    /* on networks, the hostname goes with the address (hosts.c) */
    if (o->network != CX_NET_CNI && cx_host_name_ok(hostname))
        append(&out, "%s127.0.1.1\t%s\n", hostname);
    return out;
}

int cx_etc_files_write(struct cx_engine *e, const char *id, const char *hostname,
                       const struct cx_run_opts *o, cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, true, err);
    if (dir < 0)
        return -1;
    _cleanup_free_ char *host = NULL;
    cx_error ignored = { 0 };
    size_t hlen = 0;
    if (cx_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &host, &hlen, &ignored) < 0)
        host = cx_strdup("");
    _cleanup_free_ char *resolv = cx_resolv_conf_for_container(host, o);
    _cleanup_free_ char *hn = cx_asprintf("%s\n", hostname);
    _cleanup_free_ char *hosts = cx_hosts_for_container(hostname, o);
    if (cx_write_file_atomic_at(dir, "hostname", hn, strlen(hn), 0644, err) < 0 ||
        cx_write_file_atomic_at(dir, "hosts", hosts, strlen(hosts), 0644, err) < 0 ||
        cx_write_file_atomic_at(dir, "resolv.conf", resolv, strlen(resolv), 0644, err) < 0)
        return -1;
    return 0;
}

void cx_hostname_read(const char *path, char hostname[65])
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cx_read_file_at(AT_FDCWD, path, 64, &text, &len, &(cx_error){ 0 }) < 0)
        return;   /* the other one's is gone: keep the default */
    text[strcspn(text, "\n")] = '\0';
    if (text[0])
        snprintf(hostname, 65, "%s", text);
}
