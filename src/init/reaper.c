/* reaper.c: see reaper.h. */
#include "init/reaper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CAPSA_VERSION
#define CAPSA_VERSION "?"
#endif

static int parse_signal(const char *s)
{
    static const struct { const char *name; int sig; } names[] = {
        { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
        { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "ALRM", SIGALRM },
    };
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].sig;
    char *end;
    long n = strtol(s, &end, 10);
    return *s && *end == '\0' && n > 0 && n < NSIG ? (int) n : -1;
}

int init_parse(int argc, char **argv, struct init_opts *o, char *msg, size_t len)
{
    int i = 1;
    memset(o, 0, sizeof *o);
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-g") == 0 || strcmp(a, "--process-group") == 0) {
            o->group = true;
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--subreaper") == 0) {
            o->subreaper = true;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--pdeath-signal") == 0) {
            if (i + 1 >= argc || (o->pdeath_sig = parse_signal(argv[++i])) < 0) {
                snprintf(msg, len, "%s: needs a signal (TERM, KILL, 15, ...)", a);
                return -1;
            }
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("capsa-init version %s\n", CAPSA_VERSION);
            return 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: capsa-init [-g] [-s] [-p SIGNAL] [--] PROGRAM [ARGS...]\n"
                   "  runs PROGRAM as PID 1's child: forwards signals, reaps zombies,\n"
                   "  exits with PROGRAM's status (128+signal if killed)\n"
                   "  -g  forward signals to PROGRAM's process group\n"
                   "  -s  become a child subreaper (when not PID 1)\n"
                   "  -p  signal to receive when capsa-init's parent dies\n");
            return 1;
        } else {
            snprintf(msg, len, "unknown option %s (see --help)", a);
            return -1;
        }
    }
    if (i >= argc) {
        snprintf(msg, len, "no program to run (usage: capsa-init [options] [--] PROGRAM ...)");
        return -1;
    }
    o->argv = argv + i;
    return 0;
}

void reaper_signals(sigset_t *set)
{
    sigfillset(set);
    /* raised by a fault in this very process: blocking them would hide it */
    static const int sync_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
                                     SIGABRT, SIGKILL, SIGSTOP };
    for (size_t i = 0; i < sizeof sync_sigs / sizeof sync_sigs[0]; i++)
        sigdelset(set, sync_sigs[i]);
}

int exit_code_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int reap_all(pid_t main_pid, bool *done)
{
    int st, main_status = 0;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == main_pid) {
            main_status = st;
            *done = true;
        }
    }
    return main_status;
}

static pid_t spawn(const struct init_opts *o, const sigset_t *old)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* its own process group, in the terminal's foreground if there is one */
    setpgid(0, 0);
    if (isatty(STDIN_FILENO)) {
        signal(SIGTTOU, SIG_IGN);
        tcsetpgrp(STDIN_FILENO, getpgrp());
        signal(SIGTTOU, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "capsa-init: exec %s: %s\n", o->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

int init_run(const struct init_opts *o)
{
    sigset_t set, old;
    reaper_signals(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    if (o->pdeath_sig)
        prctl(PR_SET_PDEATHSIG, o->pdeath_sig, 0, 0, 0);
    if (o->subreaper || getpid() != 1)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t child = spawn(o, &old);
    if (child < 0) {
        fprintf(stderr, "capsa-init: fork: %s\n", strerror(errno));
        return 1;
    }
    bool done = false;
    int status = 0;
    while (!done) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue; /* EINTR */
        if (sig == SIGCHLD) {
            int st = reap_all(child, &done);
            if (done)
                status = st;
            continue;
        }
        /* everything else is the child's; a child already gone is fine */
        kill(o->group ? -child : child, sig);
    }
    /* the child's own children, orphaned to us, get a last reaping */
    bool ignored = false;
    reap_all(-1, &ignored);
    return exit_code_of(status);
}

int pause_run(void)
{
    sigset_t set;
    reaper_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (getpid() != 1)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);
        if (sig == SIGINT || sig == SIGTERM)
            return 0;
        if (sig == SIGCHLD) {
            bool ignored = false;
            reap_all(-1, &ignored);
        }
    }
}
