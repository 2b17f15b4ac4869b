/* engine.h: the container engine over the image store (capsactl, and
 * capsad later).  Layout, beside the store's (store.h):
 *
 *   <root>/containers/<id>/config.json  the bundle capsa runs
 *   <root>/containers/<id>/upper, work  the container's overlay layer
 *   <root>/containers/<id>/ctr.log      its k8s-file log (capsa-shim's), unless
 *                                       --log-opt path= puts it elsewhere
 *   <root>/containers/<id>/hostname, hosts, resolv.conf
 *   <root>/volumes/<name>/_data         named and anonymous volumes
 *   <runroot>/containers/<id>/rootfs    the merged root while it runs
 *   <runroot>/containers/<id>/shim.pid, pid, exit  the shim's files
 *   <runroot>/runtime                   capsa's --root for engine containers
 *   <runroot>/runtimes/<name>           another runtime's --root (runc, crun)
 *   <root>/locks/ctr-<id>               one flock per container
 *
 * The engine runs `capsa-shim` (conmon's command line) which runs
 * `capsa --root <runroot>/runtime create`; start, kill, pause and delete
 * go through libcapsa's runtime directly, on that same root.  A container
 * may run under another OCI runtime instead (--runtime): the shim runs it,
 * and so does every later step (ctr_runtime.h). */
#ifndef CAPSA_ENGINE_ENGINE_H
#define CAPSA_ENGINE_ENGINE_H

#include <stdbool.h>

#include "common/error.h"
#include "store/store.h"

/* The default store (--root) and run-time state (--runroot) of capsactl
 * and capsad: the same, so that each sees what the other made. */
#define CX_ENGINE_ROOT "/var/lib/capsa"
#define CX_ENGINE_RUNROOT "/run/capsa-engine"

struct cx_engine {
    struct cx_store store;
    char *runtime_root;            /* <runroot>/runtime */
    char *runtime, *shim, *init;   /* capsa, capsa-shim, capsa-init */
    char *self;                    /* capsactl, for the shim's exit command */
    const char *default_runtime;   /* for new containers without --runtime (capsactl's
                                    * global --runtime); NULL: capsa */
    char *root_opts[5];            /* "--root", R, "--runroot", RR, NULL */
    int ctrsfd, runctrsfd;         /* <root>/containers, <runroot>/containers */
    bool systemd_cgroup;           /* the runtime's systemd cgroup driver (capsad may
                                    * set it after open); false: cgroupfs */
};

/* Open the store and the engine's directories.  Helper binaries are found
 * beside capsactl, else on PATH; CAPSACTL_RUNTIME, CAPSACTL_SHIM and
 * CAPSACTL_INIT override them. */
int cx_engine_open(struct cx_engine *e, const char *root, const char *runroot,
                   cx_error *err);
void cx_engine_close(struct cx_engine *e);

/* The config of image img, parsed (free with cx_image_config_free). */
struct cx_image_rec;
struct cx_image_config;
int cx_engine_image_config(struct cx_engine *e, const struct cx_image_rec *img,
                           struct cx_image_config *cfg, cx_error *err);

/* A helper program: $ENV when set, else NAME beside /proc/self/exe, else
 * the first NAME on PATH, else NAME itself (for exec to report). */
char *cx_find_helper(const char *env, const char *name);

/* Directories of one container (made when missing). */
int cx_engine_ctr_dir(struct cx_engine *e, const char *id, bool create, cx_error *err);
int cx_engine_run_dir(struct cx_engine *e, const char *id, bool create, cx_error *err);
char *cx_engine_ctr_path(struct cx_engine *e, const char *id, const char *name);
char *cx_engine_run_path(struct cx_engine *e, const char *id, const char *name);
/* The container's k8s-file log: --log-opt path= as its record (opts, the
 * run options' JSON) keeps it, else <root>/containers/<id>/ctr.log; NULL
 * with --log-driver none (no log is kept). */
char *cx_engine_log_path(struct cx_engine *e, const char *id, const char *opts);

/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable. */
const char *cx_boot_id(void);
/* A process's start time in clock ticks (/proc/PID/stat field 22), 0 if gone
 * or a zombie. */
unsigned long long cx_pid_start(int pid);

#endif
