/* ctl_login.c: (to be written) */
#include "cmd/ctl.h"

int ctl_login(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "login: not implemented yet");
}

int ctl_logout(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) g, (void) argc, (void) argv;
    return cx_fail(err, ENOSYS, "logout: not implemented yet");
}
