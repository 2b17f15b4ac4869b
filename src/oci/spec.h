/* spec.h: the OCI runtime configuration (config.json) as C structs.
 *
 * oci_spec_load() parses and validates a bundle's config.json; every error
 * names the JSON path of the offending value.  Strings point into the
 * parsed document held by the spec; oci_spec_free() releases everything.
 */
#ifndef CAPSA_OCI_SPEC_H
#define CAPSA_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/jdec.h"

struct oci_user {
    uint32_t uid, gid;
    uint32_t umask;
    bool has_umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    const char *username;
};

struct oci_rlimit {
    const char *type;
    int resource;        /* RLIMIT_* */
    uint64_t hard, soft;
};

struct oci_caps {
    const char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct oci_process {
    bool terminal;
    uint32_t console_height, console_width;
    struct oci_user user;
    const char **args;
    const char *command_line;
    const char **env;
    const char *cwd;
    struct oci_caps caps;
    bool has_caps;
    struct oci_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    const char *apparmor_profile;
    int64_t oom_score_adj;
    bool has_oom_score_adj;
    const char *selinux_label;
    json_t *scheduler, *io_priority, *exec_cpu_affinity; /* 2/4 */
};

struct oci_idmap;

struct oci_mount {
    const char *destination;
    const char *type;
    const char *source;
    const char **options;
    struct oci_idmap *uid_mappings, *gid_mappings;  /* for idmap / ridmap */
    size_t n_uid_mappings, n_gid_mappings;
};

struct oci_namespace {
    int type;            /* CLONE_NEW* */
    const char *name;    /* "pid", "network", ... */
    const char *path;    /* NULL: create a new one */
};

struct oci_idmap {
    uint32_t container_id, host_id, size;
};

struct oci_device_rule {   /* linux.resources.devices[] */
    bool allow;
    char type;             /* 'a', 'c', 'b' */
    int64_t major, minor;  /* -1 is the wildcard */
    const char *access;
};

struct oci_device {        /* linux.devices[] */
    const char *path;
    char type;             /* 'c', 'b', 'u', 'p' */
    int64_t major, minor;
    uint32_t file_mode, uid, gid;
    bool has_file_mode, has_uid, has_gid;
};

struct oci_hook {
    const char *path;
    const char **args, **env;
    int64_t timeout;
    bool has_timeout;
};

struct oci_hooks {
    struct oci_hook *prestart, *create_runtime, *create_container,
        *start_container, *poststart, *poststop;
    size_t n_prestart, n_create_runtime, n_create_container,
        n_start_container, n_poststart, n_poststop;
};

struct oci_resources;      /* oci/resources.h; applied by runtime/cgroup */
struct oci_seccomp;        /* oci/seccomp.h */

struct oci_linux {
    struct oci_namespace *namespaces;
    size_t n_namespaces;
    struct oci_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct oci_device *devices;
    size_t n_devices;
    struct oci_resources *resources;
    const char *cgroups_path;
    const char *rootfs_propagation;
    const char **masked_paths, **readonly_paths;
    const char *mount_label;
    struct oci_seccomp *seccomp;
    json_t *sysctl, *personality, *time_offsets, *intel_rdt;
    json_t *memory_policy, *net_devices;   /* recognized, not supported */
};

struct oci_spec {
    const char *oci_version;
    struct oci_process *process;
    const char *root_path;
    bool root_readonly;
    const char *hostname, *domainname;
    struct oci_mount *mounts;
    size_t n_mounts;
    struct oci_hooks hooks;
    json_t *annotations;       /* object of strings, validated */
    struct oci_linux *linux_;

    json_t *doc;               /* owns every string above */
    struct jd_pool pool;
};

/* Parse config.json from a bundle directory fd (or AT_FDCWD + path). */
int oci_spec_load(int dirfd, const char *path, struct oci_spec **out,
                  cx_error *err);
/* Parse from a string (used by tests and `exec --process`). */
int oci_spec_parse(const char *text, const char *doc_name,
                   struct oci_spec **out, cx_error *err);
void oci_spec_free(struct oci_spec *spec);
static inline void oci_spec_freep(struct oci_spec **s)
{
    if (*s) oci_spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(oci_spec_freep)))

/* Decode a standalone process object (exec --process). */
int oci_process_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       struct oci_process *out);

const char *oci_namespace_name(int type);
int oci_idmap_decode(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst);

/* Look up a namespace of the given CLONE_NEW* type, or NULL. */
const struct oci_namespace *oci_spec_namespace(const struct oci_spec *s, int type);
/* The value of NAME in a KEY=VALUE vector, or NULL. */
const char *oci_env_get(const char **env, const char *name);

#endif
