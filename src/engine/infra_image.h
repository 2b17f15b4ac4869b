/* infra_image.h: the image of a pod's infra container, made in the store
 * with no network: one layer holding capsa-pause (the static binary
 * installed beside capsactl; CAPSACTL_PAUSE names another) at
 * /capsa-pause, its entrypoint, written as a tar and imported as `import`
 * does.  Only capsactl-full links it (libarchive): capsactl runs
 * `capsactl-full pod-infra-image` when the image is missing. */
#ifndef CAPSA_ENGINE_INFRA_IMAGE_H
#define CAPSA_ENGINE_INFRA_IMAGE_H

#include "engine/engine.h"

int cx_infra_image_build(struct cx_engine *e, const char *name, cx_error *err);

#endif
