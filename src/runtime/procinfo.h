/* procinfo.h: facts about host processes read from /proc, used to tell a
 * live container init from a dead one or a reused pid. */
#ifndef CAPSA_PROCINFO_H
#define CAPSA_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/PID/stat (start time in clock ticks) and the state
 * letter (field 3).  Returns -1 if the process does not exist. */
int proc_stat(pid_t pid, uint64_t *start_time, char *state);
/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable. */
const char *proc_boot_id(void);
/* True when PID exists, is not a zombie, and started at start_time. */
bool proc_is_same(pid_t pid, uint64_t start_time);
/* PPid of a process, -1 when unknown. */
pid_t proc_ppid(pid_t pid);

int cx_pidfd_open(pid_t pid);
/* Signal pid if it is still the process that started at start_time: the
 * check is made after a pidfd pins it, so a reused pid is never hit.
 * Returns 0, or -1 with errno (ESRCH: not that process any more). */
int proc_signal_same(pid_t pid, uint64_t start_time, int sig);
int cx_pidfd_send_signal(int pidfd, int sig);

#endif
