/* unpack.h: one layer blob unpacked into an overlayfs layer directory.
 *
 * The tar is parsed by libarchive (its tar reader only: no filters, no
 * extractor); everything is created by capsa, fd-relative beneath the
 * destination directory, through no symlink at all, so a hostile layer
 * cannot write outside it.  Whiteouts become overlay's 0/0 character
 * devices, opaque markers the xattr trusted.overlay.opaque="y".  The rules
 * are written out for users in docs/UNPACK.md.
 */
#ifndef CAPSA_IMAGE_UNPACK_H
#define CAPSA_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/decompress.h"
#include "image/digest.h"

#define CX_UNPACK_MAX_ENTRIES_DEFAULT 1000000ULL

struct cx_unpack_opts {
    uint64_t max_entries;     /* default 1,000,000 when 0 */
    uint64_t max_bytes;       /* uncompressed bound, default 64 GiB when 0 */
    unsigned max_ratio;       /* default 1100 when 0 (gzip cannot exceed ~1032:1 honestly) */
    const int *lower_fds;     /* directory fds of the layers below, bottom first (may be NULL) */
    size_t nlower;
    bool devices;             /* make device nodes (we are root in the host's user ns); else skip them */
};

struct cx_unpack_stats {
    uint64_t entries;   /* tar headers seen */
    uint64_t files;     /* regular files written (copy-ups included) */
    uint64_t bytes;     /* file content bytes written */
    uint64_t skipped;   /* entries and xattrs not applied (devices without
                           opts->devices, trusted.overlay.* xattrs, ...) */
};

/* Unpack one layer blob (fd) into the empty directory destfd as an overlayfs
 * layer directory.  destfd: O_RDONLY | O_DIRECTORY (not O_PATH: an opaque
 * marker at the top sets an xattr on it); lower_fds likewise, or O_PATH.
 * opts may be NULL (defaults), stats too.  On error the caller removes
 * destfd's directory: nothing was written outside it. */
int cx_unpack_layer(int fd, enum cx_compression comp, const struct cx_digest *digest,
                    const struct cx_digest *diff_id, int destfd,
                    const struct cx_unpack_opts *opts, struct cx_unpack_stats *stats,
                    cx_error *err);

/* syncfs() on the file system holding destfd: the caller syncs a layer once,
 * after unpacking it (no per-file fsync). */
int cx_unpack_syncfs(int destfd, cx_error *err);

#endif
