/* cp.h: files in and out of a container (`cp`, `export`).
 *
 * Inside a container nothing is ever looked up by a host path: the root
 * of its merged file system is opened once, every path given by a user
 * is resolved from that fd with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) (safepath.h), and what lies beneath is walked one
 * component at a time with O_NOFOLLOW.  A symlink in the container, one
 * planted in its image or one swapped in while the copy runs (docker's
 * CVE-2018-15664), therefore resolves inside the container or is copied
 * as a symlink; it is never followed on the host.
 *
 * Both directions go through a tar stream: the side that reads writes
 * it (libarchive's writer only), the side that writes unpacks it with
 * the image unpacker (unpack.h: fd-relative, through no symlink, beneath
 * the destination directory's fd), on two threads joined by a pipe.  The
 * tar writer is commit.h's. */
#ifndef CAPSA_ENGINE_CP_H
#define CAPSA_ENGINE_CP_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/error.h"
#include "engine/engine.h"
#include "store/lock.h"

/* ---- a container's file system ---- */

/* A directory bound into the container (a volume, a -v host directory):
 * what the container sees below dest is the directory fd, not its root's
 * upper layer, so cp goes there too. */
struct cx_ctr_bind {
    char *dest;               /* cleaned, absolute */
    int fd;                   /* O_PATH | O_DIRECTORY of the source */
    bool ro;
};

struct cx_ctr_fs {
    struct cx_engine *e;
    char id[65];
    char *name;
    int rootfd;               /* the merged root, O_RDONLY | O_DIRECTORY */
    struct cx_lock lock;      /* the container's, held until close */
    bool mounted;             /* mounted here: unmounted by close */
    uid_t uid;                /* its process's user (config.json), else 0:0 */
    gid_t gid;
    struct cx_ctr_bind *binds;  /* its bind-mounted directories (cp_binds.c) */
    size_t nbinds;
};

/* Find the container what (name, ID or prefix), take its lock, and open
 * its root (mounting it when it is not). */
int cx_ctr_fs_open(struct cx_engine *e, const char *what, struct cx_ctr_fs *fs, cx_error *err);
void cx_ctr_fs_close(struct cx_ctr_fs *fs);

/* cp_binds.c: the bind-mounted directories of config.json's mounts
 * (spec: the parsed document), and a path opened as the container sees
 * it: below the longest bind whose dest holds it, resolved inside that
 * directory; else inside the root.  -1 and errno on failure. */
void cx_ctr_fs_load_binds(struct cx_ctr_fs *fs, json_t *spec);
void cx_ctr_fs_free_binds(struct cx_ctr_fs *fs);
int cx_ctr_fs_open_at(const struct cx_ctr_fs *fs, const char *path, int flags);
/* path lies on a read-only bind of the container */
bool cx_ctr_fs_readonly(const struct cx_ctr_fs *fs, const char *path);

/* ---- cp and export ---- */

/* One argument of cp: "-" (a tar stream), CONTAINER:PATH, or a host path
 * (one that starts with "/" or ".", or has no colon: podman's rule). */
struct cx_cp_arg {
    bool stream;
    char *ctr;                /* NULL: the host */
    char *path;               /* a container's "" is its root */
};
int cx_cp_arg_parse(const char *s, struct cx_cp_arg *out, cx_error *err);
void cx_cp_arg_free(struct cx_cp_arg *a);

/* A path cut for cp: parent and leaf ("/a/b/" -> "/a", "b"); contents:
 * it ends with "/." or names a root or "."/".." (what is in it is
 * copied, not itself); dir: it ends with "/" (must be a directory). */
struct cx_cp_path {
    char *full, *parent, *leaf;
    bool contents, dir;
};
int cx_cp_path_split(const char *path, bool in_ctr, struct cx_cp_path *out, cx_error *err);
void cx_cp_path_free(struct cx_cp_path *p);

struct cx_cp_opts {
    bool archive;             /* into a container: owned by its user (podman's default) */
    bool overwrite;           /* a directory may replace a non-directory and back */
};

/* podman cp SRC DEST (see podman-cp(1)): host to container, container to
 * host or to another container, stdin (a tar) into a container directory,
 * a container path as a tar on stdout. */
int cx_cp(struct cx_engine *e, const char *src, const char *dest, const struct cx_cp_opts *o,
          cx_error *err);

/* The container's merged file system as a tar written to fd. */
int cx_export(struct cx_engine *e, const char *what, int fd, cx_error *err);

#endif
