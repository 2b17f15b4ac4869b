/* ctl_push.c: (to be written) */
#include "cmd/ctl.h"

int ctl_push(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "push: not implemented yet");
}
