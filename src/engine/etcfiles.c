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

char *cx_resolv_conf_for_container(const char *host, bool host_network)
{
    if (host_network)
        return cx_strdup(host);
    size_t len = strlen(host);
    char *out = cx_calloc(len + 64, 1);
    size_t o = 0;
    bool any = false;
    for (const char *p = host; *p; ) {
        size_t n = strcspn(p, "\n");
        _cleanup_free_ char *line = cx_asprintf("%.*s", (int) n, p);
        if (!loopback_nameserver(line)) {
            memcpy(out + o, p, n);
            o += n;
            out[o++] = '\n';
            char word[16];
            any |= sscanf(line, " %15s", word) == 1 && strcmp(word, "nameserver") == 0;
        }
        p += n + (p[n] == '\n');
    }
    out[o] = '\0';
    if (!any) {
        /* nothing reachable is left: the public resolvers podman falls back to */
        char *more = cx_asprintf("%snameserver 8.8.8.8\nnameserver 8.8.4.4\n", out);
        free(out);
        return more;
    }
    return out;
}

int cx_etc_files_write(struct cx_engine *e, const char *id, const char *hostname,
                       bool host_network, cx_error *err)
{
    _cleanup_close_ int dir = cx_engine_ctr_dir(e, id, true, err);
    if (dir < 0)
        return -1;
    _cleanup_free_ char *host = NULL;
    cx_error ignored = { 0 };
    size_t hlen = 0;
    if (cx_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &host, &hlen, &ignored) < 0)
        host = cx_strdup("");
    _cleanup_free_ char *resolv = cx_resolv_conf_for_container(host, host_network);
    _cleanup_free_ char *hn = cx_asprintf("%s\n", hostname);
    _cleanup_free_ char *hosts = cx_asprintf(
        "127.0.0.1\tlocalhost localhost.localdomain\n"
        "::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n"
        "127.0.1.1\t%s\n", hostname);
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
