/* list_stream.c: the Stream* methods of CRI's list-streaming (KEP 5825):
 * a List method's answer sent as a stream of messages of at least one
 * item each, so a node with many objects never meets the 16 MiB message
 * limit.  Each Stream request has the List request's filter as field 1
 * and each Stream response the List response's repeated items as field 1,
 * so they are the same bytes on the wire: the request is re-read as the
 * List request, the List handler runs unchanged, and its answer is sent
 * in windows of its item array. */
#include <errno.h>
#include <string.h>

#include "cri/handlers.h"

/* a window's items stay well under the limit, with room for the framing
   of each item (tag and length: at most 1 + 10 bytes) */
#define WINDOW_BYTES (4u << 20)

/* in, packed and read back as the List request's type */
static const ProtobufCMessage *as_list_request(struct cri_ctx *ctx, const ProtobufCMessage *in,
                                               const ProtobufCMessageDescriptor *d,
                                               cx_error *err)
{
    size_t len = protobuf_c_message_get_packed_size(in);
    uint8_t *buf = arena_alloc(&ctx->arena, len + 1);
    protobuf_c_message_pack(in, buf);
    const ProtobufCMessage *req = cri_unpack(ctx, d, buf, len);
    if (req == NULL)
        cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "the request does not read as %s", d->name);
    return req;
}

/* out's items (its field 1, repeated messages) sent in windows of at most
 * WINDOW_BYTES; none when there are no items */
static int send_windows(struct cri_ctx *ctx, ProtobufCMessage *out, cx_error *err)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(out->descriptor, 1);
    if (f == NULL || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return cx_fail(err, EINVAL, "%s has no repeated items to stream", out->descriptor->name);
    size_t *count = (size_t *) ((char *) out + f->quantifier_offset);
    ProtobufCMessage ***items = (ProtobufCMessage ***) ((char *) out + f->offset);
    size_t total = *count;
    ProtobufCMessage **all = *items;
    int rc = 0;
    size_t next = total ? protobuf_c_message_get_packed_size(all[0]) + 11 : 0;
    for (size_t i = 0; i < total && rc == 0;) {
        /* at least one item, then as many as fit: each item sized once */
        size_t n = 0, bytes = 0;
        do {
            bytes += next;
            n++;
            next = i + n < total ? protobuf_c_message_get_packed_size(all[i + n]) + 11 : 0;
        } while (i + n < total && bytes + next <= WINDOW_BYTES);
        *items = all + i;
        *count = n;
        rc = cri_send(ctx, out, err);
        i += n;
    }
    *items = all;
    *count = total;
    return rc;
}

static int stream_list(struct cri_ctx *ctx, const ProtobufCMessage *in,
                       int (*list)(struct cri_ctx *, const ProtobufCMessage *,
                                   ProtobufCMessage **, cx_error *),
                       const ProtobufCMessageDescriptor *req_desc, cx_error *err)
{
    const ProtobufCMessage *req = as_list_request(ctx, in, req_desc, err);
    if (req == NULL)
        return -1;
    ProtobufCMessage *out = NULL;
    if (list(ctx, req, &out, err) < 0)
        return -1;
    return send_windows(ctx, out, err);
}

#define STREAM_OF(fn, list, req)                                                    \
    CRI_HANDLER_STREAM(fn)                                                         \
    {                                                                              \
        return stream_list(ctx, in, list, &runtime__v1__##req##__descriptor, err); \
    }

STREAM_OF(cri_stream_pod_sandboxes, cri_list_pod_sandbox, list_pod_sandbox_request)
STREAM_OF(cri_stream_containers, cri_list_containers, list_containers_request)
STREAM_OF(cri_stream_container_stats, cri_list_container_stats, list_container_stats_request)
STREAM_OF(cri_stream_pod_sandbox_stats, cri_list_pod_sandbox_stats,
          list_pod_sandbox_stats_request)
STREAM_OF(cri_stream_pod_sandbox_metrics, cri_list_pod_sandbox_metrics,
          list_pod_sandbox_metrics_request)
STREAM_OF(cri_stream_images, cri_list_images, list_images_request)
