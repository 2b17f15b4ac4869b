/* cmd_start.c: `capsa start <id>`, `pause` and `resume`. */
#include "cmd/cmd.h"
#include "runtime/container.h"

int cmd_start(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    if (cmd_need_args(argc - 1, 1, "capsa start <container-id>", err) < 0)
        return -1;
    return cx_start(g->root, argv[1], err) < 0 ? -1 : 0;
}

/* `capsa pause <id>` and `capsa resume <id>` */
int cmd_pause(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    bool pause = argv[0][0] == 'p';
    if (cmd_need_args(argc - 1, 1, pause ? "capsa pause <container-id>"
                                         : "capsa resume <container-id>", err) < 0)
        return -1;
    return cx_pause(g->root, argv[1], pause, err) < 0 ? -1 : 0;
}
