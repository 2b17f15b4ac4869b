/* ctl_inspect.c: `capsactl inspect` (containers, then images, as podman
 * looks them up), `container inspect`, `logs`, and `start -a`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/ctr_net.h"
#include "engine/ctr_runtime.h"
#include "engine/attach.h"
#include "engine/gotmpl.h"
#include "engine/lifecycle.h"
#include "engine/logread.h"

/* v (a new reference), or a new empty array or object */
static json_t *ref_or(json_t *v, bool object)
{
    return v ? json_incref(v) : object ? json_object() : json_array();
}

/* podman's HostConfig, the part capsa has: the resolver and /etc/hosts */
static json_t *host_config(json_t *opts)
{
    return json_pack("{s:o, s:o, s:o, s:o}",
                     "Dns", ref_or(json_object_get(opts, "dns"), false),
                     "DnsSearch", ref_or(json_object_get(opts, "dns_search"), false),
                     "DnsOptions", ref_or(json_object_get(opts, "dns_options"), false),
                     "ExtraHosts", ref_or(json_object_get(opts, "add_hosts"), false));
}

/* podman's container inspect document, the fields both have */
static json_t *inspect_json(struct cx_engine *e, struct cx_ctr *c)
{
    char created[64], started[64], finished[64];
    ctl_format_rfc3339(c->created, created, sizeof created);
    ctl_format_rfc3339(c->started, started, sizeof started);
    ctl_format_rfc3339(c->finished, finished, sizeof finished);
    _cleanup_free_ char *cfgpath = cx_engine_ctr_path(e, c->id, "config.json");
    _cleanup_free_ char *logpath = cx_engine_log_path(e, c->id, c->opts);
    json_t *spec = json_load_file(cfgpath, 0, NULL);
    json_t *proc = json_object_get(spec, "process");
    json_t *opts = json_loads(c->opts, 0, NULL);
    bool live = c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED;
    const char *st = c->state == CX_CTR_CONFIGURED ? "created" : cx_ctr_state_name(c->state);
    json_t *state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}",
        "Status", st, "Running", c->state == CX_CTR_RUNNING, "Paused",
        c->state == CX_CTR_PAUSED, "Restarting", false, "OOMKilled", c->oom, "Dead", false,
        "Pid", live ? c->pid : 0, "ExitCode", c->has_exit ? c->exit_code : 0,
        "Error", "", "StartedAt", started, "FinishedAt", finished);
    json_t *timeout = json_object_get(opts, "stop_timeout");
    json_t *config = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:b, s:b, s:s, s:s, s:I}",
        "Hostname", json_string_value(json_object_get(spec, "hostname")) ?: "",
        "Env", ref_or(json_object_get(proc, "env"), false),
        "Cmd", ref_or(json_object_get(proc, "args"), false),
        "Image", c->image_name,
        "Labels", ctl_ctr_labels(opts),
        "Annotations", ref_or(json_object_get(spec, "annotations"), true),
        "Tty", json_is_true(json_object_get(proc, "terminal")),
        "OpenStdin", json_is_true(json_object_get(opts, "interactive")),
        "User", json_string_value(json_object_get(opts, "user")) ?: "",
        "WorkingDir", json_string_value(json_object_get(proc, "cwd")) ?: "/",
        "StopTimeout", (json_int_t) (json_integer_value(timeout) >= 0 && timeout
                                     ? json_integer_value(timeout) : 10));
    json_t *path = json_array_get(json_object_get(proc, "args"), 0);
    json_t *doc = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:i, s:s, s:s, s:o, "
                            "s:s, s:s, s:o, s:o}",
        "Id", c->id, "Created", created,
        "Path", path ? json_incref(path) : json_null(),
        "Args", ref_or(json_object_get(proc, "args"), false), "State", state,
        "Image", c->image_id, "ImageName", c->image_name, "Name", c->name,
        "RestartCount", c->restarts, "LogPath", logpath ? logpath : "",
        "OCIRuntime", cx_rt_name(c),
        "Config", config, "Rootfs", "", "Driver", "overlay",
        "NetworkSettings", cx_ctr_net_settings(e, c->id, opts),
        "HostConfig", host_config(opts));
    json_decref(spec);
    json_decref(opts);
    return doc;
}

static int print_docs(json_t *arr, const char *format, cx_error *err)
{
    if (!format || strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = json_dumps(arr, JSON_INDENT(4));
        printf("%s\n", s ? s : "[]");
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        _cleanup_free_ char *out = NULL;
        if (cx_gotmpl_render(format, v, &out, err) < 0)
            return -1;
        printf("%s\n", out);
    }
    return 0;
}

int ctl_inspect(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "type", required_argument, NULL, 't' },
        { "size", no_argument, NULL, 's' }, { 0 },
    };
    const char *format = NULL, *type = "all";
    int c;
    while ((c = getopt_long(argc, argv, "+f:t:s", opts, NULL)) != -1)
        switch (c) {
        case 'f': format = optarg; break;
        case 't': type = optarg; break;
        case 's': break;
        default: return cx_fail(err, EINVAL, "inspect: unknown flag %s", argv[optind - 1]);
        }
    if (optind >= argc)
        return cx_fail(err, EINVAL, "inspect: give a container or image");
    if (strcmp(type, "image") == 0)
        return ctl_image_inspect(g, argc, argv, err);
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    json_auto_t *arr = json_array();
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        struct cx_ctr ctr;
        bool found = false;
        rc = cx_ctr_lookup(&e.store.db, argv[i], &ctr, &found, err);
        if (rc == 0 && found) {
            cx_ctr_sync(&e, &ctr);
            json_array_append_new(arr, inspect_json(&e, &ctr));
            cx_ctr_free(&ctr);
        } else if (rc == 0 && strcmp(type, "all") == 0) {
            struct cx_image_rec img;
            bool known = cx_image_lookup(&e.store, argv[i], &img, &found, err) == 0 && found;
            if (known)
                cx_image_rec_free(&img);
            else if (ctl_image_find(g, &e.store, argv[i], &img, err) == 0) {
                known = true;
                cx_image_rec_free(&img);
            }
            if (!known) {
                cx_engine_close(&e);
                return cx_fail(err, ENOENT, "no such object: \"%s\"", argv[i]);
            }
            cx_engine_close(&e);
            optind = 0;   /* not a container: an image, as podman does */
            return ctl_image_inspect(g, argc, argv, err);
        } else if (rc == 0)
            rc = cx_fail(err, ENOENT, "no container with name or ID \"%s\" found", argv[i]);
    }
    if (rc == 0)
        rc = print_docs(arr, format, err);
    cx_engine_close(&e);
    return rc;
}

struct follow {
    struct cx_engine *e;
    const char *id;
};

static bool follow_done(void *arg)
{
    struct follow *f = arg;
    struct cx_ctr c;
    bool found = false;
    cx_error ignored = { 0 };
    if (cx_ctr_lookup(&f->e->store.db, f->id, &c, &found, &ignored) < 0 || !found)
        return true;
    cx_ctr_sync(f->e, &c);
    bool done = c.state != CX_CTR_RUNNING && c.state != CX_CTR_PAUSED &&
                c.state != CX_CTR_CREATED;
    cx_ctr_free(&c);
    return done;
}

static int logs_flags(int argc, char **argv, struct cx_logread_opts *o, cx_error *err)
{
    static const struct option opts[] = {
        { "follow", no_argument, NULL, 'f' }, { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' }, { "tail", required_argument, NULL, 'n' },
        { "timestamps", no_argument, NULL, 't' }, { "names", no_argument, NULL, 'N' },
        { 0 },
    };
    int64_t now = cx_now_ns();
    int c;
    while ((c = getopt_long(argc, argv, "+fnt", opts, NULL)) != -1)
        switch (c) {
        case 'f': o->follow = true; break;
        case 't': o->timestamps = true; break;
        case 'N': break;
        case 'S':
            if (cx_logtime_parse(optarg, now, &o->since_ns, err) < 0)
                return cx_error_prefix(err, "logs: --since");
            break;
        case 'U':
            if (cx_logtime_parse(optarg, now, &o->until_ns, err) < 0)
                return cx_error_prefix(err, "logs: --until");
            break;
        case 'n':
            if (cx_parse_i64(optarg, &o->tail) < 0 || o->tail < -1)
                return cx_fail(err, EINVAL, "logs: --tail %s: not a number of lines", optarg);
            break;
        default: return cx_fail(err, EINVAL, "logs: unknown flag %s", argv[optind - 1]);
        }
    if (optind >= argc)
        return cx_fail(err, EINVAL, "logs: give a container name or ID");
    return 0;
}

int ctl_logs(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct cx_logread_opts o = { .tail = -1 };
    if (logs_flags(argc, argv, &o, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        struct cx_ctr c;
        if ((rc = cx_ctr_lookup(&e.store.db, argv[i], &c, NULL, err)) < 0)
            break;
        struct follow f = { &e, c.id };
        o.done = follow_done;
        o.done_arg = &f;
        _cleanup_free_ char *path = cx_engine_log_path(&e, c.id, c.opts);
        if (path == NULL)  /* podman's answer too */
            rc = cx_fail(err, EINVAL, "logs: container %s uses the none log driver: it keeps "
                         "no log", c.name);
        else if (access(path, F_OK) == 0 || o.follow)
            rc = cx_logread(path, &o, STDOUT_FILENO, STDERR_FILENO, err);
        cx_ctr_free(&c);
    }
    cx_engine_close(&e);
    return rc;
}

/* `start -a` / `start -i`: attached to one container, its exit code ours */
int ctl_start_attached(const struct ctl_global *g, int argc, char **argv, bool interactive,
                       cx_error *err)
{
    if (optind + 1 != argc)
        return cx_fail(err, EINVAL, "start: --attach takes one container");
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_ctr c;
    int rc = cx_ctr_lookup(&e.store.db, argv[optind], &c, NULL, err);
    if (rc == 0) {
        json_auto_t *oj = json_loads(c.opts, 0, NULL);
        struct cx_run_opts o;
        rc = cx_run_opts_from_json(oj, &o, err);
        if (rc == 0) {
            o.interactive = o.interactive && interactive;
            rc = ctl_run_attached(&e, &c, &o, err);
            cx_run_opts_free(&o);
        }
        cx_ctr_free(&c);
    }
    cx_engine_close(&e);
    if (rc < -1) {
        cx_log_error(err);
        return -rc;
    }
    return rc;
}
