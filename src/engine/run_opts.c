/* run_opts.c: see run_opts.h.  The flags are podman's; values are checked
 * here so that a bad one fails before anything is pulled or created.
 * Mount options come out as the OCI mount wants them (podman's defaults
 * added), so the spec only copies them. */
#include "engine/run_opts.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/networks.h"
#include "engine/spec_mounts.h"
#include "net/cni_conf.h"
#include "net/ports.h"

#define ENV_FILE_MAX (1u << 20)
#define MEMORY_MIN (6 << 20)       /* below this a container cannot start */
#define CPU_PERIOD 100000

/* ---- small helpers ---- */

static int parse_bool(const char *flag, const char *arg, bool *out, cx_error *err)
{
    if (arg == NULL || strcmp(arg, "true") == 0)
        *out = true;
    else if (strcmp(arg, "false") == 0)
        *out = false;
    else
        return cx_fail(err, 0, "%s: invalid value \"%s\" (true or false)", flag, arg);
    return 0;
}

int cx_run_opts_size(const char *s, unsigned base, int64_t *out)
{
    const char *p = s;
    long double v = 0, scale = 1;
    if (!isdigit((unsigned char) *p))
        return -1;
    for (; isdigit((unsigned char) *p); p++)
        v = v * 10 + (*p - '0');
    if (*p == '.') {
        if (!isdigit((unsigned char) *++p))
            return -1;
        for (; isdigit((unsigned char) *p); p++)
            v += (*p - '0') * (scale /= 10);
    }
    if (*p == ' ')
        p++;
    const char *units = "kmgtp", *u;
    if (*p && (u = strchr(units, tolower((unsigned char) *p))) != NULL) {
        for (const char *x = units; x <= u; x++)
            v *= base;
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p || v >= 9.2e18L)
        return -1;
    *out = (int64_t) v;
    return 0;
}

/* ---- environment, labels, files of lines ---- */

static int add_env(struct cx_run_opts *o, const char *flag, const char *kv, cx_error *err)
{
    const char *eq = strchr(kv, '=');
    if (kv[0] == '\0' || eq == kv)
        return cx_fail(err, 0, "%s: invalid environment variable \"%s\" (KEY=VALUE or KEY)",
                       flag, kv);
    if (eq) {
        cx_strv_push(&o->env, cx_strdup(kv));
    } else {
        const char *v = getenv(kv);
        if (v)  /* a bare KEY unset on the host is dropped, as podman does */
            cx_strv_push(&o->env, cx_asprintf("%s=%s", kv, v));
    }
    return 0;
}

static int add_label(struct cx_run_opts *o, const char *flag, const char *kv, cx_error *err)
{
    if (kv[0] == '\0' || kv[0] == '=')
        return cx_fail(err, 0, "%s: invalid label \"%s\" (KEY=VALUE or KEY)", flag, kv);
    cx_strv_push(&o->labels, strchr(kv, '=') ? cx_strdup(kv) : cx_asprintf("%s=", kv));
    return 0;
}

typedef int (*line_fn)(struct cx_run_opts *o, const char *flag, const char *line, cx_error *err);

/* KEY=VALUE lines: leading blanks ignored, blank lines and # comments
 * skipped; a key holding whitespace is an error. */
static int each_line(struct cx_run_opts *o, const char *flag, const char *path, line_fn fn,
                     cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    if (cx_read_file_at(AT_FDCWD, path, ENV_FILE_MAX, &text, NULL, err) < 0)
        return cx_error_prefix(err, "%s", flag);
    unsigned lineno = 0;
    for (char *next, *line = text; line; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        lineno++;
        line += strspn(line, " \t");
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (strcspn(line, " \t=") < strcspn(line, "="))
            return cx_fail(err, 0, "%s %s: line %u: the name \"%.*s\" contains whitespace",
                           flag, path, lineno, (int) strcspn(line, "="), line);
        if (fn(o, flag, line, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- capabilities ---- */

static int add_caps(char ***v, const char *flag, const char *list, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(list);
    for (char *save = NULL, *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(c, "ALL") == 0) {
            cx_strv_push(v, cx_strdup("ALL"));
            continue;
        }
        const char *base = strncasecmp(c, "CAP_", 4) == 0 ? c + 4 : c;
        _cleanup_free_ char *name = cx_asprintf("CAP_%s", base);
        _cleanup_free_ char *lower = cx_strdup(name);
        bool ok = base[0] != '\0';
        for (size_t i = 0; name[i]; i++) {
            ok &= isalnum((unsigned char) name[i]) || name[i] == '_';
            name[i] = (char) toupper((unsigned char) name[i]);
            lower[i] = (char) tolower((unsigned char) lower[i]);
        }
        cap_value_t cv;
        if (!ok || cap_from_name(lower, &cv) < 0)
            return cx_fail(err, 0, "%s: unknown capability \"%s\"", flag, name);
        cx_strv_push(v, TAKE_PTR(name));
    }
    return 0;
}

/* ---- resources and limits ---- */

static const struct { const char *name, *rname; int res; } ulimit_names[] = {
    { "core", "RLIMIT_CORE", RLIMIT_CORE },       { "cpu", "RLIMIT_CPU", RLIMIT_CPU },
    { "data", "RLIMIT_DATA", RLIMIT_DATA },       { "fsize", "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "locks", "RLIMIT_LOCKS", RLIMIT_LOCKS },    { "memlock", "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "msgqueue", "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "nice", "RLIMIT_NICE", RLIMIT_NICE },
    { "nofile", "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "nproc", "RLIMIT_NPROC", RLIMIT_NPROC },
    { "rss", "RLIMIT_RSS", RLIMIT_RSS },          { "rtprio", "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "rttime", "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "sigpending", "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "stack", "RLIMIT_STACK", RLIMIT_STACK },
};

const char *cx_ulimit_known(const char *rname, int *resource)
{
    for (size_t i = 0; i < sizeof ulimit_names / sizeof ulimit_names[0]; i++)
        if (strcmp(ulimit_names[i].rname, rname) == 0)
            return *resource = ulimit_names[i].res, ulimit_names[i].rname;
    return NULL;
}

static int rlimit_value(const char *s, uint64_t *out)
{
    int64_t v;
    if (cx_parse_i64(s, &v) < 0 || v < -1)
        return -1;
    *out = v == -1 ? UINT64_MAX : (uint64_t) v;
    return 0;
}

static int add_ulimit(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *eq = strchr(copy, '='), *colon;
    if (eq == NULL)
        return cx_fail(err, 0, "--ulimit: \"%s\": expected NAME=SOFT[:HARD]", arg);
    *eq++ = '\0';
    if ((colon = strchr(eq, ':')) != NULL)
        *colon++ = '\0';
    size_t i = 0, n = sizeof ulimit_names / sizeof ulimit_names[0];
    while (i < n && strcmp(ulimit_names[i].name, copy) != 0)
        i++;
    if (i == n)
        return cx_fail(err, 0, "--ulimit: unknown limit \"%s\" (core, cpu, data, fsize, locks, "
                       "memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, "
                       "sigpending, stack)", copy);
    struct cx_ulimit u = { ulimit_names[i].res, ulimit_names[i].rname, 0, 0 };
    if (rlimit_value(eq, &u.soft) < 0 || (colon && rlimit_value(colon, &u.hard) < 0))
        return cx_fail(err, 0, "--ulimit: \"%s\": limits are integers, -1 for unlimited", arg);
    if (colon == NULL)
        u.hard = u.soft;
    if (u.soft > u.hard)
        return cx_fail(err, 0, "--ulimit: \"%s\": the soft limit is above the hard limit", arg);
    for (size_t j = 0; j < o->nulimits; j++)
        if (o->ulimits[j].resource == u.resource)
            return o->ulimits[j] = u, 0;
    o->ulimits = cx_realloc(o->ulimits, (o->nulimits + 1) * sizeof *o->ulimits);
    o->ulimits[o->nulimits++] = u;
    return 0;
}

static int parse_memory(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    int64_t v;
    if (cx_run_opts_size(arg, 1024, &v) < 0)
        return cx_fail(err, 0, "--memory: invalid size \"%s\"", arg);
    if (v > 0 && v < MEMORY_MIN)
        return cx_fail(err, 0, "--memory: %s is below the minimum of 6MiB", arg);
    o->memory = v > 0 ? v : -1;
    return 0;
}

static int parse_cpus(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    long double v = 0, scale = 1;
    const char *p = arg;
    if (!isdigit((unsigned char) *p))
        return cx_fail(err, 0, "--cpus: invalid number \"%s\"", arg);
    for (; isdigit((unsigned char) *p) && v < 1e9L; p++)
        v = v * 10 + (*p - '0');
    if (*p == '.' && isdigit((unsigned char) p[1]))
        for (p++; isdigit((unsigned char) *p); p++)
            v += (*p - '0') * (scale /= 10);
    if (*p)
        return cx_fail(err, 0, "--cpus: invalid number \"%s\"", arg);
    int64_t quota = (int64_t) (v * CPU_PERIOD + 0.5L);
    if (quota == 0) {  /* --cpus 0: no limit */
        o->cpu_quota = -1, o->cpu_period = 0;
        return 0;
    }
    if (quota < 1000)  /* the kernel's least CFS quota is 1ms */
        return cx_fail(err, 0, "--cpus: %s is below the minimum of 0.01", arg);
    o->cpu_quota = quota;
    o->cpu_period = CPU_PERIOD;
    return 0;
}

static int parse_restart(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    static const char *const names[] = { "no", "on-failure", "always", "unless-stopped" };
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *count = strchr(copy, ':');
    if (count)
        *count++ = '\0';
    size_t i = 0;
    while (i < 4 && strcmp(names[i], copy) != 0)
        i++;
    if (i == 4)
        return cx_fail(err, 0, "--restart: \"%s\" is not a policy (no, on-failure[:N], always, "
                       "unless-stopped)", arg);
    int n = 0;
    if (count && (i != CX_RESTART_ON_FAILURE || cx_parse_int(count, &n) < 0 || n < 0))
        return cx_fail(err, 0, "--restart: \"%s\": a retry count :N goes with on-failure only, "
                       "N >= 0", arg);
    o->restart = (enum cx_restart_policy) i;
    o->restart_max = (unsigned) n;
    return 0;
}

/* ---- the rest of the single-valued flags ---- */

static int parse_entrypoint(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    (void) err;
    cx_strv_free(o->entrypoint);
    o->entrypoint = NULL;
    o->entrypoint_set = true;
    json_t *j = arg[0] == '[' ? json_loads(arg, 0, NULL) : NULL;
    bool strings = json_is_array(j);
    for (size_t i = 0; strings && i < json_array_size(j); i++)
        strings = json_is_string(json_array_get(j, i));
    if (strings) {  /* a JSON array is the argv, as podman reads it */
        o->entrypoint = cx_calloc(json_array_size(j) + 1, sizeof *o->entrypoint);
        for (size_t i = 0; i < json_array_size(j); i++)
            o->entrypoint[i] = cx_strdup(json_string_value(json_array_get(j, i)));
    } else {
        o->entrypoint = cx_calloc(2, sizeof *o->entrypoint);
        if (arg[0])
            o->entrypoint[0] = cx_strdup(arg);
    }
    json_decref(j);
    return 0;
}

/* A keyword flag: arg's value in a table of name -> value. */
struct keyword {
    const char *name;
    int value;
};

static int keyword(const char *flag, const char *arg, const struct keyword *k, const char *hint,
                   int *out, cx_error *err)
{
    for (; k->name; k++)
        if (strcmp(k->name, arg) == 0)
            return *out = k->value, 0;
    return cx_fail(err, 0, "%s: \"%s\" is not supported (%s)", flag, arg, hint);
}

static const struct keyword networks[] = {
    { "none", CX_NET_NONE }, { "host", CX_NET_HOST }, { NULL, 0 },
};

/* --network MODE, or NAME[,NAME...] of CNI networks ("bridge", "private"
 * and "default": the default network, as podman's as root) */
static int parse_network(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    cx_strv_free(o->networks);
    o->networks = NULL;
    for (const struct keyword *k = networks; k->name; k++)
        if (strcmp(arg, k->name) == 0)
            return o->network = (enum cx_net_mode) k->value, 0;
    if (strcmp(arg, "slirp4netns") == 0 || strcmp(arg, "pasta") == 0)
        return cx_fail(err, 0, "--network %s: rootless networking is not supported (capsactl "
                       "runs as root): name a network, or none or host", arg);
    if (cx_str_has_prefix(arg, "ns:"))
        return cx_fail(err, 0, "--network %s: not supported: use container:NAME or a network",
                       arg);
    if (cx_str_has_prefix(arg, "container:")) {
        if (!arg[10])
            return cx_fail(err, 0, "--network container: name a container");
        cx_strv_push(&o->networks, cx_strdup(arg + 10));
        return o->network = CX_NET_CONTAINER, 0;
    }
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *save = NULL;
    for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        bool dflt = strcmp(n, "bridge") == 0 || strcmp(n, "private") == 0 ||
                    strcmp(n, "default") == 0;
        const char *name = dflt ? CX_NETWORK_DEFAULT : n;
        if (cx_cni_name_check(name, err) < 0)
            return cx_error_prefix(err, "--network");
        cx_strv_push(&o->networks, cx_strdup(name));
    }
    if (!o->networks)
        return cx_fail(err, 0, "--network \"%s\": name a network", arg);
    o->network = CX_NET_CNI;
    return 0;
}
static const struct keyword pulls[] = {
    { "always", CX_PULL_ALWAYS }, { "newer", CX_PULL_ALWAYS }, { "missing", CX_PULL_MISSING },
    { "never", CX_PULL_NEVER }, { NULL, 0 },
};
static const struct keyword log_drivers[] = {
    { "k8s-file", 0 }, { "json-file", 0 }, { "none", 1 }, { NULL, 0 },
};

/* --log-opt max-size=SIZE or path=PATH (the log file, absolute) */
static int parse_log_opt(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    if (cx_str_has_prefix(arg, "path=")) {
        if (arg[5] != '/')
            return cx_fail(err, 0, "--log-opt path=%s: not an absolute path", arg + 5);
        free(o->log_path);
        o->log_path = cx_strdup(arg + 5);
        return 0;
    }
    if (!cx_str_has_prefix(arg, "max-size="))
        return cx_fail(err, 0, "--log-opt: \"%s\" is not supported (max-size=SIZE, path=PATH)",
                       arg);
    const char *v = arg + 9;
    if (strcmp(v, "-1") == 0)
        return o->log_max_size = -1, 0;
    if (cx_run_opts_size(v, 1000, &o->log_max_size) < 0)
        return cx_fail(err, 0, "--log-opt: invalid size \"%s\"", v);
    return 0;
}

/* ctrl-<a-z@^[\]_> or one printable character, comma separated; "" is
 * allowed (no detach keys). */
static int parse_detach_keys(struct cx_run_opts *o, const char *arg, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(arg);
    for (char *save = NULL, *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        bool ctrl = strncmp(k, "ctrl-", 5) == 0 && k[5] && !k[6] &&
                    ((k[5] >= 'a' && k[5] <= 'z') || strchr("@^[\\]_", k[5]));
        if (!ctrl && !(k[0] > 0x20 && k[0] < 0x7f && !k[1]))
            return cx_fail(err, 0, "--detach-keys: invalid key \"%s\" (ctrl-<a-z@^[\\]_> or a "
                           "single character, comma separated)", k);
    }
    free(o->detach_keys);
    o->detach_keys = cx_strdup(arg);
    return 0;
}

static int set_string(char **dst, const char *flag, const char *arg, cx_error *err)
{
    if (strcmp(flag, "--name") == 0 && !cx_name_valid(arg))
        return cx_fail(err, 0, "--name: \"%s\" is not a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
                       arg);
    if (strcmp(flag, "--workdir") == 0 && arg[0] != '/')
        return cx_fail(err, 0, "--workdir: \"%s\" is not an absolute path", arg);
    if (strcmp(flag, "--hostname") == 0 && (arg[0] == '\0' || strlen(arg) > 64))
        return cx_fail(err, 0, "--hostname: \"%s\": 1 to 64 characters", arg);
    free(*dst);
    *dst = arg[0] ? cx_strdup(arg) : NULL;
    return 0;
}

static int parse_int_flag(const char *flag, const char *arg, int64_t min, int64_t *out,
                          cx_error *err)
{
    if (cx_parse_i64(arg, out) < 0 || *out < min)
        return cx_fail(err, 0, "%s: invalid number \"%s\"", flag, arg);
    return 0;
}

/* ---- the option table ---- */

enum {
    O_NAME = 256, O_RM, O_DETACH_KEYS, O_ENV_FILE, O_ENTRYPOINT, O_MOUNT, O_TMPFS,
    O_READ_ONLY, O_CAP_ADD, O_CAP_DROP, O_PRIVILEGED, O_SECURITY_OPT, O_CPUS, O_PIDS_LIMIT,
    O_ULIMIT, O_INIT, O_RESTART, O_NETWORK, O_PULL, O_LABEL_FILE, O_ANNOTATION,
    O_STOP_SIGNAL, O_STOP_TIMEOUT, O_LOG_OPT, O_LOG_DRIVER, O_DETACH, O_INTERACTIVE, O_TTY,
    O_POD,
    O_NO_HOSTS, O_GROUP_ADD, O_RUNTIME,
    O_NET_FLAG,  /* + enum cx_net_flag: run_opts_net.c */
    O_RES_FLAG = O_NET_FLAG + 32,  /* + enum cx_res_flag: run_opts_res.c */
};

static const struct option long_opts[] = {
    { "name", required_argument, NULL, O_NAME },
    { "rm", optional_argument, NULL, O_RM },
    { "detach", optional_argument, NULL, O_DETACH },
    { "interactive", optional_argument, NULL, O_INTERACTIVE },
    { "tty", optional_argument, NULL, O_TTY },
    { "detach-keys", required_argument, NULL, O_DETACH_KEYS },
    { "env", required_argument, NULL, 'e' },
    { "env-file", required_argument, NULL, O_ENV_FILE },
    { "workdir", required_argument, NULL, 'w' },
    { "user", required_argument, NULL, 'u' },
    { "entrypoint", required_argument, NULL, O_ENTRYPOINT },
    { "volume", required_argument, NULL, 'v' },
    { "mount", required_argument, NULL, O_MOUNT },
    { "tmpfs", required_argument, NULL, O_TMPFS },
    { "read-only", optional_argument, NULL, O_READ_ONLY },
    { "cap-add", required_argument, NULL, O_CAP_ADD },
    { "cap-drop", required_argument, NULL, O_CAP_DROP },
    { "privileged", optional_argument, NULL, O_PRIVILEGED },
    { "security-opt", required_argument, NULL, O_SECURITY_OPT },
    { "memory", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, O_CPUS },
    { "cpu-shares", required_argument, NULL, 'c' },
    { "pids-limit", required_argument, NULL, O_PIDS_LIMIT },
    { "ulimit", required_argument, NULL, O_ULIMIT },
    { "hostname", required_argument, NULL, 'h' },
    { "init", optional_argument, NULL, O_INIT },
    { "restart", required_argument, NULL, O_RESTART },
    { "network", required_argument, NULL, O_NETWORK },
    { "net", required_argument, NULL, O_NETWORK },
    { "pod", required_argument, NULL, O_POD },
    { "pull", required_argument, NULL, O_PULL },
    { "label", required_argument, NULL, 'l' },
    { "label-file", required_argument, NULL, O_LABEL_FILE },
    { "annotation", required_argument, NULL, O_ANNOTATION },
    { "stop-signal", required_argument, NULL, O_STOP_SIGNAL },
    { "stop-timeout", required_argument, NULL, O_STOP_TIMEOUT },
    { "log-opt", required_argument, NULL, O_LOG_OPT },
    { "log-driver", required_argument, NULL, O_LOG_DRIVER },
    { "publish", required_argument, NULL, 'p' },
    { "publish-all", optional_argument, NULL, 'P' },
    { "ip", required_argument, NULL, O_NET_FLAG + CX_NF_IP },
    { "mac-address", required_argument, NULL, O_NET_FLAG + CX_NF_MAC },
    { "network-alias", required_argument, NULL, O_NET_FLAG + CX_NF_ALIAS },
    { "dns", required_argument, NULL, O_NET_FLAG + CX_NF_DNS },
    { "dns-search", required_argument, NULL, O_NET_FLAG + CX_NF_DNS_SEARCH },
    { "dns-option", required_argument, NULL, O_NET_FLAG + CX_NF_DNS_OPTION },
    { "dns-opt", required_argument, NULL, O_NET_FLAG + CX_NF_DNS_OPTION },
    { "add-host", required_argument, NULL, O_NET_FLAG + CX_NF_ADD_HOST },
    { "no-hosts", optional_argument, NULL, O_NO_HOSTS },
    { "group-add", required_argument, NULL, O_GROUP_ADD },
    { "runtime", required_argument, NULL, O_RUNTIME },
    { "device", required_argument, NULL, O_RES_FLAG + CX_RF_DEVICE },
    { "sysctl", required_argument, NULL, O_RES_FLAG + CX_RF_SYSCTL },
    { "cgroup-parent", required_argument, NULL, O_RES_FLAG + CX_RF_CGROUP_PARENT },
    { "pid", required_argument, NULL, O_RES_FLAG + CX_RF_PID },
    { "ipc", required_argument, NULL, O_RES_FLAG + CX_RF_IPC },
    { "uts", required_argument, NULL, O_RES_FLAG + CX_RF_UTS },
    { "cpuset-cpus", required_argument, NULL, O_RES_FLAG + CX_RF_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, O_RES_FLAG + CX_RF_CPUSET_MEMS },
    { "cpu-quota", required_argument, NULL, O_RES_FLAG + CX_RF_CPU_QUOTA },
    { "cpu-period", required_argument, NULL, O_RES_FLAG + CX_RF_CPU_PERIOD },
    { "memory-swap", required_argument, NULL, O_RES_FLAG + CX_RF_MEMORY_SWAP },
    { "memory-reservation", required_argument, NULL, O_RES_FLAG + CX_RF_MEMORY_RESERVATION },
    { "oom-score-adj", required_argument, NULL, O_RES_FLAG + CX_RF_OOM_SCORE_ADJ },
    { NULL, 0, NULL, 0 },
};

static int flag_bool(int c, struct cx_run_opts *o, const char *arg, cx_error *err)
{
    switch (c) {
    case O_RM: return parse_bool("--rm", arg, &o->rm, err);
    case 'd': case O_DETACH: return parse_bool("--detach", arg, &o->detach, err);
    case 'i': case O_INTERACTIVE: return parse_bool("--interactive", arg, &o->interactive, err);
    case 't': case O_TTY: return parse_bool("--tty", arg, &o->tty, err);
    case O_READ_ONLY: return parse_bool("--read-only", arg, &o->read_only, err);
    case O_PRIVILEGED: return parse_bool("--privileged", arg, &o->privileged, err);
    case O_INIT: return parse_bool("--init", arg, &o->init, err);
    case 'P': return parse_bool("--publish-all", arg, &o->publish_all, err);
    case O_NO_HOSTS: return parse_bool("--no-hosts", arg, &o->no_hosts, err);
    }
    return 1;
}

static int flag_value(int c, struct cx_run_opts *o, const char *arg, cx_error *err)
{
    int64_t v;
    int sig, k = 0;
    if (c >= O_NET_FLAG && c <= O_NET_FLAG + CX_NF_ADD_HOST)
        return cx_run_opts_net_flag(o, (enum cx_net_flag) (c - O_NET_FLAG), arg, err);
    if (c >= O_RES_FLAG && c <= O_RES_FLAG + CX_RF_OOM_SCORE_ADJ)
        return cx_run_opts_res_flag(o, (enum cx_res_flag) (c - O_RES_FLAG), arg, err);
    switch (c) {
    case O_NAME: return set_string(&o->name, "--name", arg, err);
    case 'w': return set_string(&o->workdir, "--workdir", arg, err);
    case 'u': return set_string(&o->user, "--user", arg, err);
    case 'h':
        if (cx_hostname_check(arg, err) < 0)
            return cx_error_prefix(err, "--hostname");
        return set_string(&o->hostname, "--hostname", arg, err);
    case 'e': return add_env(o, "--env", arg, err);
    case O_ENV_FILE: return each_line(o, "--env-file", arg, add_env, err);
    case 'l': return add_label(o, "--label", arg, err);
    case 'p': {
        struct cx_port *v = NULL;
        size_t n = 0;
        int r = cx_ports_parse(arg, &v, &n, err);
        free(v);
        return r < 0 ? -1 : (cx_strv_push(&o->publish, cx_strdup(arg)), 0);
    }
    case O_LABEL_FILE: return each_line(o, "--label-file", arg, add_label, err);
    case O_ANNOTATION:
        if (arg[0] == '=' || !strchr(arg, '='))
            return cx_fail(err, 0, "--annotation: \"%s\": expected KEY=VALUE", arg);
        return cx_strv_push(&o->annotations, cx_strdup(arg)), 0;
    case O_DETACH_KEYS: return parse_detach_keys(o, arg, err);
    case O_ENTRYPOINT: return parse_entrypoint(o, arg, err);
    case 'v': return cx_mount_parse_volume(o, arg, err);
    case O_MOUNT: return cx_mount_parse_mount(o, arg, err);
    case O_TMPFS: return cx_mount_parse_tmpfs(o, arg, err);
    case O_CAP_ADD: return add_caps(&o->cap_add, "--cap-add", arg, err);
    case O_CAP_DROP: return add_caps(&o->cap_drop, "--cap-drop", arg, err);
    case O_SECURITY_OPT: return cx_run_opts_security_opt(o, arg, err);
    case O_GROUP_ADD: return cx_run_opts_group_add(o, arg, err);
    case 'm': return parse_memory(o, arg, err);
    case O_CPUS: return parse_cpus(o, arg, err);
    case 'c':
        if (parse_int_flag("--cpu-shares", arg, 0, &v, err) < 0)
            return -1;
        return o->cpu_shares = (uint64_t) v, 0;
    case O_PIDS_LIMIT:
        if (parse_int_flag("--pids-limit", arg, INT64_MIN, &v, err) < 0)
            return -1;
        return o->pids_limit = v > 0 ? v : 0, 0;
    case O_ULIMIT: return add_ulimit(o, arg, err);
    case O_RESTART: return parse_restart(o, arg, err);
    case O_NETWORK: return parse_network(o, arg, err);
    case O_POD: return set_string(&o->pod, "--pod", arg, err);
    case O_RUNTIME: return set_string(&o->runtime, "--runtime", arg, err);
    case O_PULL:
        if (keyword("--pull", arg, pulls, "always, missing, never, newer", &k, err) < 0)
            return -1;
        return o->pull = (enum cx_pull_policy) k, 0;
    case O_STOP_SIGNAL:
        if (cx_signal_parse(arg, &sig, err) < 0)
            return cx_error_prefix(err, "--stop-signal");
        return set_string(&o->stop_signal, "--stop-signal", arg, err);
    case O_STOP_TIMEOUT:
        if (parse_int_flag("--stop-timeout", arg, 0, &v, err) < 0 || v > INT32_MAX)
            return cx_fail(err, 0, "--stop-timeout: invalid number \"%s\"", arg);
        return o->stop_timeout = (int) v, 0;
    case O_LOG_OPT: return parse_log_opt(o, arg, err);
    case O_LOG_DRIVER:
        if (keyword("--log-driver", arg, log_drivers, "k8s-file or none", &k, err) < 0)
            return -1;
        return o->log_none = k == 1, 0;
    }
    return cx_fail(err, 0, "%s: internal error: unhandled flag %d", "run", c);
}

void cx_run_opts_init(struct cx_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->memory = o->cpu_quota = o->pids_limit = o->log_max_size = o->memory_reservation = -1;
    o->stop_timeout = -1;
}

static int parse_flags(int argc, char **argv, struct cx_run_opts *o, cx_error *err)
{
    opterr = 0;
    optind = 0;  /* a full re-initialization of getopt (glibc) */
    int c;
    bool cpus = false, cfs = false;  /* --cpus; --cpu-quota or --cpu-period */
    while ((c = getopt_long(argc, argv, "+:ditc:e:h:l:m:p:Pu:v:w:", long_opts, NULL)) != -1) {
        if (c == '?') {
            if (optopt)
                return cx_fail(err, 0, "%s: unknown flag -%c (see --help)", argv[0], optopt);
            return cx_fail(err, 0, "%s: unknown flag %s (see --help)", argv[0], argv[optind - 1]);
        }
        if (c == ':')
            return cx_fail(err, 0, "%s: flag %s needs a value", argv[0], argv[optind - 1]);
        int r = flag_bool(c, o, optarg, err);
        if (r <= 0 ? r < 0 : flag_value(c, o, optarg, err) < 0)
            return -1;
        cpus |= c == O_CPUS;
        cfs |= c == O_RES_FLAG + CX_RF_CPU_QUOTA || c == O_RES_FLAG + CX_RF_CPU_PERIOD;
    }
    if (cpus && cfs)  /* --cpus is a quota over a period of its own */
        return cx_fail(err, 0, "--cpus: conflicts with --cpu-quota and --cpu-period (give "
                       "either)");
    return 0;
}

static int parse_all(int argc, char **argv, struct cx_run_opts *o, cx_error *err)
{
    const char *cmd = argc > 0 ? argv[0] : "run";
    if (parse_flags(argc, argv, o, err) < 0)
        return -1;
    if (optind >= argc)
        return cx_fail(err, 0, "%s: an image is required (usage: capsactl %s [FLAGS] IMAGE "
                       "[COMMAND [ARG...]])", cmd, cmd);
    if (o->pod && (o->network != CX_NET_DEFAULT || o->publish || o->publish_all ||
                   o->hostname))
        return cx_fail(err, 0, "--pod: the network, published ports and hostname are the "
                       "pod's: give --network, -p or --hostname to pod create");
    if (o->network == CX_NET_DEFAULT && !o->pod) {  /* the default network */
        o->network = CX_NET_CNI;
        cx_strv_push(&o->networks, cx_strdup(CX_NETWORK_DEFAULT));
    }
    if ((o->publish || o->publish_all) && o->network != CX_NET_CNI)
        return cx_fail(err, 0, "-p/-P: published ports need a network (not --network none, "
                       "host or container:)");
    if (cx_run_opts_net_check(o, err) < 0 || cx_run_opts_res_check(o, err) < 0)
        return -1;
    if (o->rm && o->restart != CX_RESTART_NO)
        return cx_fail(err, 0, "--restart: conflicts with --rm (a removed container cannot "
                       "restart)");
    o->image = cx_strdup(argv[optind]);
    o->args = cx_strv_copy(argv + optind + 1);
    return 0;
}

int cx_hostname_check(const char *h, cx_error *err)
{
    size_t n = strlen(h);
    bool ok = n > 0 && n <= 64 && h[0] != '-' && h[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char) h[i]) || h[i] == '-' || h[i] == '.' || h[i] == '_';
    return ok ? 0 : cx_fail(err, 0, "\"%s\" is not a valid hostname (letters, digits, '-', '_' "
                            "and '.', at most 64)", cx_printable(h, (char[112]){ 0 }));
}

int cx_run_opts_parse(int argc, char **argv, struct cx_run_opts *o, cx_error *err)
{
    cx_run_opts_init(o);
    if (parse_all(argc, argv, o, err) < 0) {
        cx_run_opts_free(o);
        return -1;
    }
    return 0;
}

void cx_run_opts_free(struct cx_run_opts *o)
{
    char **strs[] = { &o->name, &o->detach_keys, &o->workdir, &o->user, &o->hostname,
                      &o->seccomp, &o->stop_signal, &o->image, &o->pod,
                      &o->ns_join[0], &o->ns_join[1], &o->ns_join[2], &o->ns_join[3],
                      &o->ip, &o->mac, &o->log_path, &o->cgroup_parent, &o->cpuset_cpus,
                      &o->cpuset_mems, &o->apparmor, &o->runtime, &o->runtime_root,
                      &o->cni_args };
    char ***strvs[] = { &o->env, &o->entrypoint, &o->cap_add, &o->cap_drop, &o->labels,
                        &o->annotations, &o->args, &o->networks, &o->publish, &o->aliases,
                        &o->dns, &o->dns_search, &o->dns_options, &o->add_hosts,
                        &o->devices, &o->sysctls, &o->group_add, &o->mask, &o->unmask,
                        &o->readonly_paths };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    for (size_t i = 0; i < sizeof strvs / sizeof strvs[0]; i++)
        cx_strv_free(*strvs[i]);
    for (size_t i = 0; i < o->nmounts; i++) {
        free(o->mounts[i].source);
        free(o->mounts[i].dest);
        cx_strv_free(o->mounts[i].options);
    }
    free(o->mounts);
    free(o->ulimits);
    cx_run_opts_init(o);
}
