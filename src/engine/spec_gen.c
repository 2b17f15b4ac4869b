/* spec_gen.c: see spec_gen.h.  What podman 4.3 writes, read from the
 * config.json it hands its runtime, with these differences: the
 * environment says container=capsa, /dev/shm is a tmpfs of its own (not a
 * bind of the engine's), HOME=/ for a user without a passwd entry (docker),
 * unlimited pids are -1 ("max") where podman writes 0, and there is no
 * /run/.containerenv.  As podman: labels stay in the container's record,
 * -w must exist while the image's WorkingDir is made, and a private
 * network namespace gets net.ipv4.ping_group_range "0 0". */
#include "engine/spec_gen.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statfs.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/passwd.h"
#include "engine/spec_defaults.h"
#include "engine/spec_mounts.h"
#include "engine/spec_res.h"
#include "runtime/safepath.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* ---- process ---- */

/* Set KEY=VALUE in env (an array of strings): in place when KEY is there. */
static void env_set(json_t *env, const char *kv)
{
    size_t klen = strcspn(kv, "=");
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e) {
        const char *s = json_string_value(e);
        if (strncmp(s, kv, klen) == 0 && s[klen] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

static bool env_has(json_t *env, const char *key)
{
    size_t i, klen = strlen(key);
    json_t *e;
    json_array_foreach(env, i, e)
        if (strncmp(json_string_value(e), key, klen) == 0 && json_string_value(e)[klen] == '=')
            return true;
    return false;
}

/* podman's order: its defaults, the image's Env over them, -e over both;
 * then HOME and HOSTNAME unless already set.  A CRI container gets the
 * defaults of containerd and CRI-O instead: TERM only with a tty. */
static json_t *build_env(const struct cx_image_config *img, const struct cx_run_opts *o,
                         const struct cx_spec_ctx *ctx, const struct cx_user *u)
{
    const char *const podman[] = { DEFAULT_PATH, "TERM=xterm", "container=capsa", NULL };
    const char *const cri[] = { DEFAULT_PATH, o->tty ? "TERM=xterm" : NULL, NULL };
    json_t *env = strings(o->cri_env ? cri : podman);
    for (const char **e = img ? img->env : NULL; e && *e; e++)
        if (strchr(*e, '=') && **e != '=')
            env_set(env, *e);
    for (char **e = o->env; e && *e; e++)
        env_set(env, *e);
    if (!env_has(env, "HOME")) {
        _cleanup_free_ char *home = cx_asprintf("HOME=%s", u->home ? u->home : "/");
        json_array_append_new(env, json_string(home));
    }
    if (ctx->hostname && !env_has(env, "HOSTNAME")) {
        _cleanup_free_ char *hn = cx_asprintf("HOSTNAME=%s", ctx->hostname);
        json_array_append_new(env, json_string(hn));
    }
    return env;
}

int cx_spec_command(const struct cx_image_config *img, const struct cx_run_opts *o,
                    json_t **out, cx_error *err)
{
    json_t *args = json_array();
    const char *const *entry = o->entrypoint_set ? (const char *const *) o->entrypoint
                                                 : (img ? img->entrypoint : NULL);
    const char *const *cmd = o->args && o->args[0] ? (const char *const *) o->args
                             : o->entrypoint_set ? NULL : (img ? img->cmd : NULL);
    for (; entry && *entry; entry++)
        json_array_append_new(args, json_string(*entry));
    for (; cmd && *cmd; cmd++)
        json_array_append_new(args, json_string(*cmd));
    if (json_array_size(args) == 0) {
        json_decref(args);
        return cx_fail(err, 0, "%s: no command to run: the image has no Entrypoint or Cmd "
                       "(give one after the image name)", o->image ? o->image : "image");
    }
    *out = args;
    return 0;
}

/* process.args: the command, behind capsa-init with --init */
static int build_args(const struct cx_image_config *img, const struct cx_run_opts *o,
                      json_t **out, cx_error *err)
{
    json_t *cmd;
    if (cx_spec_command(img, o, &cmd, err) < 0)
        return -1;
    if (!o->init)
        return *out = cmd, 0;
    *out = json_pack("[ss]", CX_SPEC_INIT_PATH, "--");
    json_array_extend(*out, cmd);
    json_decref(cmd);
    return 0;
}

static bool under_mount(const struct cx_run_opts *o, const char *path)
{
    for (size_t i = 0; i < o->nmounts; i++) {
        size_t n = strlen(o->mounts[i].dest);
        if (strncmp(path, o->mounts[i].dest, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return true;
    }
    return false;
}

/* -w must exist (podman's rule); the image's WorkingDir is made when
 * missing, owned by the user.  Neither is looked at inside a mount. */
static int build_cwd(const struct cx_image_config *img, const struct cx_run_opts *o,
                     const struct cx_spec_ctx *ctx, const struct cx_user *u, char **out,
                     cx_error *err)
{
    const char *wd = img && img->working_dir && img->working_dir[0] ? img->working_dir : NULL;
    /* a relative WorkingDir is taken from the root, as docker does */
    _cleanup_free_ char *raw = o->workdir ? cx_strdup(o->workdir)
                               : cx_asprintf("/%s", wd ? wd : "");
    _cleanup_free_ char *clean = cx_path_clean(raw);
    if (clean == NULL)
        return cx_fail(err, 0, "--workdir %s: not an absolute path", o->workdir);
    if (strcmp(clean, "/") == 0 || under_mount(o, clean)) {
        *out = TAKE_PTR(clean);
        return 0;
    }
    if (o->workdir) {
        _cleanup_close_ int fd = sp_open(ctx->rootfd, clean, O_PATH | O_DIRECTORY);
        if (fd < 0)
            return cx_fail_errno(err, "--workdir %s: not a directory in the image", clean);
    } else if (cx_rootfs_mkdir(ctx->rootfd, clean, u->uid, u->gid, err) < 0) {
        return cx_error_prefix(err, "the image's WorkingDir");
    }
    *out = TAKE_PTR(clean);
    return 0;
}

static json_t *user_json(const struct cx_user *u)
{
    json_t *j = json_pack("{s:I,s:I,s:i}", "uid", (json_int_t) u->uid, "gid",
                          (json_int_t) u->gid, "umask", 022);
    if (u->nadditional) {
        json_t *g = json_array();
        for (size_t i = 0; i < u->nadditional; i++)
            json_array_append_new(g, json_integer(u->additional[i]));
        json_object_set_new(j, "additionalGids", g);
    }
    return j;
}

static int build_process(const struct cx_image_config *img, const struct cx_run_opts *o,
                         const struct cx_spec_ctx *ctx, char *const *caps, json_t **out,
                         cx_error *err)
{
    _cleanup_(cx_user_free) struct cx_user u = { 0 };
    const char *spec = o->user ? o->user : (img ? img->user : NULL);
    /* no user at all: containerd and CRI-O resolve root as named, its
     * primary group among the supplementary ones (podman leaves it out) */
    if (o->cri_env && (spec == NULL || spec[0] == '\0'))
        spec = "0";
    if (cx_user_resolve(ctx->rootfd, spec, &u, err) < 0 ||
        cx_user_add_groups(ctx->rootfd, o->group_add, &u, err) < 0)
        return -1;
    _cleanup_free_ char *cwd = NULL;
    json_t *args = NULL;
    if (build_cwd(img, o, ctx, &u, &cwd, err) < 0 || build_args(img, o, &args, err) < 0)
        return -1;
    json_t *p = json_pack("{s:o,s:o,s:o,s:s,s:o,s:o}", "user", user_json(&u), "args", args,
                          "env", build_env(img, o, ctx, &u), "cwd", cwd,
                          "capabilities", cx_spec_caps_json(caps, o, u.uid),
                          "rlimits", cx_spec_rlimits(o));
    if (o->tty)
        json_object_set_new(p, "terminal", json_true());
    if (o->no_new_privileges)
        json_object_set_new(p, "noNewPrivileges", json_true());
    if (o->has_oom_score_adj)
        json_object_set_new(p, "oomScoreAdj", json_integer(o->oom_score_adj));
    /* unconfined is what no profile means: capsa applies none by default */
    if (o->apparmor && strcmp(o->apparmor, "unconfined") != 0)
        json_object_set_new(p, "apparmorProfile", json_string(o->apparmor));
    *out = p;
    return 0;
}

/* ---- linux ---- */

/* A namespace entered from another container (o->ns_join) gets its path at
 * each start, from that container's process then (ns_join.h); one shared
 * with the host (--network, --pid, --ipc, --uts host) is not listed. */
static int namespaces(const struct cx_run_opts *o, const char *netns_path, json_t **out,
                      cx_error *err)
{
    json_auto_t *ns = json_array();
    const char *const types[] = { "pid", "network", "ipc", "uts", "mount" };
    const enum cx_ns_kind kinds[] = { CX_NS_PID, CX_NS_NET, CX_NS_IPC, CX_NS_UTS };
    const bool host[] = { o->pid_host, o->network == CX_NET_HOST, o->ipc_host, o->uts_host,
                          false };
    for (size_t i = 0; i < 5; i++) {
        const char *join = i < 4 ? o->ns_join[kinds[i]] : NULL;
        if (join && host[i])
            return cx_fail(err, 0, "--%s host: the container enters the %s namespace of "
                           "container %.12s (its pod's)", i == 1 ? "network" : types[i],
                           types[i], join);
        if (join)
            json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
        else if (i == 1 && netns_path)
            json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path",
                                                netns_path));
        else if (!host[i])
            json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
    }
    struct statfs sfs;
    /* a private cgroup namespace on a pure v2 host, as podman does */
    if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
    *out = json_incref(ns);
    return 0;
}

/* "shared" when a bind asks for shared propagation, "rslave" for slave:
 * the root must propagate too for the mount's to mean anything. */
static const char *root_propagation(const struct cx_run_opts *o)
{
    const char *prop = NULL;
    for (size_t i = 0; i < o->nmounts; i++)
        for (char **opt = o->mounts[i].options; opt && *opt; opt++) {
            if (strcmp(*opt, "shared") == 0 || strcmp(*opt, "rshared") == 0)
                return "shared";
            if (strcmp(*opt, "slave") == 0 || strcmp(*opt, "rslave") == 0)
                prop = "rslave";
        }
    return prop;
}

/* linux.devices: the host's for --privileged (those at a --device path
 * left out), then the --device nodes */
static int devices(const struct cx_run_opts *o, json_t *mine, json_t **out, cx_error *err)
{
    json_t *all = NULL;
    if (o->privileged && cx_spec_host_devices(&all, err) < 0)
        return -1;
    json_auto_t *v = all ? all : json_array();
    for (size_t i = json_array_size(v); i-- > 0;) {
        const char *path = json_string_value(json_object_get(json_array_get(v, i), "path"));
        size_t j;
        json_t *m;
        json_array_foreach(mine, j, m)
            if (strcmp(path, json_string_value(json_object_get(m, "path"))) == 0) {
                json_array_remove(v, i);
                break;
            }
    }
    json_array_extend(v, mine);
    *out = json_array_size(v) ? json_incref(v) : NULL;
    return 0;
}

static int build_linux(const struct cx_run_opts *o, const struct cx_spec_ctx *ctx,
                       char *const *caps, json_t **out, cx_error *err)
{
    json_t *nodes = NULL, *rules = NULL, *ns = NULL, *sysctl = cx_spec_sysctl(o);
    json_auto_t *sys = sysctl;
    if (cx_spec_user_devices(o, &nodes, &rules, err) < 0)
        return -1;
    json_auto_t *n = nodes, *r = rules;
    if (namespaces(o, ctx->netns_path, &ns, err) < 0)
        return -1;
    json_auto_t *l = json_pack("{s:o,s:o}", "resources", cx_spec_resources(o, r),
                               "namespaces", ns);
    if (sys)
        json_object_set(l, "sysctl", sys);
    if (ctx->cgroups_path)

        json_object_set_new(l, "cgroupsPath", json_string(ctx->cgroups_path));
    const char *prop = root_propagation(o);
    if (prop)
        json_object_set_new(l, "rootfsPropagation", json_string(prop));
    json_t *seccomp = NULL, *devs = NULL;
    if (cx_spec_seccomp(o, caps, &seccomp, err) < 0)
        return -1;
    if (seccomp)
        json_object_set_new(l, "seccomp", seccomp);
    if (devices(o, n, &devs, err) < 0)
        return -1;
    if (devs)
        json_object_set_new(l, "devices", devs);
    json_t *masked = cx_spec_paths(o, false), *ro = cx_spec_paths(o, true);
    /* --privileged: none at all, unless --security-opt mask= */
    if (!o->privileged || json_array_size(masked))
        json_object_set(l, "maskedPaths", masked);
    if (!o->privileged || json_array_size(ro))
        json_object_set(l, "readonlyPaths", ro);
    json_decref(masked);
    json_decref(ro);
    *out = json_incref(l);
    return 0;
}

/* ---- signals and the whole ---- */

static const struct { const char *name; int sig; } sig_aliases[] = {
    { "IOT", SIGABRT }, { "POLL", SIGIO }, { "CLD", SIGCHLD },
};

int cx_signal_parse(const char *s, int *sig, cx_error *err)
{
    int n;
    if (isdigit((unsigned char) s[0]) && cx_parse_int(s, &n) == 0) {
        if (n < 1 || n > 64)
            return cx_fail(err, 0, "signal %s: valid signals are 1 through 64", s);
        *sig = n;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (int i = 1; i < SIGRTMIN; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(name, abbrev) == 0)
            return *sig = i, 0;
    }
    for (size_t i = 0; i < sizeof sig_aliases / sizeof sig_aliases[0]; i++)
        if (strcasecmp(name, sig_aliases[i].name) == 0)
            return *sig = sig_aliases[i].sig, 0;
    bool rtmin = strncasecmp(name, "RTMIN", 5) == 0, rtmax = strncasecmp(name, "RTMAX", 5) == 0;
    if (rtmin || rtmax) {
        const char *rest = name + 5;
        int off = 0;
        if (*rest && (*rest != (rtmin ? '+' : '-') || !isdigit((unsigned char) rest[1]) ||
                      cx_parse_int(rest + 1, &off) < 0))
            off = -1;
        int v = rtmin ? SIGRTMIN + off : SIGRTMAX - off;
        if (off >= 0 && v >= SIGRTMIN && v <= SIGRTMAX)
            return *sig = v, 0;
    }
    return cx_fail(err, 0, "invalid signal \"%s\"", s);
}


int cx_spec_stop_signal(const struct cx_image_config *img, const struct cx_run_opts *o,
                        int *sig, cx_error *err)
{
    if (o->stop_signal)
        return cx_signal_parse(o->stop_signal, sig, err) < 0
                   ? cx_error_prefix(err, "--stop-signal") : 0;
    if (img && img->stop_signal && img->stop_signal[0])
        return cx_signal_parse(img->stop_signal, sig, err) < 0
                   ? cx_error_prefix(err, "the image's StopSignal") : 0;
    *sig = SIGTERM;
    return 0;
}

static int build_annotations(const struct cx_image_config *img, const struct cx_run_opts *o,
                             json_t **out, cx_error *err)
{
    int sig;
    if (cx_spec_stop_signal(img, o, &sig, err) < 0)
        return -1;
    char num[16];
    snprintf(num, sizeof num, "%d", sig);
    json_t *a = json_pack("{s:s,s:s}", "io.container.manager", "capsa",
                          "org.opencontainers.image.stopSignal", num);
    for (char **kv = o->annotations; kv && *kv; kv++) {
        _cleanup_free_ char *key = cx_strdup(*kv);
        char *eq = strchr(key, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(a, key, json_string(eq + 1));
        }
    }
    *out = a;
    return 0;
}

int cx_spec_build(const struct cx_image_config *img, const struct cx_run_opts *o,
                  const struct cx_spec_ctx *ctx, json_t **out, cx_error *err)
{
    _cleanup_strv_ char **caps = NULL;
    json_t *process = NULL, *mounts = NULL, *linux_ = NULL, *ann = NULL;
    if (cx_spec_caps(o, &caps, err) < 0 || build_annotations(img, o, &ann, err) < 0)
        return -1;
    json_auto_t *a = ann;
    if (build_process(img, o, ctx, caps, &process, err) < 0)
        return -1;
    json_auto_t *p = process;
    if (cx_spec_mounts(o, ctx, &mounts, err) < 0)
        return -1;
    json_auto_t *m = mounts;
    if (build_linux(o, ctx, caps, &linux_, err) < 0)
        return -1;
    json_t *root = json_pack("{s:s}", "path", ctx->rootfs);
    if (o->read_only)
        json_object_set_new(root, "readonly", json_true());
    json_t *spec = json_pack("{s:s,s:O,s:o}", "ociVersion", "1.0.2-dev", "process", p,
                             "root", root);
    if (ctx->hostname && !o->ns_join[CX_NS_UTS] && !o->uts_host)  /* else the other's */
        json_object_set_new(spec, "hostname", json_string(ctx->hostname));
    json_object_set(spec, "mounts", m);
    json_object_set(spec, "annotations", a);
    json_object_set_new(spec, "linux", linux_);
    *out = spec;
    return 0;
}
