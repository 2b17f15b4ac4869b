/* ctr_config.h: a CreateContainer request checked and turned into the
 * engine's run options, the way containerd and CRI-O merge a container's
 * config with its image: command replaces the image's Entrypoint (and
 * drops its Cmd), args replace its Cmd; env adds to the image's; the
 * security context, resources and mounts become capsactl's flags, so the
 * same checks apply to both front ends.  Pure but for reading nothing:
 * the tests and the fuzzer drive it directly. */
#ifndef CAPSA_CRI_CTR_CONFIG_H
#define CAPSA_CRI_CTR_CONFIG_H

#include "cri.pb-c.h"
#include "common/error.h"
#include "engine/run_opts.h"

struct cri_ctr_spec {
    char *name_key;            /* SANDBOX_NAME_ATTEMPT: the reservation */
    char *log_path;            /* log_directory/log_path, or NULL: none */
};

/* The pod a container is made in. */
struct cri_ctr_pod {
    const char *sandbox_id;    /* its ID, the engine pod's too */
    const char *name;          /* the engine pod's name */
    const Runtime__V1__PodSandboxConfig *config;
    /* the pod's OCI runtime (its handler's, as its infra container runs
     * under it): binary and --root; NULL: capsa */
    const char *runtime, *runtime_root;
};

void cri_ctr_spec_free(struct cri_ctr_spec *s);
/* Check c and fill o (for pod) and s.  EINVAL naming the field when bad. */
int cri_ctr_config(const Runtime__V1__ContainerConfig *c, const struct cri_ctr_pod *pod,
                   const char *image_id, struct cx_run_opts *o, struct cri_ctr_spec *s,
                   cx_error *err);

#endif
