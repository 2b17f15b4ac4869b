/* kube.h: `capsactl kube play` of a Kubernetes Pod manifest (v1, kind
 * Pod, one document), turned into what capsactl's own commands take: the
 * `pod create` flags (its name, the hostPorts of every container as -p)
 * and one `create --pod` per container (its name NAME-CONTAINER as
 * podman's, image, command as --entrypoint, args, env, workingDir,
 * volumeMounts: hostPath as a bind, emptyDir as the named volume
 * NAME-VOLUME that every container of the pod shares).  Anything the
 * manifest holds that capsa does not do is an error naming the field, not
 * silently dropped. */
#ifndef CAPSA_ENGINE_KUBE_H
#define CAPSA_ENGINE_KUBE_H

#include <stddef.h>

#include <jansson.h>

#include "common/error.h"

struct cx_kube_plan {
    char *pod;            /* metadata.name */
    char **pod_args;      /* argv of `pod create`, from "create" */
    char ***ctr_args;     /* argv of each `create`, from "create" */
    size_t nctrs;
    char **volumes;       /* the emptyDir volumes' names */
};

int cx_kube_plan(json_t *doc, struct cx_kube_plan *plan, cx_error *err);
void cx_kube_plan_free(struct cx_kube_plan *plan);

#endif
