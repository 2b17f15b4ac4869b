/* cmd_kill.c: `capsa kill [--all] <id> [signal]` (default SIGTERM). */
#include <getopt.h>
#include <signal.h>

#include "cmd/cmd.h"
#include "runtime/container.h"

int cmd_kill(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { 0 },
    };
    bool all = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
        if (c != 'a')
            return cx_fail(err, 0, "kill: unknown option %s", argv[optind - 1]);
        all = true;
    }
    int left = argc - optind;
    if (left < 1 || left > 2)
        return cx_fail(err, 0, "usage: capsa kill [--all] <container-id> [signal]");
    int sig = SIGTERM;
    if (left == 2 && (sig = cmd_parse_signal(argv[optind + 1], err)) < 0)
        return -1;
    return cx_kill(g->root, argv[optind], sig, all, err) < 0 ? -1 : 0;
}
