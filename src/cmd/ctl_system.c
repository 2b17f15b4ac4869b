/* ctl_system.c: `system df`, `system check`, `info`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "capsa-config.h"
#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"

static void pct(int64_t part, int64_t whole, char *buf, size_t len)
{
    char sz[24];
    ctl_format_size(part, sz, sizeof sz);
    snprintf(buf, len, "%s (%d%%)", sz, whole ? (int) (part * 100 / whole) : 0);
}

static int df(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "verbose", no_argument, NULL, 'v' }, { "format", required_argument, NULL, 'f' },
        { 0 },
    };
    bool verbose = false, json = false;
    int c;
    while ((c = getopt_long(argc, argv, "+v", opts, NULL)) != -1)
        switch (c) {
        case 'v': verbose = true; break;
        case 'f': json = strcmp(optarg, "json") == 0; if (json) break; /* fall through */
        default: return cx_fail(err, EINVAL, "system df: unknown flag %s", argv[optind - 1]);
        }
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    _cleanup_(cx_df_free) struct cx_df d = { 0 };
    if (ctl_store_open(g, &s, err) < 0 || cx_store_df(&s, &d, err) < 0)
        return -1;
    char size[24], blobs[24], rec[40];
    ctl_format_size(d.layers_size, size, sizeof size);
    ctl_format_size(d.blobs_size, blobs, sizeof blobs);
    pct(d.layers_size, d.layers_size, rec, sizeof rec);
    if (json) {
        json_auto_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}", "Images", (json_int_t) d.nimages,
                                   "Layers", (json_int_t) d.nlayers, "LayersSize",
                                   (json_int_t) d.layers_size, "Blobs", (json_int_t) d.nblobs,
                                   "BlobsSize", (json_int_t) d.blobs_size);
        char *t = json_dumps(o, JSON_INDENT(4));
        printf("%s\n", t);
        free(t);
        return 0;
    }
    printf("%-15s %-11s %-11s %-11s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
    printf("%-15s %-11zu %-11d %-11s %s\n", "Images", d.nimages, 0, size, rec);
    printf("%-15s %-11d %-11d %-11s %s\n", "Containers", 0, 0, "0 B", "0 B (0%)");
    printf("%-15s %-11d %-11d %-11s %s\n", "Local Volumes", 0, 0, "0 B", "0 B (0%)");
    /* not in podman's table: the compressed blobs kept for push and save */
    printf("%-15s %-11zu %-11d %-11s %s\n", "Image blobs", d.nblobs, 0, blobs, "-");
    if (!verbose)
        return 0;
    printf("\nImages space usage:\n\n%-40s %-12s %-18s %-11s %-11s %-11s\n", "REPOSITORY",
           "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE");
    int64_t now = (int64_t) time(NULL);
    for (size_t i = 0; i < d.nimages; i++) {
        char ago[40], a[24], b[24], c2[24];
        ctl_format_ago(ctl_created_unix(d.images[i].created), now, ago, sizeof ago);
        ctl_format_size(d.images[i].size, a, sizeof a);
        ctl_format_size(d.images[i].shared, b, sizeof b);
        ctl_format_size(d.images[i].unique, c2, sizeof c2);
        printf("%-40s %-12.12s %-18s %-11s %-11s %-11s\n",
               d.images[i].name[0] ? d.images[i].name : "<none>", d.images[i].id, ago, a, b, c2);
    }
    return 0;
}

static int check(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = { { "repair", no_argument, NULL, 'r' },
                                          { "quick", no_argument, NULL, 'q' }, { 0 } };
    bool repair = false;
    int c;
    while ((c = getopt_long(argc, argv, "+rq", opts, NULL)) != -1)
        if (c == 'r')
            repair = true;
        else if (c != 'q')
            return cx_fail(err, EINVAL, "system check: unknown flag %s", argv[optind - 1]);
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    _cleanup_(cx_check_report_free) struct cx_check_report r = { 0 };
    if (ctl_store_open(g, &s, err) < 0 || cx_store_check(&s, repair, &r, err) < 0)
        return -1;
    for (size_t i = 0; i < r.nproblems; i++)
        printf("%s\n", r.problems[i]);
    printf("Checked %zu blob%s and %zu layer%s: %s\n", r.blobs, r.blobs == 1 ? "" : "s",
           r.layers, r.layers == 1 ? "" : "s",
           r.nproblems == 0 ? "no problems found"
           : repair ? "problems repaired" : "problems found (repair with --repair)");
    /* podman: exit 1 when damage is found and not repaired */
    return r.nproblems && !repair ? 1 : 0;
}

int ctl_system(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    if (argc >= 2 && strcmp(argv[1], "df") == 0)
        return optind = 0, df(g, argc - 1, argv + 1, err);
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return optind = 0, check(g, argc - 1, argv + 1, err);
    if (argc >= 2 && strcmp(argv[1], "prune") == 0)
        return optind = 0, ctl_system_prune(g, argc - 1, argv + 1, err);
    if (argc >= 2 && strcmp(argv[1], "reset") == 0)
        return optind = 0, ctl_system_reset(g, argc - 1, argv + 1, err);
    return cx_fail(err, EINVAL, "usage: capsactl system df|check|prune|reset ...");
}

int ctl_info(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) argc, (void) argv;
    struct utsname u;
    _cleanup_(cx_store_close) struct cx_store s = { 0 };
    _cleanup_(cx_df_free) struct cx_df d = { 0 };
    _cleanup_(cx_regconf_free) struct cx_regconf rc = { 0 };
    if (ctl_store_open(g, &s, err) < 0 || cx_store_df(&s, &d, err) < 0 ||
        ctl_regconf(g, &rc, err) < 0)
        return -1;
    uname(&u);
    printf("host:\n  arch: %s\n  kernel: %s\n  os: linux\n", u.machine, u.release);
    printf("registries:\n  search:");
    for (size_t i = 0; i < rc.nsearch; i++)
        printf(" %s", rc.search[i]);
    printf("\n  config: %s\n", g->registries_conf ? g->registries_conf
                                                  : "/etc/containers/registries.conf");
    printf("store:\n  graphDriverName: overlay\n  graphRoot: %s\n  runRoot: %s\n"
           "  imageStore:\n    number: %zu\n  layers: %zu\n  blobs: %zu\n", g->root, g->runroot,
           d.nimages, d.nlayers, d.nblobs);
    printf("version:\n  Version: %s\n", CAPSA_VERSION);
    return 0;
}
