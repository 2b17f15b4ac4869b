/* reap.c: the shim's children and the container's end.  As a subreaper the
 * shim is the parent of the runtime, of the container's init once the
 * runtime exits, and of any orphan below; SIGCHLD (through a signalfd)
 * reaps them all.  The container is also watched through a pidfd, opened
 * from the pid file the runtime wrote, so its end is seen even when it is
 * not our child (its status is then unknown: reported as -1, never 0).
 * Exits seen before the container's pid is known are kept so that a
 * process that ends at once (a short exec) keeps its status. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "shim/shim.h"

static void set_container_status(struct shim *s, int status)
{
    if (s->ctr_done)
        return;
    s->ctr_status = status;
    s->ctr_status_known = true;
    s->ctr_done = true;
}

static void reaped(struct shim *s, pid_t pid, int status)
{
    if (pid == s->runtime_pid && !s->runtime_done) {
        s->runtime_status = status;
        s->runtime_done = true;
        return;
    }
    if (s->ctr_pid > 0) {
        if (pid == s->ctr_pid)
            set_container_status(s, status);
        return;
    }
    if (s->n_early < (int) (sizeof s->early / sizeof s->early[0]))
        s->early[s->n_early++] = (struct shim_reaped) { pid, status };
}

void reap_children(struct shim *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        reaped(s, pid, status);
    }
}

static void on_signal(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    struct signalfd_siginfo si;
    (void) events;
    while (read(src->fd, &si, sizeof si) == (ssize_t) sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        if (!s->runtime_done && s->runtime_pid > 0) {
            /* asked to stop while the runtime works: stop it, report failure */
            kill(s->runtime_pid, SIGKILL);
        } else {
            shim_warn(s, "signal %u ignored: the shim ends when its container does",
                      si.ssi_signo);
        }
    }
    reap_children(s);
}

int reap_setup_signals(struct shim *s, cx_error *err)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return cx_fail_errno(err, "sigprocmask");
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return cx_fail_errno(err, "signalfd");
    loop_src_init(&s->sig_src, fd, on_signal, s);
    return loop_add(&s->loop, &s->sig_src, EPOLLIN, err);
}

static void on_pidfd(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    loop_del(&s->loop, src);
    reap_children(s);
    if (!s->ctr_done) {
        /* gone, but not ours to wait for: say so rather than invent 0 */
        shim_warn(s, "container process %d ended but is not the shim's child: "
                  "exit status unknown", (int) s->ctr_pid);
        s->ctr_done = true;
    }
}

static void on_timeout(struct loop_src *src, uint32_t events)
{
    struct shim *s = src->data;
    (void) events;
    loop_del(&s->loop, src);
    if (s->ctr_done)
        return;
    s->timed_out = true;
    pid_t pgrp = getpgid(s->ctr_pid);
    if (pgrp > 1 && pgrp != getpgid(0))
        kill(-pgrp, SIGKILL);
    kill(s->ctr_pid, SIGKILL);
}

int reap_watch_container(struct shim *s, pid_t pid, cx_error *err)
{
    s->ctr_pid = pid;
    for (int i = 0; i < s->n_early; i++)
        if (s->early[i].pid == pid)
            set_container_status(s, s->early[i].status);
    s->n_early = 0;
    if (s->ctr_done)
        return 0;
    int fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        if (errno != ESRCH)
            return cx_fail_errno(err, "pidfd_open %d", (int) pid);
        reap_children(s);
        if (!s->ctr_done) {
            shim_warn(s, "container process %d is gone: exit status unknown", (int) pid);
            s->ctr_done = true;
        }
        return 0;
    }
    loop_src_init(&s->pidfd_src, fd, on_pidfd, s);
    if (loop_add(&s->loop, &s->pidfd_src, EPOLLIN, err) < 0)
        return -1;
    if (s->o->timeout > 0) {
        int tfd = loop_timer_fd((int64_t) s->o->timeout * 1000, err);
        if (tfd < 0)
            return -1;
        loop_src_init(&s->timeout_src, tfd, on_timeout, s);
        return loop_add(&s->loop, &s->timeout_src, EPOLLIN, err);
    }
    return 0;
}

int reap_exit_code(const struct shim *s)
{
    if (!s->ctr_status_known)
        return -1;
    if (WIFEXITED(s->ctr_status))
        return WEXITSTATUS(s->ctr_status);
    if (WIFSIGNALED(s->ctr_status))
        return 128 + WTERMSIG(s->ctr_status);
    return -1;
}
