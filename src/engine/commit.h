/* commit.h: a container's changes as a new image (`commit`), and the tar
 * writer it shares with cp and export (cp.h).
 *
 * The writer walks a tree from an fd one O_NOFOLLOW component at a time
 * (a symlink is written as a symlink, never followed; a regular file is
 * read through an fd of the very inode it checked), and writes through
 * libarchive's pax writer: files with their owner, mode, times, xattrs,
 * hardlinks as links to the first name, devices and FIFOs.
 *
 * The container's upper directory becomes one more layer on top of its
 * image's: written as a tar by that writer (overlay's whiteouts, 0/0
 * character devices, become ".wh.NAME" entries; an opaque directory gets
 * ".wh..wh..opq"), gzip-compressed into a temporary file, then put into
 * the store with a new config and manifest through the import path's blob
 * set (archive.h), so the image is verified, unpacked once and recorded
 * as any pulled image is.  The base image's layers are the store's own
 * blobs, never copied.
 *
 * The config is the image's, with what the container ran with, as podman
 * commits it: its Env (the process's, but HOSTNAME), Entrypoint and Cmd
 * (--entrypoint and a command given to run), WorkingDir (-w), User (-u),
 * Labels (the image's and --label), StopSignal (--stop-signal), Volumes
 * (with --include-volumes, those of -v and --mount); a history entry with
 * the author and message. */
#ifndef CAPSA_ENGINE_COMMIT_H
#define CAPSA_ENGINE_COMMIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "engine/engine.h"

struct archive;

/* ---- the tar writer ---- */

struct cx_tar_opts {
    /* the tree is an overlay upper directory: a 0/0 character device
       becomes a ".wh.NAME" entry, an opaque directory (trusted.overlay.
       opaque "y") gets a ".wh..wh..opq" entry; a redirect or metacopy
       xattr (a layer overlay cannot be read alone) is an error */
    bool overlay;
    bool chown;               /* every entry owned by uid:gid */
    uid_t uid;
    gid_t gid;
    const int *cancel;        /* non-NULL: stop when it becomes non-zero */
    /* a name starting with ".wh." written as it is (export); else refused:
       a layer's reader, the unpacker cp uses, takes it for a whiteout */
    bool any_names;
};

/* A pax tar writer on fd (not closed). */
struct cx_tar {
    struct archive *a;
    int fd;
    bool failed;          /* nothing more reaches fd (no end blocks) */
};
int cx_tar_open(int fd, struct cx_tar *t, cx_error *err);
/* End the stream, unless failed: a cut stream must not look whole. */
int cx_tar_close(struct cx_tar *t, bool failed, cx_error *err);

/* Write the node fd (an O_PATH fd, not followed again) as entries named
 * name, a directory with everything beneath it; name "" leaves the
 * directory's own entry out and names its children at the top. */
int cx_tar_node(struct archive *a, int fd, const char *name, const struct cx_tar_opts *o,
                cx_error *err);

/* ---- commit ---- */


struct cx_commit_opts {
    const char *name;              /* the new image's name ("name[:tag]"), or NULL */
    const char *author, *message;  /* or NULL */
    bool pause;                    /* freeze a running container meanwhile */
    bool docker;                   /* Docker schema 2 manifest and config (else OCI) */
    bool include_volumes;
    const char *const *changes;    /* --change instructions, NULL-terminated, or NULL */
};

/* Commit the container what; id receives the new image's ID. */
int cx_commit(struct cx_engine *e, const char *what, const struct cx_commit_opts *o,
              char id[static 65], cx_error *err);

#endif
