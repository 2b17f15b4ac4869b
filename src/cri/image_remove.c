/* image_remove.c: RemoveImage.  The image goes with every name it has (as
 * containerd removes it), then the layers and blobs no image needs any
 * more; an image that is not there is removed already.  One a container
 * uses (a pod's infra container uses the pause image) stays, and the
 * answer names the container. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "cri/handlers.h"
#include "cri/images.h"
#include "engine/engine.h"

CRI_HANDLER(cri_remove_image)
{
    const Runtime__V1__RemoveImageRequest *req = (const void *) in;
    struct cx_engine *e;
    _cleanup_(cx_image_rec_free) struct cx_image_rec rec = { 0 };
    bool found;
    if (cri_image_of(ctx, req->image, &e, &rec, &found, err) < 0)
        return -1;
    if (found) {
        if (cx_image_mounted(&e->store, rec.id))
            return cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "image %.12s is mounted "
                            "(capsactl image unmount it first)", rec.id);
        if (cx_image_delete(&e->store, rec.id, err) < 0) {
            /* a container uses it: the store's message names it */
            if (err->errnum != EBUSY)
                return -1;
            char msg[CX_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            return cri_fail(ctx, err, GRPC_FAILED_PRECONDITION, "%s", msg);
        }
        /* the image is gone even if its layers stay: a later removal or
         * `capsactl system check --repair` takes them */
        cx_error gc = { 0 };
        if (cx_store_gc(&e->store, &gc) < 0)
            cx_log_error_as_warning(&gc);
    }
    *out = &CRI_NEW(ctx, Runtime__V1__RemoveImageResponse,
                    runtime__v1__remove_image_response__init)->base;
    return 0;
}
