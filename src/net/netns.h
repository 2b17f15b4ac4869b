/* netns.h: network namespaces made by capsa for its containers, pinned by
 * a bind mount of the namespace on a file (dir/<name>, under the runroot),
 * so they outlive every process and are what CNI_NETNS names. */
#ifndef CAPSA_NET_NETNS_H
#define CAPSA_NET_NETNS_H

#include "common/error.h"

/* A new network namespace pinned at dir/name (dir made if missing); *path
 * receives that path.  An existing pin is an error (EEXIST). */
int cx_netns_create(const char *dir, const char *name, char **path, cx_error *err);
/* Unpin and remove dir/name; nothing there is success. */
int cx_netns_remove(const char *dir, const char *name, cx_error *err);

#endif
