/* capsa.c: main() of the OCI runtime: runc's global flags and commands. */
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa-config.h"
#include "cmd/cmd.h"
#include "common/log.h"
#include "runtime/selfexe.h"

static const struct {
    const char *name;
    capsa_cmd_fn fn;
    const char *help;
} commands[] = {
    { "checkpoint", cmd_unsupported, "checkpoint a running container (not supported)" },
    { "create", cmd_create, "create a container" },
    { "delete", cmd_delete, "delete any resources held by the container" },
    { "events", cmd_events, "display container events: stats and OOM" },
    { "exec", cmd_exec, "execute new process inside the container" },
    { "features", cmd_features, "show the enabled features" },
    { "kill", cmd_kill, "send a signal to the container's init process" },
    { "list", cmd_list, "list containers started by capsa with the given root" },
    { "pause", cmd_pause, "pause all processes in the container" },
    { "ps", cmd_ps, "display the processes running inside a container" },
    { "restore", cmd_unsupported, "restore a container from a checkpoint (not supported)" },
    { "resume", cmd_pause, "resume all processes in the container" },
    { "run", cmd_run, "create and run a container" },
    { "spec", cmd_spec, "create a new specification file" },
    { "start", cmd_start, "execute the user defined process in a created container" },
    { "state", cmd_state, "output the state of a container" },
    { "update", cmd_update, "update container resource constraints" },
};

static void print_version(void)
{
    const struct scmp_version *v = seccomp_version();
    printf("capsa version %s\n", CAPSA_VERSION);
    if (CAPSA_COMMIT[0])
        printf("commit: %s\n", CAPSA_COMMIT);
    printf("spec: %s\n", CAPSA_SPEC_VERSION);
    printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: capsa [global options] command [command options] [arguments...]\n\n"
                 "global options: --root DIR (default /run/capsa), --log FILE,\n"
                 "  --log-format text|json, --debug, --systemd-cgroup, --rootless, --criu,\n"
                 "  --version, --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
}

enum { OPT_LOG = 1000, OPT_LOG_FORMAT, OPT_ROOT, OPT_CRIU, OPT_SYSTEMD, OPT_ROOTLESS,
       OPT_DEBUG };

static int parse_global(int argc, char **argv, struct capsa_global *g, cx_error *err)
{
    static const struct option opts[] = {
        { "debug", no_argument, NULL, OPT_DEBUG },
        { "log", required_argument, NULL, OPT_LOG },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "root", required_argument, NULL, OPT_ROOT },
        { "criu", required_argument, NULL, OPT_CRIU },
        { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
        { "rootless", required_argument, NULL, OPT_ROOTLESS },
        { "version", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DEBUG: g->debug = true; break;
        case OPT_LOG: g->log = optarg; break;
        case OPT_LOG_FORMAT: g->log_format = optarg; break;
        case OPT_ROOT: g->root = optarg; break;
        case OPT_SYSTEMD: g->systemd_cgroup = true; break;
        case OPT_CRIU: case OPT_ROOTLESS: break;
        case 'v': print_version(); exit(0);
        case 'h': usage(stdout); exit(0);
        default:
            return cx_fail(err, 0, "unknown global option %s", argv[optind - 1]);
        }
    }
    if (strcmp(g->log_format, "text") != 0 && strcmp(g->log_format, "json") != 0)
        return cx_fail(err, 0, "invalid log-format \"%s\" (text or json)", g->log_format);
    return optind;
}

int main(int argc, char **argv)
{
    struct capsa_global g = { .root = "/run/capsa", .log_format = "text" };
    cx_error err = { 0 };
    int rc = -1;

    cx_log_set_program("capsa");
    int first = parse_global(argc, argv, &g, &err);
    if (first >= 0 && cx_log_init(g.log, strcmp(g.log_format, "json") == 0
                                  ? CX_LOG_JSON : CX_LOG_TEXT, g.debug, &err) < 0)
        first = -1;
    if (first >= 0 && first >= argc) {
        usage(stderr);
        return 1;
    }
    if (first >= 0) {
        const char *name = argv[first];
        size_t i;
        for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(commands[i].name, name) == 0)
                break;
        if (i == sizeof commands / sizeof commands[0])
            cx_fail(&err, 0, "no such command: %s (see capsa --help)", name);
        else {
            selfexe_init(argv); /* create, run and exec may re-exec (selfexe.h) */
            optind = 0; /* commands parse from their own argv[0] */
            rc = commands[i].fn(&g, argc - first, argv + first, &err);
        }
    }
    if (rc < 0) {
        cx_log_error(&err);
        return 1;
    }
    return rc;
}
