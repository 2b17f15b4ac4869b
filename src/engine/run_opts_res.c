/* run_opts_res.c: see run_opts.h.  What a container may use of the host
 * (device nodes, namespaced kernel parameters, CPUs and memory), where its
 * cgroup goes, and which namespaces it shares with the host, with
 * podman's names and meanings.  Values are checked here, before anything
 * is created; the device nodes themselves are looked at when the spec is
 * built (spec_res.c), since the host's /dev may change until then. */
#include "engine/run_opts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/spec_mounts.h"

#define CPU_PERIOD_MIN 1000      /* microseconds: the kernel's bounds */
#define CPU_PERIOD_MAX 1000000
#define CPU_QUOTA_MIN 1000
#define CPU_LIST_MAX 65535       /* above any CPU or NUMA node number */

/* ---- --device HOST[:CONTAINER][:PERMS] ---- */

/* r, w and m, each at most once */
static bool device_perms_ok(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 3)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr("rwm", *p) || strchr(p + 1, *p))
            return false;
    return true;
}

static int parse_device(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *part[4] = { copy, NULL, NULL, NULL };
    size_t n = 1;
    for (char *p = copy; n < 4 && (p = strchr(p, ':')) != NULL; n++) {
        *p++ = '\0';
        part[n] = p;
    }
    if (n > 3)
        return cx_fail(err, 0, "--device %s: expected HOST[:CONTAINER][:PERMS]", arg);
    const char *host = part[0], *ctr = part[0], *perms = "rwm";
    if (n == 3)
        ctr = part[1], perms = part[2];
    else if (n == 2 && part[1][0] == '/')
        ctr = part[1];
    else if (n == 2)
        perms = part[1];
    if (host[0] != '/' || ctr[0] != '/')
        return cx_fail(err, 0, "--device %s: the device paths must be absolute", arg);
    if (!device_perms_ok(perms))
        return cx_fail(err, 0, "--device %s: invalid permissions \"%s\" (r, w and m: rwm)",
                       arg, perms);
    _cleanup_free_ char *clean = cx_path_clean(ctr);
    if (clean == NULL || strcmp(clean, "/") == 0 || strcmp(clean, "/dev") == 0)
        return cx_fail(err, 0, "--device %s: \"%s\" cannot hold a device node", arg, ctr);
    cx_strv_push(&o->devices, cx_asprintf("%s:%s:%s", host, clean, perms));
    return 0;
}

bool cx_device_split(char *dev, char **host, char **ctr, char **perms)
{
    char *a = strchr(dev, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (b == NULL || dev[0] != '/' || a[1] != '/' || !device_perms_ok(b + 1))
        return false;
    *a = *b = '\0';
    *host = dev, *ctr = a + 1, *perms = b + 1;
    return true;
}

/* ---- --sysctl KEY=VALUE ---- */

enum key_ns { KEY_NONE, KEY_IPC, KEY_NET, KEY_UTS };

/* The namespace isolating a kernel parameter, as the runtime checks it. */
static enum key_ns key_namespace(const char *key, size_t n)
{
    static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                       "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
    for (size_t i = 0; ipc[i]; i++)
        if (strlen(ipc[i]) == n && strncmp(key, ipc[i], n) == 0)
            return KEY_IPC;
    if (n > 10 && strncmp(key, "fs.mqueue.", 10) == 0)
        return KEY_IPC;
    if (n > 4 && strncmp(key, "net.", 4) == 0)
        return KEY_NET;
    if ((n == 15 && strncmp(key, "kernel.hostname", n) == 0) ||
        (n == 17 && strncmp(key, "kernel.domainname", n) == 0))
        return KEY_UTS;
    return KEY_NONE;
}

/* letters, digits, '_' and '-' between single dots */
static bool key_ok(const char *k, size_t n)
{
    if (n == 0 || k[0] == '.' || k[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char) k[i]) || k[i] == '_' || k[i] == '-' ||
              (k[i] == '.' && k[i + 1] != '.')))
            return false;
    return true;
}

static int parse_sysctl(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t) (eq - arg) : 0;
    if (eq == NULL || n == 0 || eq[1] == '\0')
        return cx_fail(err, 0, "--sysctl %s: expected KEY=VALUE", arg);
    if (isspace((unsigned char) arg[n - 1]) || isspace((unsigned char) eq[1]) ||
        isspace((unsigned char) eq[strlen(eq) - 1]))
        return cx_fail(err, 0, "--sysctl \"%s\": blanks around the key or the value", arg);
    for (const char *p = eq + 1; *p; p++)
        if (iscntrl((unsigned char) *p))
            return cx_fail(err, 0, "--sysctl %.*s: a control character in the value",
                           (int) n, arg);
    if (!key_ok(arg, n))
        return cx_fail(err, 0, "--sysctl %s: \"%.*s\" is not a kernel parameter's name",
                       arg, (int) n, arg);
    if (key_namespace(arg, n) == KEY_NONE)
        return cx_fail(err, 0, "--sysctl %s: \"%.*s\" is not allowed: only parameters a "
                       "namespace of the container isolates (net.*, fs.mqueue.*, "
                       "kernel.shm*, kernel.msg*, kernel.sem, kernel.hostname, "
                       "kernel.domainname)", arg, (int) n, arg);
    cx_strv_push(&o->sysctls, cx_strdup(arg));
    return 0;
}

/* ---- --cgroup-parent ---- */

static int parse_cgroup_parent(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    bool ok = arg[0] != '\0' && !strchr(arg, ':');
    for (const char *p = arg; ok && *p; p++)
        ok = !iscntrl((unsigned char) *p) && !isspace((unsigned char) *p);
    for (const char *s = arg; ok && (s = strstr(s, "..")) != NULL; s += 2)
        ok = !((s == arg || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'));
    if (!ok)
        return cx_fail(err, 0, "--cgroup-parent \"%s\": expected a cgroup path or a systemd "
                       "slice (no blank, ':' or '..')", arg);
    size_t n = strlen(arg);
    while (n > 1 && arg[n - 1] == '/')  /* one name for one directory */
        n--;
    free(o->cgroup_parent);
    o->cgroup_parent = cx_asprintf("%.*s", (int) n, arg);
    return 0;
}

static bool is_slice(const char *p)
{
    const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
    size_t n = strlen(base);
    return n > 6 && strcmp(base + n - 6, ".slice") == 0;
}

int cx_run_opts_cgroups_path(const struct cx_run_opts *o, const char *id, bool systemd,
                             char **out, cx_error *err)
{
    const char *p = o->cgroup_parent;
    if (p == NULL)
        *out = systemd ? cx_asprintf("machine.slice:capsa:%s", id)
                       : cx_asprintf("/capsa/%s", id);
    else if (systemd && (!is_slice(p) || strchr(p, '/')))
        return cx_fail(err, 0, "--cgroup-parent %s: the runtime uses the systemd cgroup "
                       "driver, which takes a slice (NAME.slice)", p);
    else if (systemd)
        *out = cx_asprintf("%s:capsa:%s", p, id);
    else if (is_slice(p))
        return cx_fail(err, 0, "--cgroup-parent %s: a systemd slice, and the runtime uses "
                       "the cgroupfs driver, which takes a path", p);
    else
        *out = cx_asprintf("%s/capsa-%s", strcmp(p, "/") ? p : "", id);
    return 0;
}

/* ---- --pid, --ipc, --uts ---- */

static int parse_ns_mode(const char *flag, const char *arg, bool ipc, bool *host,
                         cx_error *err)
{
    if (strcmp(arg, "host") == 0 || strcmp(arg, "private") == 0 ||
        (ipc && strcmp(arg, "shareable") == 0))
        return *host = arg[0] == 'h', 0;
    if (cx_str_has_prefix(arg, "container:") || cx_str_has_prefix(arg, "ns:"))
        return cx_fail(err, 0, "%s %s: not supported: host or private (the members of a pod "
                       "share its namespaces: --pod)", flag, arg);
    return cx_fail(err, 0, "%s: \"%s\" is not supported (host or private%s)", flag, arg,
                   ipc ? ", shareable" : "");
}

/* ---- CPUs and memory ---- */

/* "0-3,8,10-11": numbers and ascending ranges, comma separated */
static bool cpu_list_ok(const char *s)
{
    for (const char *p = s;; p++) {
        char *end;
        if (!isdigit((unsigned char) *p))
            return false;
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (*end == '-') {
            if (!isdigit((unsigned char) end[1]))
                return false;
            b = strtoul(end + 1, &end, 10);
        }
        if (a > b || b > CPU_LIST_MAX)
            return false;
        if (*end == '\0')
            return true;
        if (*end != ',')
            return false;
        p = end;
    }
}

static int set_cpu_list(char **dst, const char *flag, const char *arg, cx_error *err)
{
    if (arg[0] && !cpu_list_ok(arg))
        return cx_fail(err, 0, "%s: \"%s\" is not a list of numbers and ranges (0-3,5)",
                       flag, arg);
    free(*dst);
    *dst = arg[0] ? cx_strdup(arg) : NULL;
    return 0;
}

static int parse_i64(const char *flag, const char *arg, int64_t *v, cx_error *err)
{
    if (cx_parse_i64(arg, v) < 0)
        return cx_fail(err, 0, "%s: invalid number \"%s\"", flag, arg);
    return 0;
}

static int parse_cfs(struct cx_run_opts *o, bool quota, const char *arg, cx_error *err)
{
    int64_t v;
    if (parse_i64(quota ? "--cpu-quota" : "--cpu-period", arg, &v, err) < 0)
        return -1;
    if (quota && v != 0 && v != -1 && v < CPU_QUOTA_MIN)
        return cx_fail(err, 0, "--cpu-quota: %s is below the minimum of 1000 (microseconds), "
                       "-1 for none", arg);
    if (!quota && v != 0 && (v < CPU_PERIOD_MIN || v > CPU_PERIOD_MAX))
        return cx_fail(err, 0, "--cpu-period: %s is not between 1000 and 1000000 "
                       "(microseconds)", arg);
    if (quota)
        o->cpu_quota = v > 0 ? v : -1;
    else
        o->cpu_period = (uint64_t) v;
    return 0;
}

static int parse_mem(const char *flag, const char *arg, int64_t *out, cx_error *err)
{
    if (cx_run_opts_size(arg, 1024, out) < 0)
        return cx_fail(err, 0, "%s: invalid size \"%s\"", flag, arg);
    return 0;
}

static int parse_oom_score_adj(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    int64_t v;
    if (parse_i64("--oom-score-adj", arg, &v, err) < 0)
        return -1;
    if (v < -1000 || v > 1000)
        return cx_fail(err, 0, "--oom-score-adj: %s is not between -1000 and 1000", arg);
    o->oom_score_adj = (int) v;
    o->has_oom_score_adj = true;
    return 0;
}

int cx_run_opts_res_flag(struct cx_run_opts *o, enum cx_res_flag f, const char *arg,
                         cx_error *err)
{
    int64_t v;
    switch (f) {
    case CX_RF_DEVICE: return parse_device(o, arg, err);
    case CX_RF_SYSCTL: return parse_sysctl(o, arg, err);
    case CX_RF_CGROUP_PARENT: return parse_cgroup_parent(o, arg, err);
    case CX_RF_PID: return parse_ns_mode("--pid", arg, false, &o->pid_host, err);
    case CX_RF_IPC: return parse_ns_mode("--ipc", arg, true, &o->ipc_host, err);
    case CX_RF_UTS: return parse_ns_mode("--uts", arg, false, &o->uts_host, err);
    case CX_RF_CPUSET_CPUS: return set_cpu_list(&o->cpuset_cpus, "--cpuset-cpus", arg, err);
    case CX_RF_CPUSET_MEMS: return set_cpu_list(&o->cpuset_mems, "--cpuset-mems", arg, err);
    case CX_RF_CPU_QUOTA: return parse_cfs(o, true, arg, err);
    case CX_RF_CPU_PERIOD: return parse_cfs(o, false, arg, err);
    case CX_RF_MEMORY_SWAP:
        if (strcmp(arg, "-1") == 0)
            return o->memory_swap = -1, 0;
        return parse_mem("--memory-swap", arg, &o->memory_swap, err);
    case CX_RF_MEMORY_RESERVATION:
        if (parse_mem("--memory-reservation", arg, &v, err) < 0)
            return -1;
        return o->memory_reservation = v > 0 ? v : -1, 0;
    case CX_RF_OOM_SCORE_ADJ: return parse_oom_score_adj(o, arg, err);
    }
    return cx_fail(err, 0, "run: internal error: unhandled resource flag %d", (int) f);
}

/* ---- all flags read ---- */

/* A parameter of a namespace the container shares with the host would
 * change the host's (podman refuses it; the runtime would too). */
static int sysctls_check(const struct cx_run_opts *o, cx_error *err)
{
    for (char **kv = o->sysctls; kv && *kv; kv++) {
        size_t n = strcspn(*kv, "=");
        enum key_ns ns = key_namespace(*kv, n);
        const char *flag = ns == KEY_NET && o->network == CX_NET_HOST ? "--network host"
                           : ns == KEY_IPC && o->ipc_host ? "--ipc host"
                           : ns == KEY_UTS && o->uts_host ? "--uts host" : NULL;
        if (flag)
            return cx_fail(err, 0, "--sysctl %.*s: not allowed with %s (it would change the "
                           "host's)", (int) n, *kv, flag);
    }
    return 0;
}

int cx_run_opts_res_check(const struct cx_run_opts *o, cx_error *err)
{
    if (o->memory_swap != 0 && o->memory <= 0)
        return cx_fail(err, 0, "--memory-swap: needs --memory (it limits memory and swap "
                       "together)");
    if (o->memory_swap > 0 && o->memory_swap < o->memory)
        return cx_fail(err, 0, "--memory-swap: below --memory (it limits memory and swap "
                       "together)");
    if (o->memory_reservation > 0 && o->memory > 0 && o->memory_reservation > o->memory)
        return cx_fail(err, 0, "--memory-reservation: above --memory (a soft limit below "
                       "the hard one)");
    if (o->hostname && o->uts_host)
        return cx_fail(err, 0, "--hostname: conflicts with --uts host (the host's name)");
    if (o->log_path && o->log_none)
        return cx_fail(err, 0, "--log-opt path: conflicts with --log-driver none");
    return sysctls_check(o, err);
}
