/* options.h: capsa-shim's command line, which is conmon's (2.1.x) as
 * podman 4.3 passes it.  Parsing is pure: no files are touched. */
#ifndef CAPSA_SHIM_OPTIONS_H
#define CAPSA_SHIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

enum shim_log_driver { SHIM_LOG_NONE, SHIM_LOG_K8S, SHIM_LOG_JOURNALD,
                       SHIM_LOG_PASSTHROUGH };

struct shim_opts {
    char *cid, *cuuid, *name, *runtime, *bundle;
    char *container_pidfile, *conmon_pidfile;
    char *log_path;                 /* k8s-file path, or NULL */
    bool log_journald, log_passthrough;
    char *log_level, *log_tag;
    int64_t log_size_max, log_global_size_max;  /* -1: unlimited */
    char *exit_dir, *exit_command;
    char **exit_args, **runtime_args, **runtime_opts;  /* NULL-terminated */
    int exit_delay, timeout, api_version;
    char *socket_dir, *persist_dir, *exec_process_spec, *restore_path;
    char *sdnotify_socket;
    bool terminal, stdin_open, leave_stdin_open, no_pivot, no_new_keyring;
    bool replace_listen_pid, exec, exec_attach, full_attach, sync, syslog;
    bool systemd_cgroup, no_sync_log, version, help;
};

/* Parse argv into o (zeroed first).  Unknown options, a missing value,
 * stray arguments and inconsistent combinations fail with one line. */
int shim_opts_parse(int argc, char **argv, struct shim_opts *o, cx_error *err);

/* Apply defaults that need the process (cwd for the bundle and the pid
 * file); separate from parsing so that parsing stays pure. */
int shim_opts_finish(struct shim_opts *o, cx_error *err);

void shim_opts_free(struct shim_opts *o);

void shim_opts_usage(void);

#endif
