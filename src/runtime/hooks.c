/* hooks.c: see hooks.h. */
#include "runtime/hooks.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/process.h"
#include "runtime/procinfo.h"

static const char *const kind_names[] = {
    "prestart", "createRuntime", "createContainer", "startContainer",
    "poststart", "poststop",
};

static void list_of(const struct oci_hooks *h, enum hook_kind kind,
                    const struct oci_hook **list, size_t *n)
{
    switch (kind) {
    case HOOK_PRESTART: *list = h->prestart; *n = h->n_prestart; break;
    case HOOK_CREATE_RUNTIME: *list = h->create_runtime; *n = h->n_create_runtime; break;
    case HOOK_CREATE_CONTAINER: *list = h->create_container; *n = h->n_create_container; break;
    case HOOK_START_CONTAINER: *list = h->start_container; *n = h->n_start_container; break;
    case HOOK_POSTSTART: *list = h->poststart; *n = h->n_poststart; break;
    default: *list = h->poststop; *n = h->n_poststop; break;
    }
}

bool hooks_any(const struct oci_hooks *hooks, enum hook_kind kind)
{
    const struct oci_hook *list;
    size_t n;
    list_of(hooks, kind, &list, &n);
    return n > 0;
}

char *hooks_state(const char *oci_version, const char *id, const char *status,
                  pid_t pid, const char *bundle, json_t *annotations)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "ociVersion",
                          oci_version ? oci_version : "1.0.2-dev", "id", id,
                          "status", status, "bundle", bundle ? bundle : "");
    if (pid > 0) /* none once stopped: a dead pid may name another process */
        json_object_set_new(o, "pid", json_integer(pid));
    if (annotations && json_object_size(annotations))
        json_object_set(o, "annotations", annotations);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* A memfd holding text, rewound: the hook's stdin, never blocking us. */
static int memfd_with(const char *text)
{
    int fd = memfd_create("capsa-hook", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (cx_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static _Noreturn void exec_hook(const struct oci_hook *h, int in, int out)
{
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    process_close_fds(3);
    const char *argv0[] = { h->path, NULL };
    const char *noenv[] = { NULL };
    execve(h->path, (char *const *) (h->args && h->args[0] ? h->args : argv0),
           (char *const *) (h->env ? h->env : noenv));
    dprintf(2, "exec %s: %s", h->path, strerror(errno));
    _exit(127);
}

/* Wait for pid, killing it after timeout seconds (0: no limit). */
static int wait_hook(pid_t pid, int64_t timeout, int *status)
{
    _cleanup_close_ int pidfd = cx_pidfd_open(pid);
    if (pidfd >= 0 && timeout > 0) {
        struct pollfd p = { pidfd, POLLIN, 0 };
        int r;
        do
            r = poll(&p, 1, (int) (timeout * 1000));
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
    }
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return 0;
    return 0;
}

/* The hook's output, for the error message: the last line, trimmed. */
static void last_output(int out, char *buf, size_t len)
{
    char all[4096];
    ssize_t n = pread(out, all, sizeof all - 1, 0);
    buf[0] = '\0';
    if (n <= 0)
        return;
    all[n] = '\0';
    while (n > 0 && (all[n - 1] == '\n' || all[n - 1] == ' '))
        all[--n] = '\0';
    char *line = strrchr(all, '\n');
    snprintf(buf, len, ": %s", line ? line + 1 : all);
}

static int run_one(const struct oci_hook *h, const char *what, const char *state,
                   cx_error *err)
{
    _cleanup_close_ int in = memfd_with(state);
    _cleanup_close_ int out = memfd_create("capsa-hook-output", MFD_CLOEXEC);
    if (in < 0 || out < 0)
        return cx_fail_errno(err, "%s %s: memfd", what, h->path);
    pid_t pid = fork();
    if (pid < 0)
        return cx_fail_errno(err, "%s %s: fork", what, h->path);
    if (pid == 0)
        exec_hook(h, in, out);
    int status = 0;
    char said[512];
    bool timed_out = wait_hook(pid, h->has_timeout ? h->timeout : 0, &status) < 0;
    last_output(out, said, sizeof said);
    /* "error running hook" and the signal's name as runc words them */
    if (timed_out)
        return cx_fail(err, 0, "error running hook %s %s: timed out after %lld s", what,
                       h->path, (long long) h->timeout);
    if (WIFSIGNALED(status)) {
        char name[64];
        snprintf(name, sizeof name, "%s", strsignal(WTERMSIG(status)));
        name[0] = (char) tolower((unsigned char) name[0]);
        return cx_fail(err, 0, "error running hook %s %s: killed by signal %d: %s%s", what,
                       h->path, WTERMSIG(status), name, said);
    }
    if (WEXITSTATUS(status) != 0)
        return cx_fail(err, 0, "error running hook %s %s: exit status %d%s", what, h->path,
                       WEXITSTATUS(status), said);
    return 0;
}

int hooks_run(const struct oci_hooks *hooks, enum hook_kind kind,
              const char *state, cx_error *err)
{
    const struct oci_hook *list;
    size_t n;
    list_of(hooks, kind, &list, &n);
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "hooks.%s[%zu]", kind_names[kind], i);
        cx_debug("%s: %s", what, list[i].path);
        if (run_one(&list[i], what, state, err) < 0)
            return -1;
    }
    return 0;
}

int hooks_run_json(json_t *config, enum hook_kind kind, const char *state, cx_error *err)
{
    if (config == NULL || json_object_get(config, "hooks") == NULL)
        return 0;
    char *text = json_dumps(config, JSON_COMPACT);
    struct oci_spec *spec = NULL;
    int rc = text ? oci_spec_parse(text, "config.json", &spec, err) : -1;
    if (rc == 0)
        rc = hooks_run(&spec->hooks, kind, state, err);
    oci_spec_free(spec);
    free(text);
    return rc;
}

void hooks_run_warn(json_t *config, enum hook_kind kind, const char *state)
{
    cx_error err = { 0 };
    if (hooks_run_json(config, kind, state, &err) < 0)
        cx_log_error_as_warning(&err);
}
