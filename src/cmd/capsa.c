/* capsa.c: main() of the OCI runtime: runc's global flags and commands. */
#include <getopt.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa-config.h"
#include "cmd/cmd.h"
#include "common/log.h"
#include "runtime/selfexe.h"

/* Each command: its function, what it does, its usage line, and whether
 * its own arguments end its flags (exec's command, ps's options for ps):
 * the other commands take flags after the container id too, as runc does. */
static const struct {
    const char *name;
    capsa_cmd_fn fn;
    const char *help, *usage;
    bool args_after_id;
} commands[] = {
    { "checkpoint", cmd_unsupported, "checkpoint a running container (not supported)",
      "checkpoint [options] <container-id>", false },
    { "create", cmd_create, "create a container",
      "create [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--no-pivot]\n"
      "       [--no-new-keyring] [--preserve-fds N] <container-id>", false },
    { "delete", cmd_delete, "delete any resources held by the container",
      "delete [--force] <container-id>", false },
    { "events", cmd_events, "display container events: stats and OOM",
      "events [--stats] [--interval DURATION] <container-id>", false },
    { "exec", cmd_exec, "execute new process inside the container",
      "exec [options] <container-id> <command> [args...]\n"
      "       exec [options] --process FILE <container-id>\n"
      "  options: --console-socket PATH, --cwd/-w DIR, --env/-e K=V, --tty/-t,\n"
      "  --user/-u UID[:GID], --additional-gids/-g GID, --process/-p FILE,\n"
      "  --detach/-d, --pid-file FILE, --process-label L, --apparmor P,\n"
      "  --no-new-privs, --cap/-c CAP, --preserve-fds N, --cgroup [CTRL[,CTRL]:]PATH,\n"
      "  --ignore-paused", true },
    { "features", cmd_features, "show the enabled features", "features", false },
    { "kill", cmd_kill, "send a signal to the container's init process",
      "kill [--all] <container-id> [signal]", false },
    { "list", cmd_list, "list containers started by capsa with the given root",
      "list [--format table|json] [--quiet]", false },
    { "pause", cmd_pause, "pause all processes in the container", "pause <container-id>",
      false },
    { "ps", cmd_ps, "display the processes running inside a container",
      "ps [--format table|json] <container-id> [ps options]", true },
    { "restore", cmd_unsupported, "restore a container from a checkpoint (not supported)",
      "restore [options] <container-id>", false },
    { "resume", cmd_pause, "resume all processes in the container", "resume <container-id>",
      false },
    { "run", cmd_run, "create and run a container",
      "run [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--detach]\n"
      "       [--keep] [--no-subreaper] [--no-pivot] [--no-new-keyring]\n"
      "       [--preserve-fds N] <container-id>", false },
    { "spec", cmd_spec, "create a new specification file", "spec [--bundle DIR] [--rootless]",
      false },
    { "start", cmd_start, "execute the user defined process in a created container",
      "start <container-id>", false },
    { "state", cmd_state, "output the state of a container", "state <container-id>", false },
    { "update", cmd_update, "update container resource constraints",
      "update [-r FILE|-] [--memory N] [--memory-reservation N] [--memory-swap N]\n"
      "       [--kernel-memory N] [--kernel-memory-tcp N] [--cpu-shares N]\n"
      "       [--cpu-period N] [--cpu-quota N] [--cpu-rt-period N] [--cpu-rt-runtime N]\n"
      "       [--cpuset-cpus LIST] [--cpuset-mems LIST] [--pids-limit N]\n"
      "       [--blkio-weight N] [--l3-cache-schema S] [--mem-bw-schema S] <container-id>",
      false },
};

/* -h or --help among the command's own flags (before "--", and before
 * the arguments of exec's command or ps's options) */
static bool wants_help(int argc, char **argv, bool args_after_id)
{
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
        if (argv[i][0] != '-' && ++positional > 1 && args_after_id)
            return false;
    }
    return false;
}

static void command_help(size_t i)
{
    printf("capsa %s: %s\n\nusage: capsa [global options] %s\n", commands[i].name,
           commands[i].help, commands[i].usage);
}

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
            if (wants_help(argc - first, argv + first, commands[i].args_after_id)) {
                command_help(i);
                return 0;
            }
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
