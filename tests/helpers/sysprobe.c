/* sysprobe: make one syscall, print what came back.  For tests that need
 * to see exactly one syscall's fate under a seccomp filter (busybox runs
 * its applets in-process and makes many).
 *
 *   sysprobe [--trap] NAME [ARG...]
 *
 * NAME is a syscall from the table below or nr:N (raw number); ARGs are
 * numbers (0x.. allowed) or, for path arguments, strings.  Prints
 * "ok RET" or "errno N" and exits 0.  --trap installs a SIGSYS handler
 * that prints "trapped NR" (the syscall the filter trapped) and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; long nr; int path_arg; } calls[] = {
    { "getcwd", SYS_getcwd, -1 }, { "chdir", SYS_chdir, 0 },
    { "getppid", SYS_getppid, -1 }, { "getpid", SYS_getpid, -1 },
    { "getuid", SYS_getuid, -1 }, { "uname", SYS_uname, -1 },
    { "personality", SYS_personality, -1 }, { "mkdir", SYS_mkdir, 0 },
    { "chmod", SYS_chmod, 0 }, { "socket", SYS_socket, -1 },
    { "getpgid", SYS_getpgid, -1 }, { "dup", SYS_dup, -1 },
    { "umask", SYS_umask, -1 }, { "add_key", SYS_add_key, -1 },
};

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    char buf[64];
    (void) sig;
    (void) uc;
    int n = snprintf(buf, sizeof buf, "trapped %d\n", si->si_syscall);
    if (write(STDOUT_FILENO, buf, (size_t) n) < 0)
        _exit(2);
    _exit(0);
}

int main(int argc, char **argv)
{
    static char buf[4096];
    long a[6] = { 0 }, nr = -1;
    int i = 1, path_arg = -1;
    if (i < argc && strcmp(argv[i], "--trap") == 0) {
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
        sigaction(SIGSYS, &sa, NULL);
        i++;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: sysprobe [--trap] NAME [ARG...]\n");
        return 2;
    }
    if (strncmp(argv[i], "nr:", 3) == 0)
        nr = strtol(argv[i] + 3, NULL, 0);
    for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
        if (strcmp(calls[k].name, argv[i]) == 0) {
            nr = calls[k].nr;
            path_arg = calls[k].path_arg;
        }
    if (nr < 0) {
        fprintf(stderr, "sysprobe: unknown syscall %s\n", argv[i]);
        return 2;
    }
    if (nr == SYS_getcwd) {
        a[0] = (long) buf;
        a[1] = sizeof buf;
    }
    for (int k = 0; i + 1 + k < argc && k < 6; k++)
        a[k] = k == path_arg ? (long) argv[i + 1 + k] : strtol(argv[i + 1 + k], NULL, 0);
    if (path_arg == 0 && argc <= i + 1)
        a[0] = (long) "/";
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r < 0)
        printf("errno %d\n", errno);
    else
        printf("ok %ld\n", r);
    return 0;
}
