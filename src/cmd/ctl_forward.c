/* ctl_forward.c: capsactl's commands that move image bytes, in the binary
 * that does not have them.
 *
 * capsactl is built twice from the same sources.  `capsactl-full` has
 * every command.  `capsactl`, the one people and the shim's exit command
 * run, leaves out pull, push, login, logout, load, save, import, cp,
 * export, commit and kube, the only users of libcurl, libarchive and
 * libyaml: without
 * them and the 40 libraries they load, capsactl starts in a third of the
 * time, and `run` pays that start twice (itself and the exit command).
 * Those commands are forwarded here by exec of capsactl-full with the same
 * command line, and `run --pull` runs `capsactl-full pull -q` as a child. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"

static char *full_path(void)
{
    return cx_find_helper("CAPSACTL_FULL", "capsactl-full");
}

static int forward(const struct ctl_global *g, cx_error *err)
{
    _cleanup_free_ char *full = full_path();
    fflush(NULL);
    char **argv = g->argv;
    char *argv0 = argv[0];
    argv[0] = full;
    execv(full, argv);
    argv[0] = argv0;
    return cx_fail_errno(err, "exec %s (capsactl-full runs pull, push, login, load, save, "
                         "import, cp, export and commit; install it beside capsactl)", full);
}

#define FORWARDED(fn) \
    int fn(const struct ctl_global *g, int argc, char **argv, cx_error *err) \
    { \
        (void)argc, (void)argv; \
        return forward(g, err); \
    }

FORWARDED(ctl_pull)
FORWARDED(ctl_push)
FORWARDED(ctl_login)
FORWARDED(ctl_logout)
FORWARDED(ctl_load)
FORWARDED(ctl_save)
FORWARDED(ctl_import)
FORWARDED(ctl_cp)
FORWARDED(ctl_export)
FORWARDED(ctl_commit)
FORWARDED(ctl_kube)

struct argv_list {
    const char *v[32];
    size_t n;
};

static void add(struct argv_list *l, const char *a, const char *b)
{
    if (l->n + 3 > sizeof l->v / sizeof l->v[0])
        abort();
    l->v[l->n++] = a;
    if (b)
        l->v[l->n++] = b;
    l->v[l->n] = NULL;
}

static void pull_argv(const struct ctl_global *g, const char *full, const char *spec,
                      const struct ctl_pull_args *a, struct argv_list *l)
{
    add(l, full, NULL);
    add(l, "--root", g->root);
    add(l, "--runroot", g->runroot);
    if (g->registries_conf)
        add(l, "--registries-conf", g->registries_conf);
    if (g->debug)
        add(l, "--debug", NULL);
    add(l, "pull", "--quiet");
    if (a->platform)
        add(l, "--platform", a->platform);
    if (a->reg.tls_verify_set)
        add(l, a->reg.tls_verify ? "--tls-verify=true" : "--tls-verify=false", NULL);
    if (a->reg.authfile)
        add(l, "--authfile", a->reg.authfile);
    if (a->reg.creds)
        add(l, "--creds", a->reg.creds);
    add(l, "--", spec);
}

/* The child's error: its last line, without the "capsactl: " it begins
 * with (capsactl prints it once, as its own). */
static int child_error(int errfd, int status, const char *what, const char *full,
                       cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (lseek(errfd, 0, SEEK_SET) < 0 || cx_read_fd(errfd, "stderr", 1 << 16, &text, &len, err) < 0)
        return -1;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *line = strrchr(text, '\n');
    line = line ? line + 1 : text;
    if (cx_str_has_prefix(line, "capsactl: "))
        line += strlen("capsactl: ");
    if (*line)
        return cx_fail(err, 0, "%s: %s", what, line);
    if (WIFSIGNALED(status))
        return cx_fail(err, EIO, "%s: %s killed by signal %d", what, full, WTERMSIG(status));
    return cx_fail(err, EIO, "%s: %s exit status %d", what, full, WEXITSTATUS(status));
}

static void pull_child(const char *const *argv, int out, int errfd)
{
    if (dup2(out, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
        _exit(125);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "capsactl: exec %s: %s (install capsactl-full beside capsactl)\n",
            argv[0], strerror(errno));
    _exit(125);
}

static int read_id(int fd, char id[65], cx_error *err)
{
    _cleanup_free_ char *out = NULL;
    size_t len = 0;
    if (cx_read_fd(fd, "pull's output", 4096, &out, &len, err) < 0)
        return -1;
    if (len < 64 || strspn(out, "0123456789abcdef") < 64)
        return cx_fail(err, EIO, "pull printed no image ID");
    memcpy(id, out, 64);
    id[64] = '\0';
    return 0;
}

int ctl_pull_image(const struct ctl_global *g, struct cx_store *s, const char *spec,
                   const struct ctl_pull_args *a, char id[65], cx_error *err)
{
    (void)s;
    _cleanup_free_ char *full = full_path();
    struct argv_list l = { .n = 0 };
    pull_argv(g, full, spec, a, &l);
    int pipefd[2];
    _cleanup_close_ int errfd = memfd_create("capsactl-pull-stderr", MFD_CLOEXEC);
    if (errfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "pull %s: pipe", spec);
    _cleanup_close_ int out = pipefd[0];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        pull_child(l.v, pipefd[1], errfd);
    close(pipefd[1]);
    if (pid < 0)
        return cx_fail_errno(err, "pull %s: fork", spec);
    int rc = read_id(out, id, err);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return rc;
    cx_error_clear(err);
    _cleanup_free_ char *what = cx_asprintf("pull %s", spec);
    return child_error(errfd, status, what, full, err);
}

int ctl_infra_image(const struct ctl_global *g, struct cx_engine *e, cx_error *err)
{
    (void)e;
    _cleanup_free_ char *full = full_path();
    struct argv_list l = { .n = 0 };
    add(&l, full, NULL);
    add(&l, "--root", g->root);
    add(&l, "--runroot", g->runroot);
    add(&l, "pod", "infra-image");
    _cleanup_close_ int errfd = memfd_create("capsactl-infra-stderr", MFD_CLOEXEC);
    if (errfd < 0)
        return cx_fail_errno(err, "memfd_create");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        pull_child(l.v, errfd, errfd);
    if (pid < 0)
        return cx_fail_errno(err, "the infra image: fork");
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return child_error(errfd, status, "the infra image", full, err);
}
