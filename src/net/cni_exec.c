/* cni_exec.c: see cni_exec.h. */
#include "net/cni_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/util.h"

#define OUT_MAX (1u << 20)

const char *const cx_cni_default_dirs[] = { "/usr/lib/cni", "/opt/cni/bin", NULL };

static char *join_dirs(const char *const *dirs)
{
    size_t n = 1;
    for (const char *const *d = dirs; *d; d++)
        n += strlen(*d) + 1;
    char *s = cx_calloc(n, 1);
    for (const char *const *d = dirs; *d; d++) {
        if (d != dirs)
            strcat(s, ":");
        strcat(s, *d);
    }
    return s;
}

static char *find_plugin(const struct cx_cni_rt *rt, const char *type, cx_error *err)
{
    for (const char *const *d = rt->dirs; *d; d++) {
        char *p = cx_asprintf("%s/%s", *d, type);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
            return p;
        free(p);
    }
    _cleanup_free_ char *dirs = join_dirs(rt->dirs);
    cx_fail(err, ENOENT, "CNI plugin \"%s\" not found in %s (install containernetworking-"
            "plugins, or give its directory)", type, dirs);
    return NULL;
}

static char **plugin_env(const struct cx_cni_rt *rt, const char *command,
                         const struct cx_cni_attach *a)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *dirs = join_dirs(rt->dirs);
    char **env = cx_calloc(8, sizeof *env);
    size_t n = 0;
    env[n++] = cx_asprintf("CNI_COMMAND=%s", command);
    env[n++] = cx_asprintf("CNI_PATH=%s", dirs);
    env[n++] = cx_asprintf("PATH=%s", path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    if (a) {
        env[n++] = cx_asprintf("CNI_CONTAINERID=%s", a->container_id);
        env[n++] = cx_asprintf("CNI_NETNS=%s", a->netns ? a->netns : "");
        env[n++] = cx_asprintf("CNI_IFNAME=%s", a->ifname ? a->ifname : "eth0");
        env[n++] = cx_asprintf("CNI_ARGS=%s", a->args ? a->args : "");
    }
    return env;
}

struct io {
    int fd[3];           /* stdin (ours to write), stdout, stderr (ours to read) */
    int pidfd;           /* the plugin: its exit ends the wait even if a child of
                            its still holds stdout */
    const char *in;
    size_t in_len, in_off;
    char *out[2];
    size_t len[2];
};

static void io_read(struct io *io, int k)
{
    char buf[16384];
    ssize_t n = read(io->fd[k + 1], buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            io->fd[k + 1] = cx_close(io->fd[k + 1]);
        return;
    }
    size_t keep = io->len[k] + (size_t) n > OUT_MAX ? OUT_MAX - io->len[k] : (size_t) n;
    io->out[k] = realloc(io->out[k], io->len[k] + keep + 1);
    if (!io->out[k])
        abort();
    memcpy(io->out[k] + io->len[k], buf, keep);
    io->len[k] += keep;
    io->out[k][io->len[k]] = '\0';
}

/* What is left in stdout and stderr once the plugin has exited. */
static void io_drain(struct io *io)
{
    for (int k = 0; k < 2; k++)
        while (io->fd[k + 1] >= 0) {
            size_t before = io->len[k];
            io_read(io, k);
            if (io->fd[k + 1] >= 0 && io->len[k] == before)
                break;   /* EAGAIN: nothing more now */
        }
}

/* Feed stdin, drain stdout and stderr, until both are closed or the
 * plugin has exited, or the deadline: false on the time-out. */
static bool io_run(struct io *io, int timeout_ms)
{
    int64_t end = loop_now_ms() + timeout_ms;
    while (io->fd[1] >= 0 || io->fd[2] >= 0) {
        struct pollfd p[4] = { { io->fd[0], POLLOUT, 0 }, { io->fd[1], POLLIN, 0 },
                               { io->fd[2], POLLIN, 0 }, { io->pidfd, POLLIN, 0 } };
        int64_t left = end - loop_now_ms();
        if (left <= 0)
            return false;
        if (poll(p, 4, (int) left) < 0 && errno != EINTR)
            return false;
        if (p[3].revents) {
            io_drain(io);
            return true;
        }
        if (p[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = write(io->fd[0], io->in + io->in_off, io->in_len - io->in_off);
            if (n > 0)
                io->in_off += (size_t) n;
            if (n < 0 ? errno != EAGAIN && errno != EINTR : io->in_off == io->in_len)
                io->fd[0] = cx_close(io->fd[0]);
        }
        for (int k = 0; k < 2; k++)
            if (p[k + 1].revents)
                io_read(io, k);
    }
    return true;
}

static void io_free(struct io *io)
{
    for (int i = 0; i < 3; i++)
        io->fd[i] = cx_close(io->fd[i]);
    io->pidfd = cx_close(io->pidfd);
    free(io->out[0]);
    free(io->out[1]);
}

/* stdin, stdout, stderr on pipes; a process group of its own (its
 * children die with it at the time-out); nothing else open. */
static int spawn(const char *bin, char *const *argv, char **env, struct io *io, pid_t *pid,
                 cx_error *err)
{
    int in[2], out[2], er[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "pipe");
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]);
        return cx_fail_errno(err, "pipe");
    }
    if (pipe2(er, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return cx_fail_errno(err, "pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, er[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawn(pid, bin, &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]), close(out[1]), close(er[1]);
    io->fd[0] = in[1], io->fd[1] = out[0], io->fd[2] = er[0];
    for (int i = 0; i < 3; i++)
        fcntl(io->fd[i], F_SETFL, O_NONBLOCK);
    if (rc != 0)
        return cx_fail(err, rc, "exec %s", bin);
    io->pidfd = (int) syscall(SYS_pidfd_open, *pid, 0);
    return 0;
}

/* The plugin's error result ({"code", "msg", "details"} on stdout, or
 * stderr), else its last line of stderr, else its exit status. */
static int plugin_error(const char *type, const char *command, const struct io *io,
                        int status, cx_error *err)
{
    char b1[112], b2[112];
    for (int k = 0; k < 2; k++) {
        _cleanup_(json_decrefp) json_t *j = io->out[k] ? json_loads(io->out[k], 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(j, "msg"));
        const char *details = json_string_value(json_object_get(j, "details"));
        if (!msg)
            continue;
        return cx_fail(err, EIO, "CNI plugin %s (%s): %s%s%s (code %d)", type, command,
                       cx_printable(msg, b1), details && *details ? ": " : "",
                       details && *details ? cx_printable(details, b2) : "",
                       (int) json_integer_value(json_object_get(j, "code")));
    }
    char *text = io->out[1];
    while (text && *text) {
        size_t n = strlen(text);
        while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
            text[--n] = '\0';
        char *nl = strrchr(text, '\n');
        if (n)
            return cx_fail(err, EIO, "CNI plugin %s (%s): %s", type, command,
                           cx_printable(nl ? nl + 1 : text, b1));
        break;
    }
    if (WIFSIGNALED(status))
        return cx_fail(err, EIO, "CNI plugin %s (%s): killed by signal %d", type, command,
                       WTERMSIG(status));
    return cx_fail(err, EIO, "CNI plugin %s (%s): exit status %d, and no error result",
                   type, command, WEXITSTATUS(status));
}

static int parse_result(const char *type, const char *command, const struct io *io,
                        json_t **result, cx_error *err)
{
    *result = NULL;
    const char *out = io->out[0];
    if (!out || out[strspn(out, " \t\r\n")] == '\0')
        return 0;
    json_error_t je;
    *result = json_loads(out, 0, &je);
    if (!json_is_object(*result)) {
        json_decref(*result);
        *result = NULL;
        return cx_fail(err, EPROTO, "CNI plugin %s (%s): its result is not a JSON object",
                       type, command);
    }
    return 0;
}

int cx_cni_plugin_run(const struct cx_cni_rt *rt, const char *command, const char *type,
                      const struct cx_cni_attach *a, json_t *request, json_t **result,
                      cx_error *err)
{
    _cleanup_free_ char *bin = find_plugin(rt, type, err);
    if (!bin)
        return -1;
    _cleanup_free_ char *in = json_dumps(request, JSON_COMPACT);
    _cleanup_strv_ char **env = plugin_env(rt, command, a);
    struct io io = { .fd = { -1, -1, -1 }, .pidfd = -1, .in = in,
                     .in_len = in ? strlen(in) : 0 };
    pid_t pid;
    char *argv[] = { bin, NULL };
    if (spawn(bin, argv, env, &io, &pid, err) < 0) {
        io_free(&io);
        return -1;
    }
    bool done = io_run(&io, rt->timeout_ms);
    if (!done)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc;
    if (!done)
        rc = cx_fail(err, ETIMEDOUT, "CNI plugin %s (%s): no answer after %d s (killed)", type,
                     command, rt->timeout_ms / 1000);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = plugin_error(type, command, &io, status, err);
    else
        rc = parse_result(type, command, &io, result, err);
    io_free(&io);
    return rc;
}

/* name in the directories of $PATH, then the usual ones */
static char *find_tool(const char *name, cx_error *err)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *dirs = cx_asprintf("%s:/usr/sbin:/usr/bin:/sbin:/bin",
                                            path && *path ? path : "");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *p = cx_asprintf("%s/%s", d, name);
        struct stat st;
        if (*d == '/' && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
            return p;
        free(p);
    }
    cx_fail(err, ENOENT, "%s not found (in $PATH, /usr/sbin, /usr/bin, /sbin, /bin)", name);
    return NULL;
}

int cx_cni_tool_run(char *const *argv, const char *in, int timeout_ms, char **out,
                    cx_error *err)
{
    *out = NULL;
    _cleanup_free_ char *bin = find_tool(argv[0], err);
    if (!bin)
        return -1;
    const char *path = getenv("PATH");
    _cleanup_free_ char *pathvar = cx_asprintf("PATH=%s", path && *path ? path
                                               : "/usr/sbin:/usr/bin:/sbin:/bin");
    char *env[] = { pathvar, NULL };
    struct io io = { .fd = { -1, -1, -1 }, .pidfd = -1, .in = in, .in_len = in ? strlen(in) : 0 };
    pid_t pid;
    if (spawn(bin, argv, env, &io, &pid, err) < 0) {
        io_free(&io);
        return -1;
    }
    if (!in)
        io.fd[0] = cx_close(io.fd[0]);
    bool done = io_run(&io, timeout_ms);
    if (!done)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = 0;
    char b[112];
    if (!done)
        rc = cx_fail(err, ETIMEDOUT, "%s: no answer after %d s (killed)", argv[0],
                     timeout_ms / 1000);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *e = io.out[1] ? io.out[1] : (char *) "";
        e[strcspn(e, "\n")] = '\0';
        rc = cx_fail(err, EIO, "%s: %s", argv[0], *e ? cx_printable(e, b)
                     : WIFEXITED(status) ? "failed" : "killed by a signal");
    } else {
        *out = io.out[0] ? io.out[0] : cx_strdup("");
        io.out[0] = NULL;
    }
    io_free(&io);
    return rc;
}
