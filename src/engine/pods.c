/* pods.c: see pods.h.  The records and `pod create`; what is done to a
 * pod's containers is in pod_ops.c. */
#include "engine/pods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fault.h"
#include "common/util.h"
#include "engine/containers.h"
#include "engine/lifecycle.h"
#include "engine/networks.h"
#include "engine/run_opts.h"

void cx_pod_free(struct cx_pod *p)
{
    free(p->name);
    free(p->infra_id);
    json_decref(p->opts);
    cx_strv_free(p->members);
    memset(p, 0, sizeof *p);
}

void cx_pods_free(struct cx_pod *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cx_pod_free(&p[i]);
    free(p);
}

#define POD_COLUMNS "id, name, infra_id, opts, created"

static void from_row(struct cx_engine *e, sqlite3_stmt *st, struct cx_pod *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", cx_db_text(st, 0));
    p->name = cx_strdup(cx_db_text(st, 1));
    p->infra_id = cx_strdup(cx_db_text(st, 2));
    p->opts = json_loads(cx_db_text(st, 3), 0, NULL);
    if (!json_is_object(p->opts)) {
        json_decref(p->opts);
        p->opts = json_object();
    }
    p->created = sqlite3_column_int64(st, 4);
    if (cx_db_texts(&e->store.db, "SELECT p.container_id FROM pod_containers p JOIN "
                    "containers c ON c.id = p.container_id WHERE p.pod_id = ? ORDER BY "
                    "c.created, c.id", p->id, &p->members, &p->nmembers, &(cx_error){ 0 }) < 0)
        p->members = NULL, p->nmembers = 0;
}

static int select_pods(struct cx_engine *e, const char *sql, const char *arg,
                       struct cx_pod **out, size_t *n, cx_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (cx_db_prepare(&e->store.db, sql, &st, err) < 0)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = cx_realloc(*out, (*n + 1) * sizeof **out);
        from_row(e, st, &(*out)[(*n)++]);
    }
    return 0;
}

int cx_pod_list(struct cx_engine *e, struct cx_pod **out, size_t *n, cx_error *err)
{
    return select_pods(e, "SELECT " POD_COLUMNS " FROM pods ORDER BY created, id", NULL, out,
                       n, err);
}

int cx_pod_get(struct cx_engine *e, const char *what, struct cx_pod *out, cx_error *err)
{
    struct cx_pod *v;
    size_t n;
    if (select_pods(e, "SELECT " POD_COLUMNS " FROM pods WHERE id = ?1 OR name = ?1", what,
                    &v, &n, err) < 0)
        return -1;
    if (n == 0 && strlen(what) >= 3 && strspn(what, "0123456789abcdef") == strlen(what)) {
        _cleanup_free_ char *glob = cx_asprintf("%s*", what);
        if (select_pods(e, "SELECT " POD_COLUMNS " FROM pods WHERE id GLOB ?", glob, &v, &n,
                        err) < 0)
            return -1;
        if (n > 1) {
            cx_pods_free(v, n);
            return cx_fail(err, EINVAL, "pod ID prefix %s is ambiguous", what);
        }
    }
    if (n == 0)
        return free(v), cx_fail(err, ENOENT, "no pod named %s", what);
    *out = v[0];
    free(v);
    return 0;
}

int cx_pod_of(struct cx_engine *e, const char *id, char pod_id[65], cx_error *err)
{
    _cleanup_strv_ char **v = NULL;
    size_t n;
    pod_id[0] = '\0';
    if (cx_db_texts(&e->store.db, "SELECT pod_id FROM pod_containers WHERE container_id = ?",
                    id, &v, &n, err) < 0)
        return -1;
    if (n)
        snprintf(pod_id, 65, "%s", v[0]);
    return 0;
}

bool cx_pod_shares(const struct cx_pod *p, const char *kind)
{
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(p->opts, "shares"), i, k)
        if (json_is_string(k) && strcmp(json_string_value(k), kind) == 0)
            return true;
    return false;
}

int cx_pod_shares_parse(const char *arg, json_t **out, cx_error *err)
{
    static const char *const kinds[] = { "net", "ipc", "uts", "pid", NULL };
    _cleanup_free_ char *copy = cx_strdup(arg ? arg : "net,ipc,uts");
    json_auto_t *v = json_pack("[s]", "net");
    char *save = NULL;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (kinds[i] && strcmp(kinds[i], k) != 0)
            i++;
        if (!kinds[i])
            return cx_fail(err, EINVAL, "--share: \"%s\" is not supported (net, ipc, uts, "
                           "pid)", k);
        bool have = false;
        for (size_t j = 0; j < json_array_size(v); j++)
            have |= strcmp(json_string_value(json_array_get(v, j)), k) == 0;
        if (!have)
            json_array_append_new(v, json_string(k));
    }
    *out = json_incref(v);
    return 0;
}

int cx_pod_add_member(struct cx_engine *e, const char *pod_id, const char *id, cx_error *err)
{
    return cx_db_run(&e->store.db, "INSERT INTO pod_containers (pod_id, container_id) "
                     "VALUES (?, ?)", pod_id, id, err);
}

char **cx_pod_order(const struct cx_pod *p, bool infra_first)
{
    char **v = NULL;
    if (infra_first && p->infra_id[0])
        cx_strv_push(&v, cx_strdup(p->infra_id));
    for (size_t i = 0; i < p->nmembers; i++)
        if (strcmp(p->members[i], p->infra_id) != 0)
            cx_strv_push(&v, cx_strdup(p->members[i]));
    if (!infra_first && p->infra_id[0])
        cx_strv_push(&v, cx_strdup(p->infra_id));
    return v;
}

/* ---- pod create ---- */

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static int pod_record(struct cx_engine *e, const struct cx_pod_opts *o, json_t *shares,
                      struct cx_pod *p, cx_error *err)
{
    if (o->id)
        snprintf(p->id, sizeof p->id, "%s", o->id);
    else
        cx_ctr_new_id(p->id);
    if (o->name && cx_ctr_name_check(o->name, err) < 0)
        return cx_error_prefix(err, "pod name");
    if (o->hostname && cx_hostname_check(o->hostname, err) < 0)
        return cx_error_prefix(err, "--hostname");
    if (o->name)
        p->name = cx_strdup(o->name);
    else if (cx_ctr_new_name(&e->store.db, &p->name, err) < 0)
        return -1;
    p->infra_id = cx_strdup("");
    p->created = cx_now_ns();
    p->opts = json_pack("{s:O, s:s, s:o, s:o, s:s}", "shares", shares, "hostname",
                        o->hostname ? o->hostname : p->name, "publish", strv_json(o->publish),
                        "labels", strv_json(o->labels), "infra_image",
                        o->infra_image ? o->infra_image : CX_INFRA_IMAGE);
    json_object_set_new(p->opts, "network", json_string(o->network_none ? "none"
                                                         : o->network_host ? "host" : "cni"));
    if (o->networks)
        json_object_set_new(p->opts, "networks", strv_json(o->networks));
    _cleanup_free_ char *text = json_dumps(p->opts, JSON_COMPACT);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    if (cx_db_prepare(&e->store.db, "INSERT INTO pods (id, name, opts, created) VALUES "
                      "(?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, p->created);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(e->store.db.h) == SQLITE_CONSTRAINT_UNIQUE)
            return cx_fail(err, EEXIST, "a pod named %s exists already", p->name);
        return cx_db_fail(&e->store.db, "recording the pod", err);
    }
    return 0;
}

/* The infra container's options: capsa-pause on the pod's networks with
 * its ports and hostname. */
static void infra_opts(const struct cx_pod *p, const struct cx_pod_opts *po,
                       struct cx_run_opts *o)
{
    cx_run_opts_init(o);
    o->name = cx_asprintf("%.12s-infra", p->id);
    o->image = cx_strdup(json_string_value(json_object_get(p->opts, "infra_image")));
    o->hostname = cx_strdup(json_string_value(json_object_get(p->opts, "hostname")));
    o->network = po->network_none ? CX_NET_NONE : po->network_host ? CX_NET_HOST : CX_NET_CNI;
    if (o->network == CX_NET_CNI)
        o->networks = po->networks ? cx_strv_copy(po->networks)
                                   : cx_strv_copy((char *[]){ CX_NETWORK_DEFAULT, NULL });
    o->publish = po->publish ? cx_strv_copy(po->publish) : NULL;
    o->stop_timeout = 10;
    _cleanup_free_ char *label = cx_asprintf("io.capsa.pod=%s", p->id);
    cx_strv_push(&o->labels, cx_strdup(label));
}

static int infra_create(struct cx_engine *e, struct cx_pod *p, const struct cx_pod_opts *po,
                        cx_error *err)
{
    _cleanup_(cx_run_opts_free) struct cx_run_opts o;
    infra_opts(p, po, &o);
    if (po->infra_hook && po->infra_hook(&o, po->hook_data, err) < 0)
        return -1;
    struct cx_image_rec img = { 0 };
    struct cx_image_config cfg = { 0 };
    bool found = false;
    int r = cx_image_lookup(&e->store, o.image, &img, &found, err);
    if (r == 0 && !found)
        r = cx_fail(err, ENOENT, "the infra image %s is not in the store", o.image);
    if (r == 0)
        r = cx_engine_image_config(e, &img, &cfg, err);
    struct cx_ctr c = { 0 };
    if (r == 0) {
        r = cx_ctr_create(e, &img, &cfg, &o, &c, err);
        cx_image_config_free(&cfg);
    }
    cx_image_rec_free(&img);
    if (r < 0)
        return -1;
    free(p->infra_id);
    p->infra_id = cx_strdup(c.id);
    cx_strv_push(&p->members, cx_strdup(c.id));
    p->nmembers = 1;
    cx_ctr_free(&c);
    CX_FAULT("infra container created");
    if (cx_db_run(&e->store.db, "UPDATE pods SET infra_id = ?2 WHERE id = ?1", p->id,
                  p->infra_id, err) < 0 ||
        cx_pod_add_member(e, p->id, p->infra_id, err) < 0) {
        cx_ctr_remove(e, p->infra_id, true, true, &(cx_error){ 0 });
        return -1;
    }
    return 0;
}

int cx_pod_create(struct cx_engine *e, const struct cx_pod_opts *o, struct cx_pod *out,
                  cx_error *err)
{
    json_auto_t *shares = NULL;
    if (cx_pod_shares_parse(o->shares, &shares, err) < 0)
        return -1;
    if ((o->publish || o->networks) && (o->network_none || o->network_host))
        return cx_fail(err, EINVAL, "pod create: -p needs a network (not --network none or "
                       "host)");
    struct cx_pod p = { 0 };
    int r = pod_record(e, o, shares, &p, err);
    CX_FAULT("pod recorded");
    if (r < 0 || infra_create(e, &p, o, err) < 0) {
        if (p.created)
            cx_db_run(&e->store.db, "DELETE FROM pods WHERE id = ?", p.id, NULL,
                      &(cx_error){ 0 });
        cx_pod_free(&p);
        return -1;
    }
    *out = p;
    return 0;
}
