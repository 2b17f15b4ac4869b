/* ctl_pod.c: `capsactl pod create/ps/inspect/start/stop/restart/kill/
 * pause/unpause/rm/top/stats/exists/prune` (src/engine/pods.h), with
 * podman 4.3's names and output. */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/networks.h"
#include "engine/pods.h"
#include "engine/run_opts.h"
#include "image/manifest.h"
#include "net/cni_conf.h"
#include "net/ports.h"

/* ---- create ---- */

static int pod_network(struct cx_pod_opts *o, char ***networks, const char *arg,
                       cx_error *err)
{
    cx_strv_free(*networks);
    *networks = NULL;
    o->network_none = strcmp(arg, "none") == 0;
    o->network_host = strcmp(arg, "host") == 0;
    if (o->network_none || o->network_host)
        return 0;
    _cleanup_free_ char *copy = cx_strdup(arg);
    char *save = NULL;
    for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        bool dflt = strcmp(n, "bridge") == 0 || strcmp(n, "default") == 0 ||
                    strcmp(n, "private") == 0;
        if (!dflt && cx_cni_name_check(n, err) < 0)
            return cx_error_prefix(err, "--network");
        cx_strv_push(networks, cx_strdup(dflt ? CX_NETWORK_DEFAULT : n));
    }
    return *networks ? 0 : cx_fail(err, EINVAL, "--network \"%s\": name a network", arg);
}

struct create_args {
    struct cx_pod_opts o;
    char **publish, **labels, **networks;
};

static void create_args_free(struct create_args *a)
{
    cx_strv_free(a->publish);
    cx_strv_free(a->labels);
    cx_strv_free(a->networks);
}

static int create_flags(int argc, char **argv, struct create_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' }, { "publish", required_argument, NULL, 'p' },
        { "network", required_argument, NULL, 'N' }, { "net", required_argument, NULL, 'N' },
        { "share", required_argument, NULL, 's' }, { "label", required_argument, NULL, 'l' },
        { "hostname", required_argument, NULL, 'h' },
        { "infra-image", required_argument, NULL, 'i' }, { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+n:p:l:", opts, NULL)) != -1) {
        int r = 0;
        switch (c) {
        case 'n': a->o.name = optarg; break;
        case 'p': {
            struct cx_port *v = NULL;
            size_t n = 0;
            if ((r = cx_ports_parse(optarg, &v, &n, err)) == 0)
                cx_strv_push(&a->publish, cx_strdup(optarg));
            free(v);
            break;
        }
        case 'N': r = pod_network(&a->o, &a->networks, optarg, err); break;
        case 's': a->o.shares = optarg; break;
        case 'l': cx_strv_push(&a->labels, cx_strdup(optarg)); break;
        case 'h': a->o.hostname = optarg; break;
        case 'i': a->o.infra_image = optarg; break;
        default: return cx_fail(err, EINVAL, "pod create: %s is not supported",
                                argv[optind - 1]);
        }
        if (r < 0)
            return -1;
    }
    if (optind < argc)
        return cx_fail(err, EINVAL, "pod create: takes no arguments (--name NAME)");
    a->o.publish = a->publish;
    a->o.labels = a->labels;
    a->o.networks = a->networks;
    return 0;
}

/* The infra image, made when it is not in the store yet. */
static int infra_image(const struct ctl_global *g, struct cx_engine *e, const char *name,
                       cx_error *err)
{
    struct cx_image_rec img = { 0 };
    bool found = false;
    if (cx_image_lookup(&e->store, name, &img, &found, err) < 0)
        return -1;
    cx_image_rec_free(&img);
    if (found)
        return 0;
    if (strcmp(name, CX_INFRA_IMAGE) != 0)
        return cx_fail(err, ENOENT, "--infra-image %s: not in the store (pull it first)",
                       name);
    return ctl_infra_image(g, e, err);
}

static int pod_create(const struct ctl_global *g, struct cx_engine *e, int argc, char **argv,
                      cx_error *err)
{
    struct create_args a = { 0 };
    struct cx_pod p;
    int rc = create_flags(argc, argv, &a, err);
    if (rc == 0)
        rc = infra_image(g, e, a.o.infra_image ? a.o.infra_image : CX_INFRA_IMAGE, err);
    if (rc == 0 && (rc = cx_pod_create(e, &a.o, &p, err)) == 0) {
        printf("%s\n", p.id);
        cx_pod_free(&p);
    }
    create_args_free(&a);
    return rc;
}

/* ---- ps, inspect ---- */

static void rfc3339(int64_t ns, char *buf, size_t len)
{
    time_t t = (time_t) (ns / 1000000000);
    struct tm tm;
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&t, &tm));
}

static json_t *member_json(struct cx_engine *e, const char *id)
{
    struct cx_ctr c;
    bool found = false;
    if (cx_ctr_lookup(&e->store.db, id, &c, &found, &(cx_error){ 0 }) < 0 || !found)
        return NULL;
    cx_ctr_sync(e, &c);
    json_t *j = json_pack("{s:s, s:s, s:s}", "Id", c.id, "Name", c.name, "State",
                          cx_ctr_state_name(c.state));
    cx_ctr_free(&c);
    return j;
}

static json_t *labels_object(json_t *labels)
{
    json_t *o = json_object(), *l;
    size_t i;
    json_array_foreach(labels, i, l) {
        const char *kv = json_string_value(l);
        const char *eq = kv ? strchr(kv, '=') : NULL;
        _cleanup_free_ char *k = kv ? cx_asprintf("%.*s", eq ? (int) (eq - kv)
                                                             : (int) strlen(kv), kv) : NULL;
        if (k)
            json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
    }
    return o;
}

static json_t *pod_json(struct cx_engine *e, const struct cx_pod *p)
{
    char created[64];
    rfc3339(p->created, created, sizeof created);
    json_t *ctrs = json_array();
    for (size_t i = 0; i < p->nmembers; i++) {
        json_t *m = member_json(e, p->members[i]);
        if (m)
            json_array_append_new(ctrs, m);
    }
    json_t *shares = json_array(), *k;
    size_t i;
    json_array_foreach(json_object_get(p->opts, "shares"), i, k)
        json_array_append(shares, k);
    json_t *infra = json_pack("{s:O, s:O}", "PortBindings",
                              json_object_get(p->opts, "publish") ?: json_null(),
                              "Networks", json_object_get(p->opts, "networks") ?: json_null());
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:s, s:o, s:I, s:o, s:o}", "Id", p->id,
                     "Name", p->name, "Created", created, "State", cx_pod_status(e, p),
                     "Hostname", json_string_value(json_object_get(p->opts, "hostname")) ?: "",
                     "Labels", labels_object(json_object_get(p->opts, "labels")),
                     "CreateInfra", true, "InfraContainerID", p->infra_id,
                     "SharedNamespaces", shares, "NumContainers", (json_int_t) p->nmembers,
                     "Containers", ctrs, "InfraConfig", infra);
}

static int pod_inspect(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "pod inspect: give a pod name or ID");
    json_auto_t *arr = json_array();
    for (int i = 1; i < argc; i++) {
        struct cx_pod p;
        if (cx_pod_get(e, argv[i], &p, err) < 0)
            return -1;
        json_array_append_new(arr, pod_json(e, &p));
        cx_pod_free(&p);
    }
    /* podman 4.3: one pod as an object, several as an array */
    _cleanup_free_ char *text = json_dumps(argc == 2 ? json_array_get(arr, 0) : arr,
                                           JSON_INDENT(4));
    printf("%s\n", text ? text : "{}");
    return 0;
}

static int pod_ps(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' }, { "no-trunc", no_argument, NULL, 'T' },
        { "format", required_argument, NULL, 'f' }, { 0 },
    };
    bool quiet = false, trunc = true, json = false;
    int c;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1)
        switch (c) {
        case 'q': quiet = true; break;
        case 'T': trunc = false; break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0)
                return cx_fail(err, EINVAL, "pod ps: --format: json only");
            json = true;
            break;
        default: return cx_fail(err, EINVAL, "pod ps: unknown flag %s", argv[optind - 1]);
        }
    struct cx_pod *v;
    size_t n;
    if (cx_pod_list(e, &v, &n, err) < 0)
        return -1;
    json_auto_t *arr = json_array();
    char *table = NULL;
    size_t tlen = 0;
    FILE *t = quiet || json ? NULL : open_memstream(&table, &tlen);
    if (t)
        fprintf(t, "POD ID\tNAME\tSTATUS\tCREATED\tINFRA ID\t# OF CONTAINERS\n");
    int64_t now = cx_now_ns() / 1000000000;
    for (size_t i = 0; i < n; i++) {
        const struct cx_pod *p = &v[i];
        int w = trunc ? 12 : 64;
        char ago[64];
        ctl_format_ago(p->created / 1000000000, now, ago, sizeof ago);
        if (json)
            json_array_append_new(arr, pod_json(e, p));
        else if (quiet)
            printf("%.*s\n", w, p->id);
        else if (t)
            fprintf(t, "%.*s\t%s\t%s\t%s\t%.*s\t%zu\n", w, p->id, p->name,
                    cx_pod_status(e, p), ago, w, p->infra_id, p->nmembers);
    }
    if (json)
        ctl_print_json(arr);
    if (t) {
        fclose(t);
        ctl_tabwrite(table);
        free(table);
    }
    cx_pods_free(v, n);
    return 0;
}

/* ---- start, stop, restart, kill, pause, unpause, rm, prune ---- */

struct act_args {
    enum cx_pod_action action;
    int arg;
    bool all, force, remove;
};

static int act_flags(int argc, char **argv, struct act_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "time", required_argument, NULL, 't' },
        { "signal", required_argument, NULL, 's' }, { "force", no_argument, NULL, 'f' },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+at:s:f", opts, NULL)) != -1)
        switch (c) {
        case 'a': a->all = true; break;
        case 't':
            if (cx_parse_int(optarg, &a->arg) < 0 || a->arg < 0)
                return cx_fail(err, EINVAL, "pod %s: --time %s: give seconds", argv[0],
                               optarg);
            break;
        case 's':
            if (cx_signal_parse(optarg, &a->arg, err) < 0)
                return cx_error_prefix(err, "pod kill: --signal");
            break;
        case 'f': a->force = true; break;
        default: return cx_fail(err, EINVAL, "pod %s: unknown flag %s", argv[0],
                                argv[optind - 1]);
        }
    if (optind >= argc && !a->all)
        return cx_fail(err, EINVAL, "pod %s: give a pod name or ID (or --all)", argv[0]);
    return 0;
}

static int act_one(struct cx_engine *e, const char *what, const struct act_args *a,
                   cx_error *err)
{
    if (a->remove)
        return cx_pod_remove(e, what, a->force, err);
    struct cx_pod p;
    if (cx_pod_get(e, what, &p, err) < 0)
        return -1;
    int r = cx_pod_act(e, &p, a->action, a->arg, err);
    cx_pod_free(&p);
    return r;
}

static int pod_act(struct cx_engine *e, int argc, char **argv, struct act_args *a,
                   cx_error *err)
{
    if (act_flags(argc, argv, a, err) < 0)
        return -1;
    _cleanup_strv_ char **names = NULL;
    if (a->all) {
        struct cx_pod *v;
        size_t n;
        if (cx_pod_list(e, &v, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            cx_strv_push(&names, cx_strdup(v[i].id));
        cx_pods_free(v, n);
    } else
        names = cx_strv_copy(argv + optind);
    int rc = 0;
    for (size_t i = 0; names && names[i]; i++) {
        cx_error one = { 0 };
        if (act_one(e, names[i], a, &one) == 0)
            printf("%s\n", names[i]);
        else if (rc == 0)
            *err = one, rc = -1;
        else
            cx_log_error(&one);
    }
    fflush(stdout);
    return rc;
}

/* ---- top, stats: the pod's running containers ---- */

static int running_members(struct cx_engine *e, const char *what, char ***ids, cx_error *err)
{
    struct cx_pod p;
    if (cx_pod_get(e, what, &p, err) < 0)
        return -1;
    for (size_t i = 0; i < p.nmembers; i++) {
        struct cx_ctr c;
        bool found = false;
        if (cx_ctr_lookup(&e->store.db, p.members[i], &c, &found, err) < 0)
            break;
        if (!found)
            continue;
        cx_ctr_sync(e, &c);
        if (c.state == CX_CTR_RUNNING || c.state == CX_CTR_PAUSED)
            cx_strv_push(ids, cx_strdup(c.id));
        cx_ctr_free(&c);
    }
    int r = *ids ? 0 : cx_fail(err, EINVAL, "pod %s is not running", p.name);
    cx_pod_free(&p);
    return r;
}

static int pod_stats(const struct ctl_global *g, struct cx_engine *e, int argc, char **argv,
                     cx_error *err)
{
    _cleanup_strv_ char **args = NULL, **ids = NULL;
    cx_strv_push(&args, cx_strdup("stats"));
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++)
        cx_strv_push(&args, cx_strdup(argv[i]));
    if (i < argc && i > 1 && (strcmp(argv[i - 1], "--format") == 0 ||
                              strcmp(argv[i - 1], "-i") == 0 ||
                              strcmp(argv[i - 1], "--interval") == 0))
        cx_strv_push(&args, cx_strdup(argv[i++]));
    if (i >= argc) {   /* every pod */
        struct cx_pod *v;
        size_t n;
        if (cx_pod_list(e, &v, &n, err) < 0)
            return -1;
        for (size_t k = 0; k < n; k++)
            running_members(e, v[k].id, &ids, &(cx_error){ 0 });
        cx_pods_free(v, n);
    }
    for (; i < argc; i++)
        if (running_members(e, argv[i], &ids, err) < 0)
            return -1;
    for (size_t k = 0; ids && ids[k]; k++)
        cx_strv_push(&args, cx_strdup(ids[k]));
    optind = 0;
    return ctl_stats(g, (int) cx_strv_len(args), args, err);
}

static int pod_top(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "pod top: give a pod name or ID");
    _cleanup_strv_ char **ids = NULL;
    if (running_members(e, argv[1], &ids, err) < 0)
        return -1;
    return ctl_top_many(e, ids, argv + 2, (size_t) (argc - 2), err);
}

int ctl_pod(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "pod: give a subcommand (create, ps, inspect, start, "
                       "stop, restart, kill, pause, unpause, rm, top, stats, exists, prune)");
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    const char *sub = argv[1];
    static const struct { const char *name; enum cx_pod_action a; } acts[] = {
        { "start", CX_POD_START }, { "stop", CX_POD_STOP }, { "restart", CX_POD_RESTART },
        { "kill", CX_POD_KILL }, { "pause", CX_POD_PAUSE }, { "unpause", CX_POD_UNPAUSE },
        { "rm", CX_POD_STOP }, { "remove", CX_POD_STOP },
    };
    int rc = 1;
    optind = 0;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0] && rc == 1; i++)
        if (strcmp(sub, acts[i].name) == 0) {
            struct act_args a = { .action = acts[i].a,
                                  .arg = acts[i].a == CX_POD_KILL ? SIGKILL : -1,
                                  .remove = strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0 };
            rc = pod_act(&e, argc - 1, argv + 1, &a, err);
        }
    if (rc != 1)
        ;
    else if (strcmp(sub, "create") == 0)
        rc = pod_create(g, &e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "ps") == 0 || strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
        rc = pod_ps(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "inspect") == 0)
        rc = pod_inspect(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "exists") == 0) {
        struct cx_pod p;
        rc = argc == 3 && cx_pod_get(&e, argv[2], &p, &(cx_error){ 0 }) == 0
             ? (cx_pod_free(&p), 0) : 1;
        cx_engine_close(&e);
        exit(rc);
    } else if (strcmp(sub, "prune") == 0)
        rc = cx_pods_prune(&e, ctl_print_name, err);
    else if (strcmp(sub, "top") == 0)
        rc = pod_top(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "stats") == 0)
        rc = pod_stats(g, &e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "infra-image") == 0)
        rc = ctl_infra_image(g, &e, err);
    else
        rc = cx_fail(err, EINVAL, "pod: unknown subcommand \"%s\"", sub);
    cx_engine_close(&e);
    return rc;
}
