/* daemon.c: leaving the engine.  The process podman started (P) forks A
 * and waits for it; A starts a new session and forks the monitor M, writes
 * M's pid to --conmon-pidfile and exits; then P exits with A's status.  So
 * podman's wait returns at once, M belongs to no session or process group
 * of podman's, has no controlling terminal and cannot get one (not a
 * session leader), and its parent is init (or the engine's subreaper).
 * With --sync there is no fork: the shim stays the engine's child. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "shim/shim.h"

static int write_pidfile(const char *path, pid_t pid, cx_error *err)
{
    char text[16];
    snprintf(text, sizeof text, "%d", (int) pid);
    return shim_write_file(path, text, err);
}

static void intermediate(const struct shim_opts *o)
{
    cx_error err;
    setsid();
    pid_t m = fork();
    if (m < 0) {
        fprintf(stderr, "capsa-shim: fork: %s\n", strerror(errno));
        _exit(1);
    }
    if (m == 0)
        return;  /* the monitor goes on */
    if (o->conmon_pidfile && write_pidfile(o->conmon_pidfile, m, &err) < 0) {
        char line[CX_ERROR_MAX + 64];
        cx_error_format(&err, line, sizeof line);
        fprintf(stderr, "capsa-shim: conmon pid file: %s\n", line);
        kill(m, SIGKILL);
        _exit(1);
    }
    _exit(0);
}

int daemon_detach(const struct shim_opts *o, cx_error *err)
{
    if (o->sync) {
        if (o->conmon_pidfile && write_pidfile(o->conmon_pidfile, getpid(), err) < 0)
            return -1;
        return 0;
    }
    pid_t a = fork();
    if (a < 0)
        return cx_fail_errno(err, "fork");
    if (a == 0) {
        intermediate(o);
        return 0;
    }
    int status;
    while (waitpid(a, &status, 0) < 0) {
        if (errno != EINTR)
            _exit(1);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
