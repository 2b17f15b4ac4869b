/* cni_conf.h: CNI network configurations (shared/specs/cni/SPEC.md,
 * section 1): a conflist ({"cniVersion", "name", "plugins": [...]}) or a
 * single-plugin .conf, read strictly.  capsa speaks the protocol up to
 * 1.0.0, the newest version Debian's plugins (1.1.1) know. */
#ifndef CAPSA_NET_CNI_CONF_H
#define CAPSA_NET_CNI_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/error.h"

struct cx_cni_conf {
    char *name;
    char *version;        /* the cniVersion passed to every plugin */
    bool disable_check;
    json_t *plugins;      /* the plugin objects, in order (a reference) */
    json_t *doc;          /* the whole document, as read (a reference) */
};

/* text (len bytes) from origin (a file name, for errors). */
int cx_cni_conf_parse(const char *text, size_t len, const char *origin,
                      struct cx_cni_conf *out, cx_error *err);
int cx_cni_conf_load(const char *path, struct cx_cni_conf *out, cx_error *err);
void cx_cni_conf_free(struct cx_cni_conf *c);

/* A network name as the spec allows: [A-Za-z0-9][A-Za-z0-9_.-]*, at most
 * 200 bytes (it names files). */
int cx_cni_name_check(const char *name, cx_error *err);
/* A cniVersion capsa can speak: 0.1.0 .. 1.0.0. */
bool cx_cni_version_ok(const char *v);

#endif
