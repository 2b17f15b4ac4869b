/* cmd_exec.c: `capsa exec`: a process from --process FILE (as containerd
 * and conmon send it) or from the command line, based on the container's
 * own process (env, cwd, user, capabilities), as runc builds it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/selfexe.h"

enum { OPT_CONSOLE = 1000, OPT_PIDFILE, OPT_PRESERVE, OPT_NNP, OPT_LABEL,
       OPT_APPARMOR, OPT_CGROUP, OPT_IGNORE_PAUSED };

struct exec_flags {
    struct cx_exec_opts o;
    const char *process_file, *cwd, *user, *apparmor, *label;
    json_t *env, *caps, *gids;
    bool tty, nnp;
    const char *cgroups[32];
};

static int set_user(json_t *proc, const char *spec, json_t *gids, cx_error *err)
{
    json_t *user = json_object_get(proc, "user");
    if (!json_is_object(user))
        json_object_set_new(proc, "user", user = json_pack("{s:i,s:i}", "uid", 0, "gid", 0));
    if (spec) {
        int64_t uid, gid = 0;
        _cleanup_free_ char *copy = cx_strdup(spec);
        char *colon = strchr(copy, ':');
        if (colon)
            *colon++ = '\0';
        if (cx_parse_i64(copy, &uid) < 0 || uid < 0 || uid > UINT32_MAX ||
            (colon && (cx_parse_i64(colon, &gid) < 0 || gid < 0 || gid > UINT32_MAX)))
            return cx_fail(err, 0, "--user \"%s\": expected UID[:GID]", spec);
        json_object_set_new(user, "uid", json_integer(uid));
        json_object_set_new(user, "gid", json_integer(gid));
    }
    if (json_array_size(gids))
        json_object_set(user, "additionalGids", gids);
    return 0;
}

static void add_caps(json_t *proc, json_t *caps)
{
    static const char *sets[] = { "bounding", "effective", "permitted", "ambient" };
    json_t *c = json_object_get(proc, "capabilities");
    if (json_array_size(caps) == 0)
        return;
    if (!json_is_object(c))
        json_object_set_new(proc, "capabilities", c = json_object());
    for (size_t i = 0; i < 4; i++) {
        json_t *set = json_object_get(c, sets[i]);
        if (!json_is_array(set))
            json_object_set_new(c, sets[i], set = json_array());
        json_array_extend(set, caps);
    }
}

/* The process runc builds from flags: the container's, with overrides. */
static json_t *process_from_flags(struct exec_flags *f, json_t *config, int argc,
                                  char **argv, cx_error *err)
{
    json_t *base = config ? json_object_get(config, "process") : NULL;
    json_t *proc = base ? json_deep_copy(base) : json_object();
    json_t *args = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(proc, "args", args);
    json_object_del(proc, "commandLine");
    json_object_set_new(proc, "terminal", json_boolean(f->tty));
    json_t *env = json_object_get(proc, "env");
    if (!json_is_array(env))
        json_object_set_new(proc, "env", env = json_array());
    json_array_extend(env, f->env);
    if (f->cwd)
        json_object_set_new(proc, "cwd", json_string(f->cwd));
    if (!json_object_get(proc, "cwd"))
        json_object_set_new(proc, "cwd", json_string("/"));
    if (f->nnp)
        json_object_set_new(proc, "noNewPrivileges", json_true());
    if (f->apparmor)
        json_object_set_new(proc, "apparmorProfile", json_string(f->apparmor));
    if (f->label)
        json_object_set_new(proc, "selinuxLabel", json_string(f->label));
    add_caps(proc, f->caps);
    if (set_user(proc, f->user, f->gids, err) < 0) {
        json_decref(proc);
        return NULL;
    }
    return proc;
}

static int parse_flags(int argc, char **argv, struct exec_flags *f, cx_error *err)
{
    static const struct option opts[] = {
        { "console-socket", required_argument, NULL, OPT_CONSOLE },
        { "pid-file", required_argument, NULL, OPT_PIDFILE },
        { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
        { "no-new-privs", no_argument, NULL, OPT_NNP },
        { "process-label", required_argument, NULL, OPT_LABEL },
        { "apparmor", required_argument, NULL, OPT_APPARMOR },
        { "cgroup", required_argument, NULL, OPT_CGROUP },
        { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
        { "process", required_argument, NULL, 'p' },
        { "detach", no_argument, NULL, 'd' },
        { "tty", no_argument, NULL, 't' },
        { "cwd", required_argument, NULL, 'w' },
        { "env", required_argument, NULL, 'e' },
        { "user", required_argument, NULL, 'u' },
        { "additional-gids", required_argument, NULL, 'g' },
        { "cap", required_argument, NULL, 'c' },
        { 0 },
    };
    int c;
    int64_t v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+p:dtw:e:u:g:c:", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONSOLE: f->o.console_socket = optarg; break;
        case OPT_PIDFILE: f->o.pid_file = optarg; break;
        case OPT_PRESERVE:
            if (cx_parse_int(optarg, &f->o.preserve_fds) < 0 || f->o.preserve_fds < 0)
                return cx_fail(err, 0, "--preserve-fds: \"%s\" is not a count", optarg);
            break;
        case OPT_NNP: f->nnp = true; break;
        case OPT_LABEL: f->label = optarg; break;
        case OPT_APPARMOR: f->apparmor = optarg; break;
        case OPT_CGROUP:
            if (f->o.n_cgroups == sizeof f->cgroups / sizeof f->cgroups[0])
                return cx_fail(err, 0, "--cgroup: at most %zu", f->o.n_cgroups);
            f->cgroups[f->o.n_cgroups++] = optarg;
            break;
        case OPT_IGNORE_PAUSED: f->o.ignore_paused = true; break;
        case 'p': f->process_file = optarg; break;
        case 'd': f->o.detach = true; break;
        case 't': f->tty = true; break;
        case 'w': f->cwd = optarg; break;
        case 'e': json_array_append_new(f->env, json_string(optarg)); break;
        case 'u': f->user = optarg; break;
        case 'c': json_array_append_new(f->caps, json_string(optarg)); break;
        case 'g':
            if (cx_parse_i64(optarg, &v) < 0 || v < 0 || v > UINT32_MAX)
                return cx_fail(err, 0, "--additional-gids: \"%s\" is not a gid", optarg);
            json_array_append_new(f->gids, json_integer(v));
            break;
        default:
            return cx_fail(err, 0, "exec: unknown option %s", argv[optind - 1]);
        }
    }
    return optind;
}

/* The process to run: --process FILE, or the flags and the command.  The
 * binary protection's re-exec (selfexe.h) happens before the file is read:
 * it may be a pipe (bash's <(...), /dev/fd/63), which a second reading
 * after the re-exec would find empty.  The file is read as a stream. */
static json_t *load_process(struct exec_flags *f, const char *root, const char *id,
                            int argc, char **argv, cx_error *err)
{
    if (!f->process_file && argc == 0) {
        cx_fail(err, 0, "exec: no command given (usage: capsa exec <container-id> <command> [args...])");
        return NULL;
    }
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, false, &c, err) < 0)
        return NULL;
    if (selfexe_needed_json(cx_container_config(c), NULL))
        selfexe_protect();
    if (f->process_file == NULL)
        return process_from_flags(f, cx_container_config(c), argc, argv, err);
    _cleanup_fclose_ FILE *in = fopen(f->process_file, "re");
    if (in == NULL) {
        cx_fail_errno(err, "--process %s", f->process_file);
        return NULL;
    }
    json_error_t je;
    json_t *p = json_loadf(in, 0, &je);
    if (p == NULL)
        cx_fail(err, 0, "--process %s: line %d: %s", f->process_file, je.line, je.text);
    return p;
}

int cmd_exec(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    struct exec_flags f = { .o = { .root = g->root }, .env = json_array(),
                            .caps = json_array(), .gids = json_array() };
    int code = -1, first = parse_flags(argc, argv, &f, err);
    if (first >= 0 && argc - first < 1)
        first = cx_fail(err, 0, "usage: capsa exec [options] <container-id> <command> [args...]");
    if (first >= 0) {
        f.o.id = argv[first];
        f.o.cgroups = f.cgroups;
        f.o.process = load_process(&f, g->root, f.o.id, argc - first - 1, argv + first + 1, err);
        if (f.o.process && cx_exec(&f.o, &code, err) < 0)
            code = -1;
    }
    if (code < 0 && err->msg[0]) {
        cx_log_error(err); /* printed here: exec failures exit 255, as runc's */
        code = 255;
    }
    json_decref(f.o.process);
    json_decref(f.env);
    json_decref(f.caps);
    json_decref(f.gids);
    return code;
}
