/* seccomp.c: see seccomp.h. */
#include "runtime/seccomp.h"

int seccomp_load(json_t *profile, cx_error *err)
{
    (void) profile;
    (void) err;
    return 0;
}
