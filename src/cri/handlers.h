/* handlers.h: capsad's CRI handlers, one declaration per method, and
 * the daemon state they share (struct capsad, the server's app). */
#ifndef CAPSA_CRI_HANDLERS_H
#define CAPSA_CRI_HANDLERS_H

#include "cri.pb-c.h"
#include "cri/config.h"
#include "cri/server.h"
#include "engine/containers.h"

struct stream_tokens;
struct capsad {
    struct cri_config *cfg;
    char *exe_dir;               /* where capsad runs from (helpers beside it) */
    /* Exec, Attach and PortForward: the one-time tokens, and the
     * streaming listener's "http://ADDRESS:PORT" (stream/server.h) */
    struct stream_tokens *tokens;
    const char *stream_url;
};

extern const struct cri_method cri_methods[];

/* Copy map entries (key/value strings shared, not copied) from one
 * message's entry type to another's. */
#define CRI_COPY_MAP(ctx, dst, ndst, src, nsrc, Type, init)                       \
    do {                                                                         \
        (ndst) = (nsrc);                                                         \
        (dst) = arena_alloc(&(ctx)->arena, ((nsrc) + 1) * sizeof *(dst));        \
        for (size_t i_ = 0; i_ < (nsrc); i_++) {                                 \
            Type *e_ = CRI_NEW(ctx, Type, init);                                 \
            e_->key = (src)[i_]->key;                                            \
            e_->value = (src)[i_]->value;                                        \
            (dst)[i_] = e_;                                                      \
        }                                                                        \
    } while (0)
/* A map of one entry k: v (v copied into the arena). */
#define CRI_MAP_ONE(ctx, dst, ndst, Type, init, k, v)                             \
    do {                                                                         \
        (ndst) = 1;                                                              \
        (dst) = arena_alloc(&(ctx)->arena, sizeof *(dst));                       \
        (dst)[0] = CRI_NEW(ctx, Type, init);                                     \
        (dst)[0]->key = (char *) (k);                                            \
        (dst)[0]->value = arena_strdup(&(ctx)->arena, (v) ? (v) : "");           \
    } while (0)

/* reserve.c: a kubelet's name for a sandbox or container, reserved by
 * inserting its row ("creating"); a row already holding it with the same
 * config digest is the same request again: its id, *existing true, once
 * it is made (state reusable), after waiting while it is being made; a
 * different config (or another state) is EEXIST naming the holder. */
struct cx_db;
struct cri_reservation {
    const char *kind;           /* "sandbox", "container" (messages) */
    const char *table;          /* its rows' table (a constant of ours) */
    const char *reusable;       /* the state an earlier request's object may be given in */
    const char *name_key, *digest;
    int (*insert)(struct cx_db *db, const void *row, cx_error *err);
    const void *row;
};
int cri_reserve(struct cri_ctx *ctx, struct cx_db *db, const struct cri_reservation *r,
                char id[65], bool *existing, cx_error *err);
/* Every pair of a label selector is among the labels (both arrays of
 * generated map entries, of any message). */
bool cri_labels_match(void *const *labels, size_t n, void *const *selector, size_t nsel);

#define CRI_HANDLER_STREAM(fn) \
    int fn(struct cri_ctx *ctx, const ProtobufCMessage *in, cx_error *err)
#define CRI_HANDLER(fn) \
    int fn(struct cri_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out, cx_error *err)

/* runtime_info.c */
CRI_HANDLER(cri_version);
CRI_HANDLER(cri_status);
CRI_HANDLER(cri_runtime_config);
CRI_HANDLER(cri_update_runtime_config);
CRI_HANDLER(cri_checkpoint_container);
CRI_HANDLER(cri_list_metric_descriptors);
CRI_HANDLER(cri_list_pod_sandbox_metrics);
/* runtime_sandbox.c */
CRI_HANDLER(cri_run_pod_sandbox);
CRI_HANDLER(cri_stop_pod_sandbox);
CRI_HANDLER(cri_remove_pod_sandbox);
CRI_HANDLER(cri_pod_sandbox_status);
CRI_HANDLER(cri_list_pod_sandbox);
/* The sandbox id names, once made (a row still "creating" is not there
 * yet); NOT_FOUND otherwise.  *sb is the caller's to free. */
struct cri_sandbox;
int cri_sandbox_find(struct cri_ctx *ctx, struct cx_engine *e, const char *id,
                     struct cri_sandbox *sb, cx_error *err);
/* runtime_container.c, container_status.c */
CRI_HANDLER(cri_create_container);
CRI_HANDLER(cri_start_container);
CRI_HANDLER(cri_stop_container);
CRI_HANDLER(cri_remove_container);
CRI_HANDLER(cri_container_status);
CRI_HANDLER(cri_list_containers);
/* A CRI container's state as the kubelet reads it (container_status.c),
 * from its row and the engine's record read with it (row->c, synced by
 * the caller: cx_ctr_sync for one container, cri_ctr_sync_quick in a
 * list): the engine's state, a failed start as an exit (StartError), a
 * memory kill as OOMKilled, a lost exit code as 255. */
struct cri_container;
struct cri_ctr_view {
    Runtime__V1__ContainerState state;
    const char *reason;
    int exit_code;
};
void cri_ctr_view(const struct cri_container *row, struct cri_ctr_view *v);
/* events.c; what a handler did, for the subscribers (type: the
 * ContainerEventType) */
CRI_HANDLER_STREAM(cri_get_container_events);
void cri_event_publish(const char *id, int type);
/* runtime_update.c */
CRI_HANDLER(cri_update_container_resources);
CRI_HANDLER(cri_reopen_container_log);
CRI_HANDLER(cri_update_pod_sandbox_resources);
/* list_stream.c: the Stream* variants of the List methods */
CRI_HANDLER_STREAM(cri_stream_pod_sandboxes);
CRI_HANDLER_STREAM(cri_stream_containers);
CRI_HANDLER_STREAM(cri_stream_container_stats);
CRI_HANDLER_STREAM(cri_stream_pod_sandbox_stats);
CRI_HANDLER_STREAM(cri_stream_pod_sandbox_metrics);
CRI_HANDLER_STREAM(cri_stream_images);
/* runtime_exec.c */
CRI_HANDLER(cri_exec_sync);
/* image_list.c, image_pull.c, image_remove.c, image_fs.c */
CRI_HANDLER(cri_list_images);
CRI_HANDLER(cri_image_status);
CRI_HANDLER(cri_pull_image);
CRI_HANDLER(cri_remove_image);
CRI_HANDLER(cri_image_fs_info);
/* runtime_stats.c */
CRI_HANDLER(cri_container_stats);
CRI_HANDLER(cri_list_container_stats);
CRI_HANDLER(cri_pod_sandbox_stats);
CRI_HANDLER(cri_list_pod_sandbox_stats);
/* The engine record of a running CRI container (NOT_FOUND, or
 * FAILED_PRECONDITION when it does not run). */
int cri_running_ctr(struct cri_ctx *ctx, const char *id, struct cx_ctr *c, cx_error *err);
/* runtime_container.c: the row and engine record of a container ID (or a
 * unique prefix); *found false (nothing to free) for an unknown one or one
 * still being created; INVALID_ARGUMENT for an empty ID. */
int cri_container_of(struct cri_ctx *ctx, const char *id, struct cri_container *row,
                     struct cx_ctr *c, bool *found, cx_error *err);
/* runtime_stream.c */
CRI_HANDLER(cri_exec);
CRI_HANDLER(cri_attach);
CRI_HANDLER(cri_port_forward);

#endif
