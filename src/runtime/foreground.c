/* foreground.c: see foreground.h. */
#include "runtime/foreground.h"

#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

void fg_block_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, old);
}

struct tty_state {
    bool raw;
    struct termios saved;
};

static void tty_raw(struct tty_state *t)
{
    struct termios tio;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
        return;
    tio = t->saved;
    cfmakeraw(&tio);
    tio.c_oflag = t->saved.c_oflag; /* keep output processing */
    t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
}

static void copy_winsize(int master)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable from `from` to `to`; false on EOF or error. */
static bool pump(int from, int to)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return n < 0 && errno == EINTR;
    return cx_write_all(to, buf, (size_t) n) == 0;
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

static bool handle_signal(int sfd, pid_t pid, int master, int *status)
{
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) != sizeof si)
        return false;
    if (si.ssi_signo == SIGCHLD) {
        return waitpid(pid, status, WNOHANG) == pid;
    }
    if (si.ssi_signo == SIGWINCH && master >= 0) {
        copy_winsize(master);
        return false;
    }
    kill(pid, (int) si.ssi_signo);
    return false;
}

int fg_wait(pid_t pid, int master, const sigset_t *old, cx_error *err)
{
    sigset_t all;
    sigfillset(&all);
    _cleanup_close_ int sfd = signalfd(-1, &all, SFD_CLOEXEC);
    if (sfd < 0)
        return cx_fail_errno(err, "signalfd");
    struct tty_state tty = { 0 };
    if (master >= 0) {
        tty_raw(&tty);
        copy_winsize(master);
    }
    int status = 0;
    bool done = waitpid(pid, &status, WNOHANG) == pid;
    struct pollfd fds[3] = {
        { sfd, POLLIN, 0 },
        { master >= 0 ? master : -1, POLLIN, 0 },
        { master >= 0 ? STDIN_FILENO : -1, POLLIN, 0 },
    };
    while (!done) {
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN)
            done = handle_signal(sfd, pid, master, &status);
        if (fds[1].revents & (POLLIN | POLLHUP) && !pump(master, STDOUT_FILENO))
            fds[1].fd = -1;
        if (fds[2].revents & (POLLIN | POLLHUP) && !pump(STDIN_FILENO, master))
            fds[2].fd = -1;
    }
    while (master >= 0 && fds[1].fd >= 0 && pump(master, STDOUT_FILENO)) {
        struct pollfd p = { master, POLLIN, 0 };
        if (poll(&p, 1, 0) <= 0)
            break;
    }
    if (tty.raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &tty.saved);
    sigprocmask(SIG_SETMASK, old, NULL);
    return exit_code(status);
}
