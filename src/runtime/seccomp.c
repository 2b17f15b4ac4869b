/* seccomp.c: see seccomp.h. */
#include "runtime/seccomp.h"

int cx_seccomp_apply(json_t *profile, cx_error *err)
{
    (void) profile;
    (void) err;
    return 0;
}
