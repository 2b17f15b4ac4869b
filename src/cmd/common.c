/* common.c: helpers shared by the command files. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "common/util.h"
#include "runtime/container.h"

int cmd_need_args(int argc, int n, const char *usage, cx_error *err)
{
    if (argc != n)
        return cx_fail(err, 0, "%s: expected %d argument%s, got %d (usage: %s)",
                       usage, n, n == 1 ? "" : "s", argc, usage);
    return 0;
}

int cmd_print_json(void *json, bool indent, bool newline)
{
    char *s = json_dumps(json, (indent ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENCODE_ANY);
    if (s == NULL)
        return -1;
    fputs(s, stdout);
    if (newline)
        fputc('\n', stdout);
    free(s);
    return fflush(stdout) == 0 ? 0 : -1;
}

static const struct { const char *name; int sig; } signals[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
    { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
    { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
    { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
    { "SYS", SIGSYS },
};

int cmd_parse_signal(const char *s, cx_error *err)
{
    int n;
    if (cx_parse_int(s, &n) == 0) {
        if (n < 0 || n > SIGRTMAX)
            return cx_fail(err, 0, "invalid signal number %s", s);
        return n;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (strcasecmp(name, signals[i].name) == 0)
            return signals[i].sig;
    if (strncasecmp(name, "RTMIN+", 6) == 0 && cx_parse_int(name + 6, &n) == 0 &&
        n >= 0 && SIGRTMIN + n <= SIGRTMAX)
        return SIGRTMIN + n;
    if (strncasecmp(name, "RTMAX-", 6) == 0 && cx_parse_int(name + 6, &n) == 0 &&
        n >= 0 && SIGRTMAX - n >= SIGRTMIN)
        return SIGRTMAX - n;
    return cx_fail(err, 0, "unknown signal \"%s\"", s);
}

int cmd_unsupported(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    /* the container is checked first, as runc does: a missing one is the
     * error engines look for */
    const char *id = argc > 1 && argv[argc - 1][0] != '-' ? argv[argc - 1] : NULL;
    struct cx_container *c = NULL;
    if (id && cx_container_load(g->root, id, false, &c, err) < 0)
        return -1;
    cx_container_free(c);
    return cx_fail(err, 0, "%s: not supported yet", argv[0]);
}
