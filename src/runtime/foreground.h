/* foreground.h: staying with a process until it exits (`run` without -d,
 * `exec` without -d): signals received are forwarded to it, a pty master
 * is proxied to our stdio (raw mode, SIGWINCH), and the exit status is
 * turned into an exit code (128+signal for a signal death). */
#ifndef CAPSA_FOREGROUND_H
#define CAPSA_FOREGROUND_H

#include <signal.h>
#include <sys/types.h>

#include "common/error.h"

/* Block the signals we forward; call before the child exists so none is
 * lost.  fg_wait() restores the mask. */
void fg_block_signals(sigset_t *old);
/* Wait for pid (our child); returns its exit code or -1. */
int fg_wait(pid_t pid, int pty_master, const sigset_t *old, cx_error *err);

#endif
