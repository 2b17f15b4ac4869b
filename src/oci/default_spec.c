/* default_spec.c: see default_spec.h. */
#include "oci/default_spec.h"

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *mount(const char *dest, const char *type, const char *src,
                     const char *const *opts)
{
    json_t *m = json_pack("{s:s,s:s,s:s}", "destination", dest, "type", type,
                          "source", src);
    if (opts)
        json_object_set_new(m, "options", strings(opts));
    return m;
}

static json_t *default_process(void)
{
    static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL",
                                        "CAP_NET_BIND_SERVICE", NULL };
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm", NULL };
    return json_pack("{s:b,s:{s:i,s:i},s:[s],s:o,s:s,s:{s:o,s:o,s:o,s:o},"
                     "s:[{s:s,s:i,s:i}],s:b}",
                     "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh",
                     "env", strings(env), "cwd", "/",
                     "capabilities", "bounding", strings(caps), "effective", strings(caps),
                     "permitted", strings(caps), "ambient", strings(caps),
                     "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
                     "noNewPrivileges", 1);
}

static json_t *default_mounts(bool rootless)
{
    static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
    static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                       "mode=0620", "gid=5", NULL };
    static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance",
                                                "ptmxmode=0666", "mode=0620", NULL };
    static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
    static const char *const nne[] = { "nosuid", "noexec", "nodev", NULL };
    static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
    json_t *m = json_array();
    json_array_append_new(m, mount("/proc", "proc", "proc", NULL));
    json_array_append_new(m, mount("/dev", "tmpfs", "tmpfs", dev));
    json_array_append_new(m, mount("/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts));
    json_array_append_new(m, mount("/dev/shm", "tmpfs", "shm", shm));
    json_array_append_new(m, mount("/dev/mqueue", "mqueue", "mqueue", nne));
    json_array_append_new(m, rootless ? mount("/sys", "none", "/sys", sys_rootless)
                                      : mount("/sys", "sysfs", "sysfs", sys));
    json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg));
    return m;
}

static json_t *default_linux(bool rootless, uid_t uid, gid_t gid)
{
    static const char *const masked[] = {
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi", NULL };
    static const char *const readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };
    static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
    static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
    json_t *l = json_object(), *nsl = json_array();
    for (const char *const *n = rootless ? ns_rootless : ns; *n; n++)
        json_array_append_new(nsl, json_pack("{s:s}", "type", *n));
    if (rootless) {
        json_object_set_new(l, "uidMappings", json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
                                                         "hostID", (json_int_t) uid, "size", 1));
        json_object_set_new(l, "gidMappings", json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
                                                         "hostID", (json_int_t) gid, "size", 1));
    } else {
        json_object_set_new(l, "resources", json_pack("{s:[{s:b,s:s}]}", "devices",
                                                       "allow", 0, "access", "rwm"));
    }
    json_object_set_new(l, "namespaces", nsl);
    json_object_set_new(l, "maskedPaths", strings(masked));
    json_object_set_new(l, "readonlyPaths", strings(readonly));
    return l;
}

json_t *oci_default_spec(bool rootless, uid_t uid, gid_t gid)
{
    return json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}",
                     "ociVersion", "1.0.2-dev", "process", default_process(),
                     "root", "path", "rootfs", "readonly", 1, "hostname", "capsa",
                     "mounts", default_mounts(rootless),
                     "linux", default_linux(rootless, uid, gid));
}
