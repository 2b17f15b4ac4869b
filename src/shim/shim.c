/* shim.c: capsa-shim from start to exit.  The engine's process reads the
 * start pipe and detaches (daemon.c); the monitor then sets up the streams,
 * the console socket, the attach socket and the ctl fifo, runs the runtime,
 * reports the container's pid (or the runtime's error) on the sync pipe,
 * serves the container until it is gone, records its exit (exit.c) and runs
 * the exit command. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "capsa-config.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"
#include "shim/sync.h"

void shim_warn(struct shim *s, const char *fmt, ...)
{
    char line[CX_ERROR_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->o->syslog)
        syslog(LOG_WARNING, "%s: %s", s->o->cid, line);
    fprintf(stderr, "capsa-shim: %s\n", line);
}

void shim_warn_error(struct shim *s, const cx_error *err)
{
    char line[CX_ERROR_MAX + 64];
    cx_error_format(err, line, sizeof line);
    shim_warn(s, "%s", line);
}

static void shim_init(struct shim *s, struct shim_opts *o)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->loop.epfd = -1;
    s->sync_fd = s->start_fd = s->attach_pipe_fd = -1;
    s->devnull_r = s->devnull_w = -1;
    s->out_fd = s->err_fd = s->in_fd = -1;
    s->worker_in = s->worker_out = s->worker_err = -1;
    s->ctl_dummy = -1;
    s->create_lock_fd = -1;
}

/* Close every stream and socket, and let the next create of this
 * container go on: the shim ends without a container to serve. */
static void close_all(struct shim *s)
{
    exit_oom_forget(s);
    console_close(s);
    attach_close(s);
    ctl_close(s);
    stdio_close(s);
    create_lock_release(s);
}

/* Before the pid is sent: tell the engine, in one line, and stop. */
static int fail_early(struct shim *s, const cx_error *err)
{
    char line[CX_ERROR_MAX + 64];
    cx_error_format(err, line, sizeof line);
    shim_warn(s, "%s", line);
    shim_sync_send(s->sync_fd, s->o->api_version >= 1 ? "data" : "pid", -1, line);
    close_all(s);
    return 1;
}

static int open_fds(struct shim *s, cx_error *err)
{
    s->devnull_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->devnull_w = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (s->devnull_r < 0 || s->devnull_w < 0)
        return cx_fail_errno(err, "open /dev/null");
    s->sync_fd = shim_pipe_from_env("_OCI_SYNCPIPE", err);
    if (s->sync_fd < -1)
        return -1;
    if (s->o->exec_attach) {
        s->attach_pipe_fd = shim_pipe_from_env("_OCI_ATTACHPIPE", err);
        if (s->attach_pipe_fd == -1)
            return cx_fail(err, 0, "--exec-attach given but _OCI_ATTACHPIPE is not set");
        if (s->attach_pipe_fd < -1)
            return -1;
    }
    return 0;
}

static void disconnect_stdio(struct shim *s)
{
    dup2(s->devnull_r, 0);
    dup2(s->devnull_w, 1);
    dup2(s->devnull_w, 2);
}

static int setup(struct shim *s, cx_error *err)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return cx_fail_errno(err, "PR_SET_CHILD_SUBREAPER");
    if (loop_init(&s->loop, err) < 0 || reap_setup_signals(s, err) < 0)
        return -1;
    if (stdio_setup(s, err) < 0)
        return -1;
    if (s->o->terminal && console_setup(s, err) < 0)
        return -1;
    if (attach_setup(s, err) < 0 || ctl_setup(s, err) < 0)
        return -1;
    if (s->attach_pipe_fd >= 0) {
        shim_sync_send(s->attach_pipe_fd, "data", 0, NULL);
        s->attach_pipe_fd = cx_close(s->attach_pipe_fd);
    }
    return 0;
}

static void runtime_error_text(struct shim *s, char *buf, size_t len)
{
    const char *what = s->o->exec ? "exec" : s->o->restore_path ? "restore" : "create";
    if (s->runtime_timed_out) {
        snprintf(buf, len, "%s %s: timed out after %d s (killed)", s->o->runtime, what,
                 s->o->timeout > 0 ? s->o->timeout : 240);
        return;
    }
    if (stdio_read_error_text(s, buf, len) > 0)
        return;
    int st = s->runtime_status;
    if (WIFSIGNALED(st))
        snprintf(buf, len, "%s %s: killed by signal %d", s->o->runtime, what, WTERMSIG(st));
    else
        snprintf(buf, len, "%s %s: exited with status %d and no message", s->o->runtime,
                 what, WEXITSTATUS(st));
}

static int read_container_pid(struct shim *s, pid_t *pid, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    int v;
    if (cx_read_file_at(AT_FDCWD, s->o->container_pidfile, 64, &text, NULL, err) < 0)
        return cx_error_prefix(err, "the runtime succeeded but its pid file is unreadable");
    text[strcspn(text, "\n ")] = '\0';
    if (cx_parse_int(text, &v) < 0 || v <= 0)
        return cx_fail(err, 0, "pid file %s: \"%s\" is not a pid", s->o->container_pidfile, text);
    *pid = v;
    return 0;
}

/* Run the runtime and wait for it; 0 with the container's pid watched. */
static int run_runtime(struct shim *s, cx_error *err)
{
    if (!s->o->exec && create_lock_take(s, runtime_deadline_ms(s->o), err) < 0)
        return -1;
    if (runtime_spawn(s, err) < 0)
        return -1;
    if (stdio_watch_output(s, s->out_fd, &s->out_src, err) < 0)
        return -1;
    runtime_wait(s);
    if (!runtime_ok(s)) {
        char text[4096];
        runtime_error_text(s, text, sizeof text);
        return cx_fail(err, 0, "%s", text);
    }
    /* the runtime sent the pty before it exited: take it if not yet done */
    for (int i = 0; i < 20 && s->o->terminal && s->out_fd < 0; i++)
        loop_once(&s->loop, 50);
    if (s->o->terminal && s->out_fd < 0)
        return cx_fail(err, 0, "the runtime did not send a terminal to the console socket");
    pid_t pid = 0;
    if (read_container_pid(s, &pid, err) < 0)
        return -1;
    if (stdio_watch_output(s, s->err_fd, &s->err_src, err) < 0
        || reap_watch_container(s, pid, err) < 0)
        return -1;
    exit_oom_baseline(s);
    return 0;
}

/* The engine died while the runtime created the container, before it
 * learnt the pid: it has no record of the container, will never start nor
 * delete it, and its next start of the same container would find the id
 * taken.  Nothing of the user's has run yet (only the engine starts it), so
 * take the container back down.  The exit command is not run: the engine's
 * cleanup has nothing of this container to act on, and it would race with
 * the engine starting the same container again (podman's cleanup of a
 * container it has just re-created tears that one down). */
static int engine_gone(struct shim *s)
{
    cx_error err = { 0 };
    shim_warn(s, "the engine went away before it learnt the container's pid: "
              "deleting container %s, which it never knew of", s->o->cid);
    if (runtime_delete(s, &err) < 0)
        shim_warn_error(s, &err);
    close_all(s);
    return 1;
}

/* Tell the engine the pid; 1 when it is gone and the container undone. */
static int report_pid(struct shim *s)
{
    if (s->o->api_version < 1 && s->o->exec)
        return 0;
    int r = shim_sync_send(s->sync_fd, s->o->api_version >= 1 ? "data" : "pid",
                           (int) s->ctr_pid, NULL);
    if (r != -EPIPE || s->o->exec || s->o->restore_path)
        return 0;
    return engine_gone(s);
}

static int monitor(struct shim *s)
{
    cx_error err = { 0 };
    if (open_fds(s, &err) < 0) {
        fprintf(stderr, "capsa-shim: %s\n", err.msg);
        return 1;
    }
    if (!s->o->sync)
        disconnect_stdio(s);
    if (s->o->syslog)
        openlog("capsa-shim", LOG_PID, LOG_DAEMON);
    if (setup(s, &err) < 0 || run_runtime(s, &err) < 0) {
        fail_early(s, &err);
        exit_run_command(s);
        return 1;
    }
    if (report_pid(s) != 0)
        return 1;
    create_lock_release(s);
    while (!s->ctr_done)
        loop_once(&s->loop, -1);
    int code = exit_finish(s);
    exit_run_command(s);
    return code < 0 ? 1 : code;
}

static void print_version(void)
{
    printf("conmon version 2.1.6\n");
    printf("capsa-shim version %s%s%s\n", CAPSA_VERSION, CAPSA_COMMIT[0] ? " commit " : "",
           CAPSA_COMMIT);
}

/* The engine writes the start pipe once it has placed us in our cgroup.
 * EOF instead means it died first: it will never learn of anything we
 * create, so create nothing. */
static int start_signal(struct shim *s, cx_error *err)
{
    int n = shim_start_wait(s->start_fd, err);
    if (n == 0)
        return cx_fail(err, 0, "the engine closed the start pipe without starting us "
                       "(it is gone): container %s not created", s->o->cid);
    return n < 0 ? -1 : 0;
}

int shim_main(int argc, char **argv)
{
    struct shim_opts o;
    struct shim s;
    cx_error err = { 0 };
    char line[CX_ERROR_MAX + 64];
    if (shim_opts_parse(argc, argv, &o, &err) < 0 || (!o.version && !o.help
                                                      && shim_opts_finish(&o, &err) < 0)) {
        cx_error_format(&err, line, sizeof line);
        fprintf(stderr, "capsa-shim: %s\n", line);
        shim_opts_free(&o);
        return 1;
    }
    if (o.version || o.help) {
        o.version ? print_version() : shim_opts_usage();
        shim_opts_free(&o);
        return 0;
    }
    shim_init(&s, &o);
    s.start_fd = shim_pipe_from_env("_OCI_STARTPIPE", &err);
    if (s.start_fd < -1 || (s.start_fd >= 0 && start_signal(&s, &err) < 0)
        || daemon_detach(&o, &err) < 0) {
        cx_error_format(&err, line, sizeof line);
        fprintf(stderr, "capsa-shim: %s\n", line);
        shim_opts_free(&o);
        return 1;
    }
    if (!o.exec_attach)
        s.start_fd = cx_close(s.start_fd);
    int code = monitor(&s);
    shim_opts_free(&o);
    return code;
}
