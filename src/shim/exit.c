/* exit.c: what the shim does once its container is gone, in this order:
 * read what is left in the streams and hand it to the log and the clients;
 * mark an OOM kill (<bundle>/oom and <persist-dir>/oom); sync and close the
 * log; close the attach clients; write the exit code as text to
 * <persist-dir>/exit and <exit-dir>/<cid> (tmp + fsync + rename, so a
 * reader never sees half a number); for an exec, send it on the sync pipe;
 * then run the exit command (podman's `container cleanup`) and wait for it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "shim/shim.h"
#include "shim/sync.h"

/* The memory cgroup's counter of OOM kills: v1 memory.oom_control or v2
 * memory.events, both "oom_kill N". */
static int read_oom_kills(const char *file, uint64_t *out)
{
    _cleanup_free_ char *text = NULL;
    cx_error err;
    if (cx_read_file_at(AT_FDCWD, file, 64 * 1024, &text, NULL, &err) < 0)
        return -1;
    const char *p = strstr(text, "oom_kill ");
    if (!p)
        return -1;
    *out = strtoull(p + 9, NULL, 10);
    return 0;
}

static char *memory_cgroup_file(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
    _cleanup_free_ char *text = NULL;
    cx_error err;
    if (cx_read_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL, &err) < 0)
        return NULL;
    char *save = NULL, *v2 = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        for (char *tok = c1 + 1, *sv = NULL; (tok = strtok_r(tok, ",", &sv)); tok = NULL)
            if (!strcmp(tok, "memory"))
                return cx_asprintf("/sys/fs/cgroup/memory%s/memory.oom_control", c2 + 1);
        if (c1[1] == '\0')
            v2 = c2 + 1;
    }
    if (v2 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
        return cx_asprintf("/sys/fs/cgroup%s/memory.events", v2);
    return NULL;
}

void exit_oom_baseline(struct shim *s)
{
    s->oom_file = memory_cgroup_file(s->ctr_pid);
    if (s->oom_file && read_oom_kills(s->oom_file, &s->oom_before) < 0) {
        free(s->oom_file);
        s->oom_file = NULL;
    }
}

int shim_write_file(const char *path, const char *text, cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(path);
    char *slash = strrchr(dir, '/');
    const char *base = path;
    if (slash) {
        *slash = '\0';
        base = path + (slash - dir) + 1;
    }
    _cleanup_close_ int dfd = open(slash ? (*dir ? dir : "/") : ".",
                                   O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "open the directory of %s", path);
    if (cx_write_file_atomic_at(dfd, base, text, strlen(text), 0644, err) < 0)
        return cx_error_prefix(err, "%s", path);
    return 0;
}

static void write_marker(struct shim *s, const char *dir, const char *name,
                         const char *text)
{
    if (!dir)
        return;
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cx_error err;
    if (dfd < 0) {
        shim_warn(s, "open %s: %s", dir, strerror(errno));
        return;
    }
    if (cx_write_file_atomic_at(dfd, name, text, strlen(text), 0644, &err) < 0) {
        cx_error_prefix(&err, "%s", dir);
        shim_warn_error(s, &err);
    }
}

static void check_oom(struct shim *s)
{
    uint64_t now;
    if (!s->oom_file || read_oom_kills(s->oom_file, &now) < 0 || now <= s->oom_before)
        return;
    write_marker(s, s->o->bundle, "oom", "");
    write_marker(s, s->o->persist_dir, "oom", "");
}

void exit_oom_forget(struct shim *s)
{
    free(s->oom_file);
    s->oom_file = NULL;
}

/* fds podman lent us for the runtime (reserved ports, --preserve-fds) are
 * the only ones without close-on-exec: give them back before the exit is
 * announced, so a port is free again when podman learns of the exit */
static void close_inherited_fds(void)
{
    _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int fd;
        if (cx_parse_int(de->d_name, &fd) < 0 || fd < 3 || fd == self)
            continue;
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC))
            close(fd);
    }
}

int exit_finish(struct shim *s)
{
    int code = reap_exit_code(s);
    char text[16];
    if (!s->timed_out)
        stdio_drain(s);
    check_oom(s);
    exit_oom_forget(s);
    stdio_close(s);
    attach_close(s);
    ctl_close(s);
    close_inherited_fds();
    snprintf(text, sizeof text, "%d", code);
    write_marker(s, s->o->persist_dir, "exit", text);
    write_marker(s, s->o->exit_dir, s->o->cid, text);
    if (s->o->exec && s->sync_fd >= 0) {
        const char *key = s->o->api_version >= 1 ? "data" : "exit_code";
        shim_sync_send(s->sync_fd, key, code,
                       s->timed_out ? "command timed out" : NULL);
    }
    return code;
}

static void exit_command_child(const struct shim_opts *o)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    size_t n = cx_strv_len(o->exit_args);
    char **argv = cx_calloc(n + 2, sizeof *argv);
    argv[0] = o->exit_command;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = o->exit_args[i];
    close_range(3, ~0U, 0);
    if (o->exit_delay > 0)
        sleep((unsigned) o->exit_delay);
    execv(argv[0], argv);
    _exit(127);
}

int exit_run_command(struct shim *s)
{
    if (!s->o->exit_command)
        return 0;
    /* what the exit command leaves running is not ours to wait for */
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    reap_children(s);
    pid_t pid = fork();
    if (pid < 0) {
        shim_warn(s, "fork the exit command: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        exit_command_child(s->o);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        shim_warn(s, "exit command %s failed (wait status %d)", s->o->exit_command, status);
    return 0;
}
