/* mount_opts.h: config.json mount options -> mount(2) flags and data. */
#ifndef CAPSA_MOUNT_OPTS_H
#define CAPSA_MOUNT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/spec.h"

struct mount_opts {
    unsigned long flags;       /* MS_* for the mount itself */
    unsigned long clear;       /* flags an option explicitly cleared (rw, suid, ...) */
    unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (|MS_REC) */
    bool bind, recursive;
    bool copyup;               /* tmpcopyup: seed a tmpfs with what it covers */
    bool idmap, idmap_recursive; /* idmap / ridmap (bind mounts; see idmap.h) */
    uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* of rro, rnosuid, ...: set recursively */
    char data[4096];           /* filesystem-specific options, comma-joined */
};

/* Parse options; unknown options become filesystem data, as mount(8) does. */
int mount_opts_parse(const char **options, struct mount_opts *out, cx_error *err);
/* A bind mount: type "bind", or a "bind"/"rbind" option. */
bool mount_is_bind(const struct oci_mount *m, const struct mount_opts *o);
/* A bind mount's source as a path (relative sources are relative to the
 * bundle), malloc'd; NULL when it has none. */
char *mount_bind_source(const struct oci_mount *m, const char *bundle);

#endif
