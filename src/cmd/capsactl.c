/* capsactl.c: main() of the command line for people: global flags and
 * the command table (podman's names). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa-config.h"
#include "cmd/ctl.h"
#include "common/log.h"
#include "engine/engine.h"

/* Each command: its function, what it does, and its usage (`capsactl
 * COMMAND --help`). */
static const struct {
    const char *name;
    ctl_cmd_fn fn;
    const char *help, *usage;
} commands[] = {
    { "attach", ctl_attach, "attach to a running container's output (and input)",
      "attach [--detach-keys KEYS] [--no-stdin] [-l] CONTAINER" },
    { "commit", ctl_commit, "make an image of a container's changes",
      "commit [-a AUTHOR] [-c|--change INSTRUCTION]... [-m MESSAGE] [-p|--pause]\n"
      "       [-f oci|docker] [--iidfile FILE]\n"
      "       CONTAINER [IMAGE]" },
    { "container", ctl_container, "manage containers (run, ps, rm, cleanup, ...)",
      "container SUBCOMMAND [options]" },
    { "cp", ctl_cp, "copy files between a container and the host (or a tar stream)",
      "cp [-a[=false]] [--overwrite] [CONTAINER:]SRC [CONTAINER:]DEST\n"
      "  (SRC or DEST - : a tar stream on stdin or stdout)" },
    { "create", ctl_create, "create a container from an image (not started)",
      "create [options] IMAGE [COMMAND [ARG...]]" },
    { "exec", ctl_exec, "run a process in a running container",
      "exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] [--privileged] CONTAINER CMD [ARG...]" },
    { "export", ctl_export, "write a container's file system as a tar",
      "export [-o FILE] CONTAINER" },
    { "image", ctl_image, "manage images (inspect, ls, rm, pull, tag, prune, mount, ...)",
      "image inspect|ls|list|rm|pull|tag|untag|prune|mount|unmount ..." },
    { "images", ctl_images, "list images in the store",
      "images [-a] [-q] [-n|--noheading] [--digests] [--no-trunc] [--format json] [NAME]" },
    { "import", ctl_import, "import a root filesystem tarball as a one-layer image",
      "import [-c|--change INSTRUCTION]... [-m|--message TEXT] [-q] FILE|- [NAME[:TAG]]" },
    { "info", ctl_info, "show the host, the store and the registries configuration", "info" },
    { "inspect", ctl_inspect, "show containers or images as JSON, or through --format",
      "inspect [-f FORMAT] [-t container|image] NAME..." },
    { "kill", ctl_kill, "send a signal to containers (SIGKILL by default)",
      "kill [-s SIGNAL] [-a] CONTAINER..." },
    { "kube", ctl_kube, "run a Kubernetes Pod manifest as a pod (or remove it)",
      "kube play|down FILE.yaml   (one document, apiVersion v1, kind Pod; - for stdin)" },
    { "load", ctl_load, "load images from a docker-archive or oci-archive tarball",
      "load [-i|--input FILE] [-q]   (standard input without -i)" },
    { "login", ctl_login, "log in to a registry (stores credentials in the auth file)",
      "login [-u USER] [-p PASS | --password-stdin] [--authfile FILE] [--tls-verify=false]\n"
      "       [--get-login] [-v] [REGISTRY]" },
    { "logout", ctl_logout, "remove a registry's credentials from the auth file",
      "logout [--authfile FILE] [-a|--all] [REGISTRY]" },
    { "logs", ctl_logs, "print a container's output",
      "logs [-f] [-t] [--since T] [--until T] [--tail N] CONTAINER" },
    { "network", ctl_network, "manage CNI bridge networks",
      "network create [--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME\n"
      "       network ls [-q] [--format json] | inspect NETWORK... | rm NETWORK... | prune\n"
      "       network connect|disconnect NETWORK CONTAINER" },
    { "pause", ctl_pause, "freeze containers' processes", "pause CONTAINER..." },
    { "pod", ctl_pod, "manage pods: containers sharing an infra container's namespaces",
      "pod create [-n NAME] [-p PORT]... [--network NET] [--share net,ipc,uts,pid] [-l K=V]\n"
      "       pod ps [-q] [--no-trunc] [--format json] | inspect POD... | exists POD | prune\n"
      "       pod start|stop [-t S]|restart|kill [-s SIG]|pause|unpause|rm [-f] [-a] POD...\n"
      "       pod top POD [DESCRIPTORS...] | stats [--no-stream] [POD...]" },
    { "port", ctl_port, "list a container's published ports",
      "port [-a] [-l] CONTAINER [PRIVATE_PORT[/PROTO]]" },
    { "ps", ctl_ps, "list containers (running ones without -a)",
      "ps [-a] [-q] [--no-trunc] [-l] [--filter K=V] [--format json|TEMPLATE]" },
    { "pull", ctl_pull, "pull an image from a registry or an OCI layout",
      "pull [-q] [--tls-verify=false] [--authfile FILE] [--creds USER:PASS]\n"
      "       [--platform OS/ARCH[/VARIANT] | --os OS --arch ARCH --variant V] IMAGE...\n"
      "  IMAGE: a reference (docker:// optional), or oci:DIR[:TAG]" },
    { "push", ctl_push, "push an image to a registry or an OCI layout",
      "push [-q] [--tls-verify=false] [--authfile FILE] [--creds USER:PASS]\n"
      "       [--digestfile FILE] IMAGE [DESTINATION]   (a reference, or oci:DIR[:TAG])" },
    { "restart", ctl_restart, "stop then start containers", "restart [-t SECONDS] CONTAINER..." },
    { "rm", ctl_rm, "remove containers", "rm [-f] [-v] [-a] CONTAINER..." },
    { "rmi", ctl_rmi, "remove one or more images", "rmi [-f] [-a] [-i|--ignore] IMAGE..." },
    { "run", ctl_run, "run a command in a new container",
      "run [options] IMAGE [COMMAND [ARG...]] (see docs/CONTAINERS.md)" },
    { "save", ctl_save, "save images to a docker-archive or oci-archive tarball",
      "save [-o FILE] [--format docker-archive|oci-archive] [-m] [-q] IMAGE..." },
    { "start", ctl_start, "start containers", "start [-a] [-i] CONTAINER..." },
    { "stats", ctl_stats, "show containers' CPU, memory, network and block I/O, PIDs",
      "stats [-a] [-l] [--no-stream] [--no-reset] [--no-trunc] [-i SECONDS]\n"
      "       [--format json|TEMPLATE] [CONTAINER...]" },
    { "stop", ctl_stop, "stop containers (stop signal, then SIGKILL after -t seconds)",
      "stop [-t SECONDS] [-a] CONTAINER..." },
    { "system", ctl_system, "manage the store (df, check)",
      "system df [-v] [--format json] | system check [--repair]" },
    { "tag", ctl_tag, "add names to an image", "tag IMAGE NAME[:TAG]..." },
    { "top", ctl_top, "show the processes of a running container",
      "top [-l] CONTAINER [FORMAT-DESCRIPTORS...]   (--list-descriptors: the names)" },
    { "volume", ctl_volume, "manage volumes (create, ls, inspect, rm, prune)",
      "volume create [--label K=V] [NAME] | ls [-q] | inspect NAME... | rm NAME... | prune" },
    { "wait", ctl_wait, "wait for containers to exit and print their exit codes",
      "wait CONTAINER..." },
    { "untag", ctl_untag, "remove names from an image (all without NAME)",
      "untag IMAGE [NAME[:TAG]...]" },
    { "unpause", ctl_unpause, "resume paused containers", "unpause CONTAINER..." },
    { "version", ctl_version, "print capsactl's version", "version" },
};

/* --help among the command's own flags (before "--" and before its first
 * operand: `run IMAGE httpd --help` is httpd's), or -h alone (`run -h X`
 * is --hostname, as podman's) */
static bool wants_help(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-h") == 0)
        return true;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0 && argv[i][0] == '-'; i++)
        if (strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int ctl_version(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void)g, (void)argc, (void)argv, (void)err;
    printf("Version:      %s\n", CAPSA_VERSION);
    if (CAPSA_COMMIT[0])
        printf("Git Commit:   %s\n", CAPSA_COMMIT);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: capsactl [global options] command [options] [arguments...]\n\n"
                 "global options: --root DIR (default " CX_ENGINE_ROOT "), --runroot DIR\n"
                 "  (default " CX_ENGINE_RUNROOT "), --registries-conf FILE, --runtime NAME|PATH\n"
                 "  (new containers' OCI runtime: capsa, or runc, crun, ...), --debug,\n"
                 "  --version, --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
}

enum { OPT_ROOT = 1000, OPT_RUNROOT, OPT_REGCONF, OPT_DEBUG, OPT_RUNTIME };

static int parse_global(int argc, char **argv, struct ctl_global *g, cx_error *err)
{
    static const struct option opts[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "runroot", required_argument, NULL, OPT_RUNROOT },
        { "registries-conf", required_argument, NULL, OPT_REGCONF },
        { "debug", no_argument, NULL, OPT_DEBUG },
        { "runtime", required_argument, NULL, OPT_RUNTIME },
        { "version", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT: g->root = optarg; break;
        case OPT_RUNROOT: g->runroot = optarg; break;
        case OPT_REGCONF: g->registries_conf = optarg; break;
        case OPT_DEBUG: g->debug = true; break;
        case OPT_RUNTIME: g->runtime = optarg; break;
        case 'v': printf("capsactl version %s\n", CAPSA_VERSION); exit(0);
        case 'h': usage(stdout); exit(0);
        default:
            return cx_fail(err, 0, "unknown global option %s (see capsactl --help)",
                           argv[optind - 1]);
        }
    }
    return optind;
}

int main(int argc, char **argv)
{
    struct ctl_global g = { .root = CX_ENGINE_ROOT, .runroot = CX_ENGINE_RUNROOT,
                            .argc = argc, .argv = argv };
    cx_error err = { 0 };
    int rc = -1;

    cx_log_set_program("capsactl");
    int first = parse_global(argc, argv, &g, &err);
    if (first >= 0 && cx_log_init(NULL, CX_LOG_TEXT, g.debug, &err) < 0)
        first = -1;
    if (first >= 0 && first >= argc) {
        usage(stderr);
        return 125;
    }
    if (first >= 0) {
        size_t i, n = sizeof commands / sizeof commands[0];
        for (i = 0; i < n && strcmp(commands[i].name, argv[first]) != 0; i++)
            ;
        if (i == n)
            cx_fail(&err, 0, "unrecognized command `capsactl %s` (see capsactl --help)",
                    argv[first]);
        else if (wants_help(argc - first, argv + first)) {
            printf("capsactl %s: %s\n\nusage: capsactl [global options] %s\n", commands[i].name,
                   commands[i].help, commands[i].usage);
            return 0;
        } else {
            optind = 0;
            rc = commands[i].fn(&g, argc - first, argv + first, &err);
        }
    }
    if (rc < 0) {
        cx_log_error(&err);
        return 125;
    }
    return rc;
}
