/* ctl_volume.c: `capsactl volume create/ls/inspect/rm/prune`, podman's
 * local volumes. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/volumes.h"

static json_t *volume_json(struct cx_engine *e, const struct cx_volume *v)
{
    _cleanup_free_ char *path = cx_volume_path(e, v->name);
    char created[64];
    ctl_format_rfc3339(v->created, created, sizeof created);
    json_t *labels = json_loads(v->labels, 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:i}", "Name", v->name,
                     "Driver", "local", "Mountpoint", path, "CreatedAt", created,
                     "Labels", labels ? labels : json_object(), "Scope", "local",
                     "Anonymous", v->anonymous, "UsedBy", (int) v->nusers);
}

static int volume_create(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "label", required_argument, NULL, 'l' }, { "driver", required_argument, NULL, 'd' },
        { "opt", required_argument, NULL, 'o' }, { "ignore", no_argument, NULL, 'i' }, { 0 },
    };
    json_auto_t *labels = json_object();
    bool ignore = false;
    int c;
    while ((c = getopt_long(argc, argv, "+l:d:o:", opts, NULL)) != -1)
        switch (c) {
        case 'l': ctl_label_add(labels, optarg); break;
        case 'd':
            if (strcmp(optarg, "local") != 0)
                return cx_fail(err, EINVAL, "volume create: --driver %s: only local", optarg);
            break;
        case 'i': ignore = true; break;
        default:
            return cx_fail(err, EINVAL, "volume create: %s is not supported",
                           argv[optind - 1]);
        }
    if (argc - optind > 1)
        return cx_fail(err, EINVAL, "volume create: at most one name");
    _cleanup_free_ char *text = json_dumps(labels, JSON_COMPACT), *name = NULL;
    if (cx_volume_create(e, optind < argc ? argv[optind] : NULL, text, ignore, &name,
                         err) < 0)
        return -1;
    printf("%s\n", name);
    return 0;
}

static int volume_ls(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    bool quiet, json;
    if (ctl_ls_flags(argc, argv, "volume ls", &quiet, &json, err) < 0)
        return -1;
    struct cx_volume *v;
    size_t n;
    if (cx_volume_list(e, &v, &n, err) < 0)
        return -1;
    json_auto_t *arr = json_array();
    if (!quiet && !json)
        printf("%-12s%s\n", "DRIVER", "VOLUME NAME");
    for (size_t i = 0; i < n; i++) {
        if (json)
            json_array_append_new(arr, volume_json(e, &v[i]));
        else if (quiet)
            printf("%s\n", v[i].name);
        else
            printf("%-12s%s\n", "local", v[i].name);
    }
    if (json)
        ctl_print_json(arr);
    cx_volumes_free(v, n);
    return 0;
}

static int volume_inspect(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    json_auto_t *arr = json_array();
    for (int i = 1; i < argc; i++) {
        struct cx_volume v;
        if (cx_volume_get(e, argv[i], &v, err) < 0)
            return -1;
        json_array_append_new(arr, volume_json(e, &v));
        cx_volume_free(&v);
    }
    ctl_print_json(arr);
    return 0;
}

static int volume_rm(struct cx_engine *e, int argc, char **argv, cx_error *err)
{
    /* -f: a volume in use is refused all the same (see docs) */
    _cleanup_free_ char **names = cx_calloc((size_t) argc, sizeof *names);
    int n = 0;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            names[n++] = argv[i];
    return ctl_remove_each(e, n, names, cx_volume_remove, err);
}

void ctl_print_name(const char *name)
{
    printf("%s\n", name);
}

int ctl_volume(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    if (argc < 2)
        return cx_fail(err, EINVAL, "volume: give a subcommand (create, ls, inspect, rm, "
                       "prune)");
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    const char *sub = argv[1];
    int rc;
    optind = 0;
    if (strcmp(sub, "create") == 0)
        rc = volume_create(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
        rc = volume_ls(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "inspect") == 0)
        rc = volume_inspect(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
        rc = volume_rm(&e, argc - 1, argv + 1, err);
    else if (strcmp(sub, "prune") == 0)
        rc = cx_volumes_prune(&e, ctl_print_name, err);
    else
        rc = cx_fail(err, EINVAL, "volume: unknown subcommand \"%s\"", sub);
    cx_engine_close(&e);
    return rc;
}
