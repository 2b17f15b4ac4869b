/* ctl_ps.c: `capsactl ps`, podman's columns, filters and formats.  Each
 * container costs a record row, a stat of its exit file and a read of
 * /proc/PID/stat: no runtime is run, so ps stays flat in their number. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/gotmpl.h"
#include "engine/lifecycle.h"

/* "2 seconds ago" under a minute, else as images print ages */
static void ago_of(int64_t when_ns, char *buf, size_t len)
{
    int64_t now = cx_now_ns(), d = (now - when_ns) / 1000000000;
    if (when_ns > 0 && d < 1)
        snprintf(buf, len, "Less than a second ago");
    else if (when_ns > 0 && d < 60)
        snprintf(buf, len, "%lld second%s ago", (long long) d, d == 1 ? "" : "s");
    else
        ctl_format_ago(when_ns / 1000000000, now / 1000000000, buf, len);
}

/* "Up 3 seconds", "Exited (0) 2 minutes ago", "Created", podman's words */
void ctl_ctr_status(const struct cx_ctr *c, char *buf, size_t len)
{
    char ago[64];
    switch (c->state) {
    case CX_CTR_RUNNING:
    case CX_CTR_PAUSED:
        ago_of(c->started, ago, sizeof ago);
        /* "3 seconds ago" -> "Up 3 seconds" */
        ago[strlen(ago) > 4 ? strlen(ago) - 4 : 0] = '\0';
        snprintf(buf, len, "Up %s%s", ago, c->state == CX_CTR_PAUSED ? " (paused)" : "");
        break;
    case CX_CTR_EXITED:
        ago_of(c->finished, ago, sizeof ago);
        if (c->has_exit)
            snprintf(buf, len, "Exited (%d) %s", c->exit_code, ago);
        else
            snprintf(buf, len, "Exited (unknown) %s", ago);
        break;
    case CX_CTR_REMOVING:
        snprintf(buf, len, "Removing");
        break;
    default:
        snprintf(buf, len, "Created");
    }
}

/* Its command as recorded; for a record older than that column,
 * process.args of its config.json; else an empty array. */
static json_t *ctl_ctr_command(struct cx_engine *e, const struct cx_ctr *c)
{
    json_t *cmd = c->command && c->command[0] ? json_loads(c->command, 0, NULL) : NULL;
    if (json_is_array(cmd))
        return cmd;
    json_decref(cmd);
    _cleanup_free_ char *p = cx_engine_ctr_path(e, c->id, "config.json");
    _cleanup_(json_decrefp) json_t *spec = json_load_file(p, 0, NULL);
    json_t *args = json_object_get(json_object_get(spec, "process"), "args");
    return json_is_array(args) ? json_deep_copy(args) : json_array();
}

static char *join_args(json_t *args)
{
    size_t cap = 1, i;
    json_t *v;
    json_array_foreach(args, i, v)
        cap += strlen(json_string_value(v) ? json_string_value(v) : "") + 1;
    char *s = cx_calloc(cap, 1);
    json_array_foreach(args, i, v) {
        if (i)
            strcat(s, " ");
        strcat(s, json_string_value(v) ? json_string_value(v) : "");
    }
    return s;
}

struct ps_filter {
    const char *key, *value;
};

static bool label_match(json_t *labels, const char *want)
{
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *k = eq ? cx_asprintf("%.*s", (int) (eq - want), want)
                                : cx_strdup(want);
    json_t *v = json_object_get(labels, k);
    return v && (!eq || (json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0));
}

static bool matches(const struct cx_ctr *c, json_t *obj, const struct ps_filter *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *k = f[i].key, *v = f[i].value;
        bool ok;
        if (strcmp(k, "status") == 0) {
            const char *st = c->state == CX_CTR_CONFIGURED ? "created"
                           : cx_ctr_state_name(c->state);
            ok = strcmp(st, v) == 0;
        } else if (strcmp(k, "name") == 0)
            ok = strstr(c->name, v) != NULL;
        else if (strcmp(k, "id") == 0)
            ok = cx_str_has_prefix(c->id, v);
        else if (strcmp(k, "ancestor") == 0)
            ok = strcmp(c->image_name, v) == 0 || cx_str_has_prefix(c->image_id, v) ||
                 strstr(c->image_name, v) != NULL;
        else if (strcmp(k, "label") == 0)
            ok = label_match(json_object_get(obj, "Labels"), v);
        else if (strcmp(k, "exited") == 0) {
            int code;
            ok = c->state == CX_CTR_EXITED && c->has_exit && cx_parse_int(v, &code) == 0 &&
                 code == c->exit_code;
        } else
            ok = false;
        if (!ok)
            return false;
    }
    return true;
}

/* podman's ps --format json object for one container */
json_t *ctl_ctr_labels(json_t *opts)
{
    json_t *labels = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(opts, "labels"), i, v) {
        const char *s = json_string_value(v);
        size_t klen = s ? strcspn(s, "=") : 0;
        if (klen) {
            _cleanup_free_ char *k = cx_asprintf("%.*s", (int) klen, s);
            json_object_set_new(labels, k, json_string(s[klen] ? s + klen + 1 : ""));
        }
    }
    return labels;
}

static json_t *ps_json(struct cx_engine *e, const struct cx_ctr *c)
{
    char status[96], created[64];
    ctl_ctr_status(c, status, sizeof status);
    time_t t = (time_t) (c->created / 1000000000);
    struct tm tm;
    strftime(created, sizeof created, "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
    json_t *opts = json_loads(c->opts, 0, NULL);
    json_t *labels = ctl_ctr_labels(opts);
    bool rm = json_is_true(json_object_get(opts, "rm"));
    json_decref(opts);
    const char *state = c->state == CX_CTR_CONFIGURED ? "created" : cx_ctr_state_name(c->state);
    return json_pack("{s:s, s:[s], s:s, s:s, s:o, s:I, s:s, s:s, s:s, s:b, s:i, s:I, s:I, "
                     "s:i, s:o, s:b, s:[], s:[], s:i}",
                     "Id", c->id, "Names", c->name, "Image", c->image_name,
                     "ImageID", c->image_id, "Command", ctl_ctr_command(e, c),
                     "Created", (json_int_t) (c->created / 1000000000), "CreatedAt", created,
                     "State", state, "Status", status, "Exited", c->state == CX_CTR_EXITED,
                     "ExitCode", c->has_exit ? c->exit_code : 0,
                     "StartedAt", (json_int_t) (c->started / 1000000000),
                     "ExitedAt", (json_int_t) (c->finished / 1000000000),
                     "Pid", c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED ? c->pid : 0,
                     "Labels", labels, "AutoRemove", rm, "Mounts", "Ports",
                     "Restarts", c->restarts);
}

static void print_row(struct cx_engine *e, const struct cx_ctr *c, json_t *obj, bool notrunc)
{
    char status[96], created[64];
    ctl_ctr_status(c, status, sizeof status);
    ago_of(c->created, created, sizeof created);
    _cleanup_free_ char *cmd = join_args(json_object_get(obj, "Command"));
    if (!notrunc && strlen(cmd) > 20)
        strcpy(cmd + 17, "...");
    (void) e;
    printf("%-12.*s  %-30s  %-20s  %-14s  %-26s  %-10s  %s\n", notrunc ? 64 : 12, c->id,
           c->image_name, cmd, created, status, "", c->name);
}

/* podman's ps template fields ({{.ID}}, {{.Names}}, ...) over the JSON */
static json_t *template_view(json_t *obj, const struct cx_ctr *c)
{
    json_t *t = json_deep_copy(obj);
    _cleanup_free_ char *cmd = join_args(json_object_get(obj, "Command"));
    json_object_set_new(t, "ID", json_stringn(c->id, 12));
    json_object_set_new(t, "Names", json_string(c->name));
    json_object_set_new(t, "Command", json_string(cmd));
    return t;
}

static int ps_flags(int argc, char **argv, bool *all, bool *quiet, bool *notrunc,
                    bool *latest, const char **format, struct ps_filter *f, size_t *nf,
                    cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
        { "no-trunc", no_argument, NULL, 'T' }, { "filter", required_argument, NULL, 'f' },
        { "format", required_argument, NULL, 'F' }, { "latest", no_argument, NULL, 'l' },
        { "last", required_argument, NULL, 'n' }, { "size", no_argument, NULL, 's' },
        { "sort", required_argument, NULL, 'S' }, { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+aqf:ln:s", opts, NULL)) != -1)
        switch (c) {
        case 'a': *all = true; break;
        case 'q': *quiet = true; break;
        case 'T': *notrunc = true; break;
        case 'l': *latest = true; break;
        case 'n': case 's': case 'S': break;
        case 'F': *format = optarg; break;
        case 'f': {
            char *eq = strchr(optarg, '=');
            if (!eq || *nf == 16)
                return cx_fail(err, EINVAL, "ps: --filter %s: want KEY=VALUE", optarg);
            *eq = '\0';
            if (!strstr(" status name id ancestor label exited ", optarg) ||
                strchr(optarg, ' '))
                return cx_fail(err, EINVAL, "ps: --filter: unknown key \"%s\" (status, name, "
                               "id, ancestor, label, exited)", optarg);
            f[(*nf)++] = (struct ps_filter){ optarg, eq + 1 };
            if (strcmp(optarg, "status") == 0 || strcmp(optarg, "exited") == 0)
                *all = true;
            break;
        }
        default: return cx_fail(err, EINVAL, "ps: unknown flag %s", argv[optind - 1]);
        }
    return 0;
}

static int ps_print(struct cx_engine *e, struct cx_ctr *list, size_t n, bool quiet,
                    bool notrunc, const char *format, const bool *shown, cx_error *err)
{
    bool json = format && strcmp(format, "json") == 0;
    json_auto_t *arr = json_array();
    if (!quiet && !format)
        printf("%-12s  %-30s  %-20s  %-14s  %-26s  %-10s  %s\n", "CONTAINER ID", "IMAGE",
               "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
    for (size_t i = 0; i < n; i++) {
        if (!shown[i])
            continue;
        if (quiet) {
            printf("%.*s\n", notrunc ? 64 : 12, list[i].id);
            continue;
        }
        json_t *obj = ps_json(e, &list[i]);
        if (json)
            json_array_append(arr, obj);
        else if (format) {
            _cleanup_free_ char *out = NULL;
            json_auto_t *view = template_view(obj, &list[i]);
            if (cx_gotmpl_render(format, view, &out, err) < 0) {
                json_decref(obj);
                return -1;
            }
            printf("%s\n", out);
        } else
            print_row(e, &list[i], obj, notrunc);
        json_decref(obj);
    }
    if (json) {
        _cleanup_free_ char *s = json_dumps(arr, JSON_INDENT(4));
        printf("%s\n", s ? s : "[]");
    }
    return 0;
}

int ctl_ps(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    bool all = false, quiet = false, notrunc = false, latest = false;
    const char *format = NULL;
    struct ps_filter f[16];
    size_t nf = 0;
    if (ps_flags(argc, argv, &all, &quiet, &notrunc, &latest, &format, f, &nf, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_ctr *list = NULL;
    size_t n = 0;
    int rc = cx_ctr_list(&e.store.db, &list, &n, err);
    _cleanup_free_ bool *shown = cx_calloc(n + 1, sizeof(bool));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cx_ctr_sync(&e, &list[i]);
        json_t *obj = nf ? ps_json(&e, &list[i]) : NULL;
        shown[i] = (all || list[i].state == CX_CTR_RUNNING || list[i].state == CX_CTR_PAUSED)
                   && matches(&list[i], obj, f, nf);
        json_decref(obj);
    }
    if (latest)
        for (size_t i = 0; i + 1 < n; i++)
            shown[i] = false;
    if (rc == 0)
        rc = ps_print(&e, list, n, quiet, notrunc, format, shown, err);
    cx_ctrs_free(list, n);
    cx_engine_close(&e);
    return rc;
}
