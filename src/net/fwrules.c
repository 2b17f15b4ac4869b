/* fwrules.c: see fwrules.h. */
#include "net/fwrules.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

extern char **environ;

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

static const char *iptables_path(void)
{
    static const char *const known[] = { "/usr/sbin/iptables", "/sbin/iptables",
                                         "/usr/bin/iptables", NULL };
    for (size_t i = 0; known[i]; i++)
        if (access(known[i], X_OK) == 0)
            return known[i];
    return NULL;
}

/* iptables -w -t table action rule...: its exit status (-1: not run), its
 * first line of stderr in msg */
static int iptables(const char *table, const char *action, char **rule, char msg[256],
                    cx_error *err)
{
    const char *bin = iptables_path();
    if (!bin)
        return cx_fail(err, ENOENT, "iptables is not installed (networks need it: install "
                       "the iptables package)");
    const char *argv[MAX_ARGS + 8] = { "iptables", "-w", "10", "-t", table, action };
    size_t k = 6;
    for (size_t i = 0; rule[i] && k < MAX_ARGS + 7; i++)
        argv[k++] = rule[i];
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, (char **) argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    _cleanup_close_ int rd = pipefd[0];
    if (rc != 0)
        return cx_fail(err, rc, "cannot run %s: %s", bin, strerror(rc));
    size_t len = 0;
    ssize_t got;
    char buf[512];
    while ((got = read(rd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
        for (ssize_t i = 0; i < got && len < 255; i++)
            if (buf[i] != '\n' || len == 0 || msg[len - 1] != ' ')
                msg[len++] = buf[i] == '\n' ? ' ' : buf[i];
    msg[len] = '\0';
    while (len && msg[len - 1] == ' ')
        msg[--len] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return cx_fail_errno(err, "waitpid iptables");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
            return cx_fail(err, EIO, "network %s: iptables -t %s cannot add a rule for %s "
                           "(exit %d): %s", n->name, table, n->bridge, rc, msg);
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
