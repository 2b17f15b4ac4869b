/* namespaces.c: see namespaces.h. */
#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int open_ns(const struct oci_namespace *ns, cx_error *err)
{
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cx_fail_errno(err, "open %s namespace %s", ns->name, ns->path);
    return fd;
}

int ns_plan_build(const struct oci_spec *spec, struct ns_plan *plan,
                  cx_error *err)
{
    const struct oci_linux *l = spec->linux_;
    bool join_user = false;
    memset(plan, 0, sizeof *plan);
    for (size_t i = 0; l && i < l->n_namespaces; i++)
        if (l->namespaces[i].type == CLONE_NEWUSER && l->namespaces[i].path)
            join_user = true;
    for (size_t i = 0; l && i < l->n_namespaces; i++) {
        const struct oci_namespace *ns = &l->namespaces[i];
        if (ns->path == NULL && ns->type == CLONE_NEWTIME) {
            plan->new_time = true;
            continue;
        }
        if (ns->path == NULL) {
            /* a new pid namespace must come from clone itself; a new cgroup
             * namespace only once the init is in its cgroup (the namespace's
             * root is the cgroup it is made in) */
            if (ns->type == CLONE_NEWCGROUP ||
                (join_user && ns->type != CLONE_NEWPID && ns->type != CLONE_NEWTIME))
                plan->unshare_flags |= ns->type;
            else
                plan->clone_flags |= ns->type;
            plan->new_user |= ns->type == CLONE_NEWUSER;
            continue;
        }
        int fd = open_ns(ns, err);
        if (fd < 0) {
            ns_plan_close(plan);
            return -1;
        }
        bool parent = ns->type == CLONE_NEWPID || ns->type == CLONE_NEWTIME;
        struct ns_join *list = parent ? plan->parent_join : plan->child_join;
        int *n = parent ? &plan->n_parent_join : &plan->n_child_join;
        if (ns->type == CLONE_NEWUSER && *n > 0) {
            list[*n] = list[0]; /* user goes first */
            list[0] = (struct ns_join){ ns->type, fd };
        } else {
            list[*n] = (struct ns_join){ ns->type, fd };
        }
        (*n)++;
    }
    return 0;
}

void ns_plan_close(struct ns_plan *plan)
{
    for (int i = 0; i < plan->n_parent_join; i++)
        plan->parent_join[i].fd = cx_close(plan->parent_join[i].fd);
    for (int i = 0; i < plan->n_child_join; i++)
        plan->child_join[i].fd = cx_close(plan->child_join[i].fd);
    plan->n_parent_join = plan->n_child_join = 0;
}

int ns_children_save(void)
{
    /* our own namespaces: where the children of later forks belong */
    return open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
}

void ns_children_restore(int saved)
{
    if (saved < 0)
        return;
    setns(saved, CLONE_NEWPID);
    close(saved);
    int time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (time >= 0) {
        setns(time, CLONE_NEWTIME);
        close(time);
    }
}

static int write_time_offsets(json_t *offsets, cx_error *err)
{
    const char *clock;
    json_t *v;
    char buf[256];
    size_t at = 0;
    json_object_foreach(offsets, clock, v) {
        long long secs = json_integer_value(json_object_get(v, "secs"));
        long long nsecs = json_integer_value(json_object_get(v, "nanosecs"));
        at += (size_t) snprintf(buf + at, sizeof buf - at, "%s %lld %lld\n", clock, secs, nsecs);
    }
    if (at == 0)
        return 0;
    _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, at) != (ssize_t) at)
        return cx_fail_errno(err, "linux.timeOffsets: write /proc/self/timens_offsets");
    return 0;
}

int ns_join_parent(struct ns_plan *plan, const struct oci_spec *spec, cx_error *err)
{
    for (int i = 0; i < plan->n_parent_join; i++)
        if (setns(plan->parent_join[i].fd, plan->parent_join[i].type) < 0)
            return cx_fail_errno(err, "join %s namespace",
                                 oci_namespace_name(plan->parent_join[i].type));
    if (!plan->new_time)
        return 0;
    if (unshare(CLONE_NEWTIME) < 0)
        return cx_fail_errno(err, "create the time namespace");
    return write_time_offsets(spec->linux_ ? spec->linux_->time_offsets : NULL, err);
}

int ns_join_child(struct ns_plan *plan, cx_error *err)
{
    for (int i = 0; i < plan->n_child_join; i++) {
        if (setns(plan->child_join[i].fd, plan->child_join[i].type) < 0)
            return cx_fail_errno(err, "join %s namespace",
                                 oci_namespace_name(plan->child_join[i].type));
        if (plan->child_join[i].type == CLONE_NEWUSER &&
            (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
            return cx_fail_errno(err, "become root in the joined user namespace");
    }
    if (plan->unshare_flags && unshare(plan->unshare_flags) < 0)
        return cx_fail_errno(err, "unshare namespaces (flags 0x%x)",
                             plan->unshare_flags);
    return 0;
}

int ns_write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n,
                 cx_error *err)
{
    char path[64], buf[4096];
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + at, sizeof buf - at, "%u %u %u\n",
                         m[i].container_id, m[i].host_id, m[i].size);
        if (w < 0 || (size_t) w >= sizeof buf - at)
            return cx_fail(err, E2BIG, "%s: too many id mappings", file);
        at += (size_t) w;
    }
    snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, at) != (ssize_t) at)
        return cx_fail_errno(err, "write %s", path);
    return 0;
}

int ns_write_id_maps(pid_t pid, const struct oci_spec *spec, cx_error *err)
{
    const struct oci_linux *l = spec->linux_;
    if (l == NULL || l->n_uid_mappings == 0)
        return cx_fail(err, EINVAL,
                       "config.json: linux.uidMappings: a new user namespace needs id mappings");
    if (ns_write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0 ||
        ns_write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
        return -1;
    return 0;
}
