/* internal.h: shared by the files of src/runtime/cgroup/. */
#ifndef CAPSA_CGROUP_INTERNAL_H
#define CAPSA_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>

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

/* files.c: write/read a cgroup file, naming it in errors */
int cg_write(const char *dir, const char *file, const char *value, cx_error *err);
int cg_writef(const char *dir, const char *file, cx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cg_read(const char *dir, const char *file, char *buf, size_t len);
bool cg_exists(const char *dir, const char *file);

/* devices.c: the device rules in force, in order: linux.resources.devices,
 * then what every container gets, then linux.devices (malloc'd); written
 * to a v1 devices directory at create, or changed in place at update */
struct oci_device_rule *cg_device_rules(const struct oci_resources *r,
                                        const struct oci_linux *l, size_t *n);
int cg_v1_devices(const char *dir, const struct oci_resources *r,
                  const struct oci_linux *l, cx_error *err);
int cg_v1_devices_update(const char *dir, const struct oci_resources *r,
                         const struct oci_linux *l, cx_error *err);
/* devices_bpf.c: the same rules as an eBPF program on a v2 directory; an
 * earlier program of ours there is replaced in one step */
int cg_bpf_devices(const char *dir, const struct oci_device_rule *rules, size_t n,
                   cx_error *err);
/* v1.c / v2.c: linux.resources for one hierarchy's directory */
/* v2: turn on in every ancestor's subtree_control what it offers */
int cg_v2_enable(const char *mnt, const char *dir, cx_error *err);
int cg_v1_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err);
int cg_v2_apply(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
                cx_error *err);

#endif
