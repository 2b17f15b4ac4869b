/* spec_res.c: see spec_res.h.  As podman 4.3 writes them: a --device node
 * keeps the host node's permission bits and owner, its cgroup rule the
 * permissions asked (rwm by default). */
#include "engine/spec_res.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PIDS_DEFAULT 2048

/* ---- --device ---- */

static int user_device(const char *spec, json_t *nodes, json_t *rules, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(spec);
    char *host, *ctr, *perms;
    if (!cx_device_split(copy, &host, &ctr, &perms))
        return cx_fail(err, 0, "--device \"%s\": expected HOST:CONTAINER:PERMS", spec);
    struct stat st;
    if (stat(host, &st) < 0)
        return cx_fail_errno(err, "--device %s", host);
    if (S_ISDIR(st.st_mode))
        return cx_fail(err, 0, "--device %s: a directory: give its device nodes one by one",
                       host);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return cx_fail(err, 0, "--device %s: not a character or block device", host);
    const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
    json_int_t maj = major(st.st_rdev), min = minor(st.st_rdev);
    /* a later --device for the same container path replaces an earlier */
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
        if (strcmp(json_string_value(json_object_get(n, "path")), ctr) == 0) {
            json_array_remove(nodes, i);
            json_array_remove(rules, i);
            break;
        }
    json_array_append_new(nodes, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path", ctr,
                                           "type", type, "major", maj, "minor", min,
                                           "fileMode", (json_int_t) (st.st_mode & 07777),
                                           "uid", (json_int_t) st.st_uid,
                                           "gid", (json_int_t) st.st_gid));
    json_array_append_new(rules, json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type,
                                           "major", maj, "minor", min, "access", perms));
    return 0;
}

int cx_spec_user_devices(const struct cx_run_opts *o, json_t **nodes, json_t **rules,
                         cx_error *err)
{
    json_auto_t *n = json_array(), *r = json_array();
    for (char **d = o->devices; d && *d; d++)
        if (user_device(*d, n, r, err) < 0)
            return -1;
    *nodes = json_incref(n);
    *rules = json_incref(r);
    return 0;
}

/* ---- linux.resources ---- */

static json_t *memory(const struct cx_run_opts *o)
{
    json_t *m = json_object();
    if (o->memory > 0) {
        /* podman: swap twice the memory when only --memory is given */
        json_int_t swap = o->memory_swap != 0 ? o->memory_swap
                          : o->memory <= INT64_MAX / 2 ? o->memory * 2 : -1;
        json_object_set_new(m, "limit", json_integer(o->memory));
        json_object_set_new(m, "swap", json_integer(swap));
    }
    if (o->memory_reservation > 0)
        json_object_set_new(m, "reservation", json_integer(o->memory_reservation));
    return m;
}

static json_t *cpu(const struct cx_run_opts *o)
{
    json_t *c = json_object();
    if (o->cpu_shares)
        json_object_set_new(c, "shares", json_integer((json_int_t) o->cpu_shares));
    if (o->cpu_quota > 0)
        json_object_set_new(c, "quota", json_integer(o->cpu_quota));
    if (o->cpu_period > 0)
        json_object_set_new(c, "period", json_integer((json_int_t) o->cpu_period));
    if (o->cpuset_cpus)
        json_object_set_new(c, "cpus", json_string(o->cpuset_cpus));
    if (o->cpuset_mems)
        json_object_set_new(c, "mems", json_string(o->cpuset_mems));
    return c;
}

json_t *cx_spec_resources(const struct cx_run_opts *o, json_t *rules)
{
    json_t *r = json_pack("{s:[{s:b,s:s}]}", "devices", "allow", o->privileged, "access", "rwm");
    json_array_extend(json_object_get(r, "devices"), rules);
    json_t *m = memory(o), *c = cpu(o);
    if (json_object_size(m))
        json_object_set(r, "memory", m);
    if (json_object_size(c))
        json_object_set(r, "cpu", c);
    json_decref(m);
    json_decref(c);
    json_int_t pids = o->pids_limit < 0 ? PIDS_DEFAULT : o->pids_limit == 0 ? -1 : o->pids_limit;
    json_object_set_new(r, "pids", json_pack("{s:I}", "limit", pids));
    return r;
}

/* ---- linux.sysctl ---- */

json_t *cx_spec_sysctl(const struct cx_run_opts *o)
{
    json_t *s = json_object();
    if (o->network != CX_NET_HOST && !o->ns_join[CX_NS_NET])
        json_object_set_new(s, "net.ipv4.ping_group_range", json_string("0 0"));
    for (char **kv = o->sysctls; kv && *kv; kv++) {
        _cleanup_free_ char *key = cx_strdup(*kv);
        char *eq = strchr(key, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(s, key, json_string(eq + 1));
        }
    }
    if (json_object_size(s) == 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}
