/* exec.c: see exec.h. */
#include "engine/exec.h"
#include "engine/exec_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/ctr_runtime.h"
#include "engine/lifecycle.h"
#include "engine/passwd.h"
#include "engine/shim_client.h"

static const char *const all_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* env with each of add's KEY=VALUE replacing the same KEY */
static json_t *merge_env(json_t *env, char **add)
{
    json_t *out = json_is_array(env) ? json_deep_copy(env) : json_array();
    for (char **a = add; a && *a; a++) {
        size_t klen = strcspn(*a, "=");
        size_t i;
        json_t *v;
        bool replaced = false;
        json_array_foreach(out, i, v) {
            const char *s = json_string_value(v);
            if (s && strncmp(s, *a, klen) == 0 && s[klen] == '=') {
                json_array_set_new(out, i, json_string(*a));
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append_new(out, json_string(*a));
    }
    return out;
}

int cx_exec_process(json_t *ctr_process, const struct cx_exec_req *r, int rootfd,
                    json_t **out, cx_error *err)
{
    json_t *p = json_is_object(ctr_process) ? json_deep_copy(ctr_process) : json_object();
    json_t *args = json_array();
    for (char **a = r->args; a && *a; a++)
        json_array_append_new(args, json_string(*a));
    json_object_set_new(p, "args", args);
    json_object_set_new(p, "env", merge_env(json_object_get(p, "env"), r->env));
    json_object_set_new(p, "terminal", json_boolean(r->tty));
    if (r->workdir)
        json_object_set_new(p, "cwd", json_string(r->workdir));
    if (r->user) {
        struct cx_user u;
        if (cx_user_resolve(rootfd, r->user, &u, err) < 0) {
            json_decref(p);
            return -1;
        }
        json_t *gids = json_array();
        for (size_t i = 0; i < u.nadditional; i++)
            json_array_append_new(gids, json_integer(u.additional[i]));
        json_object_set_new(p, "user", json_pack("{s:i, s:i, s:o}", "uid", (int) u.uid,
                                                 "gid", (int) u.gid, "additionalGids", gids));
        cx_user_free(&u);
    }
    if (r->privileged) {
        json_t *caps = json_array();
        for (size_t i = 0; i < sizeof all_caps / sizeof all_caps[0]; i++)
            json_array_append_new(caps, json_string(all_caps[i]));
        json_object_set_new(p, "capabilities", json_pack("{s:O, s:O, s:O}", "bounding", caps,
                                                         "effective", caps, "permitted",
                                                         caps));
        json_decref(caps);
    }
    *out = p;
    return 0;
}


static int session_open(struct cx_engine *e, const struct cx_ctr *c, struct cx_exec_session *s,
                        cx_error *err)
{
    cx_ctr_new_id(s->id);
    _cleanup_close_ int run = cx_engine_run_dir(e, c->id, true, err);
    if (run < 0)
        return -1;
    char name[80];
    snprintf(name, sizeof name, "exec-%.16s", s->id);
    s->dir = cx_asprintf("%s/containers/%s/%s", e->store.runroot, c->id, name);
    if (mkdirat(run, name, 0700) < 0)
        return cx_fail_errno(err, "mkdir %s", s->dir);
    s->dirfd = openat(run, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return s->dirfd < 0 ? cx_fail_errno(err, "open %s", s->dir) : 0;
}

void cx_exec_session_close(struct cx_engine *e, const struct cx_ctr *c,
                           struct cx_exec_session *s, bool remove)
{
    s->dirfd = cx_close(s->dirfd);
    if (remove && s->dir) {
        _cleanup_close_ int run = openat(e->runctrsfd, c->id, O_RDONLY | O_DIRECTORY |
                                         O_CLOEXEC);
        if (run >= 0)
            cx_rm_rf_at(run, strrchr(s->dir, '/') + 1);
    }
    free(s->dir);
    s->dir = NULL;
}

/* process.json for the runtime, from the container's config.json */
static int write_process(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_session *s,
                         const struct cx_exec_req *r, cx_error *err)
{
    _cleanup_free_ char *cfg = cx_engine_ctr_path(e, c->id, "config.json");
    _cleanup_free_ char *rootfs = cx_engine_run_path(e, c->id, "rootfs");
    json_error_t je;
    _cleanup_(json_decrefp) json_t *spec = json_load_file(cfg, 0, &je);
    if (!spec)
        return cx_fail(err, EINVAL, "%s: %s", cfg, je.text);
    _cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return cx_fail_errno(err, "open %s", rootfs);
    _cleanup_(json_decrefp) json_t *proc = NULL;
    if (cx_exec_process(json_object_get(spec, "process"), r, rootfd, &proc, err) < 0)
        return -1;
    _cleanup_free_ char *text = json_dumps(proc, JSON_COMPACT);
    return cx_write_file_atomic_at(s->dirfd, "process.json", text, strlen(text), 0600, err);
}

static void exec_argv(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_session *s,
                      const struct cx_exec_req *r, char **own, const char **v)
{
    size_t n = 0;
    own[0] = cx_asprintf("%s/process.json", s->dir);
    own[1] = cx_asprintf("%s/pid", s->dir);
    struct cx_rt rt;
    cx_rt_of(e, c, &rt);
    const char *fixed[] = {
        e->shim, "--api-version", "1", "-c", c->id, "-u", s->id, "-n", c->name,
        "-r", rt.bin, "-b", s->dir, "-p", own[1], "--exit-dir", s->dir,
        "--persist-dir", s->dir, "-l", "none", "--full-attach", "--log-level", "warning",
        "--runtime-arg", "--root", "--runtime-arg", rt.root,
        "-e", "--exec-process-spec", own[0],
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        v[n++] = fixed[i];
    if (r->tty)
        v[n++] = "-t";
    if (r->interactive)
        v[n++] = "-i";
    if (!r->detach)
        v[n++] = "--exec-attach";
    v[n] = NULL;
}

int cx_exec_code_of(const cx_error *err)
{
    if (strstr(err->msg, "permission denied"))
        return 126;
    if (strstr(err->msg, "not found") || strstr(err->msg, "no such file"))
        return 127;
    return 125;
}

/* pipes: [0] sync, [1] start, [2] attach; ours[i] the engine's ends */
static int make_pipes(int ours[3], int theirs[3], bool attach, cx_error *err)
{
    for (int i = 0; i < 3; i++) {
        ours[i] = theirs[i] = -1;
        if (i == 2 && !attach)
            continue;
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
            return cx_fail_errno(err, "socketpair");
        ours[i] = sp[0];
        theirs[i] = sp[1];
    }
    return 0;
}

void cx_exec_close3(int fds[3])
{
    for (int i = 0; i < 3; i++)
        fds[i] = cx_close(fds[i]);
}

static int run_session(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_session *s,
                       const struct cx_exec_req *r, int ours[3], int *code, cx_error *err)
{
    int pid, value;
    if (!r->detach) {
        if (cx_shim_sync_read(ours[2], 60000, "exec", &value, err) < 0)
            return -1;
        _cleanup_close_ int sock = cx_attach_connect_dir(s->dirfd, c->id, err);
        if (sock < 0)
            return -1;
        if (r->tty)
            cx_attach_resize_dir(s->dirfd);
        if (write(ours[1], "1", 1) != 1)
            return cx_fail_errno(err, "exec: start pipe");
        if (cx_shim_sync_read(ours[0], 300000, "exec", &pid, err) < 0) {
            *code = cx_exec_code_of(err);
            return -1;
        }
        struct cx_attach_opts ao = { .tty = r->tty, .stdin_open = r->interactive,
                                     .detach_keys = r->detach_keys, .ctr = c,
                                     .has_ctl_dir = true, .ctl_dir = s->dirfd };
        bool detached;
        if (cx_attach_relay(e, sock, &ao, &detached, err) < 0)
            return -1;
        if (detached) {
            *code = 0;
            return 0;
        }
        if (cx_shim_sync_read(ours[0], -1, "exec", &value, err) < 0)
            return -1;
        *code = value;
        return 0;
    }
    if (cx_shim_sync_read(ours[0], 300000, "exec", &pid, err) < 0) {
        *code = cx_exec_code_of(err);
        return -1;
    }
    *code = 0;
    return 0;
}

int cx_exec_spawn(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_req *r,
                  struct cx_exec_session *s, int ours[3], cx_error *err)
{
    if (c->state != CX_CTR_RUNNING)
        return cx_fail(err, EINVAL, "container %s is not running (%s): exec needs a running "
                       "container", c->name, cx_ctr_state_name(c->state));
    int theirs[3] = { -1, -1, -1 };
    char *own[2] = { NULL, NULL };
    const char *argv[48];
    int rc = -1;
    if (session_open(e, c, s, err) == 0 && write_process(e, c, s, r, err) == 0 &&
        make_pipes(ours, theirs, !r->detach, err) == 0) {
        exec_argv(e, c, s, r, own, argv);
        int child = cx_shim_spawn(argv, theirs, err);
        cx_exec_close3(theirs);
        if (child > 0 && write(ours[1], "1", 1) == 1)
            rc = 0;
        else if (child > 0)
            cx_fail_errno(err, "exec: start pipe");
        if (child > 0)
            cx_shim_reap(child);
    }
    cx_exec_close3(theirs);
    free(own[0]);
    free(own[1]);
    return rc;
}

int cx_ctr_exec(struct cx_engine *e, const struct cx_ctr *c, const struct cx_exec_req *r,
                int *code, cx_error *err)
{
    *code = 125;
    struct cx_exec_session s = { .dirfd = -1 };
    int ours[3] = { -1, -1, -1 };
    int rc = cx_exec_spawn(e, c, r, &s, ours, err);
    if (rc == 0)
        rc = run_session(e, c, &s, r, ours, code, err);
    cx_exec_close3(ours);
    cx_exec_session_close(e, c, &s, !r->detach);
    return rc;
}
