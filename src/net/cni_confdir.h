/* cni_confdir.h: the network a CNI configuration directory gives, as the
 * kubelet's runtimes pick it (libcni's rule): the files ending in .conf,
 * .conflist or .json, sorted by name, the first that is a valid
 * configuration.  capsad attaches its pods to that network. */
#ifndef CAPSA_NET_CNI_CONFDIR_H
#define CAPSA_NET_CNI_CONFDIR_H

#include "net/cni_conf.h"

/* The first valid configuration in dir into *out and its file into *path
 * (malloc'd).  None: ENOENT with a message that says what was looked at
 * (and why the last candidate was refused). */
int cx_cni_confdir_first(const char *dir, struct cx_cni_conf *out, char **path,
                         cx_error *err);

#endif
