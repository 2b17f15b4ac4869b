/* ctl_ctr.c: the container commands that act on existing containers:
 * start, stop, kill, restart, pause, unpause, rm, wait, and the
 * `container` group (with `container cleanup`, capsa-shim's exit command). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"

typedef int (*ctr_action)(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err);

/* Run act on each container named in argv[optind..] (or every one with
 * all, newest first: a pod's members before its infra container, a
 * container before the one whose network it uses), printing its name as
 * given (not when act returns 1: skipped); the first error is reported,
 * exit 125 (podman's), the others printed as they come. */
static int each(const struct ctl_global *g, int argc, char **argv, bool all, bool print,
                ctr_action act, void *arg, cx_error *err)
{
    if (optind >= argc && !all)
        return cx_fail(err, EINVAL, "%s: give at least one container name or ID", argv[0]);
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    char **names = argv + optind;
    size_t n = (size_t) (argc - optind);
    struct cx_ctr *list = NULL;
    size_t nlist = 0;
    if (all && cx_ctr_list(&e.store.db, &list, &nlist, err) < 0) {
        cx_engine_close(&e);
        return -1;
    }
    int rc = 0;
    size_t count = all ? nlist : n;
    for (size_t i = 0; i < count; i++) {
        struct cx_ctr c;
        cx_error one = { 0 };
        size_t k = all ? count - 1 - i : i;
        int r = all ? (c = list[k], list[k] = (struct cx_ctr){ 0 }, 0)
                    : cx_ctr_lookup(&e.store.db, names[k], &c, NULL, &one);
        if (r == 0) {
            r = act(&e, &c, arg, &one);
            if (r == 0 && print)
                printf("%s\n", all ? c.id : names[k]);
            r = r > 0 ? 0 : r;
            cx_ctr_free(&c);
        }
        if (r < 0) {
            if (rc == 0)
                *err = one;
            else
                cx_log_error(&one);
            rc = -1;
        }
    }
    fflush(stdout);
    cx_ctrs_free(list, nlist);
    cx_engine_close(&e);
    return rc;
}

static int act_start(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    (void) arg;
    int code;
    cx_ctr_sync(e, c);
    if (c->state == CX_CTR_RUNNING)
        return 0;   /* podman: starting a running container is fine */
    return cx_ctr_start(e, c, NULL, NULL, &code, err);
}

int ctl_start(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "attach", no_argument, NULL, 'a' }, { "interactive", no_argument, NULL, 'i' },
        { "all", no_argument, NULL, 'A' }, { 0 },
    };
    bool attach = false, interactive = false, all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1)
        switch (c) {
        case 'a': attach = true; break;
        case 'i': interactive = true; break;
        case 'A': all = true; break;
        default: return cx_fail(err, EINVAL, "start: unknown flag %s", argv[optind - 1]);
        }
    if (attach || interactive)
        return ctl_start_attached(g, argc, argv, interactive, err);
    return each(g, argc, argv, all, true, act_start, NULL, err);
}

struct stop_arg {
    int timeout;
    int sig;
};

static int act_stop(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    return cx_ctr_stop(e, c, ((struct stop_arg *) arg)->timeout, err);
}

static int act_kill(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    return cx_ctr_kill(e, c, ((struct stop_arg *) arg)->sig, err);
}

static int act_restart(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    int code;
    if (cx_ctr_stop(e, c, ((struct stop_arg *) arg)->timeout, err) < 0)
        return -1;
    return cx_ctr_start(e, c, NULL, NULL, &code, err);
}

static int stop_like(const struct ctl_global *g, int argc, char **argv, ctr_action act,
                     cx_error *err)
{
    static const struct option opts[] = {
        { "time", required_argument, NULL, 't' }, { "timeout", required_argument, NULL, 't' },
        { "all", no_argument, NULL, 'a' }, { "ignore", no_argument, NULL, 'i' }, { 0 },
    };
    struct stop_arg a = { .timeout = -1 };
    bool all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+t:ai", opts, NULL)) != -1)
        switch (c) {
        case 't':
            if (cx_parse_int(optarg, &a.timeout) < 0 || a.timeout < 0)
                return cx_fail(err, EINVAL, "%s: --time %s: not a number of seconds",
                               argv[0], optarg);
            break;
        case 'a': all = true; break;
        case 'i': break;
        default: return cx_fail(err, EINVAL, "%s: unknown flag %s", argv[0], argv[optind - 1]);
        }
    return each(g, argc, argv, all, true, act, &a, err);
}

int ctl_stop(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    return stop_like(g, argc, argv, act_stop, err);
}

int ctl_restart(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    return stop_like(g, argc, argv, act_restart, err);
}

int ctl_kill(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "signal", required_argument, NULL, 's' }, { "all", no_argument, NULL, 'a' }, { 0 },
    };
    struct stop_arg a = { .sig = SIGKILL };
    bool all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+s:a", opts, NULL)) != -1)
        switch (c) {
        case 's':
            if (cx_signal_parse(optarg, &a.sig, err) < 0)
                return cx_error_prefix(err, "kill: --signal");
            break;
        case 'a': all = true; break;
        default: return cx_fail(err, EINVAL, "kill: unknown flag %s", argv[optind - 1]);
        }
    return each(g, argc, argv, all, true, act_kill, &a, err);
}

static int act_pause(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    return cx_ctr_pause(e, c, arg != NULL, err);
}

int ctl_pause(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    optind = 1;
    return each(g, argc, argv, false, true, act_pause, (void *) 1, err);
}

int ctl_unpause(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    optind = 1;
    return each(g, argc, argv, false, true, act_pause, NULL, err);
}

struct rm_arg {
    bool force, volumes, all;
};

static int act_rm(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    struct rm_arg *a = arg;
    /* a pod's infra container goes with its pod (pod rm); rm -a leaves it */
    if (cx_pod_infra_check(e, c->id, err) < 0)
        return a->all ? (cx_error_clear(err), 1) : -1;
    return cx_ctr_remove(e, c->id, a->force, a->volumes, err);
}

int ctl_rm(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' }, { "volumes", no_argument, NULL, 'v' },
        { "all", no_argument, NULL, 'a' }, { "time", required_argument, NULL, 't' },
        { "ignore", no_argument, NULL, 'i' }, { 0 },
    };
    struct rm_arg a = { 0 };
    bool all = false;
    int c;
    while ((c = getopt_long(argc, argv, "+fvat:i", opts, NULL)) != -1)
        switch (c) {
        case 'f': a.force = true; break;
        case 'v': a.volumes = true; break;
        case 'a': all = a.all = true; break;
        case 't': case 'i': break;   /* -f kills at once; --ignore: see below */
        default: return cx_fail(err, EINVAL, "rm: unknown flag %s", argv[optind - 1]);
        }
    if (each(g, argc, argv, all, true, act_rm, &a, err) == 0)
        return 0;
    /* podman's codes: 1 no such container, 2 one is running */
    cx_log_error(err);
    return err->errnum == ENOENT ? 1 : err->errnum == EBUSY ? 2 : 125;
}

static int act_wait(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    (void) arg;
    int code;
    if (cx_ctr_wait(e, c->id, -1, &code, err) < 0)
        return -1;
    printf("%d\n", code);
    return 0;
}

int ctl_wait(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = { { 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1)
        return cx_fail(err, EINVAL, "wait: unknown flag %s", argv[optind - 1]);
    return each(g, argc, argv, false, false, act_wait, NULL, err);
}

static int act_cleanup(struct cx_engine *e, struct cx_ctr *c, void *arg, cx_error *err)
{
    (void) arg;
    return cx_ctr_cleanup(e, c->id, err);
}

/* `container cleanup ID`: run by capsa-shim when the container exits */
static int ctl_cleanup(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    optind = 1;
    return each(g, argc, argv, false, false, act_cleanup, NULL, err);
}

int ctl_container(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct {
        const char *name;
        ctl_cmd_fn fn;
    } sub[] = {
        { "cleanup", ctl_cleanup }, { "create", ctl_create }, { "exec", ctl_exec }, { "kill", ctl_kill },
        { "list", ctl_ps }, { "ls", ctl_ps }, { "pause", ctl_pause },
        { "prune", ctl_container_prune }, { "ps", ctl_ps },
        { "restart", ctl_restart }, { "rm", ctl_rm }, { "run", ctl_run },
        { "start", ctl_start }, { "stop", ctl_stop }, { "unpause", ctl_unpause },
        { "wait", ctl_wait }, { "inspect", ctl_inspect }, { "logs", ctl_logs },
        { "top", ctl_top }, { "stats", ctl_stats }, { "attach", ctl_attach },
        { "port", ctl_port }, { "cp", ctl_cp }, { "export", ctl_export },
        { "commit", ctl_commit },
    };
    if (argc < 2)
        return cx_fail(err, EINVAL, "container: give a subcommand (run, ps, rm, ...)");
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
        if (strcmp(argv[1], sub[i].name) == 0) {
            optind = 0;
            return sub[i].fn(g, argc - 1, argv + 1, err);
        }
    return cx_fail(err, EINVAL, "container: unknown subcommand \"%s\"", argv[1]);
}
