/* cni_exec.h: running one CNI plugin (shared/specs/cni/SPEC.md, section
 * 2): found by its type in the plugin directories, started with the CNI_*
 * environment and the request on stdin, in a process group of its own,
 * its stdout and stderr read (bounded) while it runs, killed with its
 * group when it outlives the time-out.  An error result ({"code", "msg",
 * "details"}) becomes one line naming the plugin. */
#ifndef CAPSA_NET_CNI_EXEC_H
#define CAPSA_NET_CNI_EXEC_H

#include <jansson.h>

#include "common/error.h"

/* The runtime's side: where plugins are, how long one may take. */
struct cx_cni_rt {
    const char *const *dirs;  /* plugin directories, NULL-terminated */
    int timeout_ms;
};

/* One attachment (SPEC section 3): container ID, netns path, interface;
 * CNI_ARGS ("K=V;K2=V2", or NULL); capability arguments for runtimeConfig
 * ({"portMappings": [...]}, or NULL). */
struct cx_cni_attach {
    const char *container_id, *netns, *ifname, *args;
    json_t *capability_args;
};

/* The directories of CNI_PATH (from $CNI_PATH when set, else /usr/lib/cni
 * then /opt/cni/bin). */
extern const char *const cx_cni_default_dirs[];

/* Run plugin type with CNI_COMMAND=command and request on stdin; on
 * success *result is its JSON output (NULL when it printed nothing, as
 * DEL and CHECK may). a may be NULL (VERSION). */
int cx_cni_plugin_run(const struct cx_cni_rt *rt, const char *command, const char *type,
                      const struct cx_cni_attach *a, json_t *request, json_t **result,
                      cx_error *err);

/* A helper program the plugins also use (iptables-save, iptables-restore):
 * argv[0] found in $PATH (then /usr/sbin, /usr/bin, /sbin, /bin), in on
 * its stdin (or nothing), run as a plugin is (its own process group,
 * killed after timeout_ms); *out its stdout (bounded, 1 MiB).  A failure
 * names argv[0] and its first line of stderr. */
int cx_cni_tool_run(char *const *argv, const char *in, int timeout_ms, char **out,
                    cx_error *err);

#endif
