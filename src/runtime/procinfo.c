/* procinfo.c: see procinfo.h. */
#include "runtime/procinfo.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

int proc_stat(pid_t pid, uint64_t *start_time, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* comm may hold spaces and parens: fields resume after the last ')' */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ')
        return -1;
    p += 2;
    if (state)
        *state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return -1;
        p++;
    }
    if (start_time)
        *start_time = strtoull(p, NULL, 10);
    return 0;
}

/* Read once per process: capsad's threads load states at the same time,
 * and none may see the buffer half-filled by another. */
static char boot_id[64];
static pthread_once_t boot_id_once = PTHREAD_ONCE_INIT;

static void read_boot_id(void)
{
    _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id",
                                  O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, boot_id, sizeof boot_id - 1);
    boot_id[n > 0 ? n : 0] = '\0';
    boot_id[strcspn(boot_id, "\n")] = '\0';
}

const char *proc_boot_id(void)
{
    pthread_once(&boot_id_once, read_boot_id);
    return boot_id;
}

bool proc_is_same(pid_t pid, uint64_t start_time)
{
    uint64_t st;
    char state;
    if (pid <= 0 || proc_stat(pid, &st, &state) < 0)
        return false;
    return st == start_time && state != 'Z' && state != 'X';
}

pid_t proc_ppid(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "PPid:", 5) == 0)
            return (pid_t) strtol(line + 5, NULL, 10);
    return -1;
}

int cx_pidfd_open(pid_t pid)
{
    return (int) syscall(SYS_pidfd_open, pid, 0);
}

int proc_signal_same(pid_t pid, uint64_t start_time, int sig)
{
    _cleanup_close_ int pidfd = cx_pidfd_open(pid);
    if (pidfd < 0 && errno == ENOSYS) /* before 5.3, or valgrind: by pid */
        return proc_is_same(pid, start_time) ? kill(pid, sig) : (errno = ESRCH, -1);
    if (pidfd < 0 || !proc_is_same(pid, start_time)) {
        errno = ESRCH;
        return -1;
    }
    return cx_pidfd_send_signal(pidfd, sig);
}

int cx_pidfd_send_signal(int pidfd, int sig)
{
    return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}
