/* bench/cni_timer.c: times one exec for bench/network.py ("plugins").
 *
 * Installed as symlinks named after the programs it stands for (the CNI
 * plugins, iptables) in a directory that also holds `timer.conf`: the
 * directory of the real programs on its first line, the log on its
 * second. Run as DIR/NAME, it runs REALDIR/NAME with the same arguments,
 * environment, stdin and stdout, and appends to the log
 *     NAME CNI_COMMAND START END STATUS
 * (seconds of CLOCK_REALTIME, the exec to the reap), then exits as the
 * real program did. A C program, not a shell script: a bash start costs a
 * few ms under load, and the timed plugins run many of these (iptables),
 * which would be charged to them.
 *
 *     cc -O2 -Wall -Wextra -Werror -o timer bench/cni_timer.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "cni_timer: %s\n", what);
    return 127;
}

/* the two lines of DIR/timer.conf: the real directory and the log */
static int read_conf(const char *self, char *real, char *logpath)
{
    char path[PATH_MAX];
    const char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    snprintf(path, sizeof path, "%.*s/timer.conf", (int) (slash - self), self);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ok = fgets(real, PATH_MAX, f) && fgets(logpath, PATH_MAX, f);
    fclose(f);
    if (!ok)
        return -1;
    real[strcspn(real, "\n")] = '\0';
    logpath[strcspn(logpath, "\n")] = '\0';
    return 0;
}

static double secs(const struct timespec *t)
{
    return (double) t->tv_sec + (double) t->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    char dir[PATH_MAX], logpath[PATH_MAX], real[PATH_MAX + NAME_MAX + 2];
    (void) argc;
    if (read_conf(argv[0], dir, logpath) < 0)
        return fail("no timer.conf beside argv[0]");
    const char *name = strrchr(argv[0], '/') + 1;
    snprintf(real, sizeof real, "%s/%s", dir, name);
    argv[0] = real;
    clock_gettime(CLOCK_REALTIME, &t0);
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork");
    if (pid == 0) {
        execv(real, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail("waitpid");
    clock_gettime(CLOCK_REALTIME, &t1);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const char *cmd = getenv("CNI_COMMAND");
    char line[PATH_MAX + 128];
    int n = snprintf(line, sizeof line, "%s %s %.6f %.6f %d\n", name, cmd && *cmd ? cmd : "-",
                     secs(&t0), secs(&t1), rc);
    int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t) n) != n)
            rc = rc ? rc : 127;
        close(fd);
    }
    return rc;
}
