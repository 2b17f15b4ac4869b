/* ctl_exec.c: `capsactl exec [-it] [-d] [-e K=V] [-u USER] [-w DIR]
 * [--privileged] CONTAINER COMMAND [ARG...]`; its exit code is the
 * process's, 126/127 when the command cannot run, 125 for ours. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/exec.h"
#include "engine/lifecycle.h"

static int add_env(char ***env, size_t *n, const char *kv)
{
    *env = cx_realloc(*env, (*n + 2) * sizeof(char *));
    if (strchr(kv, '=')) {
        (*env)[(*n)++] = cx_strdup(kv);
    } else {
        const char *v = getenv(kv);
        if (v)
            (*env)[(*n)++] = cx_asprintf("%s=%s", kv, v);
    }
    (*env)[*n] = NULL;
    return 0;
}

int ctl_exec(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
        { "detach", no_argument, NULL, 'd' }, { "env", required_argument, NULL, 'e' },
        { "user", required_argument, NULL, 'u' }, { "workdir", required_argument, NULL, 'w' },
        { "privileged", no_argument, NULL, 'P' },
        { "detach-keys", required_argument, NULL, 'K' }, { 0 },
    };
    struct cx_exec_req r = { 0 };
    _cleanup_strv_ char **env = cx_calloc(1, sizeof(char *));
    size_t nenv = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+itde:u:w:", opts, NULL)) != -1)
        switch (c) {
        case 'i': r.interactive = true; break;
        case 't': r.tty = true; break;
        case 'd': r.detach = true; break;
        case 'e': add_env(&env, &nenv, optarg); break;
        case 'u': r.user = optarg; break;
        case 'w': r.workdir = optarg; break;
        case 'P': r.privileged = true; break;
        case 'K': r.detach_keys = optarg; break;
        default: return cx_fail(err, EINVAL, "exec: unknown flag %s", argv[optind - 1]);
        }
    if (argc - optind < 2)
        return cx_fail(err, EINVAL, "exec: give a container and a command");
    if (r.workdir && r.workdir[0] != '/')
        return cx_fail(err, EINVAL, "exec: --workdir %s: not an absolute path", r.workdir);
    r.env = env;
    r.args = argv + optind + 1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_ctr ctr;
    int code = 125, rc = cx_ctr_lookup(&e.store.db, argv[optind], &ctr, NULL, err);
    if (rc == 0) {
        cx_ctr_sync(&e, &ctr);
        rc = cx_ctr_exec(&e, &ctr, &r, &code, err);
        cx_ctr_free(&ctr);
    }
    cx_engine_close(&e);
    if (rc < 0) {
        cx_log_error(err);
        return code;
    }
    return code;
}
