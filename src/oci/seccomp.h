/* seccomp.h: linux.seccomp of config.json, decoded and validated.
 *
 * Every name (action, architecture, operator, flag) is checked against
 * what this build can honour, and every error names its JSON path:
 *   config.json: linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"
 * Syscall names are kept as strings: one this libseccomp does not know is
 * skipped when the filter is compiled (runtime/seccomp_compile.c), as runc
 * does.  Counts are bounded, so a hostile profile cannot make the compile
 * run for minutes.  The tables are shared with `capsa features`.
 */
#ifndef CAPSA_OCI_SECCOMP_H
#define CAPSA_OCI_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/jdec.h"

/* Bounds on a profile (podman's default profile uses 35 entries, ~400 names). */
#define OCI_SECCOMP_MAX_SYSCALLS 4096   /* syscalls[] entries */
#define OCI_SECCOMP_MAX_NAMES 16384     /* names over all entries */
#define OCI_SECCOMP_MAX_ARGS 16         /* args[] of one entry */

struct oci_seccomp_arg {
    uint32_t index;          /* 0..5 */
    uint64_t value, value_two;
    int op;                  /* enum scmp_compare */
};

struct oci_seccomp_rule {
    const char **names;      /* NULL-terminated, at least one */
    size_t n_names;
    uint32_t action;         /* libseccomp action, errno folded in */
    struct oci_seccomp_arg *args;
    size_t n_args;
};

struct oci_seccomp {
    uint32_t default_action; /* libseccomp action, errno folded in */
    uint32_t *arches;        /* SCMP_ARCH_* tokens */
    size_t n_arches;
    uint32_t flags;          /* SECCOMP_FILTER_FLAG_* asked for */
    const char *listener_path, *listener_metadata;
    struct oci_seccomp_rule *rules;
    size_t n_rules;
    bool uses_notify;        /* some action is SCMP_ACT_NOTIFY */
    json_t *json;            /* the object as written (cache key) */
};

/* A jd_custom_fn: v is linux.seccomp; dst is a struct oci_seccomp **. */
int oci_seccomp_decode(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst);

/* The names this build accepts, NULL-terminated (for `capsa features`). */
const char *const *oci_seccomp_action_names(void);
const char *const *oci_seccomp_operator_names(void);
const char *const *oci_seccomp_arch_names(void);
const char *const *oci_seccomp_flag_names(void);
/* "SCMP_ACT_ERRNO" for a libseccomp action value (errno ignored). */
const char *oci_seccomp_action_name(uint32_t action);

#endif
