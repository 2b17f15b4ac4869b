/* child.h: capsad's helper processes (capsactl-full for pulls and the
 * pause image): capsad never loads libcurl, libarchive or OpenSSL, a
 * hostile registry cannot crash it, and a deadline kills the child's
 * whole process group, and the child dies with capsad (the store's repair
 * finishes what it left). */
#ifndef CAPSA_CRI_CHILD_H
#define CAPSA_CRI_CHILD_H

#include <stdint.h>

#include "common/error.h"

/* Run argv (argv[0] a path) in a process group of its own, with stdin
 * /dev/null; *out gets its standard output (at most 64 KiB, may be NULL).
 * It fails with the child's last stderr line; ETIMEDOUT when it ran past
 * timeout_ms (then it is killed). */
int cri_child_run(char *const argv[], int64_t timeout_ms, char **out, cx_error *err);

#endif
