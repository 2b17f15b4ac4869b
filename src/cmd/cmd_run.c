/* cmd_run.c: `capsa run`: create + start, then (without --detach) stay
 * with the container: forward signals, pass the tty through, delete it
 * when it exits (unless --keep) and exit with its code. */
#include <signal.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/log.h"
#include "runtime/container.h"
#include "runtime/foreground.h"

int cmd_parse_create(int argc, char **argv, struct cx_create_opts *o, bool *detach,
                     bool *keep, cx_error *err);

int cmd_run(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    struct cx_create_opts o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup };
    bool detach = false, keep = false;
    pid_t pid;
    int pty = -1;
    sigset_t old;

    if (cmd_parse_create(argc, argv, &o, &detach, &keep, err) < 0)
        return -1;
    o.foreground = !detach;
    if (!detach)
        fg_block_signals(&old);
    if (cx_create(&o, &pid, &pty, err) < 0 || cx_start(g->root, o.id, err) < 0) {
        if (pid > 0) {
            cx_error ignored = { 0 };
            cx_delete(g->root, o.id, true, &ignored);
        }
        if (!detach)
            sigprocmask(SIG_SETMASK, &old, NULL);
        if (pty >= 0)
            close(pty);
        return -1;
    }
    if (detach)
        return 0;
    int code = fg_wait(pid, pty, &old, err);
    if (pty >= 0)
        close(pty);
    if (code < 0)
        return -1;
    if (!keep) {
        cx_error derr = { 0 };
        if (cx_delete(g->root, o.id, true, &derr) < 0)
            cx_log_error(&derr);
    }
    return code;
}
