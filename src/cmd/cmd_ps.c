/* cmd_ps.c: `capsa ps [--format table|json] <id> [ps options]`: json is a
 * bare array of host pids; table is ps(1)'s output (default -ef) limited
 * to the container's processes, as runc does. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"

static bool contains(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Index of the PID column in ps's header, or -1. */
static int pid_column(char *header)
{
    int col = 0;
    char *save = NULL;
    for (char *tok = strtok_r(header, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save), col++)
        if (strcmp(tok, "PID") == 0)
            return col;
    return -1;
}

static long field(const char *line, int col)
{
    _cleanup_free_ char *copy = cx_strdup(line);
    char *save = NULL;
    char *tok = strtok_r(copy, " \t\n", &save);
    for (int i = 0; tok && i < col; i++)
        tok = strtok_r(NULL, " \t\n", &save);
    int64_t v;
    return tok && cx_parse_i64(tok, &v) == 0 ? (long) v : -1;
}

static int ps_table(const pid_t *pids, size_t n, int argc, char **argv, cx_error *err)
{
    _cleanup_free_ char *cmd = cx_strdup("ps");
    for (int i = 0; i < argc; i++) {
        char *next = cx_asprintf("%s '%s'", cmd, argv[i]);
        free(cmd);
        cmd = next;
        if (strchr(argv[i], '\''))
            return cx_fail(err, 0, "ps: option %s contains a quote", argv[i]);
    }
    if (argc == 0) {
        free(cmd);
        cmd = cx_strdup("ps -ef");
    }
    FILE *f = popen(cmd, "re");
    if (f == NULL)
        return cx_fail_errno(err, "run %s", cmd);
    char line[8192], header[8192];
    int col = -1;
    if (fgets(line, sizeof line, f)) {
        fputs(line, stdout);
        snprintf(header, sizeof header, "%s", line);
        col = pid_column(header);
    }
    while (fgets(line, sizeof line, f))
        if (col >= 0 && contains(pids, n, field(line, col)))
            fputs(line, stdout);
    int status = pclose(f);
    if (col < 0)
        return cx_fail(err, 0, "ps: no PID column in the output of \"%s\"", cmd);
    if (status != 0)
        return cx_fail(err, 0, "\"%s\" failed (status %d)", cmd, status);
    return 0;
}

int cmd_ps(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { 0 },
    };
    const char *format = "table";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
        if (c != 'f')
            return cx_fail(err, 0, "ps: unknown option %s", argv[optind - 1]);
        format = optarg;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return cx_fail(err, 0, "invalid format option \"%s\" (table or json)", format);
    if (argc - optind < 1)
        return cx_fail(err, 0, "usage: capsa ps [--format table|json] <container-id> [ps options]");
    _cleanup_container_ struct cx_container *ct = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (cx_container_load(g->root, argv[optind], false, &ct, err) < 0 ||
        cx_pids(ct, &pids, &n, err) < 0)
        return -1;
    if (strcmp(format, "table") == 0) {
        fflush(stdout);
        return ps_table(pids, n, argc - optind - 1, argv + optind + 1, err) < 0 ? -1 : 0;
    }
    json_t *a = n ? json_array() : json_null(); /* runc prints null for none */
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(pids[i]));
    cmd_print_json(a, false, true);
    json_decref(a);
    return 0;
}
