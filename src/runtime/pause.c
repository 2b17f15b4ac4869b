/* pause.c: pause and resume through the freezer (v1 freezer.state, v2
 * cgroup.freeze), waiting until the state has settled. */
#include "common/cleanup.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"

int cx_pause(const char *root, const char *id, bool pause, cx_error *err)
{
    _cleanup_container_ struct cx_container *c = NULL;
    if (cx_container_load(root, id, true, &c, err) < 0)
        return -1;
    if (pause && c->st->status != CX_RUNNING)
        return cx_fail(err, 0, "container not running");
    if (!pause && c->st->status != CX_PAUSED)
        return cx_fail(err, 0, "container not paused");
    return cgroup_freeze(c->st->cgroups, pause, err);
}
