/* cmd.h: the `capsa` front end: global options and one function per
 * command.  Commands parse their flags, call libcapsa, and return the exit
 * code; errors are printed once, by main(). */
#ifndef CAPSA_CMD_H
#define CAPSA_CMD_H

#include <stdbool.h>

#include "common/error.h"

struct capsa_global {
    const char *root;
    const char *log;
    const char *log_format;
    bool debug, systemd_cgroup;
};

/* Each returns an exit code; on failure it fills err and returns -1. */
typedef int (*capsa_cmd_fn)(const struct capsa_global *g, int argc, char **argv,
                            cx_error *err);

int cmd_spec(const struct capsa_global *, int, char **, cx_error *);
int cmd_create(const struct capsa_global *, int, char **, cx_error *);
int cmd_run(const struct capsa_global *, int, char **, cx_error *);
int cmd_start(const struct capsa_global *, int, char **, cx_error *);
int cmd_pause(const struct capsa_global *, int, char **, cx_error *);
int cmd_update(const struct capsa_global *, int, char **, cx_error *);
int cmd_events(const struct capsa_global *, int, char **, cx_error *);
int cmd_state(const struct capsa_global *, int, char **, cx_error *);
int cmd_list(const struct capsa_global *, int, char **, cx_error *);
int cmd_kill(const struct capsa_global *, int, char **, cx_error *);
int cmd_delete(const struct capsa_global *, int, char **, cx_error *);
int cmd_exec(const struct capsa_global *, int, char **, cx_error *);
int cmd_ps(const struct capsa_global *, int, char **, cx_error *);
int cmd_features(const struct capsa_global *, int, char **, cx_error *);
int cmd_unsupported(const struct capsa_global *, int, char **, cx_error *);

/* Exactly n positional arguments left after the flags, or a usage error. */
int cmd_need_args(int argc, int n, const char *usage, cx_error *err);
/* Print a JSON value to stdout (indent 2 or compact), no trailing newline
 * when runc prints none. */
int cmd_print_json(void *json, bool indent, bool newline);
/* Signal from "KILL", "SIGKILL", "kill", "9". */
int cmd_parse_signal(const char *s, cx_error *err);

#endif
