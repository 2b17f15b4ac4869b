/* resources.c: decoding and validation of linux.resources. */
#include "oci/resources.h"

#include <stddef.h>
#include <string.h>

#include "common/log.h"

#define F JD_F
#define FH(st, key, kind, member) \
    { #key, kind, offsetof(st, member), offsetof(st, has_##member), false, 0, 0, NULL }
#define FR(st, key, member, lo, hi) \
    { key, JD_I64, offsetof(st, member), offsetof(st, has_##member), false, lo, hi, NULL }

static int decode_devmajmin(struct jd_ctx *c, json_t *v, const struct jpath *p,
                            int64_t *major, int64_t *minor, bool required)
{
    struct jd_field fields[] = {
        { "major", JD_I64, 0, JD_NOHAS, required, -1, INT32_MAX, NULL },
        JD_END,
    };
    if (jd_fields(c, v, p, fields, major) < 0)
        return -1;
    fields[0].key = "minor";
    return jd_fields(c, v, p, fields, minor);
}

/* r, w and m as the kernel takes them; other letters are dropped with a
 * warning, as runc ignores them ("rwa" is "rw"); none of the three is an
 * error */
static int canonical_access(struct jd_ctx *c, const struct jpath *p, const char **access)
{
    static const char *const forms[8] = { "", "r", "w", "rw", "m", "rm", "wm", "rwm" };
    const char *a = *access;
    int bits = 0;
    for (const char *s = a; *s; s++)
        bits |= *s == 'r' ? 1 : *s == 'w' ? 2 : *s == 'm' ? 4 : 0;
    if (bits == 0)
        return jd_fail(c, p, "\"%s\" has none of r, w and m", a);
    if (strspn(a, "rwm") != strlen(a)) {
        char where[256];
        jpath_format(p, where, sizeof where);
        cx_warn("%s: %s: ignoring the letters of \"%s\" other than r, w and m", c->doc,
                where, a);
    }
    *access = forms[bits];
    return 0;
}

static int decode_device_rule(struct jd_ctx *c, json_t *v,
                              const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_device_rule, "allow", JD_BOOL, allow, true),
        F(struct oci_device_rule, "access", JD_STR, access, false),
        JD_END,
    };
    struct oci_device_rule *r = dst;
    const char *type = "a";
    r->major = r->minor = -1;
    if (jd_fields(c, v, p, fields, r) < 0 ||
        decode_devmajmin(c, v, p, &r->major, &r->minor, false) < 0)
        return -1;
    json_t *t = json_object_get(v, "type");
    struct jpath tp = { p, "type", 0 }, ap = { p, "access", 0 };
    if (t && !json_is_null(t) && jd_string_value(c, t, &tp, &type) < 0)
        return -1;
    if (strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
        return jd_fail(c, &tp, "unknown device type \"%s\" (a, c or b)", type);
    r->type = type[0];
    if (r->access == NULL || r->access[0] == '\0')
        r->access = "rwm";
    return canonical_access(c, &ap, &r->access);
}

static int decode_memory(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst)
{
    static const struct jd_field fields[] = {
        FR(struct oci_mem, "limit", limit, -1, INT64_MAX),
        FR(struct oci_mem, "reservation", reservation, -1, INT64_MAX),
        FR(struct oci_mem, "swap", swap, -1, INT64_MAX),
        FR(struct oci_mem, "kernel", kernel, -1, INT64_MAX),
        FR(struct oci_mem, "kernelTCP", kernel_tcp, -1, INT64_MAX),
        FH(struct oci_mem, swappiness, JD_U64, swappiness),
        { "disableOOMKiller", JD_BOOL, offsetof(struct oci_mem, disable_oom_killer),
          offsetof(struct oci_mem, has_disable_oom_killer), false, 0, 0, NULL },
        { "useHierarchy", JD_BOOL, offsetof(struct oci_mem, use_hierarchy),
          offsetof(struct oci_mem, has_use_hierarchy), false, 0, 0, NULL },
        { "checkBeforeUpdate", JD_BOOL, offsetof(struct oci_mem, check_before_update),
          offsetof(struct oci_mem, has_check_before_update), false, 0, 0, NULL },
        JD_END,
    };
    struct oci_mem *m = dst;
    if (jd_fields(c, v, p, fields, m) < 0)
        return -1;
    if (m->has_swappiness && m->swappiness > 100) {
        struct jpath sp = { p, "swappiness", 0 };
        return jd_fail(c, &sp, "%llu is out of range [0, 100]",
                       (unsigned long long) m->swappiness);
    }
    return 0;
}

static int check_cpuset(struct jd_ctx *c, const struct jpath *p, const char *s)
{
    if (s && strspn(s, "0123456789,- ") != strlen(s))
        return jd_fail(c, p, "\"%s\" is not a list of numbers and ranges", s);
    return 0;
}

static int decode_cpu(struct jd_ctx *c, json_t *v, const struct jpath *p,
                      void *dst)
{
    static const struct jd_field fields[] = {
        FH(struct oci_cpu, shares, JD_U64, shares),
        FH(struct oci_cpu, period, JD_U64, period),
        FH(struct oci_cpu, burst, JD_U64, burst),
        FH(struct oci_cpu, realtimePeriod, JD_U64, realtime_period),
        FR(struct oci_cpu, "quota", quota, INT64_MIN, INT64_MAX),
        FR(struct oci_cpu, "realtimeRuntime", realtime_runtime, INT64_MIN, INT64_MAX),
        FR(struct oci_cpu, "idle", idle, 0, 1),
        F(struct oci_cpu, "cpus", JD_STR, cpus, false),
        F(struct oci_cpu, "mems", JD_STR, mems, false),
        JD_END,
    };
    struct oci_cpu *cpu = dst;
    struct jpath cp = { p, "cpus", 0 }, mp = { p, "mems", 0 };
    if (jd_fields(c, v, p, fields, cpu) < 0 ||
        check_cpuset(c, &cp, cpu->cpus) < 0 || check_cpuset(c, &mp, cpu->mems) < 0)
        return -1;
    return 0;
}

static int decode_pids(struct jd_ctx *c, json_t *v, const struct jpath *p,
                       void *dst)
{
    struct jd_field fields[] = {
        { "limit", JD_I64, 0, sizeof(int64_t), false, -1, INT64_MAX, NULL },
        JD_END,
    };
    /* dst points at pids_limit, immediately followed by has_pids_limit */
    fields[0].has_off = offsetof(struct oci_resources, has_pids_limit) -
                        offsetof(struct oci_resources, pids_limit);
    return jd_fields(c, v, p, fields, dst);
}

/* blkio weights: 10..1000, or 0 for "not set" as runc reads it */
static bool bad_weight(bool has, uint32_t w)
{
    return has && w != 0 && (w < 10 || w > 1000);
}

static int decode_weight_device(struct jd_ctx *c, json_t *v,
                                const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        { "weight", JD_U32, offsetof(struct oci_weight_device, weight),
          offsetof(struct oci_weight_device, has_weight), false, 0, 0, NULL },
        { "leafWeight", JD_U32, offsetof(struct oci_weight_device, leaf_weight),
          offsetof(struct oci_weight_device, has_leaf_weight), false, 0, 0, NULL },
        JD_END,
    };
    struct oci_weight_device *d = dst;
    if (decode_devmajmin(c, v, p, &d->major, &d->minor, true) < 0 ||
        jd_fields(c, v, p, fields, d) < 0)
        return -1;
    if (bad_weight(d->has_weight, d->weight) || bad_weight(d->has_leaf_weight, d->leaf_weight))
        return jd_fail(c, p, "weight is out of range [10, 1000] (0: unset)");
    return 0;
}

static int decode_throttle_device(struct jd_ctx *c, json_t *v,
                                  const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_throttle_device, "rate", JD_U64, rate, true),
        JD_END,
    };
    struct oci_throttle_device *d = dst;
    if (decode_devmajmin(c, v, p, &d->major, &d->minor, true) < 0)
        return -1;
    return jd_fields(c, v, p, fields, d);
}

static int decode_blkio(struct jd_ctx *c, json_t *v, const struct jpath *p,
                        void *dst)
{
    static const char *throttles[4] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice",
        "throttleReadIOPSDevice", "throttleWriteIOPSDevice",
    };
    static const struct jd_field fields[] = {
        { "weight", JD_U32, offsetof(struct oci_blkio, weight),
          offsetof(struct oci_blkio, has_weight), false, 0, 0, NULL },
        { "leafWeight", JD_U32, offsetof(struct oci_blkio, leaf_weight),
          offsetof(struct oci_blkio, has_leaf_weight), false, 0, 0, NULL },
        JD_END,
    };
    struct oci_blkio *b = dst;
    if (jd_fields(c, v, p, fields, b) < 0)
        return -1;
    if (bad_weight(b->has_weight, b->weight) || bad_weight(b->has_leaf_weight, b->leaf_weight))
        return jd_fail(c, p, "weight is out of range [10, 1000] (0: unset)");
    json_t *wd = json_object_get(v, "weightDevice");
    struct jpath wp = { p, "weightDevice", 0 };
    if (wd && !json_is_null(wd) &&
        jd_array_of(c, wd, &wp, sizeof(struct oci_weight_device),
                    (void **) &b->weight_device, &b->n_weight_device,
                    decode_weight_device) < 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        json_t *t = json_object_get(v, throttles[i]);
        struct jpath tp = { p, throttles[i], 0 };
        if (t && !json_is_null(t) &&
            jd_array_of(c, t, &tp, sizeof(struct oci_throttle_device),
                        (void **) &b->throttle[i], &b->n_throttle[i],
                        decode_throttle_device) < 0)
            return -1;
    }
    return 0;
}

static int decode_hugepage(struct jd_ctx *c, json_t *v, const struct jpath *p,
                           void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_hugepage, "pageSize", JD_STR, page_size, true),
        F(struct oci_hugepage, "limit", JD_U64, limit, true),
        JD_END,
    };
    return jd_fields(c, v, p, fields, dst);
}

static int check_network(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         struct oci_resources *r)
{
    static const struct jd_field fields[] = {
        { "classID", JD_U32, offsetof(struct oci_resources, net_class_id),
          offsetof(struct oci_resources, has_net_class_id), false, 0, 0, NULL },
        JD_END,
    };
    struct { const char *name; uint32_t prio; } prio;
    static const struct jd_field pfields[] = {
        { "name", JD_STR, 0, JD_NOHAS, true, 0, 0, NULL },
        { "priority", JD_U32, sizeof(const char *), JD_NOHAS, true, 0, 0, NULL },
        JD_END,
    };
    if (jd_fields(c, v, p, fields, r) < 0)
        return -1;
    json_t *list = json_object_get(v, "priorities");
    struct jpath lp = { p, "priorities", 0 };
    if (list == NULL || json_is_null(list))
        return 0;
    if (jd_expect_array(c, list, &lp) < 0)
        return -1;
    for (size_t i = 0; i < json_array_size(list); i++) {
        struct jpath ep = { &lp, NULL, i };
        if (jd_fields(c, json_array_get(list, i), &ep, pfields, &prio) < 0)
            return -1;
    }
    r->net_priorities = list;
    return 0;
}

static int check_rdma(struct jd_ctx *c, json_t *v, const struct jpath *p)
{
    const char *dev;
    json_t *lim;
    static const struct jd_field fields[] = {
        { "hcaHandles", JD_U32, 0, JD_NOHAS, false, 0, 0, NULL },
        { "hcaObjects", JD_U32, sizeof(uint32_t), JD_NOHAS, false, 0, 0, NULL },
        JD_END,
    };
    uint32_t vals[2];
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    json_object_foreach(v, dev, lim) {
        struct jpath dp = { p, dev, 0 };
        if (jd_fields(c, lim, &dp, fields, vals) < 0)
            return -1;
    }
    return 0;
}

static int check_unified(struct jd_ctx *c, json_t *v, const struct jpath *p)
{
    const char *key;
    json_t *val;
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    json_object_foreach(v, key, val) {
        struct jpath kp = { p, key, 0 };
        const char *s;
        if (jd_string_value(c, val, &kp, &s) < 0)
            return -1;
        if (strchr(key, '/') || key[0] == '.' || key[0] == '\0')
            return jd_fail(c, &kp, "not a cgroup interface file name");
    }
    return 0;
}

static json_t *member(json_t *v, const char *key, const struct jpath *p,
                      struct jpath *kp)
{
    json_t *x = json_object_get(v, key);
    *kp = (struct jpath){ p, key, 0 };
    return x && !json_is_null(x) ? x : NULL;
}

int oci_resources_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst)
{
    struct oci_resources *r = jd_alloc(c->pool, 1, sizeof *r);
    struct jpath kp;
    json_t *x;

    *(struct oci_resources **) dst = r;
    if (jd_expect_object(c, v, p) < 0)
        return -1;
    if ((x = member(v, "devices", p, &kp)) &&
        jd_array_of(c, x, &kp, sizeof(struct oci_device_rule),
                    (void **) &r->devices, &r->n_devices, decode_device_rule) < 0)
        return -1;
    if ((x = member(v, "memory", p, &kp))) {
        r->has_memory = true;
        if (decode_memory(c, x, &kp, &r->memory) < 0)
            return -1;
    }
    if ((x = member(v, "cpu", p, &kp))) {
        r->has_cpu = true;
        if (decode_cpu(c, x, &kp, &r->cpu) < 0)
            return -1;
    }
    if ((x = member(v, "pids", p, &kp)) && decode_pids(c, x, &kp, &r->pids_limit) < 0)
        return -1;
    if ((x = member(v, "blockIO", p, &kp))) {
        r->has_blkio = true;
        if (decode_blkio(c, x, &kp, &r->blkio) < 0)
            return -1;
    }
    if ((x = member(v, "hugepageLimits", p, &kp)) &&
        jd_array_of(c, x, &kp, sizeof(struct oci_hugepage),
                    (void **) &r->hugepages, &r->n_hugepages, decode_hugepage) < 0)
        return -1;
    if ((x = member(v, "network", p, &kp)) && check_network(c, x, &kp, r) < 0)
        return -1;
    if ((x = member(v, "rdma", p, &kp)) && (r->rdma = x, check_rdma(c, x, &kp) < 0))
        return -1;
    if ((x = member(v, "unified", p, &kp)) && (r->unified = x, check_unified(c, x, &kp) < 0))
        return -1;
    return 0;
}
