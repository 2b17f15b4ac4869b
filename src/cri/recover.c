/* recover.c: see recover.h. */
#include "cri/recover.h"

#include <string.h>

#include "common/log.h"
#include "cri/records.h"
#include "engine/engine.h"
#include "engine/lifecycle.h"
#include "engine/pods.h"

static void sandboxes(struct cx_engine *e)
{
    struct cri_sandbox *v;
    size_t n;
    cx_error err = { 0 };
    if (cri_sandbox_list(&e->store.db, &v, &n, &err) < 0) {
        cx_log_error_as_warning(&err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bool creating = strcmp(v[i].state, "creating") == 0;
        if (!creating && v[i].pod_exists)
            continue;
        cx_error one = { 0 };
        if (creating && v[i].pod_exists && cx_pod_remove(e, v[i].id, true, &one) < 0) {
            cx_log_error_as_warning(&one);
            continue;
        }
        cx_log(CX_LOG_INFO, "sandbox %.12s (%s): %s", v[i].id, v[i].name_key,
               creating ? "half made when capsad stopped: removed" : "its pod is gone");
        if (cri_sandbox_delete(&e->store.db, v[i].id, &one) < 0)
            cx_log_error_as_warning(&one);
    }
    cri_sandboxes_free(v, n);
}

static void containers(struct cx_engine *e)
{
    struct cri_container *v;
    size_t n;
    cx_error err = { 0 };
    if (cri_container_list(&e->store.db, NULL, &v, &n, &err) < 0) {
        cx_log_error_as_warning(&err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bool creating = strcmp(v[i].state, "creating") == 0;
        if (!creating && v[i].ctr_exists)
            continue;
        cx_error one = { 0 };
        if (creating && v[i].ctr_exists && cx_ctr_remove(e, v[i].id, true, true, &one) < 0) {
            cx_log_error_as_warning(&one);
            continue;
        }
        cx_log(CX_LOG_INFO, "container %.12s (%s): %s", v[i].id, v[i].name_key,
               creating ? "half made when capsad stopped: removed" : "it is gone");
        if (cri_container_delete(&e->store.db, v[i].id, &one) < 0)
            cx_log_error_as_warning(&one);
    }
    cri_containers_free(v, n);
}

int cri_recover(struct capsad *d, cx_error *err)
{
    struct cx_engine e;
    if (cri_engine_open(&e, d->cfg->root, d->cfg->runroot,
                        strcmp(d->cfg->cgroup_manager, "systemd") == 0, err) < 0)
        return -1;
    /* containers first: a half-made sandbox takes its containers along */
    containers(&e);
    sandboxes(&e);
    cx_engine_close(&e);
    return 0;
}
