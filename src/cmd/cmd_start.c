/* cmd_start.c: `capsa start <id>`. */
#include "cmd/cmd.h"
#include "runtime/container.h"

int cmd_start(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    if (cmd_need_args(argc - 1, 1, "capsa start <container-id>", err) < 0)
        return -1;
    return cx_start(g->root, argv[1], err) < 0 ? -1 : 0;
}
