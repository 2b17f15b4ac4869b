/* runtime.c: the OCI runtime child: `RUNTIME [runtime-args] create
 * --bundle B --pid-file P [--no-pivot] [--no-new-keyring] [runtime-opts]
 * [--console-socket S] ID`, or for an exec `RUNTIME [runtime-args] exec
 * --pid-file P --process SPEC --detach [--tty] [runtime-opts]
 * [--console-socket S] ID`.  Its stdio are the container's streams (the
 * runtime hands them on), its stderr our stderr pipe so its error text can
 * be read back when it fails.  It dies with the shim (PDEATHSIG) and is
 * killed when it outlives the deadline (--timeout, else 240 s).  When the
 * engine is gone before it learnt of a new container, the same machinery
 * runs `RUNTIME [runtime-args] delete --force ID` to take it back down. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"
#include "shim/sync.h"

#define RUNTIME_DEFAULT_TIMEOUT_S 240

static void push(char **v, size_t *n, const char *s)
{
    v[(*n)++] = cx_strdup(s);
}

/* RUNTIME [--systemd-cgroup] [runtime-args]: what precedes the command
 * (the cgroup driver flag only for what makes or removes the container). */
static void push_global(char **v, size_t *n, const struct shim_opts *o, bool cgroup_cmd)
{
    push(v, n, o->runtime);
    if (cgroup_cmd && o->systemd_cgroup)
        push(v, n, "--systemd-cgroup");
    for (char **a = o->runtime_args; a && *a; a++)
        push(v, n, *a);
}

char **runtime_argv(const struct shim_opts *o, const char *console_socket)
{
    size_t cap = 16 + cx_strv_len(o->runtime_args) + cx_strv_len(o->runtime_opts);
    char **v = cx_calloc(cap, sizeof *v);
    size_t n = 0;
    push_global(v, &n, o, !o->exec);
    if (o->exec) {
        push(v, &n, "exec");
        push(v, &n, "--pid-file");
        push(v, &n, o->container_pidfile);
        push(v, &n, "--process");
        push(v, &n, o->exec_process_spec);
        push(v, &n, "--detach");
        if (o->terminal)
            push(v, &n, "--tty");
    } else {
        push(v, &n, o->restore_path ? "restore" : "create");
        push(v, &n, "--bundle");
        push(v, &n, o->bundle);
        push(v, &n, "--pid-file");
        push(v, &n, o->container_pidfile);
        if (o->no_pivot)
            push(v, &n, "--no-pivot");
        if (o->no_new_keyring)
            push(v, &n, "--no-new-keyring");
        if (o->restore_path) {
            push(v, &n, "--detach");
            push(v, &n, "--image-path");
            push(v, &n, o->restore_path);
            push(v, &n, "--work-path");
            push(v, &n, o->bundle);
        }
    }
    for (char **a = o->runtime_opts; a && *a; a++)
        push(v, &n, *a);
    if (console_socket) {
        push(v, &n, "--console-socket");
        push(v, &n, console_socket);
    }
    push(v, &n, o->cid);
    return v;
}

static void child_fail(const char *what, const char *arg)
{
    dprintf(STDERR_FILENO, "capsa-shim: %s %s: %s\n", what, arg, strerror(errno));
    _exit(127);
}

/* LISTEN_PID names the process that gets the sockets: that is now the
 * runtime (and after it the container), if it named us or we are asked. */
static void fix_listen_pid(const struct shim_opts *o)
{
    const char *v = getenv("LISTEN_PID");
    int pid;
    if (!v || cx_parse_int(v, &pid) < 0)
        return;
    if (o->replace_listen_pid || pid == getppid()) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", (int) getpid());
        setenv("LISTEN_PID", buf, 1);
    }
}

static void child(struct shim *s, char **argv, bool main_run)
{
    sigset_t all;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int in = s->worker_in >= 0 ? s->worker_in : s->devnull_r;
    int out = s->worker_out >= 0 ? s->worker_out : s->devnull_w;
    int err = s->worker_err >= 0 ? s->worker_err : s->devnull_w;
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    fix_listen_pid(s->o);
    if (main_run && s->o->exec_attach && s->start_fd >= 0) {
        /* an attached exec runs once its client is connected */
        cx_error e;
        if (shim_start_wait(s->start_fd, &e) < 0)
            child_fail("start pipe", "read");
    }
    execv(argv[0], argv);
    child_fail("exec runtime", argv[0]);
}

static void on_runtime_timer(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    loop_del(&s->loop, src);
    if (s->runtime_done)
        return;
    s->runtime_timed_out = true;
    kill(s->runtime_pid, SIGKILL);
}

int64_t runtime_deadline_ms(const struct shim_opts *o)
{
    return (int64_t) (o->timeout > 0 ? o->timeout : RUNTIME_DEFAULT_TIMEOUT_S) * 1000;
}

/* Fork the runtime with argv (freed here) under the deadline; its end is
 * seen by reap.c (runtime_done) and waited for by runtime_wait. */
static int spawn(struct shim *s, char **argv, bool main_run, cx_error *err)
{
    pid_t pid = fork();
    if (pid < 0) {
        cx_strv_free(argv);
        return cx_fail_errno(err, "fork the runtime");
    }
    if (pid == 0)
        child(s, argv, main_run);
    cx_strv_free(argv);
    s->runtime_pid = pid;
    s->runtime_done = s->runtime_timed_out = false;
    s->worker_in = cx_close(s->worker_in);
    s->worker_out = cx_close(s->worker_out);
    s->worker_err = cx_close(s->worker_err);
    int tfd = loop_timer_fd(runtime_deadline_ms(s->o), err);
    if (tfd < 0)
        return -1;
    loop_src_init(&s->runtime_timer_src, tfd, on_runtime_timer, s);
    return loop_add(&s->loop, &s->runtime_timer_src, EPOLLIN, err);
}

int runtime_spawn(struct shim *s, cx_error *err)
{
    return spawn(s, runtime_argv(s->o, s->console_path), true, err);
}

void runtime_wait(struct shim *s)
{
    while (!s->runtime_done)
        loop_once(&s->loop, -1);
    loop_del(&s->loop, &s->runtime_timer_src);
    s->runtime_timer_src.fd = cx_close(s->runtime_timer_src.fd);
}

bool runtime_ok(const struct shim *s)
{
    return !s->runtime_timed_out && WIFEXITED(s->runtime_status)
           && WEXITSTATUS(s->runtime_status) == 0;
}

static char **runtime_delete_argv(const struct shim_opts *o)
{
    size_t cap = 8 + cx_strv_len(o->runtime_args);
    char **v = cx_calloc(cap, sizeof *v);
    size_t n = 0;
    push_global(v, &n, o, true);
    push(v, &n, "delete");
    push(v, &n, "--force");
    push(v, &n, o->cid);
    return v;
}

int runtime_delete(struct shim *s, cx_error *err)
{
    if (spawn(s, runtime_delete_argv(s->o), false, err) < 0)
        return -1;
    runtime_wait(s);
    if (!runtime_ok(s))
        return cx_fail(err, 0, "%s delete --force %s failed (wait status %d%s)", s->o->runtime,
                       s->o->cid, s->runtime_status,
                       s->runtime_timed_out ? ", timed out" : "");
    return 0;
}
