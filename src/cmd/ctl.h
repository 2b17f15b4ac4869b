/* ctl.h: the `capsactl` front end: global options and one function per
 * command (podman's names and flags).  Commands parse their flags, call
 * libcapsa-image, and return the exit code; errors are printed once, by
 * main(). */
#ifndef CAPSA_CTL_H
#define CAPSA_CTL_H

#include <stdbool.h>

#include "common/error.h"

struct ctl_global {
    const char *root;             /* persistent store: /var/lib/capsa */
    const char *runroot;          /* volatile: /run/capsa-engine */
    const char *registries_conf;  /* NULL: /etc/containers/registries.conf */
    bool debug;
};

typedef int (*ctl_cmd_fn)(const struct ctl_global *g, int argc, char **argv,
                          cx_error *err);

int ctl_version(const struct ctl_global *, int, char **, cx_error *);

#endif
