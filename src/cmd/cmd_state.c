/* cmd_state.c: `capsa state <id>`: the OCI state as runc prints it. */
#include <jansson.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "runtime/container.h"

int cmd_state(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cmd_need_args(argc - 1, 1, "capsa state <container-id>", err) < 0 ||
        cx_container_load(g->root, argv[1], false, &c, err) < 0)
        return -1;
    json_t *o = cx_state_to_oci(c->st, false);
    int rc = cmd_print_json(o, true, false);
    json_decref(o);
    return rc < 0 ? cx_fail_errno(err, "write the state") : 0;
}
