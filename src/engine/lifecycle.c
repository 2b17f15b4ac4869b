/* lifecycle.c: see lifecycle.h. */
#include "engine/lifecycle.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/ctr_net.h"
#include "engine/ctr_runtime.h"
#include "engine/etcfiles.h"
#include "engine/net_gc.h"
#include "engine/ns_join.h"
#include "engine/pods.h"
#include "engine/rootfs.h"
#include "engine/shim_client.h"
#include "engine/spec_gen.h"
#include "engine/volumes.h"
#include "engine/watch.h"

int64_t cx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static int ctr_lock(struct cx_engine *e, const char *id, struct cx_lock *l, cx_error *err)
{
    return cx_lock_take(e->store.locksfd, "ctr", id, true, l, err);
}

/* ---- create ---- */

static int write_bundle(struct cx_engine *e, struct cx_ctr *c, const struct cx_image_rec *img,
                        const struct cx_image_config *cfg, const struct cx_run_opts *o,
                        cx_error *err)
{
    _cleanup_free_ char *rootfs = NULL;
    _cleanup_close_ int ctr = cx_engine_ctr_dir(e, c->id, true, err), rootfd = -1;
    if (ctr < 0 || cx_ctr_rootfs_mount(e, c->id, img, &rootfs, err) < 0)
        return -1;
    CX_FAULT("rootfs mounted");
    if ((rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return cx_fail_errno(err, "open %s", rootfs);
    char hostname[65];
    snprintf(hostname, sizeof hostname, "%.*s", o->hostname ? 64 : 12,
             o->hostname ? o->hostname : c->id);
    if (!o->hostname && (o->network == CX_NET_HOST || o->uts_host) &&
        gethostname(hostname, sizeof hostname) < 0)
        snprintf(hostname, sizeof hostname, "localhost");
    /* in another's network namespace: its hosts and resolv.conf; in its
       UTS namespace: its hostname */
    const char *net_of = cx_ns_join_files_of(o), *uts_of = o->ns_join[CX_NS_UTS];
    _cleanup_free_ char *hn = cx_engine_ctr_path(e, uts_of ? uts_of : c->id, "hostname");
    _cleanup_free_ char *hosts = cx_engine_ctr_path(e, net_of ? net_of : c->id, "hosts");
    _cleanup_free_ char *resolv = cx_engine_ctr_path(e, net_of ? net_of : c->id, "resolv.conf");
    if (uts_of)
        cx_hostname_read(hn, hostname);
    if (cx_etc_files_write(e, c->id, hostname, o, err) < 0)
        return -1;
    _cleanup_free_ char *cg = NULL;
    if (cx_run_opts_cgroups_path(o, c->id, e->systemd_cgroup, &cg, err) < 0)
        return -1;
    _cleanup_free_ char *netns = o->network == CX_NET_CNI ? cx_ctr_netns_path(e, c->id) : NULL;
    if (netns && cx_ctr_net_record(e, c->id, o->networks, err) < 0)
        return -1;
    struct cx_spec_ctx ctx = {
        .id = c->id, .rootfs = rootfs, .rootfd = rootfd, .hostname = hostname,
        .hostname_file = hn, .hosts_file = hosts, .resolv_file = resolv,
        .init_path = e->init, .cgroups_path = cg, .netns_path = netns,
    };
    /* volumes become binds of their directories */
    struct cx_run_opts resolved = *o;
    struct cx_mount_req *mounts = NULL;
    size_t nmounts = 0;
    if (cx_volumes_resolve(e, c->id, o, cfg, &mounts, &nmounts, err) < 0)
        return -1;
    resolved.mounts = mounts;
    resolved.nmounts = nmounts;
    json_t *spec = NULL;
    int r = cx_spec_build(cfg, &resolved, &ctx, &spec, err);
    cx_mounts_free(mounts, nmounts);
    if (r < 0)
        return -1;
    _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2));
    json_decref(spec);
    if (!text)
        return cx_fail(err, ENOMEM, "config.json: cannot encode");
    return cx_write_file_atomic_at(ctr, "config.json", text, strlen(text), 0600, err);
}

static void remove_dirs(struct cx_engine *e, const char *id)
{
    cx_error ignored = { 0 };
    cx_ctr_rootfs_unmount(e, id, &ignored);
    cx_rm_rf_at(e->runctrsfd, id);
    cx_rm_rf_at(e->ctrsfd, id);
}

/* The container's labels: the image's, then --label's over them (podman's) */
static void merge_image_labels(json_t *opts, const struct cx_image_config *cfg)
{
    json_t *flags = json_object_get(opts, "labels");
    if (!json_is_object(cfg->labels) || !opts)
        return;
    json_t *merged = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(cfg->labels, k, v) {
        if (!json_is_string(v))
            continue;
        bool overridden = false;
        size_t i, klen = strlen(k);
        json_t *f;
        json_array_foreach(flags, i, f) {
            const char *s = json_string_value(f);
            overridden |= s && strncmp(s, k, klen) == 0 && (s[klen] == '=' || !s[klen]);
        }
        if (!overridden) {
            _cleanup_free_ char *kv = cx_asprintf("%s=%s", k, json_string_value(v));
            json_array_append_new(merged, json_string(kv));
        }
    }
    if (json_is_array(flags))
        json_array_extend(merged, flags);
    json_object_set_new(opts, "labels", merged);
}

/* The record, its name reserved in the same transaction. */
static int record(struct cx_engine *e, struct cx_ctr *c, const struct cx_run_opts *o,
                  cx_error *err)
{
    if (o->name && cx_ctr_name_check(o->name, err) < 0)
        return -1;
    if (cx_db_begin(&e->store.db, err) < 0)
        return -1;
    if ((o->name ? (c->name = cx_strdup(o->name), 0)
                 : cx_ctr_new_name(&e->store.db, &c->name, err)) < 0 ||
        cx_ctr_insert(&e->store.db, c, err) < 0 ||
        (o->pod && cx_pod_add_member(e, o->pod, c->id, err) < 0) ||
        cx_db_commit(&e->store.db, err) < 0) {
        cx_db_rollback(&e->store.db);
        return -1;
    }
    return 0;
}

static int create_resolved(struct cx_engine *e, const struct cx_image_rec *img,
                           const struct cx_image_config *cfg, const struct cx_run_opts *o,
                           struct cx_ctr *out, cx_error *err)
{
    /* -p and -P with their host ports chosen, kept so every start (and
       `port`) sees the same */
    struct cx_run_opts ro = *o;
    _cleanup_strv_ char **ports = NULL;
    if ((o->publish || o->publish_all) &&
        cx_ctr_ports_resolve(o->publish, o->publish_all, cfg ? cfg->exposed_ports : NULL,
                             &ports, err) < 0)
        return -1;
    ro.publish = ports;
    ro.publish_all = false;
    o = &ro;
    if (cx_ctr_net_check(e, o, err) < 0)
        return -1;
    struct cx_ctr c = { .state = CX_CTR_CONFIGURED };
    if (out->id[0])
        memcpy(c.id, out->id, sizeof c.id);   /* reserved by the caller */
    else
        cx_ctr_new_id(c.id);
    c.image_id = cx_strdup(img->id);
    c.image_name = cx_strdup(img->nnames ? img->names[0] : img->id);
    c.created = cx_now_ns();
    c.boot_id = cx_strdup(cx_boot_id());
    if (cx_rt_resolve(e, o->runtime, o->runtime_root, &c.runtime, &c.runtime_root, err) < 0) {
        cx_ctr_free(&c);
        return -1;
    }
    json_t *oj = cx_run_opts_to_json(o), *cmd = NULL;
    merge_image_labels(oj, cfg);
    c.opts = oj ? json_dumps(oj, JSON_COMPACT) : NULL;
    json_decref(oj);
    if (!c.opts)
        c.opts = cx_strdup("{}");
    if (cx_spec_command(cfg, o, &cmd, err) == 0)
        c.command = json_dumps(cmd, JSON_COMPACT);
    json_decref(cmd);
    if (!c.command || record(e, &c, o, err) < 0) {
        cx_ctr_free(&c);
        return -1;
    }
    CX_FAULT("container recorded");
    struct cx_lock lock = { .fd = -1 };
    if (ctr_lock(e, c.id, &lock, err) < 0 || write_bundle(e, &c, img, cfg, o, err) < 0) {
        remove_dirs(e, c.id);
        cx_error ignored = { 0 };
        cx_volumes_release(e, c.id, true, &ignored);
        cx_ctr_delete(&e->store.db, c.id, &ignored);
        cx_lock_release(&lock);
        cx_ctr_free(&c);
        return -1;
    }
    CX_FAULT("bundle written");
    cx_lock_release(&lock);
    *out = c;
    return 0;
}

int cx_ctr_create(struct cx_engine *e, const struct cx_image_rec *img,
                  const struct cx_image_config *cfg, const struct cx_run_opts *o,
                  struct cx_ctr *out, cx_error *err)
{
    if (!o->pod && o->network != CX_NET_CONTAINER)
        return create_resolved(e, img, cfg, o, out, err);
    struct cx_run_opts joined;   /* another container's namespaces, by ID */
    if (cx_ns_joins_copy(e, o, &joined, err) < 0)
        return -1;
    int r = create_resolved(e, img, cfg, &joined, out, err);
    cx_run_opts_free(&joined);
    return r;
}

/* ---- state ---- */

/* The shim's exit file: its code, and when it was written. */
static bool read_exit_file(struct cx_engine *e, const char *id, int *code, int64_t *when)
{
    _cleanup_close_ int run = openat(e->runctrsfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC);
    _cleanup_close_ int fd = run < 0 ? -1 : openat(run, "exit", O_RDONLY | O_NOFOLLOW |
                                                   O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    struct stat st;
    if (n <= 0 || fstat(fd, &st) < 0)
        return false;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (cx_parse_int(buf, code) < 0)
        return false;
    *when = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

static bool pid_alive(const struct cx_ctr *c)
{
    if (c->pid <= 0 || strcmp(c->boot_id, cx_boot_id()) != 0)
        return false;
    unsigned long long st = cx_pid_start(c->pid);
    return st != 0 && (c->pid_start == 0 || st == c->pid_start);
}

/* The container's shim, still writing its exit file? */
static bool shim_alive(struct cx_engine *e, const struct cx_ctr *c)
{
    if (strcmp(c->boot_id, cx_boot_id()) != 0)
        return false;
    _cleanup_close_ int run = openat(e->runctrsfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC);
    _cleanup_close_ int fd = run < 0 ? -1 : openat(run, "shim.pid", O_RDONLY | O_NOFOLLOW |
                                                   O_CLOEXEC);
    char buf[32];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    int pid;
    if (cx_parse_int(buf, &pid) < 0 || pid <= 0 || cx_pid_start(pid) == 0)
        return false;
    /* a reused pid would not be a capsa-shim */
    char exe[64], path[4096];
    snprintf(exe, sizeof exe, "/proc/%d/exe", pid);
    ssize_t m = readlink(exe, path, sizeof path - 1);
    if (m <= 0)
        return false;
    path[m] = '\0';
    return strcmp(path, e->shim) == 0 || strstr(path, "capsa-shim") != NULL;
}

void cx_ctr_sync(struct cx_engine *e, struct cx_ctr *c)
{
    if (c->state != CX_CTR_CREATED && c->state != CX_CTR_RUNNING &&
        c->state != CX_CTR_PAUSED)
        return;
    int code;
    int64_t when;
    if (read_exit_file(e, c->id, &code, &when)) {
        c->state = CX_CTR_EXITED;
        c->has_exit = true;
        c->exit_code = code;
        c->finished = when;
        /* the shim's OOM mark, before the exit command records it */
        _cleanup_close_ int run = openat(e->runctrsfd, c->id, O_RDONLY | O_DIRECTORY |
                                         O_CLOEXEC);
        c->oom = c->oom || (run >= 0 && faccessat(run, "oom", F_OK, 0) == 0);
    } else if (c->state == CX_CTR_CREATED && cx_rt_status(e, c) == CX_RUNNING) {
        c->state = CX_CTR_RUNNING;  /* a start killed before it recorded so */
    } else if (!pid_alive(c) && !shim_alive(e, c)) {
        c->state = CX_CTR_EXITED;   /* its monitor died, or the host rebooted */
        c->has_exit = false;
        if (c->finished == 0)
            c->finished = cx_now_ns();
    }
}

/* ---- start ---- */

static int exec_failure_code(const cx_error *err)
{
    if (strstr(err->msg, "exec: \"") == NULL)
        return 125;
    if (strstr(err->msg, "permission denied"))
        return 126;
    if (strstr(err->msg, "not found") || strstr(err->msg, "no such file"))
        return 127;
    return 125;
}

/* A new runtime container under a new shim (an old one's exit written first). */
static int shim_up(struct cx_engine *e, struct cx_ctr *c, const struct cx_run_opts *o,
                   int *pid, int *code, cx_error *err)
{
    _cleanup_close_ int run = cx_engine_run_dir(e, c->id, true, err);
    if (run < 0 || cx_rt_delete(e, c, err) < 0)
        return -1;
    /* a shim left by an interrupted start writes its exit file once the
       runtime's container is gone: let it, before the new run begins */
    int code_ignored;
    int64_t when_ignored;
    for (int i = 0; i < 1000 && shim_alive(e, c) &&
                    !read_exit_file(e, c->id, &code_ignored, &when_ignored); i++)
        sleep_ms(10);
    unlinkat(run, "exit", 0);
    unlinkat(run, "oom", 0);
    struct cx_rt rt;
    cx_rt_of(e, c, &rt);
    struct cx_shim_req req = { .id = c->id, .name = c->name, .rt = &rt, .tty = o->tty,
                               .stdin_open = o->interactive, .log_max = o->log_max_size,
                               .log_path = o->log_path, .log_none = o->log_none };
    CX_FAULT("shim starting");
    if (cx_shim_create(e, &req, pid, err) < 0) {
        *code = exec_failure_code(err);
        return -1;
    }
    return 0;
}

static int start_locked(struct cx_engine *e, struct cx_ctr *c, const struct cx_run_opts *o,
                        cx_before_start_fn before, void *arg, int *code, cx_error *err)
{
    _cleanup_free_ char *rootfs = NULL;
    struct cx_image_rec img = { 0 };
    bool found = false;
    int r = cx_image_lookup(&e->store, c->image_id, &img, &found, err);
    if (r == 0 && !found)
        r = cx_fail(err, ENOENT, "image %.12s of container %s is gone", c->image_id, c->name);
    if (r == 0)
        r = cx_ctr_rootfs_mount(e, c->id, &img, &rootfs, err);
    cx_image_rec_free(&img);
    if (r == 0)
        r = cx_volumes_copy_up(e, c->id, rootfs, err);
    struct cx_net_job *job = NULL;
    if (r == 0)
        r = cx_ctr_net_attach_begin(e, c->id, o, &job, err);
    if (r == 0)
        r = cx_ns_joins_apply(e, c->id, o, err);
    int pid = 0;
    if (r == 0)
        r = shim_up(e, c, o, &pid, code, err);
    /* the plugins' ADD ran meanwhile: done before the process runs */
    if (cx_ctr_net_attach_end(e, job, r == 0 ? err : &(cx_error){ 0 }) < 0 && r == 0) {
        cx_rt_delete(e, c, &(cx_error){ 0 });
        return -1;
    }
    if (r < 0)
        return -1;
    CX_FAULT("runtime container created");
    c->state = CX_CTR_CREATED;
    c->pid = pid;
    c->pid_start = cx_pid_start(pid);
    free(c->boot_id);
    c->boot_id = cx_strdup(cx_boot_id());
    c->has_exit = false;
    c->stopped_by_user = false;
    if (cx_ctr_update(&e->store.db, c, err) < 0 || (before && before(arg, c, err) < 0) ||
        cx_rt_start(e, c, err) < 0) {
        cx_error ignored = { 0 };
        cx_rt_delete(e, c, &ignored);
        return -1;
    }
    CX_FAULT("container started");
    c->state = CX_CTR_RUNNING;
    c->started = cx_now_ns();
    c->finished = 0;
    return cx_ctr_update(&e->store.db, c, err);
}

/* Running already (perhaps a start was killed before recording it): the
 * record is brought up to date; a second start is not an error here. */
static int resume_recorded(struct cx_engine *e, struct cx_ctr *c, cx_error *err)
{
    struct cx_ctr rec;
    bool found = false;
    if (cx_ctr_lookup(&e->store.db, c->id, &rec, &found, err) < 0)
        return -1;
    bool stale = found && rec.state == CX_CTR_CREATED;
    cx_ctr_free(&rec);
    if (!stale)
        return cx_fail(err, EBUSY, "container %s is already running", c->name);
    if (c->started == 0)
        c->started = cx_now_ns();
    return cx_ctr_update(&e->store.db, c, err);
}

static int start_created(struct cx_engine *e, struct cx_ctr *c, cx_error *err)
{
    if (cx_rt_start(e, c, err) < 0)
        return -1;
    c->state = CX_CTR_RUNNING;
    c->started = cx_now_ns();
    c->finished = 0;
    return cx_ctr_update(&e->store.db, c, err);
}

int cx_ctr_start(struct cx_engine *e, struct cx_ctr *c, cx_before_start_fn before,
                 void *arg, int *code, cx_error *err)
{
    *code = 125;
    struct cx_lock lock = { .fd = -1 };
    struct cx_run_opts o;
    _cleanup_(json_decrefp) json_t *oj = json_loads(c->opts, 0, NULL);
    if (!oj || cx_run_opts_from_json(oj, &o, err) < 0)
        return oj ? -1 : cx_fail(err, EINVAL, "container %s: its options do not parse", c->name);
    int r = ctr_lock(e, c->id, &lock, err);
    bool found = false;
    if (r == 0) {   /* re-read under the lock */
        struct cx_ctr now;
        r = cx_ctr_lookup(&e->store.db, c->id, &now, &found, err);
        if (r == 0 && found) {
            cx_ctr_free(c);
            *c = now;
        }
        cx_ctr_sync(e, c);
    }
    if (r == 0 && (c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED))
        r = resume_recorded(e, c, err);
    else if (r == 0 && c->state == CX_CTR_CREATED && pid_alive(c) && !before &&
             cx_rt_status(e, c) == CX_CREATED)
        r = start_created(e, c, err);   /* a start killed after its shim was up */
    else if (r == 0)
        r = start_locked(e, c, &o, before, arg, code, err);
    cx_lock_release(&lock);
    cx_run_opts_free(&o);
    return r;
}

/* ---- signals, stop, wait, pause ---- */

static bool is_live(struct cx_engine *e, struct cx_ctr *c)
{
    cx_ctr_sync(e, c);
    return c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED ||
           c->state == CX_CTR_CREATED;
}

int cx_ctr_kill(struct cx_engine *e, struct cx_ctr *c, int sig, cx_error *err)
{
    if (!is_live(e, c))
        return cx_fail(err, EINVAL, "container %s is not running (%s)", c->name,
                       cx_ctr_state_name(c->state));
    return cx_rt_kill(e, c, sig, false, err);
}

/* Until the pid is gone or the exit file is there, at most timeout_ms. */
static bool wait_gone(struct cx_engine *e, struct cx_ctr *c, int timeout_ms)
{
    _cleanup_(cx_ctr_watch_close) struct cx_ctr_watch w;
    cx_ctr_watch_open(e, c->id, &w);
    int64_t end = cx_now_ns() + (int64_t) timeout_ms * 1000000;
    for (;;) {
        if (!is_live(e, c))
            return true;
        int64_t left = (end - cx_now_ns()) / 1000000;
        if (timeout_ms >= 0 && left <= 0)
            return false;
        cx_ctr_watch_wait(&w, timeout_ms >= 0 && left < 100 ? (int) left : 100);
    }
}

/* The signal config.json records (the flag's, else the image's), else SIGTERM */
static int stop_signal_of(struct cx_engine *e, const struct cx_ctr *c)
{
    _cleanup_free_ char *path = cx_engine_ctr_path(e, c->id, "config.json");
    _cleanup_(json_decrefp) json_t *spec = json_load_file(path, 0, NULL);
    const char *v = json_string_value(json_object_get(json_object_get(spec, "annotations"),
                                                      "org.opencontainers.image.stopSignal"));
    int sig;
    return v && cx_parse_int(v, &sig) == 0 && sig > 0 && sig < 65 ? sig : SIGTERM;
}

static int stop_timeout_of(const struct cx_ctr *c, int timeout)
{
    struct cx_run_opts o;
    cx_error ignored = { 0 };
    _cleanup_(json_decrefp) json_t *oj = json_loads(c->opts, 0, NULL);
    if (timeout < 0 && oj && cx_run_opts_from_json(oj, &o, &ignored) == 0) {
        timeout = o.stop_timeout;
        cx_run_opts_free(&o);
    }
    return timeout < 0 ? 10 : timeout;
}

/* Under the lock, so no exit command restarts it meanwhile: the record
 * re-read, marked stopped by the user, its stop signal sent.  *live: it
 * was running. */
static int stop_begin(struct cx_engine *e, struct cx_ctr *c, int timeout, bool *live,
                      cx_error *err)
{
    struct cx_lock lock = { .fd = -1 };
    if (ctr_lock(e, c->id, &lock, err) < 0)
        return -1;
    struct cx_ctr now;
    bool found = false;
    int r = cx_ctr_lookup(&e->store.db, c->id, &now, &found, err);
    if (r == 0 && found) {
        cx_ctr_free(c);
        *c = now;
    }
    *live = r == 0 && is_live(e, c);
    /* marked even when it is between two runs: the exit command waiting
       for our lock must not restart it */
    if (r == 0) {
        c->stopped_by_user = true;
        r = cx_db_run(&e->store.db, "UPDATE containers SET stopped_by_user = 1 WHERE id = ?",
                      c->id, NULL, err);
    }
    if (r == 0 && *live) {
        cx_error ignored = { 0 };
        if (c->state == CX_CTR_PAUSED)
            cx_rt_pause(e, c, false, &ignored);
        CX_FAULT("stop recorded");
        /* the stop signal to the init only, as podman: it tells the rest */
        cx_rt_kill(e, c, timeout > 0 ? stop_signal_of(e, c) : SIGKILL, timeout == 0, &ignored);
    }
    cx_lock_release(&lock);
    return r;
}

int cx_ctr_stop(struct cx_engine *e, struct cx_ctr *c, int timeout, cx_error *err)
{
    timeout = stop_timeout_of(c, timeout);
    bool live = false;
    if (stop_begin(e, c, timeout, &live, err) < 0)
        return -1;
    if (live && !wait_gone(e, c, timeout * 1000)) {
        cx_error ignored = { 0 };
        cx_rt_kill(e, c, SIGKILL, true, &ignored);
        if (!wait_gone(e, c, 30000))
            return cx_fail(err, ETIMEDOUT, "container %s did not exit 30 s after SIGKILL",
                           c->name);
    }
    return cx_ctr_cleanup(e, c->id, err);
}

int cx_ctr_wait(struct cx_engine *e, const char *id, int timeout_ms, int *code, cx_error *err)
{
    _cleanup_(cx_ctr_watch_close) struct cx_ctr_watch w;
    cx_ctr_watch_open(e, id, &w);
    int64_t end = cx_now_ns() + (int64_t) timeout_ms * 1000000;
    for (;;) {
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, id, &c, &found, err) < 0)
            return -1;
        if (!found)
            return cx_fail(err, ENOENT, "container %.12s was removed", id);
        cx_ctr_sync(e, &c);
        bool done = c.state == CX_CTR_EXITED;
        *code = c.has_exit ? c.exit_code : -1;
        cx_ctr_free(&c);
        if (done)
            return 0;
        int64_t left = (end - cx_now_ns()) / 1000000;
        if (timeout_ms >= 0 && left <= 0)
            return cx_fail(err, ETIMEDOUT, "container %.12s: still running", id);
        cx_ctr_watch_wait(&w, timeout_ms >= 0 && left < 100 ? (int) left : 100);
    }
}

int cx_ctr_pause(struct cx_engine *e, struct cx_ctr *c, bool pause, cx_error *err)
{
    struct cx_lock lock = { .fd = -1 };
    if (ctr_lock(e, c->id, &lock, err) < 0)
        return -1;
    cx_ctr_sync(e, c);
    int r;
    if (c->state != (pause ? CX_CTR_RUNNING : CX_CTR_PAUSED))
        r = cx_fail(err, EINVAL, "container %s is %s, not %s", c->name,
                    cx_ctr_state_name(c->state), pause ? "running" : "paused");
    else if ((r = cx_rt_pause(e, c, pause, err)) == 0) {
        c->state = pause ? CX_CTR_PAUSED : CX_CTR_RUNNING;
        r = cx_ctr_update(&e->store.db, c, err);
    }
    cx_lock_release(&lock);
    return r;
}

/* ---- cleanup and removal ---- */

/* Everything of a stopped container but its record. */
static int teardown(struct cx_engine *e, const struct cx_ctr *c, bool all, cx_error *err)
{
    const char *id = c->id;
    if (cx_rt_delete(e, c, err) < 0)
        return -1;
    CX_FAULT("runtime container deleted");
    /* a plugin that fails its DEL (or is gone) must not keep a container
       from stopping or being removed: said, and the rest goes on (what
       ADD left stays in <runroot>/cni/results, with the pin, for the next
       DEL: engine/net_gc.h) */
    cx_error nerr = { 0 };
    if (cx_net_gc_ctr(e, id, false, &nerr) < 0)
        cx_log_error_as_warning(&nerr);
    if (cx_ctr_rootfs_unmount(e, id, err) < 0)
        return -1;
    CX_FAULT("rootfs unmounted");
    if (all) {
        cx_rm_rf_at(e->runctrsfd, id);
        if (cx_rm_rf_at(e->ctrsfd, id) < 0 && errno != ENOENT)
            return cx_fail_errno(err, "removing %s/containers/%s", e->store.root, id);
    }
    return 0;
}

/* For a foreground `run --rm`, whose container is gone when it looks:
 * <runroot>/exits/<id> holds the code until that reader takes it. */
static void keep_exit_code(struct cx_engine *e, const struct cx_ctr *c)
{
    if (mkdirat(e->store.runrootfd, "exits", 0700) < 0 && errno != EEXIST)
        return;
    _cleanup_close_ int d = openat(e->store.runrootfd, "exits", O_RDONLY | O_DIRECTORY |
                                   O_NOFOLLOW | O_CLOEXEC);
    char text[16];
    snprintf(text, sizeof text, "%d", c->has_exit ? c->exit_code : -1);
    cx_error ignored = { 0 };
    if (d >= 0)
        cx_write_file_atomic_at(d, c->id, text, strlen(text), 0600, &ignored);
}

static bool should_restart(const struct cx_ctr *c, const struct cx_run_opts *o)
{
    if (c->stopped_by_user || o->rm)
        return false;
    switch (o->restart) {
    case CX_RESTART_ALWAYS:
    case CX_RESTART_UNLESS_STOPPED:
        return true;
    case CX_RESTART_ON_FAILURE:
        return (!c->has_exit || c->exit_code != 0) &&
               (o->restart_max == 0 || (unsigned) c->restarts < o->restart_max);
    default:
        return false;
    }
}

static int cleanup_locked(struct cx_engine *e, struct cx_ctr *c, cx_error *err)
{
    cx_ctr_sync(e, c);
    if (c->state != CX_CTR_EXITED)
        return 0;   /* configured, or running again already */
    struct cx_run_opts o;
    _cleanup_(json_decrefp) json_t *oj = json_loads(c->opts, 0, NULL);
    if (!oj || cx_run_opts_from_json(oj, &o, err) < 0)
        return oj ? -1 : cx_fail(err, EINVAL, "container %s: its options do not parse",
                                 c->name);
    _cleanup_close_ int run = openat(e->runctrsfd, c->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    c->oom = run >= 0 && faccessat(run, "oom", F_OK, 0) == 0;
    int r = teardown(e, c, o.rm, err);
    if (r == 0 && o.rm) {
        keep_exit_code(e, c);
        r = cx_volumes_release(e, c->id, true, err);
        if (r == 0)
            r = cx_ctr_delete(&e->store.db, c->id, err);
    } else if (r == 0) {
        c->pid = 0;
        r = cx_ctr_update(&e->store.db, c, err);
        if (r == 0 && should_restart(c, &o)) {
            int code;
            c->restarts++;
            r = start_locked(e, c, &o, NULL, NULL, &code, err);
        }
    }
    cx_run_opts_free(&o);
    return r;
}

int cx_ctr_cleanup(struct cx_engine *e, const char *id, cx_error *err)
{
    struct cx_lock lock = { .fd = -1 };
    if (ctr_lock(e, id, &lock, err) < 0)
        return -1;
    struct cx_ctr c;
    bool found = false;
    int r = cx_ctr_lookup(&e->store.db, id, &c, &found, err);
    if (r == 0 && found) {
        r = cleanup_locked(e, &c, err);
        cx_ctr_free(&c);
    }
    cx_lock_release(&lock);
    return r;
}

int cx_ctr_remove(struct cx_engine *e, const char *what, bool force, bool volumes,
                  cx_error *err)
{
    struct cx_ctr c;
    if (cx_ctr_lookup(&e->store.db, what, &c, NULL, err) < 0)
        return -1;
    int r = 0;
    if (is_live(e, &c)) {
        if (!force)
            r = cx_fail(err, EBUSY, "container %s is %s: stop it first, or remove it with "
                        "-f", c.name, cx_ctr_state_name(c.state));
        else {
            cx_error ignored = { 0 };
            if (c.state == CX_CTR_PAUSED)
                cx_rt_pause(e, &c, false, &ignored);
            cx_rt_kill(e, &c, SIGKILL, true, &ignored);
            wait_gone(e, &c, 10000);
        }
    }
    struct cx_lock lock = { .fd = -1 };
    if (r == 0 && (r = ctr_lock(e, c.id, &lock, err)) == 0) {
        /* the directories before the record: an rm killed in between
           leaves a record that the next `rm -f` finds and finishes */
        r = teardown(e, &c, true, err);
        CX_FAULT("directories removed");
        if (r == 0)
            r = cx_volumes_release(e, c.id, volumes, err);
        if (r == 0)
            r = cx_ctr_delete(&e->store.db, c.id, err);
    }
    cx_lock_release(&lock);
    cx_ctr_free(&c);
    return r;
}
