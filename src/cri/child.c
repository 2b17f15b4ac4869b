/* child.c: see child.h. */
#include "cri/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "common/loop.h"

extern char **environ;

/* The last line of the child's stderr, without its program prefix. */
static int child_error(int errfd, int status, const char *prog, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    cx_error ignored;
    if (lseek(errfd, 0, SEEK_SET) == 0)
        cx_read_fd(errfd, "stderr", 1 << 16, &text, &len, &ignored);
    while (text && len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *line = text ? strrchr(text, '\n') : NULL;
    line = line ? line + 1 : text;
    if (line && cx_str_has_prefix(line, "capsactl: "))
        line += strlen("capsactl: ");
    if (line && *line)
        return cx_fail(err, 0, "%s", line);
    if (WIFSIGNALED(status))
        return cx_fail(err, EIO, "%s killed by signal %d", prog, WTERMSIG(status));
    return cx_fail(err, EIO, "%s exit status %d", prog, WEXITSTATUS(status));
}

/* In the child between fork and exec: async-signal-safe calls only
 * (capsad has threads).  The child dies with capsad's thread that waits
 * for it: a pull or build whose caller is gone is not left running,
 * racing the store's repair at capsad's next start. */
static _Noreturn void exec_child(char *const argv[], int outfd, int errfd, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    /* its own group, so a deadline kills what it started too; the
     * signals capsad blocks are unblocked in it */
    setpgid(0, 0);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(outfd, STDOUT_FILENO) < 0 ||
        dup2(errfd, STDERR_FILENO) < 0)
        _exit(127);
    execve(argv[0], argv, environ);
    static const char msg[] = "capsad: cannot run its helper\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void) ignored;
    _exit(127);
}

static int spawn(char *const argv[], int outfd, int errfd, pid_t *pid, cx_error *err)
{
    if (access(argv[0], X_OK) < 0)
        return cx_fail_errno(err, "run %s", argv[0]);
    pid_t parent = getpid();
    *pid = fork();
    if (*pid < 0)
        return cx_fail_errno(err, "run %s", argv[0]);
    if (*pid == 0)
        exec_child(argv, outfd, errfd, parent);
    return 0;
}

/* Wait for pid within timeout_ms (< 0: forever); on expiry kill its group. */
static int wait_child(pid_t pid, int64_t timeout_ms, int *status)
{
    int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
    int64_t end = timeout_ms < 0 ? -1 : loop_now_ms() + timeout_ms;
    bool expired = false;
    while (pfd >= 0) {
        int64_t left = end < 0 ? -1 : end - loop_now_ms();
        if (end >= 0 && left <= 0) {
            expired = true;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd p = { pfd, POLLIN, 0 };
        int n = poll(&p, 1, left < 0 || left > 1000 ? 1000 : (int) left);
        if (n > 0)
            break;
    }
    if (pfd >= 0)
        close(pfd);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return expired ? -1 : 0;
}

int cri_child_run(char *const argv[], int64_t timeout_ms, char **out, cx_error *err)
{
    _cleanup_close_ int outfd = memfd_create("capsad-child-out", MFD_CLOEXEC);
    _cleanup_close_ int errfd = memfd_create("capsad-child-err", MFD_CLOEXEC);
    if (outfd < 0 || errfd < 0)
        return cx_fail_errno(err, "memfd_create");
    pid_t pid = -1;
    if (spawn(argv, outfd, errfd, &pid, err) < 0)
        return -1;
    int status = 0;
    if (wait_child(pid, timeout_ms, &status) < 0)
        return cx_fail(err, ETIMEDOUT, "%s did not finish in time (killed)", argv[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return child_error(errfd, status, argv[0], err);
    if (out == NULL)
        return 0;
    size_t len;
    if (lseek(outfd, 0, SEEK_SET) < 0)
        return cx_fail_errno(err, "%s: its output", argv[0]);
    return cx_read_fd(outfd, "output", 1 << 16, out, &len, err);
}
