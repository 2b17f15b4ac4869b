/* oci_cli.c: see oci_cli.h. */
#include "engine/oci_cli.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jdec.h"
#include "common/loop.h"
#include "common/util.h"

extern char **environ;

#define OUT_MAX (1 << 20)   /* `ps` of a big container stays far below */

static const char *base_name(const char *bin)
{
    const char *s = strrchr(bin, '/');
    return s ? s + 1 : bin;
}

int cx_oci_cli_argv(const struct cx_oci_cli *r, const char *const *args, const char **v,
                    size_t cap)
{
    size_t n = 0;
    const char *head[] = { r->bin, "--root", r->root, r->systemd ? "--systemd-cgroup" : NULL };
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        if (head[i] == NULL)
            continue;
        if (n + 1 >= cap)
            return -1;
        v[n++] = head[i];
    }
    for (; args && *args; args++) {
        if (n + 1 >= cap)
            return -1;
        v[n++] = *args;
    }
    v[n] = NULL;
    return (int) n;
}

/* ---- the answers ---- */

static const char *const status_names[] = {
    [CX_CREATING] = "creating", [CX_CREATED] = "created", [CX_RUNNING] = "running",
    [CX_PAUSED] = "paused",     [CX_STOPPED] = "stopped",
};

static int decode_status(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    const char *s;
    if (jd_string_value(c, v, p, &s) < 0)
        return -1;
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (strcmp(s, status_names[i]) == 0)
            return *(enum cx_status *) dst = (enum cx_status) i, 0;
    char shown[112];
    return jd_fail(c, p, "unknown status \"%s\"", cx_printable(s, shown));
}

struct state_doc {
    const char *id;
    enum cx_status status;
    int64_t pid;
};

static const struct jd_field state_fields[] = {
    JD_F(struct state_doc, "id", JD_STR, id, true),
    JD_FC(struct state_doc, "status", status, decode_status, true),
    { "pid", JD_I64, offsetof(struct state_doc, pid), JD_NOHAS, false, 0, INT32_MAX, NULL },
    JD_END,
};

static json_t *load(const char *doc, const char *text, size_t len, cx_error *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (j == NULL) {
        char head[101], shown[112];
        snprintf(head, sizeof head, "%.*s", (int) (len < 100 ? len : 100), text);
        cx_fail(err, EPROTO, "%s: not JSON (%s at %d): \"%s\"", doc, je.text, je.position,
                cx_printable(head, shown));
    }
    return j;
}

int cx_oci_state_parse(const char *bin, const char *text, size_t len, struct cx_oci_state *st,
                       cx_error *err)
{
    char doc[300];
    snprintf(doc, sizeof doc, "%s state", base_name(bin));
    _cleanup_(json_decrefp) json_t *j = load(doc, text, len, err);
    if (j == NULL)
        return -1;
    struct jd_pool pool = { 0 };
    struct jd_ctx c = { .doc = doc, .pool = &pool, .err = err };
    struct state_doc d = { 0 };
    int rc = jd_fields(&c, j, NULL, state_fields, &d);
    jd_pool_free(&pool);
    if (rc < 0) {
        err->errnum = EPROTO;
        return -1;
    }
    st->status = d.status;
    st->pid = (int) d.pid;
    return 0;
}

int cx_oci_pids_parse(const char *bin, const char *text, size_t len, pid_t **pids, size_t *n,
                      cx_error *err)
{
    char doc[300];
    snprintf(doc, sizeof doc, "%s ps", base_name(bin));
    *pids = NULL;
    *n = 0;
    _cleanup_(json_decrefp) json_t *j = load(doc, text, len, err);
    if (j == NULL)
        return -1;
    /* `ps` of a container without processes prints null with some runtimes */
    if (json_is_null(j))
        return 0;
    struct jd_ctx c = { .doc = doc, .err = err };
    if (jd_expect_array(&c, j, NULL) < 0)
        return err->errnum = EPROTO, -1;
    size_t len_a = json_array_size(j);
    pid_t *v = cx_calloc(len_a ? len_a : 1, sizeof *v);
    for (size_t i = 0; i < len_a; i++) {
        json_t *e = json_array_get(j, i);
        json_int_t x = json_is_integer(e) ? json_integer_value(e) : 0;
        if (x <= 0 || x > INT32_MAX) {
            struct jpath p = { NULL, NULL, i };
            free(v);
            jd_fail(&c, &p, "expected a pid (a positive integer)");
            return err->errnum = EPROTO, -1;
        }
        v[i] = (pid_t) x;
    }
    *pids = v;
    *n = len_a;
    return 0;
}

void cx_oci_cli_message(const char *text, size_t len, char *out, size_t outlen)
{
    out[0] = '\0';
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t start = len;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    const char *line = text + start;
    size_t n = len - start;
    /* logrus's text format: key=value pairs, the message quoted in msg= */
    const char *msg = memmem(line, n, "msg=\"", 5);
    if (msg && memmem(line, n, "level=", 6)) {
        const char *m = msg + 5, *end = line + n;
        size_t k = 0;
        for (; m < end && *m != '"' && k + 1 < outlen; m++) {
            if (*m == '\\' && m + 1 < end)
                m++;
            out[k++] = *m;
        }
        out[k] = '\0';
        return;
    }
    snprintf(out, outlen, "%.*s", (int) n, line);
}

/* ---- running the runtime ---- */

/* fd moved above the standard descriptors, close-on-exec, or -1 */
static int high_fd(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return h;
}

/* Ours, without a service manager's NOTIFY_SOCKET: `runc start` given one
 * waits for the container to send READY=1 (see shim_client.c). */
static char **runtime_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = cx_calloc(n + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!cx_str_has_prefix(environ[i], "NOTIFY_SOCKET="))
            env[k++] = environ[i];
    return env;
}

static int spawn(const char *const *argv, const int fds[3], pid_t *pid, cx_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    for (int i = 0; i < 3; i++)
        posix_spawn_file_actions_adddup2(&fa, fds[i], i);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* capsad's threads block signals and ignore SIGPIPE: not the runtime;
       a group of its own, so a time-out kills what it started too */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                  POSIX_SPAWN_SETPGROUP);
    _cleanup_free_ char **env = runtime_env();   /* the strings are environ's */
    int rc = posix_spawn(pid, argv[0], &fa, &at, (char *const *) argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0)
        return cx_fail(err, rc, "run %s", argv[0]);
    return 0;
}

/* Reap pid; past timeout_ms its group is killed first: false then. */
static bool wait_bounded(pid_t pid, int timeout_ms, int *status)
{
    _cleanup_close_ int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
    int64_t end = loop_now_ms() + timeout_ms;
    bool expired = false;
    while (pfd >= 0) {
        int64_t left = end - loop_now_ms();
        if (left <= 0) {
            expired = true;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd p = { pfd, POLLIN, 0 };
        if (poll(&p, 1, (int) left) > 0)
            break;
    }
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return !expired;
}

static int memfd(const char *name, const char *data)
{
    int fd = high_fd(memfd_create(name, MFD_CLOEXEC));
    if (fd >= 0 && data && (cx_write_all(fd, data, strlen(data)) < 0 ||
                            lseek(fd, 0, SEEK_SET) < 0))
        fd = cx_close(fd);
    return fd;
}

static int failed(const struct cx_oci_cli *r, const char *cmd, const char *id, int errfd,
                  int status, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char msg[CX_ERROR_MAX / 2];
    if (lseek(errfd, 0, SEEK_SET) == 0 &&
        cx_read_fd(errfd, "stderr", 1 << 16, &text, &len, &(cx_error){ 0 }) == 0)
        cx_oci_cli_message(text, len, msg, sizeof msg);
    else
        msg[0] = '\0';
    if (msg[0] == '\0' && WIFSIGNALED(status))
        snprintf(msg, sizeof msg, "killed by signal %d", WTERMSIG(status));
    else if (msg[0] == '\0')
        snprintf(msg, sizeof msg, "exit status %d", WEXITSTATUS(status));
    return cx_fail(err, 0, "%s %s %.64s: %s", base_name(r->bin), cmd, id, msg);
}

/* Run `r args...` (on container id), in its stdin, *out its stdout (out
 * NULL: not kept). */
static int run(const struct cx_oci_cli *r, const char *id, const char *const *args,
               const char *in, char **out, size_t *outlen, cx_error *err)
{
    const char *argv[24];
    if (cx_oci_cli_argv(r, args, argv, sizeof argv / sizeof argv[0]) < 0)
        return cx_fail(err, E2BIG, "%s: too many arguments", r->bin);
    _cleanup_close_ int infd = in ? memfd("oci-cli-in", in)
                                  : high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    _cleanup_close_ int outfd = memfd("oci-cli-out", NULL);
    _cleanup_close_ int errfd = memfd("oci-cli-err", NULL);
    if (infd < 0 || outfd < 0 || errfd < 0)
        return cx_fail_errno(err, "%s %s: its input and output", base_name(r->bin), args[0]);
    pid_t pid;
    if (spawn(argv, (int[3]){ infd, outfd, errfd }, &pid, err) < 0)
        return -1;
    int status = 0;
    if (!wait_bounded(pid, CX_OCI_CLI_TIMEOUT_MS, &status))
        return cx_fail(err, ETIMEDOUT, "%s %s: no answer in %d s (killed)", base_name(r->bin),
                       args[0], CX_OCI_CLI_TIMEOUT_MS / 1000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return failed(r, args[0], id, errfd, status, err);
    if (out == NULL)
        return 0;
    if (lseek(outfd, 0, SEEK_SET) < 0)
        return cx_fail_errno(err, "%s %s: its output", base_name(r->bin), args[0]);
    return cx_read_fd(outfd, "the runtime's output", OUT_MAX, out, outlen, err);
}

int cx_oci_cli_state(const struct cx_oci_cli *r, const char *id, struct cx_oci_state *st,
                     cx_error *err)
{
    _cleanup_free_ char *out = NULL;
    size_t len = 0;
    if (run(r, id, (const char *[]){ "state", id, NULL }, NULL, &out, &len, err) < 0)
        return -1;
    return cx_oci_state_parse(r->bin, out, len, st, err);
}

int cx_oci_cli_start(const struct cx_oci_cli *r, const char *id, cx_error *err)
{
    return run(r, id, (const char *[]){ "start", id, NULL }, NULL, NULL, NULL, err);
}

int cx_oci_cli_kill(const struct cx_oci_cli *r, const char *id, int sig, bool all,
                    cx_error *err)
{
    char s[16];
    snprintf(s, sizeof s, "%d", sig);
    const char *with[] = { "kill", "--all", id, s, NULL }, *without[] = { "kill", id, s, NULL };
    return run(r, id, all ? with : without, NULL, NULL, NULL, err);
}

int cx_oci_cli_pause(const struct cx_oci_cli *r, const char *id, bool pause, cx_error *err)
{
    const char *args[] = { pause ? "pause" : "resume", id, NULL };
    return run(r, id, args, NULL, NULL, NULL, err);
}

int cx_oci_cli_update(const struct cx_oci_cli *r, const char *id, json_t *res, cx_error *err)
{
    _cleanup_free_ char *text = json_dumps(res, JSON_COMPACT);
    if (text == NULL)
        return cx_fail(err, ENOMEM, "update: cannot encode the resources");
    /* a path rather than runc's "-": crun reads --resources as a file */
    const char *args[] = { "update", "--resources", "/dev/stdin", id, NULL };
    return run(r, id, args, text, NULL, NULL, err);
}

int cx_oci_cli_delete(const struct cx_oci_cli *r, const char *id, bool force, cx_error *err)
{
    const char *with[] = { "delete", "--force", id, NULL }, *without[] = { "delete", id, NULL };
    return run(r, id, force ? with : without, NULL, NULL, NULL, err);
}

int cx_oci_cli_ps(const struct cx_oci_cli *r, const char *id, pid_t **pids, size_t *n,
                  cx_error *err)
{
    _cleanup_free_ char *out = NULL;
    size_t len = 0;
    *pids = NULL;
    *n = 0;
    const char *args[] = { "ps", "--format", "json", id, NULL };
    if (run(r, id, args, NULL, &out, &len, err) < 0)
        return -1;
    return cx_oci_pids_parse(r->bin, out, len, pids, n, err);
}
