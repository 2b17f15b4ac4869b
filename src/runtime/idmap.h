/* idmap.h: idmapped bind mounts ("idmap", "ridmap").
 *
 * An idmapped mount must be made by a process privileged over the
 * filesystem (the host's root), so create.c prepares each one before the
 * init is cloned: a user namespace holding the mapping (the mount's own
 * uidMappings/gidMappings, else the container's), a detached clone of the
 * source (open_tree), the idmapping set on it (mount_setattr). The init
 * then only moves the prepared tree onto its target (mounts.c).
 *
 * The same is done for every bind mount of a container with a user
 * namespace: a source its root cannot reach (a 0700 directory of the
 * host's root) is cloned by the runtime, as runc opens bind sources before
 * the init joins the user namespace. */
#ifndef CAPSA_IDMAP_H
#define CAPSA_IDMAP_H

#include "common/error.h"
#include "oci/spec.h"

/* fds[i]: the prepared tree of mounts[i] (idmapped, or a plain bind with a
 * user namespace), or -1; returns -1 on error
 * (fds then hold nothing). */
int idmap_prepare(const struct oci_spec *spec, const char *bundle, int *fds,
                  cx_error *err);
void idmap_close(int *fds, size_t n);

#endif
