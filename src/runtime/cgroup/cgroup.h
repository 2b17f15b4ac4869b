/* cgroup.h: the container's cgroups.
 *
 * Layout (layout.c): every hierarchy mounted on this host, found at run
 * time from /proc/self/mountinfo: v1 hierarchies (one per controller set,
 * "name=systemd" included), and the v2 hierarchy (pure v2 at /sys/fs/cgroup,
 * or hybrid's /sys/fs/cgroup/unified holding what the v1 side does not).
 * The container gets the same path in each (cgroupsPath, path.c); each
 * controller is driven where it lives (v1.c, v2.c).
 *
 * The resolved directories ({"dirs": [...], "parents": [...]}: the
 * container's own and the parents made for it) are kept in cgroups.json in
 * the container's directory, written as soon as they exist, so delete
 * (--force even of a create killed half way), ps, kill --all and pause
 * find them whatever cgroup the runtime itself runs in then.
 *
 *   cgroup_prepare()  create.c (cgroupfs driver), before clone3: the
 *                     directories made and configured, empty; the init
 *                     then enters its v1 cgroups itself (cgroup_enter_self,
 *                     before anything else) and clone3's CLONE_INTO_CGROUP
 *                     puts it in the v2 one (cgroup_enter_v2 after the
 *                     clone when the kernel refuses that)
 *   cgroup_enter()    create.c, systemd driver, in the parent, right after
 *                     clone3 and before the init is told to go on, so the
 *                     init cannot fork outside its cgroup
 *   cgroup_join()     exec, for the new process before it enters the container
 *   cgroup_destroy()  delete (and a failed create), after the processes
 */
#ifndef CAPSA_CGROUP_H
#define CAPSA_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "oci/spec.h"

/* Make the cgroups, apply linux.resources, move pid in.  *dirs gets the
 * directories (see above; owned by the caller, set even on failure).
 * systemd: the systemd driver (systemd.c): a transient scope unit, named
 * in *dirs as "systemd", made through systemd over D-Bus. */
int cgroup_enter(const struct oci_spec *spec, const char *id, pid_t pid, bool systemd,
                 json_t **dirs, cx_error *err);
/* pid == getpid() (exec's single-threaded child): v1 joined through
 * `tasks`, without the global lock (see cgroup.c) */
int cgroup_join(json_t *dirs, pid_t pid, cx_error *err);
/* exec --cgroup: the directories an exec'd process joins (as cgroup_join
 * takes them), each of the container's or a sub-cgroup of it named by one
 * of subs ("SUB" for every hierarchy, "CTRL[,CTRL]:SUB" for the v1 ones
 * holding CTRL, or the one tree on pure v2; the last that applies wins).
 * A sub-cgroup must exist and lie below the container's own: "..", an
 * absolute path and symlinks are refused.  *out is the caller's. */
int cgroup_exec_dirs(json_t *cg, const char *const *subs, size_t n, json_t **out,
                     cx_error *err);

#define CGROUP_MAX_HIER 16
struct cgroup_entry {
    int tasks[CGROUP_MAX_HIER];    /* each v1 hierarchy's `tasks`, O_WRONLY */
    char tasks_dir[CGROUP_MAX_HIER][256];   /* for errors */
    int n_tasks;
    int v2fd;                      /* the v2 directory, or -1 */
    char v2dir[4096];
};
#define CGROUP_ENTRY_INIT { .n_tasks = 0, .v2fd = -1 }
/* The entry of dirs (as cgroup_join takes them) opened for a process that
 * will move itself later, from another mount namespace (exec into a
 * paused container): v1 `tasks`, v2 `cgroup.procs`, both taking "0" for
 * the writer; cgroup_enter_self does the move. */
int cgroup_entry_open(json_t *dirs, struct cgroup_entry *e, cx_error *err);
/* record(ctx) is called once *dirs names every directory that may be made
 * (the caller writes cgroups.json), before the first mkdir. */
int cgroup_prepare(const struct oci_spec *spec, const char *id, json_t **dirs,
                   int (*record)(void *ctx, cx_error *err), void *ctx,
                   struct cgroup_entry *e, cx_error *err);
int cgroup_enter_self(struct cgroup_entry *e, cx_error *err);
int cgroup_enter_v2(struct cgroup_entry *e, pid_t pid, cx_error *err);
void cgroup_entry_close(struct cgroup_entry *e);
/* Kill what is left, remove the directories (with retries); reports a
 * directory it could not remove. */
int cgroup_destroy(json_t *dirs, cx_error *err);
/* The cgroup directories of process pid, read from /proc/PID/cgroup (as
 * cgroup_stats and cgroup_pids take them): for a container another
 * runtime made, which keeps no cgroups.json of ours.  layout.c */
int cgroup_dirs_of(pid_t pid, json_t **dirs, cx_error *err);
/* The container's pids; returns 1 (and *n = 0) when it has no cgroup. */
int cgroup_pids(json_t *dirs, pid_t **pids, size_t *n, cx_error *err);
/* Apply resources to a running container's cgroups (`update`); with
 * devices (the merged config), its device rules are replaced too. */
struct oci_resources;
int cgroup_update(json_t *cg, const struct oci_resources *r, const struct oci_spec *devices,
                  cx_error *err);
/* runc's `events --stats` data: cpu, memory, pids (stats.c) */
json_t *cgroup_stats(json_t *cg);
/* How many processes the OOM killer took in the container so far. */
int cgroup_oom_count(json_t *cg);
/* Freeze or thaw, waiting for the state to settle. */
int cgroup_freeze(json_t *dirs, bool freeze, cx_error *err);
bool cgroup_is_frozen(json_t *dirs);

/* mount.c: a `cgroup` mount of config.json on a v1 (or hybrid) host: a
 * tmpfs holding each v1 hierarchy, either bound from the container's own
 * cgroup directory (read-only, as runc lays it out) or, with a cgroup
 * namespace, mounted afresh (the kernel then shows the namespace's root). */
int cgroup_mount_v1(int rootfd, const char *dest, unsigned long flags, bool cgroupns,
                    cx_error *err);

#endif
