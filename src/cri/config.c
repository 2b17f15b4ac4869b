/* TEMPORARY stub until the config helper lands */
#include "cri/config.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
int cri_config_load(struct cri_config *c, int argc, char **argv, cx_error *err)
{
    memset(c, 0, sizeof *c);
    c->listen_path = cx_strdup("/run/capsad/capsad.sock");
    c->root = cx_strdup("/var/lib/capsa"); c->runroot = cx_strdup("/run/capsa-engine");
    c->registries_conf = cx_strdup(""); c->cni_conf_dir = cx_strdup("/etc/cni/net.d");
    c->cni_bin_dir = cx_strdup("/usr/lib/cni:/opt/cni/bin"); c->cni_conf_template = cx_strdup("");
    c->cgroup_manager = cx_strdup("cgroupfs"); c->pause_image = cx_strdup("");
    c->default_runtime = cx_strdup("capsa"); c->stream_address = cx_strdup("127.0.0.1");
    c->log_level = cx_strdup("info");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        char **dst = NULL;
        if (!strcmp(a, "--help")) { c->help = true; continue; }
        if (!strcmp(a, "--version")) { c->version = true; continue; }
        if (!strcmp(a, "--listen")) { free(c->listen_path); c->listen_path = cx_strdup(v + 7); i++; continue; }
        if (!strcmp(a, "--stream-port")) { c->stream_port = atoi(v); i++; continue; }
        if (!strcmp(a, "--root")) dst = &c->root;
        else if (!strcmp(a, "--runroot")) dst = &c->runroot;
        else if (!strcmp(a, "--cni-conf-dir")) dst = &c->cni_conf_dir;
        else if (!strcmp(a, "--cni-bin-dir")) dst = &c->cni_bin_dir;
        else if (!strcmp(a, "--log-level")) dst = &c->log_level;
        else if (!strcmp(a, "--pause-image")) dst = &c->pause_image;
        else return cx_fail(err, EINVAL, "unknown flag %s", a);
        free(*dst); *dst = cx_strdup(v); i++;
    }
    return 0;
}
void cri_config_free(struct cri_config *c) { (void) c; }
const struct cri_runtime *cri_config_runtime(const struct cri_config *c, const char *h)
{ static struct cri_runtime r = { "capsa", "capsa", "" }; (void) c; return (!h[0] || !strcmp(h, "capsa")) ? &r : NULL; }
void cri_config_usage(FILE *f) { fprintf(f, "--listen --root --runroot --registries-conf --cni-conf-dir --cni-bin-dir --cgroup-manager --pause-image --stream-address --stream-port --log-level\n"); }
json_t *cri_config_json(const struct cri_config *c) { return json_pack("{s:s}", "root", c->root); }
