/* ctl_prune.c: `container prune`, `system prune` and `system reset`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"
#include "engine/net_gc.h"
#include "engine/volumes.h"

/* every container not running (or every one with all), removed; a pod's
 * infra container goes only with its pod (or with all) */
static int remove_containers(struct cx_engine *e, bool all, bool print, cx_error *err)
{
    struct cx_ctr *list;
    size_t n;
    if (cx_ctr_list(&e->store.db, &list, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        cx_ctr_sync(e, &list[i]);
        bool live = list[i].state == CX_CTR_RUNNING || list[i].state == CX_CTR_PAUSED;
        if ((live || cx_pod_infra_check(e, list[i].id, &(cx_error){ 0 }) < 0) && !all)
            continue;
        rc = cx_ctr_remove(e, list[i].id, true, true, err);
        if (rc == 0 && print)
            printf("%s\n", list[i].id);
    }
    cx_ctrs_free(list, n);
    return rc;
}

int ctl_container_prune(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) argc, (void) argv;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = remove_containers(&e, false, true, err);
    cx_engine_close(&e);
    return rc;
}

static int images_prune(const struct ctl_global *g, bool all, cx_error *err)
{
    char *args[] = { "prune", all ? "-a" : NULL, NULL };
    optind = 0;
    return ctl_image_prune(g, all ? 2 : 1, args, err);
}

int ctl_system_prune(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
        { "volumes", no_argument, NULL, 'V' }, { 0 },
    };
    bool all = false, volumes = false;
    int c;
    while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1)
        switch (c) {
        case 'a': all = true; break;
        case 'f': break;
        case 'V': volumes = true; break;
        default: return cx_fail(err, EINVAL, "system prune: unknown flag %s",
                                argv[optind - 1]);
        }
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    /* podman's order: pods with nothing running, then containers, then
       what killed capsactls and shims left on networks */
    int rc = cx_pods_prune(&e, ctl_print_name, err);
    if (rc == 0)
        rc = remove_containers(&e, false, true, err);
    if (rc == 0)
        cx_net_gc(&e);
    if (rc == 0 && volumes)
        rc = cx_volumes_prune(&e, ctl_print_name, err);
    cx_engine_close(&e);
    return rc < 0 ? -1 : images_prune(g, all, err);
}

/* everything: containers (running ones killed), images, volumes, and
 * the store's directories */
int ctl_system_reset(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    (void) argc, (void) argv;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc = remove_containers(&e, true, false, err);
    if (rc == 0)
        rc = cx_db_exec(&e.store.db, "DELETE FROM pods", err);
    if (rc == 0)
        rc = cx_volumes_prune(&e, NULL, err);
    cx_engine_close(&e);
    if (rc < 0 || images_prune(g, true, err) < 0)
        return -1;
    /* the store now holds nothing a record names: its files go */
    _cleanup_close_ int root = open(g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int run = open(g->runroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    static const char *const names[] = { "containers", "volumes", "layers", "blobs",
                                         "locks", "capsa.db", "capsa.db-wal", "capsa.db-shm" };
    for (size_t i = 0; root >= 0 && i < sizeof names / sizeof names[0]; i++)
        cx_rm_rf_at(root, names[i]);
    static const char *const rnames[] = { "containers", "mounts", "runtime", "runtimes",
                                          "exits" };
    for (size_t i = 0; run >= 0 && i < sizeof rnames / sizeof rnames[0]; i++)
        cx_rm_rf_at(run, rnames[i]);
    return 0;
}
