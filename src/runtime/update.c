/* update.c: new resources for a running container (`capsa update`).
 *
 * The request (runc's flags turned into JSON, or the -r document) is
 * decoded on its own first, so its errors name its own fields; then it is
 * merged into the container's config, and the merged config decoded whole,
 * so nothing invalid is applied or kept.  Only what the request names is
 * written to the cgroups; device rules are rebuilt from the merged config
 * when it names "devices".  The merged config is saved in the state: the
 * next update, `events` and the systemd driver see the limits in force. */
#include <string.h>

#include "common/cleanup.h"
#include "common/jdec.h"
#include "oci/resources.h"
#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"

static json_t *child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (!json_is_object(c))
        json_object_set_new(o, key, c = json_object());
    return c;
}

/* The container's config with res merged into linux.resources, decoded. */
static json_t *merged_config(json_t *config, json_t *res, struct oci_spec **spec, cx_error *err)
{
    json_t *cfg = json_deep_copy(config ? config : json_object());
    if (json_object_update_recursive(child(child(cfg, "linux"), "resources"), res) < 0) {
        json_decref(cfg);
        cx_fail(err, 0, "update: cannot merge the resources");
        return NULL;
    }
    _cleanup_free_ char *text = json_dumps(cfg, JSON_COMPACT);
    if (text == NULL || oci_spec_parse(text, "config.json (updated)", spec, err) < 0) {
        json_decref(cfg);
        return NULL;
    }
    return cfg;
}

int cx_update(const char *root, const char *id, json_t *res, cx_error *err)
{
    struct jd_pool pool = { 0 };
    struct jd_ctx jc = { "resources", &pool, err };
    struct oci_resources *r = NULL;
    _cleanup_container_ struct cx_container *c = NULL;
    _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
    int rc = -1;
    json_t *cfg = NULL;
    if (!json_is_object(res))
        cx_fail(err, 0, "resources: not a JSON object");
    else if (oci_resources_decode(&jc, res, NULL, &r) == 0 &&
             cx_container_load(root, id, true, &c, err) == 0) {
        if (c->st->status == CX_STOPPED)
            cx_fail(err, 0, "container not running");
        else if ((cfg = merged_config(cx_container_config(c), res, &spec, err)) != NULL &&
                 cgroup_update(c->st->cgroups, r,
                               json_object_get(res, "devices") ? spec : NULL, err) == 0) {
            json_decref(c->st->config);
            c->st->config = cfg;
            cfg = NULL;
            rc = cx_state_write(c->dirfd, c->st, err);
        }
    }
    json_decref(cfg);
    jd_pool_free(&pool);
    return rc;
}
