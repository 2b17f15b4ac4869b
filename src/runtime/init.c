/* init.c: the container's init, from clone3 to execve (see init.h). */
#include "runtime/init.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/hooks.h"
#include "runtime/procattr.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static int set_names(const struct oci_spec *spec, cx_error *err)
{
    if (spec->hostname && spec->hostname[0] &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return cx_fail_errno(err, "set hostname \"%s\"", spec->hostname);
    if (spec->domainname && spec->domainname[0] &&
        setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return cx_fail_errno(err, "set domainname \"%s\"", spec->domainname);
    return 0;
}

/* The pty: made from the container's devpts, handed to whoever asked. */
static int setup_console(const struct init_ctx *ctx, int *slave, cx_error *err)
{
    _cleanup_close_ int master = -1;
    *slave = -1;
    if (!ctx->process->terminal)
        return 0;
    if (term_open_pty(&master, slave, ctx->process->user.uid, err) < 0)
        return -1;
    if (ctx->process->console_width)
        term_set_size(master, ctx->process->console_height, ctx->process->console_width);
    else
        term_inherit_size(master);
    if (ctx->console_fd >= 0)
        return term_send_master(ctx->console_fd, master, err);
    if (sync_send_fd(ctx->sync_fd, master) < 0)
        return cx_fail_errno(err, "send the pty to the runtime");
    return 0;
}

/* Mounts are made, the old root is still reachable: the parent runs
 * prestart and createRuntime, then we run createContainer here, in the
 * container's mount namespace. */
static int create_hooks(struct init_ctx *ctx, cx_error *err)
{
    const struct oci_hooks *h = &ctx->spec->hooks;
    if ((hooks_any(h, HOOK_PRESTART) || hooks_any(h, HOOK_CREATE_RUNTIME)) &&
        (sync_send(ctx->sync_fd, SYNC_HOOKS) < 0 ||
         sync_expect(ctx->sync_fd, SYNC_GO, "capsa", NULL, err) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "ask for the createRuntime hooks");
    if (!hooks_any(h, HOOK_CREATE_CONTAINER))
        return 0;
    /* they run in the container's root, before it becomes / (config.md;
     * runc's hooks there use paths relative to it) */
    if (chdir(ctx->rootfs) < 0)
        return cx_fail_errno(err, "chdir %s for the createContainer hooks", ctx->rootfs);
    _cleanup_free_ char *state = hooks_state(ctx->spec->oci_version, ctx->id, "created",
                                             getpid(), ctx->bundle, ctx->spec->annotations);
    return hooks_run(h, HOOK_CREATE_CONTAINER, state, err);
}

static int init_setup(struct init_ctx *ctx, char *exe, size_t exe_len, cx_error *err)
{
    const struct oci_spec *spec = ctx->spec;
    _cleanup_close_ int slave = -1;

    /* first of all, into the container's v1 cgroups (cgroup.h) */
    if (ctx->cg) {
        int rc = cgroup_enter_self(ctx->cg, err);
        cgroup_entry_close(ctx->cg);
        if (rc < 0)
            return -1;
    }
    if (sync_expect(ctx->sync_fd, SYNC_GO, "capsa", NULL, err) < 0)
        return -1;
    if (ctx->ns.new_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        return cx_fail_errno(err, "become root in the new user namespace");
    if (ns_join_child(&ctx->ns, err) < 0)
        return -1;
    if (setsid() < 0)
        return cx_fail_errno(err, "setsid");
    if (!ctx->no_new_keyring &&
        syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
        cx_debug("new session keyring: %s", strerror(errno));
    /* limits and oom_score_adj through the host's /proc, before any mount
     * of the container can stand in for it */
    if (process_set_limits(ctx->process, err) < 0)
        return -1;
    if (rootfs_prepare(ctx, err) < 0 || create_hooks(ctx, err) < 0 ||
        rootfs_enter(ctx, err) < 0)
        return -1;
    if (setup_console(ctx, &slave, err) < 0 ||
        rootfs_finish(ctx, slave, err) < 0 ||
        (slave >= 0 && term_make_stdio(slave, err) < 0))
        return -1;
    if (set_names(spec, err) < 0 || procattr_apply(ctx->process, spec->linux_, err) < 0)
        return -1;
    bool cwd_ok = process_chdir(ctx->process, err) == 0;
    if (process_set_identity(ctx->process, ctx->seccomp->insns != NULL, &ctx->caps_final,
                             err) < 0)
        return -1;
    if (!cwd_ok && process_chdir(ctx->process, err) < 0) /* maybe only the user can */
        return -1;
    return process_lookup(ctx->process, exe, exe_len, err);
}

static void die_of(int sig)
{
    _exit(128 + sig);
}

/* Blocked until start, the init is its pid namespace's PID 1, which the
 * kernel shields from signals it does not handle: a `kill` of a created
 * container would do nothing.  Handle them by exiting; exec resets these
 * handlers to the defaults for the user's program.  Returns the
 * connection of `start`, which sees EOF once we exec. */
static int wait_for_start(int start_fd)
{
    static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGPIPE, SIGALRM };
    struct sigaction sa = { .sa_handler = die_of };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    for (;;) {
        cx_error err = { 0 };
        int conn;
        do
            conn = accept4(start_fd, NULL, NULL, SOCK_CLOEXEC);
        while (conn < 0 && errno == EINTR);
        if (conn < 0)
            _exit(1);
        if (sync_expect(conn, SYNC_GO, "capsa start", NULL, &err) == 0) {
            close(start_fd);
            return conn;
        }
        close(conn); /* not a start: wait for the real one */
    }
}

/* After start: the startContainer hooks, inside the container. */
static int start_hooks(const struct init_ctx *ctx, cx_error *err)
{
    if (!hooks_any(&ctx->spec->hooks, HOOK_START_CONTAINER))
        return 0;
    _cleanup_free_ char *state = hooks_state(ctx->spec->oci_version, ctx->id, "created",
                                             getpid(), ctx->bundle, ctx->spec->annotations);
    return hooks_run(&ctx->spec->hooks, HOOK_START_CONTAINER, state, err);
}

static int load_filter(struct init_ctx *ctx, cx_error *err)
{
    if (cx_seccomp_load(ctx->seccomp, ctx->host_pid, err) < 0 ||
        process_release_admin(TAKE_PTR(ctx->caps_final), err) < 0)
        return -1;
    return 0;
}

/* After start returned nobody listens: the container's stderr is the only
 * place left for an error. */
static void report_late(const cx_error *err)
{
    char line[CX_ERROR_MAX + 64];
    cx_error_format(err, line, sizeof line);
    dprintf(STDERR_FILENO, "capsa: %s\n", line);
}

_Noreturn void init_main(struct init_ctx *ctx)
{
    cx_error err = { 0 };
    char exe[PATH_MAX];

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* a foreground run blocked them */
    /* until execve this process is the capsa binary: keep the container's
     * processes from reaching it through /proc/1/exe, fd or mem
     * (CVE-2019-5736); execve of the user's program makes it dumpable */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    cx_log_no_stderr(); /* stderr is the container's: debug lines go to --log only */
    /* still on the host's /proc: the pid a notify agent knows us by */
    ctx->host_pid = ctx->seccomp->listener_fd >= 0 ? cx_seccomp_host_pid() : getpid();
    for (size_t i = 0; i < sizeof ctx->close_fds / sizeof ctx->close_fds[0]; i++)
        ctx->close_fds[i] = cx_close(ctx->close_fds[i]);
    /* until create has recorded us, die with it: a create killed half way
     * leaves no init behind */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (init_setup(ctx, exe, sizeof exe, &err) < 0) {
        sync_send_error(ctx->sync_fd, &err);
        _exit(1);
    }
    if (sync_send(ctx->sync_fd, SYNC_READY) < 0 ||
        sync_expect(ctx->sync_fd, SYNC_RECORDED, "capsa", NULL, &err) < 0)
        _exit(1);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (sync_send(ctx->sync_fd, SYNC_ACK) < 0)
        _exit(1);
    ctx->sync_fd = cx_close(ctx->sync_fd); /* create is done with us */
    int conn = wait_for_start(ctx->start_fd);
    /* without no_new_privs the filter comes before the startContainer
     * hooks, which then run under it (as runc: loading it needs the
     * CAP_SYS_ADMIN we still hold); with it, last, so that only sendmsg
     * (notify), capset (held admin) and execve run under it */
    bool early = !ctx->process->no_new_privileges;
    if (early && load_filter(ctx, &err) < 0) {
        sync_send_error(conn, &err);
        _exit(1);
    }
    if (start_hooks(ctx, &err) < 0) {
        sync_send_error(conn, &err);
        _exit(1);
    }
    sync_send(conn, SYNC_READY); /* start returns; conn closes at exec */
    if (procattr_apply_labels(ctx->process, &err) < 0) {
        report_late(&err);
        _exit(1);
    }
    process_close_fds(3 + ctx->preserve_fds);
    if (!early && load_filter(ctx, &err) < 0) {
        report_late(&err);
        _exit(1);
    }
    /* the sync socket is O_CLOEXEC: a foreground run sees EOF on success */
    execve(exe, (char *const *) ctx->process->args,
           (char *const *) (ctx->process->env ? ctx->process->env
                                              : (const char *[]){ NULL }));
    cx_fail_errno(&err, "exec %s", exe);
    report_late(&err);
    _exit(127);
}
