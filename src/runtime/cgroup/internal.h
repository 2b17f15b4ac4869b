/* internal.h: shared by the files of src/runtime/cgroup/. */
#ifndef CAPSA_CGROUP_INTERNAL_H
#define CAPSA_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/resources.h"
#include "oci/spec.h"

#define CG_MAX 16

struct cg_hier {
    char mnt[PATH_MAX];      /* where it is mounted */
    char root[PATH_MAX];     /* the cgroup it shows at mnt (mountinfo's root) */
    char ctrls[256];         /* "cpu,cpuacct", "name=systemd"; "" for v2 */
    char own[PATH_MAX];      /* our own cgroup in it (/proc/self/cgroup) */
    bool v2;
};

struct cg_layout {
    struct cg_hier h[CG_MAX];
    int n;
    bool pure_v2;
};

/* layout.c */
int cg_layout_detect(struct cg_layout *l, cx_error *err);
bool cg_has_ctrl(const struct cg_hier *h, const char *ctrl);

/* path.c: the container's path in hierarchy h (absolute in it). */
int cg_container_path(const struct oci_spec *spec, const char *id, const struct cg_hier *h,
                      char *out, size_t len, cx_error *err);

/* systemd.c: the systemd driver's unit for a cgroupsPath "slice:prefix:name" */
struct cg_sd_unit {
    char slice[256];      /* "system.slice" */
    char unit[600];       /* "capsa-ID.scope" */
    char path[PATH_MAX];  /* "/system.slice/capsa-ID.scope", from a hierarchy's root */
};
int cg_systemd_unit(const char *cgroups_path, const char *id, struct cg_sd_unit *u,
                    cx_error *err);
int cg_cpuset_mask(const char *list, uint8_t *mask, size_t cap, size_t *len);
/* The scope, with pid in it and the resources as unit properties, checked
 * in /proc/PID/cgroup; properties again at update; stopped at delete. */
int cg_systemd_start(const struct cg_sd_unit *u, const char *id,
                     const struct oci_resources *r, pid_t pid, bool v2, cx_error *err);
int cg_systemd_update(const char *unit, const struct oci_resources *r, bool v2, cx_error *err);
int cg_systemd_stop(const char *unit, cx_error *err);

/* files.c: write/read a cgroup file, naming it in errors */
int cg_write(const char *dir, const char *file, const char *value, cx_error *err);
int cg_writef(const char *dir, const char *file, cx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cg_read(const char *dir, const char *file, char *buf, size_t len);
bool cg_exists(const char *dir, const char *file);

/* devices.c: the device rules in force, in order: linux.resources.devices,
 * then what every container gets, then linux.devices (malloc'd); written
 * to a v1 devices directory at create, or changed in place at update */
/* "rwm" as the kernel's device access bits (those of the eBPF program's
 * context: BPF_DEVCG_ACC_MKNOD 1, _READ 2, _WRITE 4) */
enum { ACC_M = 1, ACC_R = 2, ACC_W = 4 };
int cg_access_bits(const char *access);
struct oci_device_rule *cg_device_rules(const struct oci_resources *r, size_t *n);
int cg_v1_devices(const char *dir, const struct oci_resources *r,
                  cx_error *err);
int cg_v1_devices_update(const char *dir, const struct oci_resources *r,
                         cx_error *err);
/* devices_bpf.c: the same rules as an eBPF program on a v2 directory; an
 * earlier program of ours there is replaced in one step */
int cg_bpf_devices(const char *dir, const struct oci_device_rule *rules, size_t n,
                   cx_error *err);
/* v1.c / v2.c: linux.resources for one hierarchy's directory */
/* v2.c: v1 values on v2's scales, as runc and crun convert them */
uint64_t cg_v2_cpu_weight(uint64_t shares);
uint64_t cg_v2_io_weight(uint64_t weight);
/* v2: turn on in every ancestor's subtree_control what it offers */
int cg_v2_enable(const char *mnt, const char *dir, cx_error *err);
/* Is ctrl available in dir (its cgroup.controllers)? */
bool cg_v2_has(const char *dir, const char *ctrl);
int cg_v1_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err);
int cg_v2_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err);

#endif
