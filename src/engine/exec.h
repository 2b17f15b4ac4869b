/* exec.h: `capsactl exec`: a process in a running container, through a
 * capsa-shim of its own (conmon's exec mode: --exec, --exec-attach, the
 * start pipe's second byte once we are attached), so the session outlives
 * nothing it should not and its exit code comes back on the sync pipe. */
#ifndef CAPSA_ENGINE_EXEC_H
#define CAPSA_ENGINE_EXEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/containers.h"
#include "engine/engine.h"

struct cx_exec_req {
    char **args;             /* the command, NULL-terminated */
    char **env;              /* "KEY=VALUE" added to the container's */
    const char *user, *workdir;
    bool tty, interactive, detach, privileged;
    const char *detach_keys;
};

/* Run it; *code is the process's exit code (attached), 0 when detached,
 * 126/127 when the command cannot run, 125 for an engine error. */
int cx_ctr_exec(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_req *r,
                int *code, cx_error *err);

/* The output of a process run to its end (capsad's ExecSync). */
struct cx_exec_output {
    char *out, *err;         /* malloc'd, NUL-terminated */
    size_t out_len, err_len;
    bool truncated;          /* a stream passed max: the rest was dropped */
};
void cx_exec_output_free(struct cx_exec_output *o);
/* Run r (no terminal, no input) in c and gather its standard output and
 * error, each at most max bytes; *code its exit code.  Past timeout_ms
 * (< 0: none) the process is killed and the call fails with ETIMEDOUT. */
int cx_ctr_exec_capture(struct cx_engine *e, const struct cx_ctr *c,
                        const struct cx_exec_req *r, int64_t timeout_ms, size_t max,
                        struct cx_exec_output *out, int *code, cx_error *err);

/* The process JSON for the runtime (pure but for the user lookup through
 * rootfd): the container's process with r's args, env, cwd, user and tty. */
int cx_exec_process(json_t *ctr_process, const struct cx_exec_req *r, int rootfd,
                    json_t **out, cx_error *err);

#endif
