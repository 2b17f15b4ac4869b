/* reaper.h: what a container's PID 1 must do, for capsa-init and
 * capsa-pause (both statically linked: they are copied into images that
 * may have no libc, so this code uses nothing beyond the C library).
 *
 * capsa-init runs one program as its child and stands in for it as PID 1:
 * every catchable signal it gets goes on to the child (or, with
 * --process-group, to the child's process group), every zombie that the
 * kernel hands to PID 1 is reaped, and it exits as the child did (its exit
 * code, or 128 + the signal that killed it).
 *
 * capsa-pause holds a pod's namespaces: it sleeps until SIGINT or SIGTERM,
 * reaping whatever is orphaned to it meanwhile. */
#ifndef CAPSA_INIT_REAPER_H
#define CAPSA_INIT_REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct init_opts {
    bool group;        /* signals to the child's process group */
    bool subreaper;    /* not PID 1: become a child subreaper to reap anyway */
    int pdeath_sig;    /* 0, or the signal to get when our parent dies */
    char **argv;       /* the program and its arguments */
};

/* Parse capsa-init's command line: [-g] [-s] [-p SIG] [-v] [--] PROG ARGS.
 * Returns 0, 1 when it printed the version or help (exit 0), or -1 with
 * a message in msg. */
int init_parse(int argc, char **argv, struct init_opts *o, char *msg, size_t len);

/* The signals PID 1 waits for: every catchable one but those a fault
 * raises in the process itself (those keep their default action). */
void reaper_signals(sigset_t *set);

/* Reap every child that has exited; returns the status of `main` when it
 * was among them (and sets *done), else leaves *done alone. */
int reap_all(pid_t main_pid, bool *done);

/* capsa-init's life: run o->argv as a child, forward, reap, return the
 * exit code to exit with. */
int init_run(const struct init_opts *o);

/* capsa-pause's life: returns the exit code once SIGINT/SIGTERM came. */
int pause_run(void);

/* 128 + signal for a killed child, else its exit code */
int exit_code_of(int status);

#endif
