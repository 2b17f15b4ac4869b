/* resources.h: linux.resources, parsed and validated (applied by
 * runtime/cgroup).  Optional scalars carry a has_ flag. */
#ifndef CAPSA_OCI_RESOURCES_H
#define CAPSA_OCI_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/jdec.h"
#include "oci/spec.h"

struct oci_mem {
    int64_t limit, reservation, swap, kernel, kernel_tcp;
    uint64_t swappiness;
    bool disable_oom_killer, use_hierarchy, check_before_update;
    bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp,
        has_swappiness, has_disable_oom_killer, has_use_hierarchy,
        has_check_before_update;
};

struct oci_cpu {
    uint64_t shares, period, burst, realtime_period;
    int64_t quota, realtime_runtime, idle;
    const char *cpus, *mems;
    bool has_shares, has_period, has_burst, has_realtime_period, has_quota,
        has_realtime_runtime, has_idle;
};

struct oci_weight_device {
    int64_t major, minor;
    uint32_t weight, leaf_weight;
    bool has_weight, has_leaf_weight;
};

struct oci_throttle_device {
    int64_t major, minor;
    uint64_t rate;
};

struct oci_blkio {
    uint32_t weight, leaf_weight;
    bool has_weight, has_leaf_weight;
    struct oci_weight_device *weight_device;
    size_t n_weight_device;
    struct oci_throttle_device *throttle[4]; /* read bps, write bps, read iops, write iops */
    size_t n_throttle[4];
};

struct oci_hugepage {
    const char *page_size;
    uint64_t limit;
};

struct oci_resources {
    struct oci_device_rule *devices;
    size_t n_devices;
    struct oci_mem memory;
    bool has_memory;
    struct oci_cpu cpu;
    bool has_cpu;
    int64_t pids_limit;
    bool has_pids_limit;
    struct oci_blkio blkio;
    bool has_blkio;
    struct oci_hugepage *hugepages;
    size_t n_hugepages;
    uint32_t net_class_id;
    bool has_net_class_id;
    json_t *net_priorities;  /* validated array of {name, priority} */
    json_t *rdma;            /* validated object of {hcaHandles, hcaObjects} */
    json_t *unified;         /* validated object of strings */
};

int oci_resources_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst);

#endif
