/* copyup.h: "tmpcopyup" (a runc extension podman relies on for --tmpfs and
 * --read-only): a tmpfs mounted over an image directory starts with a copy
 * of what the directory held. */
#ifndef CAPSA_COPYUP_H
#define CAPSA_COPYUP_H

#include "common/error.h"

/* Copy the tree under directory fd src into directory fd dst, keeping
 * modes, owners and symlinks; never follows a symlink, never crosses into
 * another mount. */
int copy_tree(int src, int dst, cx_error *err);

#endif
