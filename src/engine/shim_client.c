/* shim_client.c: see shim_client.h. */
#include "engine/shim_client.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/ctr_runtime.h"
#include "engine/oci_cli.h"

extern char **environ;

#define ARGV_MAX 64

struct argv_buf {
    const char *v[ARGV_MAX];
    size_t n;
    char *owned[16];
    size_t nowned;
};

static void add(struct argv_buf *a, const char *s)
{
    if (a->n < ARGV_MAX - 1)
        a->v[a->n++] = s;
}

static const char *own(struct argv_buf *a, char *s)
{
    if (a->nowned < sizeof a->owned / sizeof a->owned[0])
        a->owned[a->nowned++] = s;
    return s;
}

static void argv_free(struct argv_buf *a)
{
    for (size_t i = 0; i < a->nowned; i++)
        free(a->owned[i]);
}

static void shim_argv(struct cx_engine *e, const struct cx_shim_req *r, struct argv_buf *a)
{
    add(a, e->shim);
    add(a, "--api-version");
    add(a, "1");
    add(a, "-c");
    add(a, r->id);
    add(a, "-u");
    add(a, r->id);
    add(a, "-n");
    add(a, r->name);
    add(a, "-r");
    add(a, r->rt->bin);
    add(a, "-b");
    add(a, own(a, cx_engine_ctr_path(e, r->id, NULL)));
    add(a, "-p");
    add(a, own(a, cx_engine_run_path(e, r->id, "pid")));
    add(a, "--conmon-pidfile");
    add(a, own(a, cx_engine_run_path(e, r->id, "shim.pid")));
    add(a, "--persist-dir");
    add(a, own(a, cx_engine_run_path(e, r->id, NULL)));
    add(a, "-l");
    if (r->log_none)
        add(a, "none");
    else if (r->log_path)
        add(a, own(a, cx_asprintf("k8s-file:%s", r->log_path)));
    else
        add(a, own(a, cx_asprintf("k8s-file:%s/containers/%s/ctr.log", e->store.root, r->id)));
    if (r->log_max > 0) {
        add(a, "--log-size-max");
        add(a, own(a, cx_asprintf("%lld", (long long) r->log_max)));
    }
    add(a, "--full-attach");
    add(a, "--log-level");
    add(a, "warning");
    add(a, "--runtime-arg");
    add(a, "--root");
    add(a, "--runtime-arg");
    add(a, r->rt->root);
    if (e->systemd_cgroup) {
        add(a, "--runtime-arg");
        add(a, "--systemd-cgroup");
    }
    if (r->tty)
        add(a, "-t");
    if (r->stdin_open)
        add(a, "-i");
    add(a, "--exit-command");
    add(a, e->self);
    for (int i = 0; i < 4; i++) {
        add(a, "--exit-command-arg");
        add(a, e->root_opts[i]);
    }
    const char *tail[] = { "container", "cleanup", r->id };
    for (size_t i = 0; i < 3; i++) {
        add(a, "--exit-command-arg");
        add(a, tail[i]);
    }
    a->v[a->n] = NULL;
}

int cx_shim_sync_read(int fd, int timeout_ms, const char *what, int *value, cx_error *err)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return cx_fail_errno(err, "%s: waiting for capsa-shim", what);
    if (r == 0)
        return cx_fail(err, ETIMEDOUT, "%s: capsa-shim did not answer in %d s", what,
                       timeout_ms / 1000);
    char buf[CX_ERROR_MAX + 256];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf - 1, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return cx_fail_errno(err, "%s: reading from capsa-shim", what);
    if (n == 0)
        return cx_fail(err, EPIPE, "%s: capsa-shim exited without an answer", what);
    buf[n] = '\0';
    json_error_t je;
    _cleanup_(json_decrefp) json_t *j = json_loads(buf, 0, &je);
    json_t *data = j ? json_object_get(j, "data") : NULL;
    if (!json_is_integer(data))
        return cx_fail(err, EPROTO, "%s: capsa-shim sent \"%.80s\"", what, buf);
    if (json_integer_value(data) < 0) {
        const char *msg = json_string_value(json_object_get(j, "message"));
        char tidy[CX_ERROR_MAX];
        /* runc's stderr is logrus's key=value text: its message, unquoted,
           so the user (and the 126/127 check) reads what capsa would say */
        if (msg && strstr(msg, "level=") && strstr(msg, "msg=\"")) {
            cx_oci_cli_message(msg, strlen(msg), tidy, sizeof tidy);
            msg = tidy;
        }
        return cx_fail(err, 0, "%s", msg && *msg ? msg : "the runtime failed");
    }
    *value = (int) json_integer_value(data);
    return 0;
}

/* The environment for the shim: ours without the pipe variables (set
 * again for the pipes given), without fault injection, which is for the
 * engine command under test, not for the exit command the shim runs
 * later, and without a service manager's NOTIFY_SOCKET (capsad's, under
 * systemd): runc given one makes the container's start wait for the
 * container's own READY=1. */
static char **shim_env(const int fds[3])
{
    static const char *const drop[] = { "_OCI_SYNCPIPE=", "_OCI_STARTPIPE=",
                                        "_OCI_ATTACHPIPE=", "CAPSA_FAULT_STEP=",
                                        "CAPSA_FAULT_TRACE=", "NOTIFY_SOCKET=" };
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = cx_calloc(n + 4, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = true;
        for (size_t d = 0; d < sizeof drop / sizeof drop[0] && keep; d++)
            keep = !cx_str_has_prefix(environ[i], drop[d]);
        if (keep)
            env[k++] = cx_strdup(environ[i]);
    }
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            env[k++] = cx_asprintf("%.*s%d", (int) strlen(drop[i]), drop[i], 3 + i);
    return env;
}

/* posix_spawn (a vfork: no copy of our page tables) with /dev/null at 0
 * and 1, the pipes at 3 (sync), 4 (start), 5 (attach) as given, nothing
 * else open. */
int cx_shim_spawn(const char *const *argv, const int fds[3], cx_error *err)
{
    int high[3] = { -1, -1, -1 };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
    /* moved above 5 first, so no dup2 below overwrites another */
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0 && (high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) >= 0)
            posix_spawn_file_actions_adddup2(&fa, high[i], 3 + i);
    posix_spawn_file_actions_addclosefrom_np(&fa, 6);
    _cleanup_strv_ char **env = shim_env(fds);
    pid_t child;
    int rc = posix_spawn(&child, argv[0], &fa, NULL, (char *const *) argv, env);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 3; i++)
        cx_close(high[i]);
    if (rc != 0)
        return cx_fail(err, rc, "exec %s", argv[0]);
    /* the shim forks twice and its first process exits at once (after the
       first start byte, when a start pipe is given) */
    return (int) child;
}

int cx_shim_reap(int child)
{
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

int cx_shim_create(struct cx_engine *e, const struct cx_shim_req *r, int *pid, cx_error *err)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return cx_fail_errno(err, "socketpair");
    _cleanup_close_ int ours = sp[0], theirs = sp[1];
    struct argv_buf a = { .n = 0 };
    shim_argv(e, r, &a);
    const int fds[3] = { theirs, -1, -1 };
    int child = cx_shim_spawn(a.v, fds, err);
    argv_free(&a);
    if (child < 0)
        return -1;
    theirs = cx_close(theirs);
    cx_shim_reap(child);
    return cx_shim_sync_read(ours, 300 * 1000, "create", pid, err);
}
