/* cmd_create.c: `capsa create` (and the flags `run` shares with it). */
#include <getopt.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/util.h"
#include "runtime/container.h"

enum { OPT_CONSOLE = 1000, OPT_PIDFILE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE,
       OPT_KEEP, OPT_NOSUBREAPER };

/* Parse create/run flags; returns the index of the id or -1.  run adds
 * --detach, --keep and --no-subreaper (when detach/keep are non-NULL). */
int cmd_parse_create(int argc, char **argv, struct cx_create_opts *o, bool *detach,
                     bool *keep, cx_error *err)
{
    static const struct option opts[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "console-socket", required_argument, NULL, OPT_CONSOLE },
        { "pid-file", required_argument, NULL, OPT_PIDFILE },
        { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
        { "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
        { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
        { "detach", no_argument, NULL, 'd' },
        { "keep", no_argument, NULL, OPT_KEEP },
        { "no-subreaper", no_argument, NULL, OPT_NOSUBREAPER },
        { 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, detach ? "b:d" : "b:", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o->bundle = optarg; break;
        case OPT_CONSOLE: o->console_socket = optarg; break;
        case OPT_PIDFILE: o->pid_file = optarg; break;
        case OPT_NOPIVOT: o->no_pivot = true; break;
        case OPT_NOKEYRING: o->no_new_keyring = true; break;
        case OPT_PRESERVE:
            if (cx_parse_int(optarg, &o->preserve_fds) < 0 || o->preserve_fds < 0)
                return cx_fail(err, 0, "--preserve-fds: \"%s\" is not a count", optarg);
            break;
        case 'd': case OPT_KEEP: case OPT_NOSUBREAPER:
            if (detach == NULL) /* run-only flags */
                return cx_fail(err, 0, "create: unknown option %s", argv[optind - 1]);
            if (c == 'd')
                *detach = true;
            else if (c == OPT_KEEP)
                *keep = true;
            break;
        default:
            return cx_fail(err, 0, "%s: unknown option %s", argv[0], argv[optind - 1]);
        }
    }
    if (cmd_need_args(argc - optind, 1, detach ? "capsa run [options] <container-id>"
                                               : "capsa create [options] <container-id>",
                      err) < 0)
        return -1;
    o->id = argv[optind];
    return optind;
}

int cmd_create(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    struct cx_create_opts o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup };
    pid_t pid;
    int pty;
    if (cmd_parse_create(argc, argv, &o, NULL, NULL, err) < 0)
        return -1;
    return cx_create(&o, &pid, &pty, err) < 0 ? -1 : 0;
}
