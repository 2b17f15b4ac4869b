/* pods.h: podman's pods.  A pod is a record (schema 5: pods, and
 * pod_containers naming each member) and an infra container that holds
 * the namespaces its members share: it runs capsa-pause from the image
 * localhost/capsa-pause (made in the store from the capsa-pause binary
 * beside capsactl, no network: infra_image.h), is on the pod's networks
 * with the pod's published ports, and its hostname is the pod's name.
 * A member enters the infra container's network, IPC and UTS namespaces
 * (and its PID namespace with --share pid) at each start (ns_join.h), so
 * the pod's containers reach each other on localhost.  Starting a member
 * starts the infra container first. */
#ifndef CAPSA_ENGINE_PODS_H
#define CAPSA_ENGINE_PODS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/engine.h"
#include "engine/run_opts.h"

#include "capsa-config.h"

/* tagged with capsa's version: a new capsa makes its own */
#define CX_INFRA_IMAGE "localhost/capsa-pause:" CAPSA_VERSION

struct cx_pod {
    char id[65];
    char *name, *infra_id;
    json_t *opts;          /* {"shares": [...], "hostname", "networks", "publish",
                            * "labels": {...}} */
    int64_t created;
    char **members;        /* every container's ID, the infra container's too */
    size_t nmembers;
};

struct cx_pod_opts {
    const char *name;      /* NULL: a generated one */
    char **publish;        /* -p, as run takes them */
    char **networks;       /* NULL: the default network */
    bool network_none, network_host;
    char **labels;         /* "k=v" */
    const char *hostname;  /* NULL: the pod's name */
    const char *shares;    /* --share: a comma list of net, ipc, uts, pid (NULL: net,ipc,uts) */
    const char *infra_image;  /* NULL: CX_INFRA_IMAGE */
    const char *id;        /* NULL: a new one (capsad reserves its ID first) */
    /* capsad: more options for the infra container (sysctls, DNS, the
     * cgroup parent, its security context), run after the pod's own */
    int (*infra_hook)(struct cx_run_opts *o, void *data, cx_error *err);
    void *hook_data;
};

void cx_pod_free(struct cx_pod *p);
void cx_pods_free(struct cx_pod *p, size_t n);
/* By full ID, name, or a unique ID prefix. */
int cx_pod_get(struct cx_engine *e, const char *what, struct cx_pod *out, cx_error *err);
int cx_pod_list(struct cx_engine *e, struct cx_pod **out, size_t *n, cx_error *err);
/* The pod container id belongs to ("" when none), into pod_id[65]. */
int cx_pod_of(struct cx_engine *e, const char *id, char pod_id[65], cx_error *err);
/* Whether the pod shares namespace kind ("net", "ipc", "uts", "pid"). */
bool cx_pod_shares(const struct cx_pod *p, const char *kind);
/* Parse --share: *out a JSON array of the kinds; net is always in it. */
int cx_pod_shares_parse(const char *arg, json_t **out, cx_error *err);

/* Record the pod and create its infra container (not started); the infra
 * image must be in the store.  On failure nothing is left. */
int cx_pod_create(struct cx_engine *e, const struct cx_pod_opts *o, struct cx_pod *out,
                  cx_error *err);
/* Record container id as a member of pod_id (in the caller's transaction). */
int cx_pod_add_member(struct cx_engine *e, const char *pod_id, const char *id, cx_error *err);

/* The pod's containers, the infra container first when infra_first, else
 * last (start: infra first; stop, rm: last). */
char **cx_pod_order(const struct cx_pod *p, bool infra_first);

enum cx_pod_action { CX_POD_START, CX_POD_STOP, CX_POD_RESTART, CX_POD_KILL, CX_POD_PAUSE,
                     CX_POD_UNPAUSE };
/* Act on every container of the pod; each is tried, the first error kept.
 * arg: the signal (kill), the stop time-out in seconds (stop, restart; -1:
 * each container's own). */
int cx_pod_act(struct cx_engine *e, const struct cx_pod *p, enum cx_pod_action a, int arg,
               cx_error *err);
/* EBUSY naming the pod when id is a pod's infra container (it goes with
 * its pod). */
int cx_pod_infra_check(struct cx_engine *e, const char *id, cx_error *err);
/* Remove the pod and its containers; running ones only with force. */
int cx_pod_remove(struct cx_engine *e, const char *what, bool force, cx_error *err);
/* Remove every pod none of whose containers runs; removed(id) for each. */
int cx_pods_prune(struct cx_engine *e, void (*removed)(const char *id), cx_error *err);
/* Its state as podman names it: Created, Running, Degraded, Paused,
 * Exited (some ran), Stopped. */
const char *cx_pod_status(struct cx_engine *e, const struct cx_pod *p);

#endif
