/* exec.c: see exec.h. */
#include "runtime/exec.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/foreground.h"
#include "runtime/namespaces.h"
#include "runtime/procattr.h"
#include "runtime/process.h"
#include "runtime/procinfo.h"
#include "runtime/seccomp.h"
#include "runtime/selfexe.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_job {
    const struct cx_exec_opts *o;
    struct cx_container *c;
    struct oci_process proc;
    struct jd_pool pool;
    int pidfd, rootfd, console_fd, sock[2];
    int ns_flags;
    int nsfd[8];                 /* without pidfds: the init's ns files */
    struct cx_seccomp seccomp;   /* compiled before the fork */
    cap_t caps_final;            /* held back for the seccomp load */
    pid_t host_pid;
    json_t *cgroups;             /* the directories the process joins */
    bool paused;                 /* (--ignore-paused) join them last, */
    struct cgroup_entry late;    /* through these, opened before setns */
};

/* the order they are joined in one by one: user first */
static const struct { const char *name; int type; } ns[8] = {
    { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "net", CLONE_NEWNET },
    { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
    { "pid", CLONE_NEWPID }, { "time", CLONE_NEWTIME },
};

/* The namespaces of the init that differ from ours. */
static int ns_to_join(pid_t pid)
{
    int flags = 0;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        char theirs[64], ours[64];
        struct stat a, b;
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int) pid, ns[i].name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns[i].name);
        if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
            (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
            flags |= ns[i].type;
    }
    return flags;
}

/* Without pidfd_open (before 5.3, or under valgrind): the init's namespace
 * files, opened while its start time is still the recorded one. */
static int open_ns_files(struct exec_job *j, pid_t pid, cx_error *err)
{
    for (size_t i = 0; i < 8; i++) {
        char path[64];
        if (!(j->ns_flags & ns[i].type))
            continue;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns[i].name);
        if ((j->nsfd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            return cx_fail_errno(err, "open %s", path);
    }
    return proc_is_same(pid, j->c->st->pid_start) ? 0 : cx_fail(err, 0, "container not running");
}

/* setns through the pidfd (all at once), else file by file */
static int join_ns(struct exec_job *j, int flags)
{
    if (j->pidfd >= 0)
        return setns(j->pidfd, flags);
    for (size_t i = 0; i < 8; i++)
        if ((flags & ns[i].type) && setns(j->nsfd[i], ns[i].type) < 0)
            return -1;
    return 0;
}

static int child_setup(struct exec_job *j, char *exe, size_t len, cx_error *err)
{
    const struct oci_process *p = &j->proc;
    int flags = j->ns_flags & ~(CLONE_NEWPID | CLONE_NEWTIME);
    /* the container's cgroups and limits through our own view, before
     * entering the container's; in a paused container the cgroups come
     * last (child_main), or we would freeze before the exec */
    if ((j->paused ? cgroup_entry_open(j->cgroups, &j->late, err)
                   : cgroup_join(j->cgroups, getpid(), err)) < 0 ||
        process_set_limits(p, err) < 0)
        return -1;
    if (flags && join_ns(j, flags) < 0)
        return cx_fail_errno(err, "join the namespaces of container %s", j->o->id);
    if (fchdir(j->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return cx_fail_errno(err, "enter the root of container %s", j->o->id);
    if (setsid() < 0)
        return cx_fail_errno(err, "setsid");
    if (p->terminal) {
        _cleanup_close_ int master = -1, slave = -1;
        if (term_open_pty(&master, &slave, p->user.uid, err) < 0)
            return -1;
        if (p->console_width)
            term_set_size(master, p->console_height, p->console_width);
        else
            term_inherit_size(master);
        if (term_make_stdio(slave, err) < 0)
            return -1;
        if (j->console_fd >= 0 ? term_send_master(j->console_fd, master, err) < 0
                               : sync_send_fd(j->sock[1], master) < 0)
            return err->msg[0] ? -1 : cx_fail_errno(err, "send the pty");
    }
    if (procattr_apply(p, NULL, err) < 0)
        return -1;
    bool cwd_ok = process_chdir(p, err) == 0;
    if (process_set_identity(p, j->seccomp.insns != NULL, &j->caps_final, err) < 0 ||
        (!cwd_ok && process_chdir(p, err) < 0))
        return -1;
    return process_lookup(p, exe, len, err);
}

static _Noreturn void child_main(struct exec_job *j)
{
    cx_error err = { 0 };
    char exe[PATH_MAX];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* see init.c: no /proc/PID/exe for the container */
    cx_log_no_stderr(); /* stderr is the container's now */
    cx_close(j->sock[0]);
    cx_close(j->c->dirfd);
    /* still on the host's /proc: the pid a notify agent knows us by */
    j->host_pid = j->seccomp.listener_fd >= 0 ? cx_seccomp_host_pid() : getpid();
    if (child_setup(j, exe, sizeof exe, &err) < 0 ||
        procattr_apply_labels(&j->proc, &err) < 0) {
        sync_send_error(j->sock[1], &err);
        _exit(1);
    }
    process_close_fds(3 + j->o->preserve_fds);
    /* paused: tell exec we are as good as started (it cannot wait for the
     * exec, which only a resume lets happen), then join the frozen cgroups */
    if (j->paused && (sync_send(j->sock[1], SYNC_READY) < 0 ||
                      cgroup_enter_self(&j->late, &err) < 0)) {
        sync_send_error(j->sock[1], &err);
        _exit(1);
    }
    /* last, as in init.c */
    if (cx_seccomp_load(&j->seccomp, j->host_pid, &err) < 0 ||
        process_release_admin(TAKE_PTR(j->caps_final), &err) < 0) {
        sync_send_error(j->sock[1], &err);
        _exit(1);
    }
    execve(exe, (char *const *) j->proc.args,
           (char *const *) (j->proc.env ? j->proc.env : (const char *[]){ NULL }));
    cx_fail_errno(&err, "exec %s", exe);
    sync_send_error(j->sock[1], &err);
    _exit(127);
}

/* The container's profile, from the config it was created with. */
static int prepare_seccomp(struct exec_job *j, cx_error *err)
{
    const struct cx_state *st = j->c->st;
    json_t *config = cx_container_config(j->c);
    json_t *lin = config ? json_object_get(config, "linux") : NULL;
    json_t *profile = lin ? json_object_get(lin, "seccomp") : NULL;
    struct oci_seccomp *s = NULL;
    struct jd_ctx jc = { "config.json", &j->pool, err };
    struct jpath lp = { NULL, "linux", 0 }, sp = { &lp, "seccomp", 0 };
    if (profile == NULL || json_is_null(profile))
        return 0;
    struct cx_seccomp_who who = { st->oci_version, st->id, "running", st->bundle,
                                  st->annotations };
    if (oci_seccomp_decode(&jc, profile, &sp, &s) < 0 ||
        cx_seccomp_prepare(s, j->o->root, &j->seccomp, err) < 0)
        return -1;
    return cx_seccomp_connect(s, &who, &j->seccomp, err);
}

static int prepare(struct exec_job *j, cx_error *err)
{
    const struct cx_exec_opts *o = j->o;
    struct jd_ctx jc = { "process.json", &j->pool, err };
    if (oci_process_decode(&jc, o->process, NULL, &j->proc) < 0)
        return -1;
    if (cx_container_load(o->root, o->id, false, &j->c, err) < 0)
        return -1;
    if (selfexe_needed_json(cx_container_config(j->c), &j->proc))
        selfexe_protect();
    enum cx_status s = j->c->st->status;
    j->paused = s == CX_PAUSED && o->ignore_paused;
    if (s != CX_CREATED && s != CX_RUNNING && !j->paused)
        return cx_fail(err, 0, "cannot exec in a %s container%s", cx_status_name(s),
                       s == CX_PAUSED ? " (--ignore-paused runs it once resumed)" : "");
    if (cgroup_exec_dirs(j->c->st->cgroups, o->cgroups, o->n_cgroups, &j->cgroups, err) < 0)
        return -1;
    if (j->proc.terminal && !o->console_socket && o->detach)
        return cx_fail(err, 0, "cannot allocate a tty for a detached exec without --console-socket");
    if (!j->proc.terminal && o->console_socket)
        return cx_fail(err, 0, "--console-socket given without a terminal (-t)");
    if (procattr_check(&j->proc, NULL, err) < 0)
        return -1;
    pid_t pid = j->c->st->pid;
    cx_debug("exec %s: %s in the namespaces of pid %d%s", o->id,
             j->proc.args && j->proc.args[0] ? j->proc.args[0] : "?", (int) pid,
             j->paused ? " (paused: it runs once resumed)" : "");
    j->pidfd = cx_pidfd_open(pid);
    bool no_pidfd = j->pidfd < 0 && errno == ENOSYS;
    if ((j->pidfd < 0 && !no_pidfd) || !proc_is_same(pid, j->c->st->pid_start))
        return cx_fail(err, 0, "container not running");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root", (int) pid);
    j->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (j->rootfd < 0)
        return cx_fail_errno(err, "open %s", path);
    j->ns_flags = ns_to_join(pid);
    if (no_pidfd && open_ns_files(j, pid, err) < 0)
        return -1;
    if (prepare_seccomp(j, err) < 0)
        return -1;
    if (o->console_socket &&
        (j->console_fd = term_connect_socket(o->console_socket, err)) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sock) < 0)
        return cx_fail_errno(err, "socketpair");
    return 0;
}

/* Fork the child into the container's pid (and time) namespace: those
 * apply to children only, so we enter them around the fork. */
static pid_t fork_into(struct exec_job *j, cx_error *err)
{
    int pflags = j->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME);
    int saved = pflags ? ns_children_save() : -1;
    if (pflags && join_ns(j, pflags) < 0) {
        ns_children_restore(saved);
        return cx_fail_errno(err, "join the pid namespace of container %s", j->o->id);
    }
    pid_t pid = fork();
    if (pid == 0) {
        cx_close(saved);
        return 0;
    }
    int e = errno;
    ns_children_restore(saved);
    if (pid < 0)
        return cx_fail(err, e, "fork into container %s", j->o->id);
    return pid;
}

/* Wait for the child: an error message, or EOF once execve succeeded. */
static int wait_exec(struct exec_job *j, pid_t pid, int *pty, cx_error *err)
{
    struct sync_msg m;
    int fd;
    while (sync_recv(j->sock[0], &m, &fd) == 0) {
        if (m.type == SYNC_FD && pty && *pty < 0) {
            *pty = fd;
            continue;
        }
        cx_close(fd);
        if (m.type == SYNC_READY && j->paused)
            return 0; /* it runs once the container is resumed */
        if (m.type == SYNC_ERROR) {
            waitpid(pid, NULL, 0);
            return cx_fail(err, m.errnum, "%s", m.text);
        }
    }
    return 0;
}

int cx_exec(const struct cx_exec_opts *o, int *exit_code, cx_error *err)
{
    struct exec_job j = { .o = o, .pidfd = -1, .rootfd = -1, .console_fd = -1,
                          .late = CGROUP_ENTRY_INIT,
                          .nsfd = { -1, -1, -1, -1, -1, -1, -1, -1 },
                          .sock = { -1, -1 }, .seccomp = CX_SECCOMP_INIT };
    _cleanup_close_ int pty = -1;
    sigset_t old;
    int rc = prepare(&j, err);
    *exit_code = 0;
    if (rc == 0) {
        if (!o->detach)
            fg_block_signals(&old);
        pid_t pid = fork_into(&j, err);
        if (pid == 0)
            child_main(&j);
        j.sock[1] = cx_close(j.sock[1]);
        if (pid < 0)
            rc = -1;
        else if ((rc = wait_exec(&j, pid, &pty, err)) == 0 && o->pid_file)
            rc = cx_write_pid_file(o->pid_file, pid, err);
        if (rc == 0 && !o->detach)
            rc = (*exit_code = fg_wait(pid, pty, &old, err)) < 0 ? -1 : 0;
        else if (!o->detach)
            sigprocmask(SIG_SETMASK, &old, NULL);
    }
    cx_close(j.pidfd);
    for (size_t i = 0; i < 8; i++)
        cx_close(j.nsfd[i]);
    cx_close(j.rootfd);
    cx_close(j.console_fd);
    cx_close(j.sock[0]);
    cx_close(j.sock[1]);
    cx_seccomp_release(&j.seccomp);
    json_decref(j.cgroups);
    cx_container_free(j.c);
    jd_pool_free(&j.pool);
    return rc;
}
