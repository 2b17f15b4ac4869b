/* cmd_events.c: `capsa events [--stats] [--interval DURATION] <id>`:
 * runc's JSON lines, {"type":"stats","id":...,"data":{...}} every interval
 * (once with --stats) and {"type":"oom","id":...} when the OOM killer hits
 * the container; it ends when the container does. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"

/* A Go-style duration: "5s", "250ms", "1m", "1.5s"; milliseconds. */
static long parse_interval(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    double mult = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000
                : strcmp(end, "m") == 0 ? 60000 : strcmp(end, "h") == 0 ? 3600000 : -1;
    if (end == s || mult < 0 || v <= 0 || v * mult > 86400000.0)
        return -1;
    return (long) (v * mult);
}

static void emit(const char *type, const char *id, json_t *data)
{
    json_t *e = json_pack("{s:s,s:s}", "type", type, "id", id);
    if (data)
        json_object_set_new(e, "data", data);
    cmd_print_json(e, false, true);
    json_decref(e);
}

static int watch(const char *root, const char *id, long interval_ms, cx_error *err)
{
    int ooms = -1;
    for (long waited = interval_ms;; waited += 100) {
        _cleanup_container_ struct cx_container *c = NULL;
        if (cx_container_load(root, id, false, &c, err) < 0)
            return -1;
        if (c->st->status == CX_STOPPED)
            return 0;
        int n = cgroup_oom_count(c->st->cgroups);
        if (ooms >= 0 && n > ooms)
            emit("oom", id, NULL);
        ooms = n;
        if (waited >= interval_ms) {
            emit("stats", id, cgroup_stats(c->st->cgroups));
            waited = 0;
        }
        struct timespec ts = { 0, 100000000 };
        nanosleep(&ts, NULL);
    }
}

int cmd_events(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "stats", no_argument, NULL, 's' },
        { "interval", required_argument, NULL, 'i' },
        { 0 },
    };
    bool stats = false;
    long interval = 5000;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            stats = true;
        else if (c == 'i' && (interval = parse_interval(optarg)) > 0)
            continue;
        else if (c == 'i')
            return cx_fail(err, 0, "events: --interval \"%s\" is not a duration (5s, 250ms)",
                           optarg);
        else
            return cx_fail(err, 0, "events: unknown option %s", argv[optind - 1]);
    }
    if (cmd_need_args(argc - optind, 1, "capsa events [--stats] [--interval 5s] <container-id>",
                      err) < 0)
        return -1;
    const char *id = argv[optind];
    _cleanup_container_ struct cx_container *ct = NULL;
    if (cx_container_load(g->root, id, false, &ct, err) < 0)
        return -1;
    if (ct->st->status == CX_STOPPED)
        return cx_fail(err, 0, "container not running");
    if (stats) {
        emit("stats", id, cgroup_stats(ct->st->cgroups));
        return 0;
    }
    return watch(g->root, id, interval, err) < 0 ? -1 : 0;
}
