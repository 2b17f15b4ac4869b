/* cgroup.c: making, joining, listing, freezing and removing a container's
 * cgroups (see cgroup.h). */
#include "runtime/cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
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
#include "runtime/cgroup/internal.h"

static void remember_freezer(json_t *cg);
static int read_pids(const char *dir, pid_t **out, size_t *n);

/* A directory that was there before us may be frozen: the init would
 * freeze on entering it and create with it, and neither could be killed
 * until someone thaws it.  Refused (runc's words), before anything enters. */
static int refuse_frozen(const char *dir, const struct cg_hier *h, cx_error *err)
{
    char state[32];
    bool frozen = h->v2 ? cg_read(dir, "cgroup.freeze", state, sizeof state) > 0 &&
                              state[0] == '1'
                        : cg_has_ctrl(h, "freezer") &&
                              cg_read(dir, "freezer.state", state, sizeof state) > 0 &&
                              strncmp(state, "THAWED", 6) != 0;
    return frozen ? cx_fail(err, 0, "container's cgroup unexpectedly frozen (%s)", dir) : 0;
}

/* linux.resources.unified names cgroup v2 files: on a v1 or hybrid host
 * only the controllers the v2 hierarchy holds have them there.  Refused
 * before anything is made, as runc refuses unified on v1. */
static int check_unified(const struct cg_layout *l, const struct oci_resources *r,
                         cx_error *err)
{
    if (r == NULL || r->unified == NULL || l->pure_v2)
        return 0;
    const struct cg_hier *v2 = NULL;
    for (int i = 0; i < l->n; i++)
        if (l->h[i].v2)
            v2 = &l->h[i];
    const char *key;
    json_t *v;
    json_object_foreach(r->unified, key, v) {
        (void) v;
        char ctrl[64];
        size_t len = strcspn(key, ".");
        snprintf(ctrl, sizeof ctrl, "%.*s", (int) len, key);
        if (strcmp(ctrl, "cgroup") != 0 && !(v2 && cg_v2_has(v2->mnt, ctrl)))
            return cx_fail(err, 0, "invalid configuration: linux.resources.unified.%s: "
                           "%s, and the %.*s controller is not on it", key,
                           v2 ? "this host's cgroup v2 hierarchy is beside cgroup v1"
                              : "this host has only cgroup v1", (int) len, key);
    }
    return 0;
}

/* mkdir -p below the hierarchy's mount; a new cpuset cgroup starts empty
 * on v1 and must be given its parent's cpus and mems before use. */
static int make_dirs(const struct cg_hier *h, const char *dir, json_t *parents, cx_error *err)
{
    char path[PATH_MAX];
    size_t m = strlen(h->mnt);
    bool cpuset = !h->v2 && cg_has_ctrl(h, "cpuset");
    for (size_t i = m + 1; ; i++) {
        if (dir[i] != '/' && dir[i] != '\0')
            continue;
        snprintf(path, sizeof path, "%.*s", (int) i, dir);
        if (mkdir(path, 0755) == 0) {
            if (dir[i] != '\0') /* ours to remove at delete, after the leaf */
                json_array_insert_new(parents, 0, json_string(path));
        } else if (errno != EEXIST) {
            return cx_fail_errno(err, "cgroup: mkdir %s", path);
        }
        if (cpuset) {
            char val[256], parent[PATH_MAX];
            snprintf(parent, sizeof parent, "%.*s", (int) (strrchr(path, '/') - path), path);
            for (const char *f = "cpuset.cpus\0cpuset.mems\0"; *f; f += strlen(f) + 1)
                if (cg_read(path, f, val, sizeof val) >= 0 && (val[0] == '\n' || !val[0]) &&
                    cg_read(parent, f, val, sizeof val) > 0 && cg_write(path, f, val, err) < 0)
                    return -1;
        }
        if (dir[i] == '\0')
            return 0;
    }
}

/* The container's directory in h: make it, apply the resources and the
 * device rules; no process in it yet. */
static int configure_one(const struct oci_spec *spec, const char *dir,
                         const struct cg_hier *h, json_t *cg, cx_error *err)
{
    const struct oci_resources *r = spec->linux_ ? spec->linux_->resources : NULL;
    if (make_dirs(h, dir, json_object_get(cg, "parents"), err) < 0 ||
        refuse_frozen(dir, h, err) < 0)
        return -1;
    CX_FAULT("cgroup-made");
    /* from here destroy removes it */
    json_array_append_new(json_object_get(cg, "dirs"), json_string(dir));
    if (h->v2 && cg_v2_enable(h->mnt, dir, err) < 0)
        return -1;
    if (r && (h->v2 ? cg_v2_apply(h, dir, r, err) : cg_v1_apply(h, dir, r, err)) < 0)
        return -1;
    if (!h->v2 && cg_has_ctrl(h, "devices") && cg_v1_devices(dir, r, err) < 0)
        return -1;
    if (h->v2) { /* no devices controller on v2: the rules as an eBPF program */
        size_t n;
        _cleanup_free_ struct oci_device_rule *rules = cg_device_rules(r, &n);
        if (cg_bpf_devices(dir, rules, n, err) < 0)
            return -1;
    }
    CX_FAULT("cgroup-configured");
    return 0;
}

/* ... and move pid in. */
static int enter_one(const struct oci_spec *spec, const char *dir, pid_t pid,
                     const struct cg_hier *h, json_t *cg, cx_error *err)
{
    if (configure_one(spec, dir, h, cg, err) < 0)
        return -1;
    return cg_writef(dir, "cgroup.procs", err, "%d", (int) pid);
}

/* systemd driver: the scope first (systemd makes its directories and
 * moves pid), then every hierarchy as with cgroupfs, at the scope's path. */
static int enter_systemd(const struct oci_spec *spec, const char *id, pid_t pid,
                         const struct cg_layout *l, json_t *cg, cx_error *err)
{
    struct cg_sd_unit u;
    const struct oci_linux *lin = spec->linux_;
    if (cg_systemd_unit(lin ? lin->cgroups_path : NULL, id, &u, err) < 0)
        return cx_error_prefix(err, "config.json");
    if (cg_systemd_start(&u, id, lin ? lin->resources : NULL, pid, l->pure_v2, err) < 0)
        return -1;
    json_object_set_new(cg, "systemd", json_string(u.unit)); /* delete stops it */
    for (int i = 0; i < l->n; i++) {
        char dir[PATH_MAX];
        if ((size_t) snprintf(dir, sizeof dir, "%s%s", l->h[i].mnt, u.path) >= sizeof dir)
            return cx_fail(err, 0, "cgroup: %s%s: too long", l->h[i].mnt, u.path);
        if (enter_one(spec, dir, pid, &l->h[i], cg, err) < 0)
            return -1;
    }
    remember_freezer(cg);
    return 0;
}

int cgroup_enter(const struct oci_spec *spec, const char *id, pid_t pid, bool systemd,
                 json_t **dirs, cx_error *err)
{
    struct cg_layout l;
    *dirs = json_pack("{s:[],s:[]}", "dirs", "parents");
    if (cg_layout_detect(&l, err) < 0)
        return -1;
    if (systemd)
        return enter_systemd(spec, id, pid, &l, *dirs, err);
    for (int i = 0; i < l.n; i++) {
        char dir[PATH_MAX];
        if (cg_container_path(spec, id, &l.h[i], dir, sizeof dir, err) < 0 ||
            enter_one(spec, dir, pid, &l.h[i], *dirs, err) < 0)
            return -1;
    }
    return 0;
}

/* Writing a pid to cgroup.procs moves a whole thread group under the
 * global cgroup_threadgroup_rwsem, whose write side waits for an RCU grace
 * period: 3-20 ms on a v1 host, every time.  A single-threaded process
 * moving itself can write "0" to a v1 hierarchy's `tasks` instead, which
 * the kernel does without that lock (it moves only the calling thread,
 * which is the whole process here). */
static int self_to_tasks(int fd, const char *what, cx_error *err)
{
    ssize_t n;
    do
        n = write(fd, "0", 1);
    while (n < 0 && errno == EINTR);
    return n < 0 ? cx_fail_errno(err, "cgroup: write \"0\" to %s/tasks", what) : 0;
}

int cgroup_join(json_t *cg, pid_t pid, cx_error *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(cg, "dirs"), i, d) {
        const char *dir = json_string_value(d);
        if (pid == getpid()) { /* exec's child: single-threaded, moving itself */
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/tasks", dir);
            _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0) {
                if (self_to_tasks(fd, dir, err) < 0)
                    return -1;
                continue;
            }
            /* no tasks file: v2 */
        }
        if (cg_writef(dir, "cgroup.procs", err, "%d", (int) pid) < 0)
            return -1;
    }
    return 0;
}

/* Every directory the container will have, and each missing ancestor
 * (a parent to make), before anything is made: recorded first, so that a
 * create killed between two mkdirs leaves nothing delete cannot find
 * (destroy takes a directory that is not there as removed). */
static int plan(const struct oci_spec *spec, const char *id, const struct cg_layout *l,
                json_t *cg, cx_error *err)
{
    for (int i = 0; i < l->n; i++) {
        char dir[PATH_MAX];
        if (cg_container_path(spec, id, &l->h[i], dir, sizeof dir, err) < 0)
            return -1;
        json_array_append_new(json_object_get(cg, "planned"), json_string(dir));
        for (char *slash = strrchr(dir, '/'); slash && (size_t) (slash - dir) >
             strlen(l->h[i].mnt); slash = strrchr(dir, '/')) {
            *slash = '\0';
            if (access(dir, F_OK) == 0)
                break;
            json_array_append_new(json_object_get(cg, "parents"), json_string(dir));
        }
    }
    return 0;
}

/* Open dir/file for writing "0" later (cgroup_enter_self) and add it to e;
 * -1 with errno.  cgroup_prepare adds one per hierarchy of the layout. */
_Static_assert(CGROUP_MAX_HIER >= CG_MAX, "a cgroup_entry holds every hierarchy");

static int entry_add(struct cgroup_entry *e, const char *dir, const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    e->tasks[e->n_tasks] = fd;
    snprintf(e->tasks_dir[e->n_tasks++], sizeof e->tasks_dir[0], "%s", dir);
    return 0;
}

/* Processes already in the container's cgroup would share its limits and
 * be killed with it: said, in runc's words, so the operator sees it. */
static void warn_not_empty(const char *dir)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (dir && read_pids(dir, &pids, &n) == 0 && n > 0)
        cx_warn("container's cgroup is not empty: %zu process(es) found in %s", n, dir);
}

int cgroup_prepare(const struct oci_spec *spec, const char *id, json_t **dirs,
                   int (*record)(void *ctx, cx_error *err), void *ctx,
                   struct cgroup_entry *e, cx_error *err)
{
    struct cg_layout l;
    *dirs = json_pack("{s:[],s:[],s:[]}", "dirs", "parents", "planned");
    if (cg_layout_detect(&l, err) < 0 ||
        check_unified(&l, spec->linux_ ? spec->linux_->resources : NULL, err) < 0 ||
        plan(spec, id, &l, *dirs, err) < 0)
        return -1;
    /* the plan is the record until the directories exist; it names one
     * directory per hierarchy, in the layout's order */
    json_t *planned = json_object_get(*dirs, "planned");
    json_object_set(*dirs, "dirs", planned);
    if (record(ctx, err) < 0)
        return -1;
    json_object_set_new(*dirs, "dirs", json_array());
    json_object_set_new(*dirs, "parents", json_array());
    for (int i = 0; i < l.n; i++) {
        const char *dir = json_string_value(json_array_get(planned, (size_t) i));
        if (configure_one(spec, dir, &l.h[i], *dirs, err) < 0)
            return -1;
        if (l.h[i].v2) {
            e->v2fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (e->v2fd < 0)
                return cx_fail_errno(err, "cgroup: open %s", dir);
            snprintf(e->v2dir, sizeof e->v2dir, "%s", dir);
            continue;
        }
        if (entry_add(e, dir, "tasks") < 0)
            return cx_fail_errno(err, "cgroup: open %s/tasks", dir);
    }
    warn_not_empty(json_string_value(json_array_get(planned, 0)));
    json_object_del(*dirs, "planned");
    remember_freezer(*dirs);
    return 0;
}

int cgroup_enter_self(struct cgroup_entry *e, cx_error *err)
{
    for (int i = 0; i < e->n_tasks; i++)
        if (self_to_tasks(e->tasks[i], e->tasks_dir[i], err) < 0)
            return -1;
    return 0;
}

int cgroup_entry_open(json_t *dirs, struct cgroup_entry *e, cx_error *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(dirs, "dirs"), i, d) {
        const char *dir = json_string_value(d);
        if (e->n_tasks == CGROUP_MAX_HIER) /* cgroups.json is read back from disk */
            return cx_fail(err, 0, "cgroup: more than %d hierarchies", CGROUP_MAX_HIER);
        if (entry_add(e, dir, "tasks") < 0 && entry_add(e, dir, "cgroup.procs") < 0) /* v2 */
            return cx_fail_errno(err, "cgroup: open %s/cgroup.procs", dir);
    }
    return 0;
}

int cgroup_enter_v2(struct cgroup_entry *e, pid_t pid, cx_error *err)
{
    if (e->v2fd < 0)
        return 0;
    return cg_writef(e->v2dir, "cgroup.procs", err, "%d", (int) pid);
}

void cgroup_entry_close(struct cgroup_entry *e)
{
    for (int i = 0; i < e->n_tasks; i++)
        e->tasks[i] = cx_close(e->tasks[i]);
    e->n_tasks = 0;
    e->v2fd = cx_close(e->v2fd);
}

static void append_pids(FILE *f, pid_t **out, size_t *n, size_t *cap)
{
    char line[32];
    while (fgets(line, sizeof line, f)) {
        int64_t v;
        line[strcspn(line, "\n")] = '\0';
        if (cx_parse_i64(line, &v) < 0)
            continue;
        if (*n == *cap)
            *out = cx_realloc(*out, (*cap *= 2) * sizeof **out);
        (*out)[(*n)++] = (pid_t) v;
    }
}

/* The processes of dir and, to depth levels, of the cgroups below it (a
 * container may make sub-cgroups and move processes there). */
static int collect_pids(const char *dir, int depth, pid_t **out, size_t *n, size_t *cap)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    append_pids(f, out, n, cap);
    _cleanup_closedir_ DIR *d = depth > 0 ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
            (size_t) snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < sizeof path)
            collect_pids(path, depth - 1, out, n, cap);
    return 0;
}

#define CG_MAX_DEPTH 32

static int read_pids_depth(const char *dir, int depth, pid_t **out, size_t *n)
{
    size_t cap = 16;
    *n = 0;
    *out = cx_calloc(cap, sizeof **out);
    return collect_pids(dir, depth, out, n, &cap);
}

/* dir's own processes */
static int read_pids(const char *dir, pid_t **out, size_t *n)
{
    return read_pids_depth(dir, 0, out, n);
}

int cgroup_pids(json_t *cg, pid_t **pids, size_t *n, cx_error *err)
{
    json_t *dirs = json_object_get(cg, "dirs");
    *pids = NULL;
    *n = 0;
    if (json_array_size(dirs) == 0)
        return 1;
    /* every hierarchy holds every process: the first that reads will do */
    size_t i;
    json_t *d;
    json_array_foreach(dirs, i, d) {
        free(*pids);
        if (read_pids_depth(json_string_value(d), CG_MAX_DEPTH, pids, n) == 0)
            return 0;
    }
    free(*pids);
    *pids = NULL;
    return cx_fail_errno(err, "cgroup: read the container's processes");
}

/* v1 freezer.state, v2 cgroup.freeze: the first directory that has one,
 * found once at create and kept in cgroups.json ("freezer"), so that
 * `list` and `state` of many containers look up no files for it */
static const char *scan_freezer(json_t *cg, bool *v2)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(cg, "dirs"), i, d) {
        const char *dir = json_string_value(d);
        if (cg_exists(dir, "freezer.state")) {
            *v2 = false;
            return dir;
        }
        if (cg_exists(dir, "cgroup.freeze")) {
            *v2 = true;
            return dir;
        }
    }
    return NULL;
}

static const char *freezer_dir(json_t *cg, bool *v2)
{
    json_t *f = json_object_get(cg, "freezer");
    if (json_is_string(f)) {
        *v2 = json_is_true(json_object_get(cg, "freezerV2"));
        return json_string_value(f);
    }
    return scan_freezer(cg, v2);
}

static void remember_freezer(json_t *cg)
{
    bool v2 = false;
    const char *dir = scan_freezer(cg, &v2);
    if (dir) {
        json_object_set_new(cg, "freezer", json_string(dir));
        json_object_set_new(cg, "freezerV2", json_boolean(v2));
    }
}

bool cgroup_is_frozen(json_t *dirs)
{
    bool v2;
    char buf[64];
    const char *dir = freezer_dir(dirs, &v2);
    if (dir == NULL)
        return false;
    if (v2)
        return cg_read(dir, "cgroup.events", buf, sizeof buf) > 0 && strstr(buf, "frozen 1");
    return cg_read(dir, "freezer.state", buf, sizeof buf) > 0 && strncmp(buf, "FROZEN", 6) == 0;
}

int cgroup_freeze(json_t *dirs, bool freeze, cx_error *err)
{
    bool v2;
    const char *dir = freezer_dir(dirs, &v2);
    if (dir == NULL)
        return cx_fail(err, 0, "the container has no freezer cgroup");
    if ((v2 ? cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", err)
            : cg_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED", err)) < 0)
        return -1;
    for (int i = 0; i < 2000; i++) { /* FREEZING settles within a few ms */
        if (cgroup_is_frozen(dirs) == freeze)
            return 0;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return cx_fail(err, ETIMEDOUT, "cgroup: %s did not %s", dir, freeze ? "freeze" : "thaw");
}

/* SIGKILL to every process in dir: cgroup.kill where there is one (v2),
 * else each pid listed (v1) */
static void kill_all(const char *dir)
{
    if (cg_exists(dir, "cgroup.kill")) {
        cx_error ignore = { 0 };
        cg_write(dir, "cgroup.kill", "1", &ignore);
        return;
    }
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (read_pids_depth(dir, CG_MAX_DEPTH, &pids, &n) == 0)
        for (size_t i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
}

static int remove_dir(const char *dir);

/* The sub-cgroups the container made below dir, deepest first. */
static void remove_children(const char *dir, int depth)
{
    _cleanup_closedir_ DIR *d = depth > 0 ? opendir(dir) : NULL;
    struct dirent *de;
    char path[PATH_MAX];
    while (d && (de = readdir(d)) != NULL)
        if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
            (size_t) snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < sizeof path) {
            remove_children(path, depth - 1);
            remove_dir(path);
        }
}

/* rmdir, killing what is left and retrying while the kernel lets the
 * last tasks go; sub-cgroups first */
static int remove_dir(const char *dir)
{
    long wait_ns = 100000; /* 0.1 ms, doubling to 20 ms: about 1 s in all */
    for (int attempt = 0; attempt < 60; attempt++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -1;
        kill_all(dir);
        struct timespec ts = { 0, wait_ns };
        nanosleep(&ts, NULL);
        wait_ns = wait_ns * 2 > 20000000 ? 20000000 : wait_ns * 2;
    }
    return -1;
}

/* A parent we made: removed once empty.  A child cgroup just removed may
 * keep it busy a moment (memory offlining); a child of another container
 * keeps it for good, and then it stays. */
static int remove_parent(const char *dir)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return 0;
        char buf[16];
        bool children = false;
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL)
            children |= de->d_type == DT_DIR && de->d_name[0] != '.';
        if (children || cg_read(dir, "cgroup.procs", buf, sizeof buf) > 0)
            return 0; /* shared with another container */
        struct timespec ts = { 0, 200000 };
        nanosleep(&ts, NULL);
    }
    return -1;
}

int cgroup_destroy(json_t *cg, cx_error *err)
{
    size_t i;
    json_t *d;
    int rc = 0;
    /* thaw first: frozen tasks cannot die */
    if (cgroup_is_frozen(cg)) {
        cx_error ignore = { 0 };
        cgroup_freeze(cg, false, &ignore);
    }
    const char *unit = json_string_value(json_object_get(cg, "systemd"));
    if (unit) { /* nothing left running, then the scope stopped: systemd
                 * removes its directories, we remove the rest */
        json_array_foreach(json_object_get(cg, "dirs"), i, d)
            kill_all(json_string_value(d));
        if (cg_systemd_stop(unit, err) < 0)
            rc = -1;
    }
    /* sub-cgroups first (each remove_dir kills what is left in it) */
    json_array_foreach(json_object_get(cg, "dirs"), i, d) {
        remove_children(json_string_value(d), CG_MAX_DEPTH);
        if (remove_dir(json_string_value(d)) < 0 && rc == 0)
            rc = cx_fail_errno(err, "cgroup: remove %s", json_string_value(d));
    }
    /* the parents we made, deepest first; one another container shares
     * is not empty and stays */
    json_array_foreach(json_object_get(cg, "parents"), i, d)
        if (remove_parent(json_string_value(d)) < 0 && rc == 0)
            rc = cx_fail_errno(err, "cgroup: remove %s", json_string_value(d));
    return rc;
}

/* memory.checkBeforeUpdate: a limit below what the container uses now is
 * refused rather than left to the OOM killer. */
static int check_memory(const char *dir, const struct oci_resources *r, cx_error *err)
{
    char buf[32];
    const struct oci_mem *m = &r->memory;
    if (!r->has_memory || !m->has_check_before_update || !m->check_before_update ||
        !m->has_limit || m->limit < 0)
        return 0;
    if (cg_read(dir, "memory.current", buf, sizeof buf) <= 0 &&
        cg_read(dir, "memory.usage_in_bytes", buf, sizeof buf) <= 0)
        return 0;
    long long usage = atoll(buf);
    if (m->limit < usage)
        return cx_fail(err, 0, "linux.resources.memory.limit: %lld is below the container's "
                       "current usage of %lld bytes (checkBeforeUpdate)", (long long) m->limit,
                       usage);
    return 0;
}

static int update_one(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                      const struct oci_spec *devs, cx_error *err)
{
    const struct oci_linux *l = devs ? devs->linux_ : NULL;
    const struct oci_resources *dr = l ? l->resources : NULL;
    if ((h->v2 || cg_has_ctrl(h, "memory")) && check_memory(dir, r, err) < 0)
        return -1;
    if ((h->v2 ? cg_v2_apply(h, dir, r, err) : cg_v1_apply(h, dir, r, err)) < 0)
        return -1;
    if (devs == NULL)
        return 0;
    if (!h->v2)
        return cg_has_ctrl(h, "devices") ? cg_v1_devices_update(dir, dr, err) : 0;
    size_t n;
    _cleanup_free_ struct oci_device_rule *rules = cg_device_rules(dr, &n);
    return cg_bpf_devices(dir, rules, n, err);
}

int cgroup_update(json_t *cg, const struct oci_resources *r, const struct oci_spec *devs,
                  cx_error *err)
{
    struct cg_layout l;
    size_t i;
    json_t *d;
    if (json_array_size(json_object_get(cg, "dirs")) == 0)
        return cx_fail(err, 0, "the container has no cgroup to update");
    if (cg_layout_detect(&l, err) < 0)
        return -1;
    const char *unit = json_string_value(json_object_get(cg, "systemd"));
    if (unit && cg_systemd_update(unit, r, l.pure_v2, err) < 0)
        return -1;
    json_array_foreach(json_object_get(cg, "dirs"), i, d) {
        const char *dir = json_string_value(d);
        for (int k = 0; k < l.n; k++) {
            size_t m = strlen(l.h[k].mnt);
            if (strncmp(dir, l.h[k].mnt, m) != 0 || (dir[m] != '/' && dir[m] != '\0'))
                continue;
            if (update_one(&l.h[k], dir, r, devs, err) < 0)
                return -1;
            break;
        }
    }
    return 0;
}
