/* spec_linux.c: decoding and validation of config.json's "linux" object. */
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/resources.h"
#include "oci/seccomp.h"
#include "oci/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define F JD_F

static const struct { const char *name; int type; } ns_names[] = {
    { "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET },
    { "mount", CLONE_NEWNS }, { "ipc", CLONE_NEWIPC },
    { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
    { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

const char *oci_namespace_name(int type)
{
    for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
        if (ns_names[i].type == type)
            return ns_names[i].name;
    return "unknown";
}

static int decode_namespace(struct jd_ctx *c, json_t *v, const struct jpath *p,
                            void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_namespace, "type", JD_STR, name, true),
        F(struct oci_namespace, "path", JD_STR, path, false),
        JD_END,
    };
    struct oci_namespace *ns = dst;
    struct jpath tp = { p, "type", 0 }, pp = { p, "path", 0 };
    if (jd_fields(c, v, p, fields, ns) < 0)
        return -1;
    for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
        if (strcmp(ns_names[i].name, ns->name) == 0)
            ns->type = ns_names[i].type;
    if (ns->type == 0)
        return jd_fail(c, &tp, "unknown namespace \"%s\"", ns->name);
    if (ns->path && ns->path[0] == '\0')
        ns->path = NULL; /* "" means "create a new one", as runc reads it */
    if (ns->path && ns->path[0] != '/')
        return jd_fail(c, &pp, "\"%s\" must be an absolute path", ns->path);
    return 0;
}

int oci_idmap_decode(struct jd_ctx *c, json_t *v, const struct jpath *p, void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_idmap, "containerID", JD_U32, container_id, true),
        F(struct oci_idmap, "hostID", JD_U32, host_id, true),
        F(struct oci_idmap, "size", JD_U32, size, true),
        JD_END,
    };
    struct oci_idmap *m = dst;
    if (jd_fields(c, v, p, fields, m) < 0)
        return -1;
    if (m->size == 0)
        return jd_fail(c, p, "size must not be 0");
    if ((uint64_t) m->container_id + m->size > UINT32_MAX ||
        (uint64_t) m->host_id + m->size > UINT32_MAX)
        return jd_fail(c, p, "range overflows 32-bit ids");
    return 0;
}

static int decode_device(struct jd_ctx *c, json_t *v, const struct jpath *p,
                         void *dst)
{
    static const struct jd_field fields[] = {
        F(struct oci_device, "path", JD_STR, path, true),
        { "major", JD_I64, offsetof(struct oci_device, major), JD_NOHAS, false,
          0, 0xfff, NULL },
        { "minor", JD_I64, offsetof(struct oci_device, minor), JD_NOHAS, false,
          0, 0xfffff, NULL },
        { "fileMode", JD_U32, offsetof(struct oci_device, file_mode),
          offsetof(struct oci_device, has_file_mode), false, 0, 0, NULL },
        { "uid", JD_U32, offsetof(struct oci_device, uid),
          offsetof(struct oci_device, has_uid), false, 0, 0, NULL },
        { "gid", JD_U32, offsetof(struct oci_device, gid),
          offsetof(struct oci_device, has_gid), false, 0, 0, NULL },
        JD_END,
    };
    struct oci_device *d = dst;
    const char *type;
    struct jpath tp = { p, "type", 0 }, pp = { p, "path", 0 };
    json_t *t = json_object_get(v, "type");
    if (jd_fields(c, v, p, fields, d) < 0)
        return -1;
    if (t == NULL)
        return jd_fail(c, &tp, "required but missing");
    if (jd_string_value(c, t, &tp, &type) < 0)
        return -1;
    if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
        return jd_fail(c, &tp, "unknown device type \"%s\" (c, b, u or p)", type);
    d->type = type[0];
    if (d->type != 'p' && (!json_object_get(v, "major") || !json_object_get(v, "minor")))
        return jd_fail(c, p, "major and minor are required for type %c", d->type);
    if (strncmp(d->path, "/dev/", 5) != 0 || d->path[5] == '\0' ||
        d->path[strlen(d->path) - 1] == '/' || strstr(d->path, "/..") ||
        strstr(d->path, "//"))
        return jd_fail(c, &pp, "\"%s\" must be a file path below /dev", d->path);
    /* engines (podman) send the host node's whole st_mode: the type bits
     * are accepted when they agree with "type", then dropped */
    mode_t ftype = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t given = d->file_mode & ~07777u;
    if (d->has_file_mode && given != 0 && given != ftype)
        return jd_fail(c, p, "fileMode %u does not describe a device of type %c",
                       d->file_mode, d->type);
    d->file_mode &= 07777u;
    return 0;
}

static int check_namespaces(struct jd_ctx *c, const struct jpath *p,
                            const struct oci_linux *l)
{
    struct jpath np = { p, "namespaces", 0 };
    int seen = 0;
    for (size_t i = 0; i < l->n_namespaces; i++) {
        struct jpath ep = { &np, NULL, i };
        if (seen & l->namespaces[i].type)
            return jd_fail(c, &ep, "duplicate namespace \"%s\"",
                           l->namespaces[i].name);
        seen |= l->namespaces[i].type;
    }
    if ((l->n_uid_mappings > 0) != (l->n_gid_mappings > 0))
        return jd_fail(c, p, "uidMappings and gidMappings must be given together");
    if (l->n_uid_mappings > 0 && !(seen & CLONE_NEWUSER))
        return jd_fail(c, p, "uidMappings need a user namespace");
    return 0;
}

static int check_paths(struct jd_ctx *c, const struct jpath *p, const char *key,
                       const char **paths)
{
    struct jpath kp = { p, key, 0 };
    for (size_t i = 0; paths && paths[i]; i++) {
        struct jpath ep = { &kp, NULL, i };
        if (paths[i][0] != '/')
            return jd_fail(c, &ep, "\"%s\" must be an absolute path", paths[i]);
    }
    return 0;
}

static int check_sysctl(struct jd_ctx *c, json_t *v, const struct jpath *p)
{
    const char *key;
    json_t *val;
    const char *s;
    json_object_foreach(v, key, val) {
        struct jpath kp = { p, key, 0 };
        if (jd_string_value(c, val, &kp, &s) < 0)
            return -1;
    }
    return 0;
}

static int check_time_offsets(struct jd_ctx *c, const struct jpath *p,
                              const struct oci_linux *l)
{
    struct jpath tp = { p, "timeOffsets", 0 };
    const char *clock;
    json_t *v;
    bool has_time = false;
    for (size_t i = 0; i < l->n_namespaces; i++)
        has_time |= l->namespaces[i].type == CLONE_NEWTIME && l->namespaces[i].path == NULL;
    if (l->time_offsets && json_object_size(l->time_offsets) && !has_time)
        return jd_fail(c, &tp, "needs a new time namespace");
    json_object_foreach(l->time_offsets, clock, v) {
        struct jpath cp = { &tp, clock, 0 };
        static const struct jd_field fields[] = {
            { "secs", JD_I64, 0, JD_NOHAS, false, 0, 0, NULL },
            { "nanosecs", JD_I64, sizeof(int64_t), JD_NOHAS, false, 0, 999999999, NULL },
            JD_END,
        };
        int64_t vals[2];
        if (strcmp(clock, "monotonic") != 0 && strcmp(clock, "boottime") != 0)
            return jd_fail(c, &cp, "unknown clock (monotonic or boottime)");
        if (jd_fields(c, v, &cp, fields, vals) < 0)
            return -1;
    }
    return 0;
}

static int check_propagation(struct jd_ctx *c, const struct jpath *p,
                             const char *v)
{
    static const char *ok[] = { "private", "rprivate", "slave", "rslave",
                                "shared", "rshared", "unbindable", "runbindable" };
    struct jpath pp = { p, "rootfsPropagation", 0 };
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(ok[i], v) == 0)
            return 0;
    return jd_fail(c, &pp, "unknown propagation \"%s\"", v);
}

static const struct {
    const char *key;
    size_t off, n_off, size;
    int (*each)(struct jd_ctx *, json_t *, const struct jpath *, void *);
} arrays[] = {
    { "namespaces", offsetof(struct oci_linux, namespaces),
      offsetof(struct oci_linux, n_namespaces), sizeof(struct oci_namespace),
      decode_namespace },
    { "uidMappings", offsetof(struct oci_linux, uid_mappings),
      offsetof(struct oci_linux, n_uid_mappings), sizeof(struct oci_idmap),
      oci_idmap_decode },
    { "gidMappings", offsetof(struct oci_linux, gid_mappings),
      offsetof(struct oci_linux, n_gid_mappings), sizeof(struct oci_idmap),
      oci_idmap_decode },
    { "devices", offsetof(struct oci_linux, devices),
      offsetof(struct oci_linux, n_devices), sizeof(struct oci_device),
      decode_device },
};

int oci_linux_decode(struct jd_ctx *c, json_t *v, const struct jpath *p,
                     void *dst)
{
    static const struct jd_field fields[] = {
        { "resources", JD_CUSTOM, offsetof(struct oci_linux, resources),
          JD_NOHAS, false, 0, 0, oci_resources_decode },
        F(struct oci_linux, "cgroupsPath", JD_STR, cgroups_path, false),
        F(struct oci_linux, "rootfsPropagation", JD_STR, rootfs_propagation, false),
        F(struct oci_linux, "maskedPaths", JD_STRV, masked_paths, false),
        F(struct oci_linux, "readonlyPaths", JD_STRV, readonly_paths, false),
        F(struct oci_linux, "mountLabel", JD_STR, mount_label, false),
        F(struct oci_linux, "sysctl", JD_OBJECT, sysctl, false),
        { "seccomp", JD_CUSTOM, offsetof(struct oci_linux, seccomp),
          JD_NOHAS, false, 0, 0, oci_seccomp_decode },
        F(struct oci_linux, "personality", JD_OBJECT, personality, false),
        F(struct oci_linux, "timeOffsets", JD_OBJECT, time_offsets, false),
        F(struct oci_linux, "intelRdt", JD_OBJECT, intel_rdt, false),
        F(struct oci_linux, "memoryPolicy", JD_OBJECT, memory_policy, false),
        F(struct oci_linux, "netDevices", JD_OBJECT, net_devices, false),
        JD_END,
    };
    struct oci_linux *l = jd_alloc(c->pool, 1, sizeof *l);
    *(struct oci_linux **) dst = l;
    if (jd_fields(c, v, p, fields, l) < 0)
        return -1;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_t *a = json_object_get(v, arrays[i].key);
        struct jpath ap = { p, arrays[i].key, 0 };
        if (a && !json_is_null(a) &&
            jd_array_of(c, a, &ap, arrays[i].size, (void **) ((char *) l + arrays[i].off),
                        (size_t *) ((char *) l + arrays[i].n_off), arrays[i].each) < 0)
            return -1;
    }
    struct jpath sp = { p, "sysctl", 0 };
    if (check_namespaces(c, p, l) < 0 ||
        check_paths(c, p, "maskedPaths", l->masked_paths) < 0 ||
        check_paths(c, p, "readonlyPaths", l->readonly_paths) < 0 ||
        check_propagation(c, p, l->rootfs_propagation) < 0 ||
        check_time_offsets(c, p, l) < 0 ||
        (l->sysctl && check_sysctl(c, l->sysctl, &sp) < 0))
        return -1;
    return 0;
}
