/* create.c: `create` in the parent: validate, record, clone the init into
 * its namespaces, wait until it is set up, write the state.  On any
 * failure nothing is left: the init is killed, the record removed. */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/activation.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/init.h"
#include "runtime/procattr.h"
#include "runtime/rootfs.h"
#include "runtime/procinfo.h"
#include "runtime/seccomp.h"
#include "runtime/selfexe.h"
#include "runtime/sync.h"
#include "runtime/sysctl.h"
#include "runtime/terminal.h"

struct create_job {
    const struct cx_create_opts *o;
    struct oci_spec *spec;
    char *bundle, *rootfs;
    int rootfd, dirfd, start_fd, console_fd, sock[2];
    pid_t pid;
    bool recorded;
    json_t *cgroups;
    struct cx_seccomp seccomp;   /* compiled before the record exists */
};

static void job_cleanup(struct create_job *j, bool failed)
{
    if (failed && j->pid > 0) {
        kill(j->pid, SIGKILL);
        waitpid(j->pid, NULL, 0);
        /* the container existed: its lifecycle ends with poststop */
        if (hooks_any(&j->spec->hooks, HOOK_POSTSTOP)) {
            cx_error e = { 0 };
            _cleanup_free_ char *state = hooks_state(j->spec->oci_version, j->o->id,
                                                     "stopped", 0, j->bundle,
                                                     j->spec->annotations);
            if (hooks_run(&j->spec->hooks, HOOK_POSTSTOP, state, &e) < 0)
                cx_log_error_as_warning(&e);
        }
    }
    if (failed && j->recorded) {
        cgroup_destroy(j->cgroups, NULL);
        cx_rm_rf_at(j->rootfd, j->o->id);
    }
    cx_close(j->rootfd);
    cx_close(j->dirfd);
    cx_close(j->start_fd);
    cx_close(j->console_fd);
    cx_close(j->sock[0]);
    cx_close(j->sock[1]);
    json_decref(j->cgroups);
    cx_seccomp_release(&j->seccomp);
    oci_spec_free(j->spec);
    free(j->bundle);
    free(j->rootfs);
}

/* state.json and the hooks' state are JSON: their paths must be UTF-8
 * (found by fuzz/fuzz_hooks_state: a Latin-1 bundle name crashed create) */
static int utf8_path(const char *what, const char *path, cx_error *err)
{
    json_t *s = json_string(path);
    json_decref(s);
    return s ? 0 : cx_fail(err, 0, "%s %s: not valid UTF-8 (the OCI state is JSON)", what, path);
}

/* Is the last component of path (trailing slashes ignored) a symlink? */
static bool leaf_is_symlink(const char *path)
{
    _cleanup_free_ char *copy = cx_strdup(path);
    size_t n = strlen(copy);
    struct stat st;
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    return lstat(copy, &st) == 0 && S_ISLNK(st.st_mode);
}

static int load_bundle(struct create_job *j, cx_error *err)
{
    const char *bundle = j->o->bundle && j->o->bundle[0] ? j->o->bundle : ".";
    j->bundle = realpath(bundle, NULL);
    if (j->bundle == NULL)
        return cx_fail_errno(err, "bundle %s", bundle);
    if (utf8_path("bundle", j->bundle, err) < 0)
        return -1;
    _cleanup_close_ int bfd = open(j->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (bfd < 0)
        return cx_fail_errno(err, "bundle %s", j->bundle);
    if (oci_spec_load(bfd, "config.json", &j->spec, err) < 0)
        return -1;
    if (j->spec->process == NULL)
        return cx_fail(err, 0, "config.json: process: required to create a container");
    activation_env(j->spec);
    if (sysctl_check(j->spec, err) < 0)
        return -1;
    _cleanup_free_ char *root = j->spec->root_path[0] == '/'
        ? cx_strdup(j->spec->root_path)
        : cx_asprintf("%s/%s", j->bundle, j->spec->root_path);
    struct stat st;
    j->rootfs = realpath(root, NULL);
    if (j->rootfs == NULL || stat(j->rootfs, &st) < 0)
        return cx_fail_errno(err, "config.json: root.path: %s", root);
    if (!S_ISDIR(st.st_mode))
        return cx_fail(err, ENOTDIR, "config.json: root.path: %s", root);
    /* as runc: a rootfs that is a symlink (an image unpacked as "rootfs ->
     * /", or elsewhere on the host) is refused, and never the host's root */
    if (leaf_is_symlink(root) || strcmp(j->rootfs, "/") == 0)
        return cx_fail(err, 0, "config.json: root.path: %s is a symlink or the host's "
                               "root: refusing it as a rootfs", root);
    if (utf8_path("config.json: root.path:", j->rootfs, err) < 0)
        return -1;
    if (j->spec->process->terminal && !j->o->console_socket && !j->o->foreground)
        return cx_fail(err, 0, "process.terminal is true: --console-socket is required "
                               "when the runtime does not stay in the foreground");
    if (selfexe_needed(j->spec, NULL))
        selfexe_protect();
    if (!j->spec->process->terminal && j->o->console_socket)
        return cx_fail(err, 0, "--console-socket given but process.terminal is false");
    if (procattr_check(j->spec->process, j->spec->linux_, err) < 0)
        return -1;
    /* compiled (or found in the cache) now: a profile libseccomp refuses
     * fails create before any container exists */
    return cx_seccomp_prepare(j->spec->linux_ ? j->spec->linux_->seccomp : NULL, j->o->root,
                              &j->seccomp, err);
}

static int make_record(struct create_job *j, cx_error *err)
{
    j->rootfd = cx_root_open(j->o->root, true, err);
    if (j->rootfd < 0)
        return -1;
    if (mkdirat(j->rootfd, j->o->id, 0711) < 0) {
        if (errno == EEXIST)
            return cx_fail(err, 0, "container with given ID already exists: %s", j->o->id);
        return cx_fail_errno(err, "create the state directory of %s", j->o->id);
    }
    j->recorded = true;
    CX_FAULT("record-made");
    j->dirfd = openat(j->rootfd, j->o->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (j->dirfd < 0 || flock(j->dirfd, LOCK_EX) < 0)
        return cx_fail_errno(err, "lock the state directory of %s", j->o->id);
    CX_FAULT("record-locked");
    j->start_fd = cx_start_socket_listen(j->dirfd, err);
    return j->start_fd < 0 ? -1 : 0;
}

static int preserved_fds(const struct cx_create_opts *o)
{
    int n = activation_fds();
    /* both count from fd 3: they name the same descriptors */
    return n > o->preserve_fds ? n : o->preserve_fds;
}

static pid_t clone_init(struct create_job *j, struct init_ctx *ctx, cx_error *err)
{
    struct clone_args args = {
        .flags = (uint64_t) ctx->ns.clone_flags,
        .exit_signal = SIGCHLD,
    };
    int saved = ctx->ns.n_parent_join || ctx->ns.new_time ? ns_children_save() : -1;
    if (ns_join_parent(&ctx->ns, j->spec, err) < 0) {
        ns_children_restore(saved);
        return -1;
    }
    if (ctx->cg && ctx->cg->v2fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t) ctx->cg->v2fd;
    }
    pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && (args.flags & CLONE_INTO_CGROUP)) {
        /* an older kernel, or a v2 cgroup that refuses it: the parent
         * writes cgroup.procs after the clone instead */
        cx_debug("clone3 CLONE_INTO_CGROUP: %s", strerror(errno));
        args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
        args.cgroup = 0;
        pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
    } else if (pid > 0 && (args.flags & CLONE_INTO_CGROUP)) {
        ctx->cg->v2fd = cx_close(ctx->cg->v2fd);   /* placed: nothing left to do */
    }
    /* no clone3 (before 5.3, or under valgrind): clone's flags are 32 bits
     * whose low byte is the exit signal, so CLONE_NEWTIME cannot go there */
    if (pid < 0 && errno == ENOSYS && !(args.flags & (CLONE_NEWTIME | ~0xffffffffULL)))
        pid = (pid_t) syscall(SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, NULL,
                              NULL, 0UL);
    if (pid == 0) {
        cx_close(j->sock[0]);
        cx_close(saved);
        init_main(ctx);
    }
    int e = errno;
    ns_children_restore(saved);
    if (pid < 0)
        return cx_fail(err, e, "clone the container init (namespaces 0x%x)",
                       ctx->ns.clone_flags);
    return pid;
}

/* cgroups.json: written at once, so a create killed from here on leaves
 * cgroups that delete --force finds. */
static int record_cgroups(struct create_job *j, cx_error *err)
{
    if (j->cgroups == NULL)
        return 0;
    char *text = json_dumps(j->cgroups, JSON_COMPACT);
    int rc = text ? cx_write_file_atomic_at(j->dirfd, "cgroups.json", text, strlen(text),
                                            0600, err) : cx_fail(err, ENOMEM, "cgroups.json");
    free(text);
    return rc;
}

static int record_cb(void *j, cx_error *err)
{
    return record_cgroups(j, err);
}

/* prestart and createRuntime, in our namespaces, when the init asks. */
static int runtime_hooks(struct create_job *j, cx_error *err)
{
    _cleanup_free_ char *state = hooks_state(j->spec->oci_version, j->o->id, "created",
                                             j->pid, j->bundle, j->spec->annotations);
    if (hooks_run(&j->spec->hooks, HOOK_PRESTART, state, err) < 0 ||
        hooks_run(&j->spec->hooks, HOOK_CREATE_RUNTIME, state, err) < 0)
        return -1;
    CX_FAULT("runtime-hooks-run");
    if (sync_send(j->sock[0], SYNC_GO) < 0)
        return cx_fail_errno(err, "signal the container init");
    return 0;
}

/* Until the init is READY it may hand us its pty or ask for hooks. */
static int await_ready(struct create_job *j, int *pty, cx_error *err)
{
    for (;;) {
        struct sync_msg m;
        int fd;
        if (sync_recv(j->sock[0], &m, &fd) < 0) {
            if (errno == 0)
                return cx_fail(err, 0, "container init exited before it finished its setup");
            return cx_fail_errno(err, "read from the container init");
        }
        if (m.type == SYNC_FD && *pty < 0 && fd >= 0) {
            *pty = fd;
            continue;
        }
        cx_close(fd);
        if (m.type == SYNC_HOOKS && runtime_hooks(j, err) == 0)
            continue;
        if (m.type == SYNC_HOOKS)
            return -1;
        if (m.type == SYNC_READY)
            return 0;
        if (m.type == SYNC_ERROR)
            return cx_fail(err, m.errnum, "%s", m.text);
        return cx_fail(err, EPROTO, "container init sent message %u", m.type);
    }
}

static int run_init(struct create_job *j, int *pty, cx_error *err)
{
    struct init_ctx ctx = {
        .spec = j->spec, .process = j->spec->process, .rootfs = j->rootfs,
        .id = j->o->id, .bundle = j->bundle, .start_fd = j->start_fd,
        .console_fd = j->console_fd,
        .close_fds = { j->rootfd, j->dirfd, -1, -1 },
        .preserve_fds = preserved_fds(j->o), .no_pivot = j->o->no_pivot,
        .no_new_keyring = j->o->no_new_keyring, .seccomp = &j->seccomp,
    };
    struct cx_seccomp_who who = { j->spec->oci_version, j->o->id, "created", j->bundle,
                                  j->spec->annotations };
    if (cx_seccomp_connect(j->spec->linux_ ? j->spec->linux_->seccomp : NULL, &who,
                           &j->seccomp, err) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sock) < 0)
        return cx_fail_errno(err, "socketpair");
    ctx.sync_fd = j->sock[1];
    CX_FAULT("before-clone");
    if (ns_plan_build(j->spec, &ctx.ns, err) < 0)
        return -1;
    cx_debug("create %s: bundle %s, rootfs %s; namespaces: new 0x%x by clone, 0x%x "
             "after the user namespace, %d joined before clone, %d by the init",
             j->o->id, j->bundle, j->rootfs, (unsigned) ctx.ns.clone_flags,
             (unsigned) ctx.ns.unshare_flags, ctx.ns.n_parent_join, ctx.ns.n_child_join);
    _cleanup_free_ int *idmap_fds = cx_calloc(j->spec->n_mounts + 1, sizeof(int));
    if (idmap_prepare(j->spec, j->bundle, idmap_fds, err) < 0) {
        ns_plan_close(&ctx.ns);
        return -1;
    }
    ctx.idmap_fds = idmap_fds;
    size_t n_devices = j->spec->linux_ ? j->spec->linux_->n_devices : 0;
    _cleanup_free_ int *trees = cx_calloc(n_devices + 1, sizeof(int));
    if (ctx.ns.new_user && n_devices) {
        if (devices_prepare_host_nodes(j->spec, j->dirfd, trees, err) < 0) {
            ns_plan_close(&ctx.ns);
            idmap_close(idmap_fds, j->spec->n_mounts);
            return -1;
        }
        ctx.device_trees = trees;
    }
    /* cgroupfs: the cgroups made before the clone, entered by the init
     * itself (see cgroup.h); the systemd driver needs the pid first */
    struct cgroup_entry cge = CGROUP_ENTRY_INIT;
    if (!j->o->systemd_cgroup) {
        int cg = cgroup_prepare(j->spec, j->o->id, &j->cgroups, record_cb, j, &cge, err);
        if (record_cgroups(j, cg < 0 ? NULL : err) < 0 || cg < 0) {
            cgroup_entry_close(&cge);
            ns_plan_close(&ctx.ns);
            idmap_close(idmap_fds, j->spec->n_mounts);
            if (ctx.device_trees)
                devices_close_host_nodes(trees, n_devices);
            return -1;
        }
        ctx.cg = &cge;
    }
    if (cx_log_debug_on()) {
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(j->cgroups, "dirs"), i, d)
            cx_debug("create %s: cgroup %s", j->o->id, json_string_value(d));
    }
    j->pid = clone_init(j, &ctx, err);
    if (j->pid > 0)
        cx_debug("create %s: init is pid %d", j->o->id, (int) j->pid);
    cgroup_entry_close(&cge);
    ns_plan_close(&ctx.ns);
    idmap_close(idmap_fds, j->spec->n_mounts);
    if (ctx.device_trees)
        devices_close_host_nodes(trees, n_devices);
    j->sock[1] = cx_close(j->sock[1]);
    if (j->pid < 0)
        return -1;
    CX_FAULT("cloned");
    if (ctx.ns.new_user && ns_write_id_maps(j->pid, j->spec, err) < 0)
        return -1;
    CX_FAULT("id-maps");
    if (j->o->systemd_cgroup) {
        int cg = cgroup_enter(j->spec, j->o->id, j->pid, true, &j->cgroups, err);
        CX_FAULT("cgroups-entered");
        if (record_cgroups(j, cg < 0 ? NULL : err) < 0 || cg < 0)
            return -1;
        CX_FAULT("cgroups-recorded");
    } else if (cgroup_enter_v2(&cge, j->pid, err) < 0) {
        return -1;
    }
    if (sync_send(j->sock[0], SYNC_GO) < 0) {
        /* the init failed before reading GO (entering its cgroups): its
         * error is still there to read */
        int e = errno;
        if (await_ready(j, pty, err) < 0)
            return -1;
        return cx_fail(err, e, "signal the container init");
    }
    CX_FAULT("init-going");
    return await_ready(j, pty, err);
}

static int record_state(struct create_job *j, cx_error *err)
{
    char created[64], owner[256];
    cx_user_name(geteuid(), owner, sizeof owner);
    struct cx_state st = {
        .id = (char *) j->o->id, .bundle = j->bundle, .rootfs = j->rootfs,
        .created = created, .owner = owner,
        .oci_version = (char *) j->spec->oci_version, .pid = j->pid,
        .boot_id = (char *) proc_boot_id(), .annotations = j->spec->annotations,
        .config = j->spec->doc,
    };
    cx_rfc3339_now(created, sizeof created);
    if (proc_stat(j->pid, &st.pid_start, NULL) < 0)
        return cx_fail(err, ESRCH, "container init %d is gone", (int) j->pid);
    if (cx_state_write(j->dirfd, &st, err) < 0)
        return -1;
    CX_FAULT("state-written");
    if (j->o->pid_file && cx_write_pid_file(j->o->pid_file, j->pid, err) < 0)
        return -1;
    return 0;
}

/* The record exists: let the init drop its death signal, and wait until it
 * has, so that it never dies with us from here on. */
static int release_init(struct create_job *j, cx_error *err)
{
    if (sync_send(j->sock[0], SYNC_RECORDED) < 0)
        return cx_fail_errno(err, "signal the container init");
    return sync_expect(j->sock[0], SYNC_ACK, "container init", NULL, err);
}

int cx_create(const struct cx_create_opts *o, pid_t *pid, int *pty, cx_error *err)
{
    struct create_job j = { .o = o, .rootfd = -1, .dirfd = -1, .start_fd = -1,
                            .console_fd = -1, .sock = { -1, -1 },
                            .seccomp = CX_SECCOMP_INIT };
    *pty = -1;
    int rc = cx_id_check(o->id, err);
    if (rc == 0)
        rc = load_bundle(&j, err);
    if (rc == 0)
        CX_FAULT("bundle-loaded");
    if (rc == 0)
        rc = make_record(&j, err);
    if (rc == 0 && o->console_socket)
        rc = (j.console_fd = term_connect_socket(o->console_socket, err)) < 0 ? -1 : 0;
    if (rc == 0)
        rc = run_init(&j, pty, err);
    if (rc == 0)
        CX_FAULT("init-ready");
    if (rc == 0)
        rc = record_state(&j, err);
    if (rc == 0)
        rc = release_init(&j, err);
    if (rc == 0)
        CX_FAULT("init-released");
    if (rc < 0 && *pty >= 0)
        *pty = cx_close(*pty);
    *pid = j.pid;
    job_cleanup(&j, rc < 0);
    return rc;
}

int cx_write_pid_file(const char *path, pid_t pid, cx_error *err)
{
    _cleanup_free_ char *tmp = cx_asprintf("%s.capsa-tmp", path);
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", (int) pid);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || cx_write_all(fd, buf, (size_t) n) < 0)
        return cx_fail_errno(err, "write pid file %s", path);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return cx_fail(err, e, "rename pid file to %s", path);
    }
    return 0;
}
