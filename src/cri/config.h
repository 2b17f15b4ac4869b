#include <stdio.h>
#include <stdbool.h>
#include <jansson.h>
#include "common/error.h"
struct cri_runtime { char *name, *path, *root; };
struct cri_config { char *listen_path; char *root, *runroot, *registries_conf, *cni_conf_dir, *cni_bin_dir,
    *cni_conf_template, *cgroup_manager, *pause_image, *default_runtime, *stream_address, *log_level;
    int stream_port; int stream_idle_timeout; struct cri_runtime *runtimes; size_t nruntimes; bool help, version; };
int cri_config_load(struct cri_config *c, int argc, char **argv, cx_error *err);
void cri_config_free(struct cri_config *c);
const struct cri_runtime *cri_config_runtime(const struct cri_config *c, const char *handler);
void cri_config_usage(FILE *f);
json_t *cri_config_json(const struct cri_config *c);
