/* exec.h: a new process in a running container: join its namespaces
 * through a pidfd of its init, its cgroup, its root; then the same user,
 * capability and lookup steps as the init (process.c). */
#ifndef CAPSA_EXEC_H
#define CAPSA_EXEC_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

struct cx_exec_opts {
    const char *root, *id;
    json_t *process;          /* an OCI process object (validated here) */
    const char *console_socket, *pid_file;
    bool detach;
    int preserve_fds;
    const char *const *cgroups;  /* --cgroup: sub-cgroups (cgroup_exec_dirs) */
    size_t n_cgroups;
    bool ignore_paused;          /* run in a paused container: the process
                                    starts when it is resumed */
};

/* Returns 0 and sets *exit_code (foreground: the process's exit code). */
int cx_exec(const struct cx_exec_opts *o, int *exit_code, cx_error *err);

#endif
