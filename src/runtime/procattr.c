/* procattr.c: see procattr.h. */
#include "runtime/procattr.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* sched_setattr(2)'s argument (the kernel ABI; glibc has no wrapper) */
struct sched_attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

static const struct { const char *name; int value; } policies[] = {
    { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
    { "SCHED_RR", SCHED_RR }, { "SCHED_BATCH", SCHED_BATCH },
    { "SCHED_IDLE", SCHED_IDLE }, { "SCHED_DEADLINE", 6 },
};

static const struct { const char *name; unsigned long long value; } sched_flags[] = {
    { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
    { "SCHED_FLAG_DL_OVERRUN", 0x04 }, { "SCHED_FLAG_KEEP_POLICY", 0x08 },
    { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
    { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct { const char *name; int value; } io_classes[] = {
    { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
};

static int sched_attr_of(json_t *s, struct sched_attr *a, cx_error *err)
{
    const char *policy = NULL;
    json_t *flags = NULL;
    json_int_t nice = 0, prio = 0, runtime = 0, deadline = 0, period = 0;
    json_error_t je;
    memset(a, 0, sizeof *a);
    a->size = sizeof *a;
    if (json_unpack_ex(s, &je, 0, "{s:s,s?I,s?I,s?o,s?I,s?I,s?I}", "policy", &policy,
                       "nice", &nice, "priority", &prio, "flags", &flags, "runtime", &runtime,
                       "deadline", &deadline, "period", &period) < 0)
        return cx_fail(err, 0, "config.json: process.scheduler: %s", je.text);
    size_t i;
    for (i = 0; i < sizeof policies / sizeof policies[0]; i++)
        if (strcmp(policy, policies[i].name) == 0)
            break;
    if (i == sizeof policies / sizeof policies[0])
        return cx_fail(err, 0, "config.json: process.scheduler.policy: \"%s\" is not a "
                               "policy this kernel has", policy);
    a->sched_policy = (unsigned) policies[i].value;
    if (nice < -20 || nice > 19 || prio < 0 || prio > 99 || runtime < 0 || deadline < 0 ||
        period < 0)
        return cx_fail(err, 0, "config.json: process.scheduler: value out of range");
    a->sched_nice = (int) nice;
    a->sched_priority = (unsigned) prio;
    a->sched_runtime = (unsigned long long) runtime;
    a->sched_deadline = (unsigned long long) deadline;
    a->sched_period = (unsigned long long) period;
    size_t k;
    json_t *f;
    json_array_foreach(flags, k, f) {
        const char *name = json_string_value(f);
        size_t j;
        for (j = 0; name && j < sizeof sched_flags / sizeof sched_flags[0]; j++)
            if (strcmp(name, sched_flags[j].name) == 0)
                break;
        if (name == NULL || j == sizeof sched_flags / sizeof sched_flags[0])
            return cx_fail(err, 0, "config.json: process.scheduler.flags[%zu]: unknown flag", k);
        a->sched_flags |= sched_flags[j].value;
    }
    return 0;
}

static int ioprio_of(json_t *io, int *out, cx_error *err)
{
    const char *cls;
    json_int_t prio;
    json_error_t je;
    if (json_unpack_ex(io, &je, 0, "{s:s,s:I}", "class", &cls, "priority", &prio) < 0)
        return cx_fail(err, 0, "config.json: process.ioPriority: %s", je.text);
    if (prio < 0 || prio > 7)
        return cx_fail(err, 0, "config.json: process.ioPriority.priority: %lld is out of "
                               "range [0, 7]", (long long) prio);
    for (size_t i = 0; i < sizeof io_classes / sizeof io_classes[0]; i++)
        if (strcmp(cls, io_classes[i].name) == 0) {
            *out = (io_classes[i].value << IOPRIO_CLASS_SHIFT) | (int) prio;
            return 0;
        }
    return cx_fail(err, 0, "config.json: process.ioPriority.class: unknown class \"%s\"", cls);
}

static int personality_of(json_t *p, unsigned long *out, cx_error *err)
{
    const char *domain;
    json_t *flags = NULL;
    json_error_t je;
    if (json_unpack_ex(p, &je, 0, "{s:s,s?o}", "domain", &domain, "flags", &flags) < 0)
        return cx_fail(err, 0, "config.json: linux.personality: %s", je.text);
    if (json_array_size(flags) > 0)
        return cx_fail(err, 0, "config.json: linux.personality.flags: no flag is supported");
    if (strcmp(domain, "LINUX") == 0)
        *out = PER_LINUX;
    else if (strcmp(domain, "LINUX32") == 0)
        *out = PER_LINUX32;
    else
        return cx_fail(err, 0, "config.json: linux.personality.domain: unknown domain \"%s\"",
                       domain);
    return 0;
}

static bool lsm_enabled(const char *name)
{
    if (strcmp(name, "apparmor") == 0)
        return access("/sys/kernel/security/apparmor", F_OK) == 0;
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int procattr_check(const struct oci_process *p, const struct oci_linux *l, cx_error *err)
{
    struct sched_attr a;
    unsigned long per;
    int io;
    if (p->scheduler && sched_attr_of(p->scheduler, &a, err) < 0)
        return -1;
    if (p->io_priority && ioprio_of(p->io_priority, &io, err) < 0)
        return -1;
    if (l && l->personality && personality_of(l->personality, &per, err) < 0)
        return -1;
    if (p->exec_cpu_affinity)
        return cx_fail(err, 0, "config.json: process.execCPUAffinity is not supported by capsa");
    if (l && l->intel_rdt)
        return cx_fail(err, 0, "config.json: linux.intelRdt is not supported by capsa");
    if (l && l->memory_policy)
        return cx_fail(err, 0, "config.json: linux.memoryPolicy is not supported by capsa");
    if (l && l->net_devices && json_object_size(l->net_devices))
        return cx_fail(err, 0, "config.json: linux.netDevices is not supported by capsa");
    if (p->apparmor_profile && p->apparmor_profile[0] && !lsm_enabled("apparmor"))
        return cx_fail(err, 0, "config.json: process.apparmorProfile \"%s\": AppArmor is not "
                               "enabled on this host", p->apparmor_profile);
    if (p->selinux_label && p->selinux_label[0] && !lsm_enabled("selinux"))
        return cx_fail(err, 0, "config.json: process.selinuxLabel \"%s\": SELinux is not "
                               "enabled on this host", p->selinux_label);
    return 0;
}

int procattr_apply(const struct oci_process *p, const struct oci_linux *l, cx_error *err)
{
    struct sched_attr a;
    unsigned long per;
    int io;
    if (p->scheduler && (sched_attr_of(p->scheduler, &a, err) < 0 ||
                         syscall(SYS_sched_setattr, 0, &a, 0) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "set process.scheduler");
    if (p->io_priority && (ioprio_of(p->io_priority, &io, err) < 0 ||
                           syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, io) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "set process.ioPriority");
    if (l && l->personality && (personality_of(l->personality, &per, err) < 0 ||
                                personality(per) < 0))
        return err->msg[0] ? -1 : cx_fail_errno(err, "set linux.personality");
    return 0;
}

/* Write a label for the next execve into /proc/thread-self/attr/<file>. */
static int write_attr(const char *file, const char *value, cx_error *err)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/thread-self/attr/%s", file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    struct statfs sfs;
    if (fd < 0)
        return cx_fail_errno(err, "open %s", path);
    /* after pivot_root this is the container's /proc: write only into procfs */
    if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        return cx_fail(err, 0, "%s is not on procfs: refusing to write the label", path);
    if (cx_write_all(fd, value, strlen(value)) < 0)
        return cx_fail_errno(err, "write %s", path);
    return 0;
}

int procattr_apply_labels(const struct oci_process *p, cx_error *err)
{
    if (p->apparmor_profile && p->apparmor_profile[0]) {
        _cleanup_free_ char *v = cx_asprintf("exec %s", p->apparmor_profile);
        if (write_attr("apparmor/exec", v, err) < 0 && write_attr("exec", v, err) < 0)
            return -1;
    }
    if (p->selinux_label && p->selinux_label[0] && write_attr("exec", p->selinux_label, err) < 0)
        return -1;
    return 0;
}
