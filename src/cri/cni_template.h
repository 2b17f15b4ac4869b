/* cni_template.h: the CNI configuration capsad makes for the node's pod
 * CIDR (the cni_conf_template key, docs/CAPSAD.md).  The kubelet hands
 * the CIDR over in UpdateRuntimeConfig ("10.244.1.0/24", or one range per
 * family separated by commas); capsad fills the admin's template with it
 * and writes <cni_conf_dir>/10-capsad-template.conflist, which pods then
 * join when it is the directory's first configuration.
 *
 * A substitution of our own, not Go's text/template: between {{ and }}
 * (spaces allowed inside) only these names, each replaced by JSON text:
 *   {{.PodCIDR}}          the first range, bare (to go inside quotes)
 *   {{.PodCIDRRanges}}    every range: ["10.244.1.0/24", "fd00:10:244:1::/64"]
 *   {{.Routes}}           a default route per family present, IPv4 first:
 *                         ["0.0.0.0/0", "::/0"]
 *   {{.HostLocalRanges}}  the ranges as host-local's "ranges" wants them:
 *                         [[{"subnet": "10.244.1.0/24"}], [{"subnet": ...}]]
 *   {{.HostLocalRoutes}}  the routes as host-local's "routes": [{"dst": "0.0.0.0/0"}, ...]
 * Anything else between {{ and }} (a Go action such as range) is an error
 * naming its line, and so is a result that is not a CNI conflist. */
#ifndef CAPSA_CRI_CNI_TEMPLATE_H
#define CAPSA_CRI_CNI_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CRI_CNI_TEMPLATE_FILE "10-capsad-template.conflist"
/* bounds on what is read and made */
#define CRI_POD_CIDRS_MAX 16
#define CRI_POD_CIDR_TEXT_MAX 4096
#define CRI_CNI_TEMPLATE_MAX (1 << 20)
#define CRI_CNI_RENDERED_MAX (1 << 20)   /* what the directory's reader reads */

/* A pod CIDR as the kubelet sends it, checked: each range an IPv4 or IPv6
 * address and a prefix length (no zone, no spaces within). */
struct cri_pod_cidrs {
    char *v[CRI_POD_CIDRS_MAX];
    size_t n;
    bool v4, v6;
};

/* "a,b" (spaces around a range allowed); an empty text has no range.
 * EINVAL naming the range at fault. */
int cri_pod_cidrs_parse(const char *text, struct cri_pod_cidrs *out, cx_error *err);
void cri_pod_cidrs_free(struct cri_pod_cidrs *c);

/* tmpl (len bytes, origin names it in errors) filled with c (at least one
 * range), into *out (malloc'd, NUL-terminated, *outlen bytes), checked to
 * be a CNI conflist the way capsa reads configurations. */
int cri_cni_template_render(const char *tmpl, size_t len, const char *origin,
                            const struct cri_pod_cidrs *c, char **out, size_t *outlen,
                            cx_error *err);

/* The template file rendered for c and written (temporary file and
 * rename) into conf_dir (made when missing) as CRI_CNI_TEMPLATE_FILE,
 * unless the file there holds that text already: *written says which. */
int cri_cni_template_apply(const char *template_path, const char *conf_dir,
                           const struct cri_pod_cidrs *c, bool *written, cx_error *err);

/* The template readable and renderable (with a sample range): capsad's
 * check at start, so a typo is seen before the kubelet sends a CIDR. */
int cri_cni_template_check(const char *template_path, cx_error *err);

#endif
