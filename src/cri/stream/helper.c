/* helper.c: see helper.h. */
#include "cri/stream/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

extern char **environ;

struct child {
    struct loop_src src;         /* its pidfd */
    pid_t pid;
    struct stream_helpers *h;
    struct child *next;
};

struct stream_helpers {
    struct loop *loop;
    char *path;
    struct child *children;
};

struct stream_helpers *stream_helpers_new(struct loop *loop, const char *path)
{
    struct stream_helpers *h = cx_calloc(1, sizeof *h);
    h->loop = loop;
    h->path = cx_strdup(path);
    return h;
}

static void child_free(struct child *c)
{
    struct stream_helpers *h = c->h;
    for (struct child **p = &h->children; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    loop_del(h->loop, &c->src);
    close(c->src.fd);
    free(c);
}

void stream_helpers_free(struct stream_helpers *h)
{
    if (h == NULL)
        return;
    while (h->children)
        child_free(h->children);
    free(h->path);
    free(h);
}

static void on_exit_of(struct loop_src *src, uint32_t events)
{
    (void) events;
    struct child *c = src->data;
    int status;
    if (waitpid(c->pid, &status, WNOHANG) == 0)
        return;
    if (WIFSIGNALED(status))
        cx_log(CX_LOG_WARN, "capsad-stream %d killed by signal %d", c->pid, WTERMSIG(status));
    else
        cx_debug("capsad-stream %d exited with %d", c->pid, WEXITSTATUS(status));
    child_free(c);
}

/* The description in a memfd, positioned at its start. */
static int desc_fd(json_t *desc, cx_error *err)
{
    _cleanup_free_ char *text = json_dumps(desc, JSON_COMPACT);
    if (text == NULL)
        return cx_fail(err, ENOMEM, "the session's description");
    int fd = memfd_create("capsad-stream", MFD_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "memfd_create");
    if (cx_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        return cx_fail(err, e, "writing the session's description");
    }
    return fd;
}

static int spawn(const char *path, char *const argv[], int sock, int desc, pid_t *pid,
                 cx_error *err)
{
    /* above 4, so that dup2 onto 3 and 4 always makes new fds (without
     * close-on-exec) */
    _cleanup_close_ int s = fcntl(sock, F_DUPFD_CLOEXEC, 10);
    _cleanup_close_ int d = fcntl(desc, F_DUPFD_CLOEXEC, 10);
    if (s < 0 || d < 0)
        return cx_fail_errno(err, "dup");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, s, 3);
    posix_spawn_file_actions_adddup2(&fa, d, 4);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGINT);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                  POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(pid, path, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc != 0 ? cx_fail(err, rc, "run %s", path) : 0;
}

int stream_helper_spawn(struct stream_helpers *h, int sock, json_t *desc, cx_error *err)
{
    _cleanup_close_ int d = desc_fd(desc, err);
    if (d < 0)
        return -1;
    /* what it serves, for ps: the kind and the container or pod */
    const char *kind = json_string_value(json_object_get(desc, "kind"));
    const char *what = json_string_value(json_object_get(desc, "container"));
    if (what == NULL)
        what = json_string_value(json_object_get(desc, "sandbox"));
    char *argv[] = { h->path, (char *) (kind ? kind : ""), (char *) (what ? what : ""), NULL };
    pid_t pid;
    if (spawn(h->path, argv, sock, d, &pid, err) < 0)
        return -1;
    int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0) {
        /* no pidfds (Linux < 5.3): it stays a zombie until capsad exits */
        cx_log(CX_LOG_WARN, "pidfd_open %d: %s", pid, strerror(errno));
        return 0;
    }
    fcntl(pfd, F_SETFD, FD_CLOEXEC);
    struct child *c = cx_calloc(1, sizeof *c);
    c->pid = pid;
    c->h = h;
    loop_src_init(&c->src, pfd, on_exit_of, c);
    c->next = h->children;
    h->children = c;
    cx_error ignored;
    if (loop_add(h->loop, &c->src, EPOLLIN, &ignored) < 0)
        child_free(c);
    return 0;
}
