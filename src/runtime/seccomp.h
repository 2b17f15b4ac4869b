/* seccomp.h: the seccomp seam.  cx_seccomp_apply() is the very last step
 * before execve (after the user switch, capabilities and no_new_privs), so
 * that nothing the runtime does is filtered.  4/4 implements it with
 * libseccomp; until then a profile in config.json is accepted and not
 * applied (reported at --debug). */
#ifndef CAPSA_SECCOMP_H
#define CAPSA_SECCOMP_H

#include <jansson.h>

#include "common/error.h"

int cx_seccomp_apply(json_t *profile, cx_error *err);

#endif
