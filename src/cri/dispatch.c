/* dispatch.c: the method table: every method of both CRI services, by the
 * names of the generated descriptors, with capsad's handler where it has
 * one.  A method in the services without a handler is answered
 * UNIMPLEMENTED naming it; a path in neither, "unknown method". */
#include <string.h>

#include "cri/handlers.h"
#include "cri/server_internal.h"

#define RT(name, fn) { "RuntimeService", #name, fn, NULL }
#define RT_STREAM(name, fn) { "RuntimeService", #name, NULL, fn }
#define IMG(name, fn) { "ImageService", #name, fn, NULL }
#define IMG_STREAM(name, fn) { "ImageService", #name, NULL, fn }

const struct cri_method cri_methods[] = {
    RT(Version, cri_version),
    RT(Status, cri_status),
    RT(RuntimeConfig, cri_runtime_config),
    RT(UpdateRuntimeConfig, cri_update_runtime_config),
    RT(CheckpointContainer, cri_checkpoint_container),
    RT(ListMetricDescriptors, cri_list_metric_descriptors),
    RT(ListPodSandboxMetrics, cri_list_pod_sandbox_metrics),
    RT_STREAM(StreamPodSandboxMetrics, cri_stream_pod_sandbox_metrics),
    RT(RunPodSandbox, cri_run_pod_sandbox),
    RT(StopPodSandbox, cri_stop_pod_sandbox),
    RT(RemovePodSandbox, cri_remove_pod_sandbox),
    RT(PodSandboxStatus, cri_pod_sandbox_status),
    RT(ListPodSandbox, cri_list_pod_sandbox),
    RT_STREAM(StreamPodSandboxes, cri_stream_pod_sandboxes),
    RT(UpdatePodSandboxResources, cri_update_pod_sandbox_resources),
    RT(CreateContainer, cri_create_container),
    RT(StartContainer, cri_start_container),
    RT(StopContainer, cri_stop_container),
    RT(RemoveContainer, cri_remove_container),
    RT(ContainerStatus, cri_container_status),
    RT(ListContainers, cri_list_containers),
    RT_STREAM(StreamContainers, cri_stream_containers),
    RT(ExecSync, cri_exec_sync),
    RT(UpdateContainerResources, cri_update_container_resources),
    RT(ReopenContainerLog, cri_reopen_container_log),
    RT(Exec, cri_exec),
    RT(Attach, cri_attach),
    RT(PortForward, cri_port_forward),
    RT_STREAM(GetContainerEvents, cri_get_container_events),
    RT(ContainerStats, cri_container_stats),
    RT(ListContainerStats, cri_list_container_stats),
    RT_STREAM(StreamContainerStats, cri_stream_container_stats),
    RT(PodSandboxStats, cri_pod_sandbox_stats),
    RT(ListPodSandboxStats, cri_list_pod_sandbox_stats),
    RT_STREAM(StreamPodSandboxStats, cri_stream_pod_sandbox_stats),
    IMG(ListImages, cri_list_images),
    IMG_STREAM(StreamImages, cri_stream_images),
    IMG(ImageStatus, cri_image_status),
    IMG(PullImage, cri_pull_image),
    IMG(RemoveImage, cri_remove_image),
    IMG(ImageFsInfo, cri_image_fs_info),
    { 0 },
};

static const ProtobufCServiceDescriptor *service(const char *name)
{
    if (strcmp(name, "RuntimeService") == 0)
        return &runtime__v1__runtime_service__descriptor;
    if (strcmp(name, "ImageService") == 0)
        return &runtime__v1__image_service__descriptor;
    return NULL;
}

const ProtobufCMethodDescriptor *cri_method_descriptor(const char *svc, const char *name)
{
    const ProtobufCServiceDescriptor *d = service(svc);
    for (unsigned i = 0; d && i < d->n_methods; i++)
        if (strcmp(d->methods[i].name, name) == 0)
            return &d->methods[i];
    return NULL;
}
