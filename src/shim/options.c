/* options.c: see options.h.  getopt_long over conmon's option table:
 * `--opt value`, `--opt=value` and `-x value` all work, repeatable options
 * accumulate, and `--api-version` takes its value as podman passes it. */
#include "shim/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

enum {
    O_API = 1000, O_EXEC_ATTACH, O_EXEC_SPEC, O_EXIT_CMD, O_EXIT_ARG, O_EXIT_DELAY,
    O_EXIT_DIR, O_LEAVE_STDIN, O_LOG_LEVEL, O_LOG_SIZE, O_LOG_GSIZE, O_LOG_TAG,
    O_NO_KEYRING, O_NO_PIVOT, O_NO_SYNC_LOG, O_REPLACE_LISTEN, O_RESTORE,
    O_RUNTIME_ARG, O_RUNTIME_OPT, O_SDNOTIFY, O_SOCKET_DIR, O_SYNC, O_SYSLOG,
    O_VERSION, O_FULL_ATTACH, O_PIDFILE, O_PERSIST, O_SECCOMP_SOCK, O_SECCOMP_PLUG,
};

static const struct option long_opts[] = {
    { "api-version", required_argument, NULL, O_API },
    { "bundle", required_argument, NULL, 'b' },
    { "cid", required_argument, NULL, 'c' },
    { "conmon-pidfile", required_argument, NULL, 'P' },
    { "container-pidfile", required_argument, NULL, 'p' },
    { "pidfile", required_argument, NULL, O_PIDFILE },
    { "cuuid", required_argument, NULL, 'u' },
    { "exec", no_argument, NULL, 'e' },
    { "exec-attach", no_argument, NULL, O_EXEC_ATTACH },
    { "exec-process-spec", required_argument, NULL, O_EXEC_SPEC },
    { "exit-command", required_argument, NULL, O_EXIT_CMD },
    { "exit-command-arg", required_argument, NULL, O_EXIT_ARG },
    { "exit-delay", required_argument, NULL, O_EXIT_DELAY },
    { "exit-dir", required_argument, NULL, O_EXIT_DIR },
    { "full-attach", no_argument, NULL, O_FULL_ATTACH },
    { "help", no_argument, NULL, 'h' },
    { "leave-stdin-open", no_argument, NULL, O_LEAVE_STDIN },
    { "log-level", required_argument, NULL, O_LOG_LEVEL },
    { "log-path", required_argument, NULL, 'l' },
    { "log-size-max", required_argument, NULL, O_LOG_SIZE },
    { "log-global-size-max", required_argument, NULL, O_LOG_GSIZE },
    { "log-tag", required_argument, NULL, O_LOG_TAG },
    { "name", required_argument, NULL, 'n' },
    { "no-new-keyring", no_argument, NULL, O_NO_KEYRING },
    { "no-pivot", no_argument, NULL, O_NO_PIVOT },
    { "no-sync-log", no_argument, NULL, O_NO_SYNC_LOG },
    { "persist-dir", required_argument, NULL, O_PERSIST },
    { "replace-listen-pid", no_argument, NULL, O_REPLACE_LISTEN },
    { "restore", required_argument, NULL, O_RESTORE },
    { "runtime", required_argument, NULL, 'r' },
    { "runtime-arg", required_argument, NULL, O_RUNTIME_ARG },
    { "runtime-opt", required_argument, NULL, O_RUNTIME_OPT },
    { "restore-arg", required_argument, NULL, O_RUNTIME_OPT },
    { "sdnotify-socket", required_argument, NULL, O_SDNOTIFY },
    { "seccomp-notify-socket", required_argument, NULL, O_SECCOMP_SOCK },
    { "seccomp-notify-plugins", required_argument, NULL, O_SECCOMP_PLUG },
    { "socket-dir-path", required_argument, NULL, O_SOCKET_DIR },
    { "stdin", no_argument, NULL, 'i' },
    { "sync", no_argument, NULL, O_SYNC },
    { "syslog", no_argument, NULL, O_SYSLOG },
    { "systemd-cgroup", no_argument, NULL, 's' },
    { "terminal", no_argument, NULL, 't' },
    { "timeout", required_argument, NULL, 'T' },
    { "version", no_argument, NULL, O_VERSION },
    { NULL, 0, NULL, 0 },
};

void shim_opts_usage(void)
{
    printf("usage: capsa-shim [options]  (conmon's command line)\n"
           "  -c/--cid ID -u/--cuuid UUID -n/--name NAME -r/--runtime PATH\n"
           "  -b/--bundle DIR -p/--container-pidfile F -P/--conmon-pidfile F\n"
           "  -l/--log-path k8s-file:PATH|PATH|none  --log-size-max N\n"
           "  --exit-dir DIR --exit-command PATH [--exit-command-arg A]... --exit-delay S\n"
           "  --runtime-arg A --runtime-opt A -t/--terminal -i/--stdin --leave-stdin-open\n"
           "  -e/--exec --exec-attach --exec-process-spec F --full-attach\n"
           "  --socket-dir-path DIR --persist-dir DIR -T/--timeout S --sync --syslog\n"
           "  -s/--systemd-cgroup --no-pivot --no-new-keyring --api-version N --version\n");
}

static void strv_push(char ***v, const char *s)
{
    size_t n = cx_strv_len(*v);
    char **nv = realloc(*v, (n + 2) * sizeof *nv);
    if (nv == NULL)
        abort();
    nv[n] = cx_strdup(s);
    nv[n + 1] = NULL;
    *v = nv;
}

static void set_str(char **slot, const char *s)
{
    free(*slot);
    *slot = cx_strdup(s);
}

/* -l VALUE: "k8s-file:PATH", "PATH" (k8s-file), "journald[:...]", "none",
 * "off", "null", "passthrough".  Repeatable, as in conmon. */
static int parse_log_path(struct shim_opts *o, const char *v, cx_error *err)
{
    const char *colon = strchr(v, ':');
    size_t dlen = colon ? (size_t) (colon - v) : strlen(v);
    if (!colon && (!strcmp(v, "none") || !strcmp(v, "off") || !strcmp(v, "null")))
        return 0;
    if (!colon && !strcmp(v, "passthrough")) {
        o->log_passthrough = true;
        return 0;
    }
    if (dlen == 8 && !strncmp(v, "journald", 8)) {
        o->log_journald = true;
        return 0;
    }
    if (!colon) {
        set_str(&o->log_path, v);
        return 0;
    }
    if (!(dlen == 8 && !strncmp(v, "k8s-file", 8)))
        return cx_fail(err, 0, "--log-path %s: unknown log driver \"%.*s\" "
                       "(k8s-file, journald, none or passthrough)", v, (int) dlen, v);
    if (colon[1] == '\0')
        return cx_fail(err, 0, "--log-path %s: k8s-file needs a file name", v);
    set_str(&o->log_path, colon + 1);
    return 0;
}

static int parse_num(const char *name, const char *v, int64_t min, int64_t *out,
                     cx_error *err)
{
    int64_t n;
    if (cx_parse_i64(v, &n) < 0 || n < min)
        return cx_fail(err, 0, "--%s: invalid value \"%s\"", name, v);
    *out = n;
    return 0;
}

static int parse_int_opt(const char *name, const char *v, int *out, cx_error *err)
{
    int64_t n = 0;
    if (parse_num(name, v, 0, &n, err) < 0)
        return -1;
    if (n > 0x7fffffff)
        return cx_fail(err, 0, "--%s: value \"%s\" is too large", name, v);
    *out = (int) n;
    return 0;
}

static int take_string(struct shim_opts *o, int c, const char *v)
{
    char **slot = NULL;
    switch (c) {
    case 'b': slot = &o->bundle; break;
    case 'c': slot = &o->cid; break;
    case 'P': slot = &o->conmon_pidfile; break;
    case 'p': case O_PIDFILE: slot = &o->container_pidfile; break;
    case 'u': slot = &o->cuuid; break;
    case 'n': slot = &o->name; break;
    case 'r': slot = &o->runtime; break;
    case O_EXEC_SPEC: slot = &o->exec_process_spec; break;
    case O_EXIT_CMD: slot = &o->exit_command; break;
    case O_EXIT_DIR: slot = &o->exit_dir; break;
    case O_LOG_LEVEL: slot = &o->log_level; break;
    case O_LOG_TAG: slot = &o->log_tag; break;
    case O_PERSIST: slot = &o->persist_dir; break;
    case O_RESTORE: slot = &o->restore_path; break;
    case O_SDNOTIFY: slot = &o->sdnotify_socket; break;
    case O_SOCKET_DIR: slot = &o->socket_dir; break;
    default: return 0;
    }
    set_str(slot, v);
    return 1;
}

static bool *flag_slot(struct shim_opts *o, int c)
{
    switch (c) {
    case 'e': return &o->exec;
    case O_EXEC_ATTACH: return &o->exec_attach;
    case O_FULL_ATTACH: return &o->full_attach;
    case 'h': return &o->help;
    case O_LEAVE_STDIN: return &o->leave_stdin_open;
    case O_NO_KEYRING: return &o->no_new_keyring;
    case O_NO_PIVOT: return &o->no_pivot;
    case O_NO_SYNC_LOG: return &o->no_sync_log;
    case O_REPLACE_LISTEN: return &o->replace_listen_pid;
    case 'i': return &o->stdin_open;
    case O_SYNC: return &o->sync;
    case O_SYSLOG: return &o->syslog;
    case 's': return &o->systemd_cgroup;
    case 't': return &o->terminal;
    case O_VERSION: return &o->version;
    default: return NULL;
    }
}

static int take_option(struct shim_opts *o, int c, const char *v, cx_error *err)
{
    bool *flag = flag_slot(o, c);
    int64_t n = 0;
    if (flag) {
        *flag = true;
        return 0;
    }
    if (take_string(o, c, v))
        return 0;
    switch (c) {
    case 'l': return parse_log_path(o, v, err);
    case O_EXIT_ARG: strv_push(&o->exit_args, v); return 0;
    case O_RUNTIME_ARG: strv_push(&o->runtime_args, v); return 0;
    case O_RUNTIME_OPT: strv_push(&o->runtime_opts, v); return 0;
    case O_EXIT_DELAY: return parse_int_opt("exit-delay", v, &o->exit_delay, err);
    case 'T': return parse_int_opt("timeout", v, &o->timeout, err);
    case O_API: return parse_int_opt("api-version", v, &o->api_version, err);
    case O_LOG_SIZE:
        if (parse_num("log-size-max", v, -1, &n, err) < 0)
            return -1;
        o->log_size_max = n > 0 ? n : -1;
        return 0;
    case O_LOG_GSIZE:
        if (parse_num("log-global-size-max", v, -1, &n, err) < 0)
            return -1;
        o->log_global_size_max = n > 0 ? n : -1;
        return 0;
    case O_SECCOMP_SOCK: case O_SECCOMP_PLUG:
        return cx_fail(err, 0, "seccomp notification (--%s) is not supported by capsa-shim",
                       c == O_SECCOMP_SOCK ? "seccomp-notify-socket" : "seccomp-notify-plugins");
    default:
        return cx_fail(err, 0, "internal: unhandled option %d", c);
    }
}

static int check_combinations(const struct shim_opts *o, cx_error *err)
{
    if (o->version || o->help)
        return 0;
    if (!o->cid)
        return cx_fail(err, 0, "container ID not provided: use --cid");
    if (!o->cuuid)
        return cx_fail(err, 0, "container UUID not provided: use --cuuid");
    if (!o->runtime)
        return cx_fail(err, 0, "runtime path not provided: use --runtime");
    if (o->exec && !o->exec_process_spec)
        return cx_fail(err, 0, "exec process spec not provided: use --exec-process-spec");
    if (o->exec_attach && !o->exec)
        return cx_fail(err, 0, "--exec-attach needs --exec");
    if (o->exec && o->restore_path)
        return cx_fail(err, 0, "--exec and --restore cannot be used together");
    if (o->log_journald)
        return cx_fail(err, 0, "--log-path journald: the journald log driver is not "
                       "supported by capsa-shim (use k8s-file)");
    if (o->log_passthrough)
        return cx_fail(err, 0, "--log-path passthrough: not supported by capsa-shim "
                       "(use k8s-file)");
    if (o->sdnotify_socket)
        return cx_fail(err, 0, "--sdnotify-socket: relaying sd_notify is not supported "
                       "by capsa-shim");
    return 0;
}

int shim_opts_parse(int argc, char **argv, struct shim_opts *o, cx_error *err)
{
    memset(o, 0, sizeof *o);
    o->log_size_max = o->log_global_size_max = -1;
    optind = 0;  /* full reset: tests parse many command lines */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+:b:c:P:p:u:el:n:r:isthT:", long_opts, NULL);
        if (c == -1)
            break;
        if (c == '?') {
            if (optopt)
                return cx_fail(err, 0, "unknown option -%c", optopt);
            return cx_fail(err, 0, "unknown option %s", argv[optind - 1]);
        }
        if (c == ':')
            return cx_fail(err, 0, "option %s needs a value", argv[optind - 1]);
        if (take_option(o, c, optarg, err) < 0)
            return -1;
    }
    if (optind < argc)
        return cx_fail(err, 0, "unexpected argument \"%s\"", argv[optind]);
    return check_combinations(o, err);
}

int shim_opts_finish(struct shim_opts *o, cx_error *err)
{
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return cx_fail_errno(err, "getcwd");
    if (!o->bundle && !o->exec)
        o->bundle = cx_strdup(cwd);
    if (!o->container_pidfile)
        o->container_pidfile = cx_asprintf("%s/pidfile-%s", cwd, o->cid);
    if (access(o->runtime, X_OK) < 0)
        return cx_fail_errno(err, "runtime %s", o->runtime);
    return 0;
}

void shim_opts_free(struct shim_opts *o)
{
    char **strs[] = { &o->cid, &o->cuuid, &o->name, &o->runtime, &o->bundle,
                      &o->container_pidfile, &o->conmon_pidfile, &o->log_path,
                      &o->log_level, &o->log_tag, &o->exit_dir, &o->exit_command,
                      &o->socket_dir, &o->persist_dir, &o->exec_process_spec,
                      &o->restore_path, &o->sdnotify_socket };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    cx_strv_free(o->exit_args);
    cx_strv_free(o->runtime_args);
    cx_strv_free(o->runtime_opts);
    o->exit_args = o->runtime_args = o->runtime_opts = NULL;
}
