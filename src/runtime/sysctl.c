/* sysctl.c: see sysctl.h. */
#include "runtime/sysctl.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL,
};

static bool in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

/* The namespace a key belongs to, 0 when none isolates it. */
static int key_namespace(const char *key)
{
    if (in_list(key, ipc_keys) || cx_str_has_prefix(key, "fs.mqueue."))
        return CLONE_NEWIPC;
    if (cx_str_has_prefix(key, "net."))
        return CLONE_NEWNET;
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return CLONE_NEWUTS;
    return 0;
}

static bool key_is_safe(const char *key)
{
    /* dots become slashes under /proc/sys: no empty, . or .. component */
    if (key[0] == '\0' || key[0] == '.' || strchr(key, '/') ||
        strstr(key, "..") || key[strlen(key) - 1] == '.')
        return false;
    return true;
}

/* A namespace joined by path may be the host's own: that isolates nothing. */
static bool is_hosts(const struct oci_namespace *ns)
{
    static const struct { int type; const char *file; } files[] = {
        { CLONE_NEWIPC, "/proc/self/ns/ipc" }, { CLONE_NEWNET, "/proc/self/ns/net" },
        { CLONE_NEWUTS, "/proc/self/ns/uts" },
    };
    struct stat a, b;
    if (ns->path == NULL || stat(ns->path, &a) < 0)
        return false;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i].type == ns->type && stat(files[i].file, &b) == 0)
            return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
    return false;
}

int sysctl_check(const struct oci_spec *spec, cx_error *err)
{
    json_t *sysctl = spec->linux_ ? spec->linux_->sysctl : NULL;
    const char *key;
    json_t *val;
    json_object_foreach(sysctl, key, val) {
        int ns = key_namespace(key);
        const struct oci_namespace *own = ns ? oci_spec_namespace(spec, ns) : NULL;
        if (!key_is_safe(key))
            return cx_fail(err, 0, "config.json: linux.sysctl: invalid key \"%s\"", key);
        if (own == NULL || is_hosts(own))
            return cx_fail(err, 0, "config.json: linux.sysctl.%s: not isolated by a "
                                   "namespace of this container: it would change the host", key);
    }
    return 0;
}

static int write_one(int sysfd, const char *key, const char *value, cx_error *err)
{
    char path[256];
    if (snprintf(path, sizeof path, "%s", key) >= (int) sizeof path)
        return cx_fail(err, 0, "linux.sysctl: key \"%s\" is too long", key);
    for (char *p = path; *p; p++)
        if (*p == '.')
            *p = '/';
    struct open_how how = { .flags = O_WRONLY | O_CLOEXEC | O_TRUNC,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                       RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
    _cleanup_close_ int fd = (int) syscall(SYS_openat2, sysfd, path, &how, sizeof how);
    if (fd < 0)
        return cx_fail_errno(err, "linux.sysctl: open /proc/sys/%s", path);
    if (cx_write_all(fd, value, strlen(value)) < 0)
        return cx_fail_errno(err, "linux.sysctl: write \"%s\" to %s", value, key);
    return 0;
}

int sysctl_apply(const struct oci_spec *spec, cx_error *err)
{
    json_t *sysctl = spec->linux_ ? spec->linux_->sysctl : NULL;
    const char *key;
    json_t *val;
    struct statfs sfs;
    if (json_object_size(sysctl) == 0)
        return 0;
    _cleanup_close_ int sysfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sysfd < 0)
        return cx_fail_errno(err, "linux.sysctl: open /proc/sys");
    /* whatever the image put at /proc, write only into a real procfs */
    if (fstatfs(sysfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        return cx_fail(err, 0, "linux.sysctl: /proc/sys in the container is not procfs");
    json_object_foreach(sysctl, key, val)
        if (write_one(sysfd, key, json_string_value(val), err) < 0)
            return -1;
    return 0;
}
