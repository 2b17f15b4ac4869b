/* cmd_delete.c: `capsa delete [--force] <id>`. */
#include <getopt.h>

#include "cmd/cmd.h"
#include "runtime/container.h"

int cmd_delete(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { 0 },
    };
    bool force = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c != 'f')
            return cx_fail(err, 0, "delete: unknown option %s", argv[optind - 1]);
        force = true;
    }
    if (cmd_need_args(argc - optind, 1, "capsa delete [--force] <container-id>", err) < 0)
        return -1;
    return cx_delete(g->root, argv[optind], force, err) < 0 ? -1 : 0;
}
