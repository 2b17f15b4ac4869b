/* decompress.h: reading a layer blob as its uncompressed tar stream.
 *
 * A pull-based reader: it reads the blob from an fd (a file or a pipe),
 * hashes the compressed bytes (the blob's digest), inflates gzip (ISA-L,
 * concatenated members included) or zstd (every frame), hashes what comes
 * out (the layer's diff_id), and refuses a decompression bomb: more than
 * max_uncompressed bytes, or, for gzip, more than max_ratio times the
 * compressed bytes consumed so far plus 1 MiB (deflate cannot honestly
 * exceed ~1032:1; zstd can -- 8 MiB of zeros fit in ~50 bytes -- so a zstd
 * layer is bounded by max_uncompressed alone).  Every error names the layer
 * ("layer sha256:...").
 *
 * The writer side, cx_gzip_compress_fd, compresses with ISA-L's
 * isal_deflate (gzip wrapper, a fixed header: mtime 0, so the same input
 * gives the same blob).
 */
#ifndef CAPSA_IMAGE_DECOMPRESS_H
#define CAPSA_IMAGE_DECOMPRESS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "image/digest.h"

enum cx_compression { CX_COMP_NONE, CX_COMP_GZIP, CX_COMP_ZSTD, CX_COMP_DETECT };

/* Defaults taken when max_uncompressed or max_ratio is 0; pass UINT64_MAX
 * or UINT_MAX for no bound. */
#define CX_LAYER_MAX_BYTES_DEFAULT (64ULL << 30)
#define CX_LAYER_MAX_RATIO_DEFAULT 1100u

struct cx_layer_reader;

/* Read from fd (not owned: the caller closes it), hash the compressed bytes
 * (checked against digest at the end when non-NULL), decompress (DETECT:
 * by magic 1f 8b / 28 b5 2f fd, else none), hash the uncompressed bytes
 * (checked against diff_id when non-NULL), and refuse more than
 * max_uncompressed bytes or, for gzip, a ratio over max_ratio (uncompressed
 * > max_ratio * compressed + 1 MiB) -- a decompression bomb -- with a clear
 * error.  DETECT reads up to 4 bytes at once. */
int cx_layer_reader_open(int fd, enum cx_compression comp, const struct cx_digest *digest,
                         const struct cx_digest *diff_id, uint64_t max_uncompressed,
                         unsigned max_ratio, struct cx_layer_reader **out, cx_error *err);
/* Up to len uncompressed bytes into buf; 0 at the end of the stream. */
ssize_t cx_layer_reader_read(struct cx_layer_reader *r, void *buf, size_t len, cx_error *err);
/* Drain what is left (a tar stream has padding after its end marker), then
 * verify both digests; truncated/corrupt streams are errors naming the
 * layer.  Called once; the reader is only freed afterwards. */
int cx_layer_reader_finish(struct cx_layer_reader *r, cx_error *err);
void cx_layer_reader_free(struct cx_layer_reader *r);
/* What the reader saw: compressed and uncompressed byte counts, and the
 * computed digests (valid after a successful finish; zeroed before).  Any
 * pointer may be NULL. */
void cx_layer_reader_stats(const struct cx_layer_reader *r, uint64_t *in, uint64_t *out,
                           struct cx_digest *digest, struct cx_digest *diff_id);
/* "layer sha256:<hex>" (or "layer (diff_id sha256:<hex>)", or "layer"):
 * the prefix of the reader's errors, for the caller's own. */
const char *cx_layer_reader_name(const struct cx_layer_reader *r);
/* The compression in force (DETECT resolved once open returned). */
enum cx_compression cx_layer_reader_compression(const struct cx_layer_reader *r);

/* Compress fd in (to its end) to out as gzip with ISA-L (level 0-9, mapped
 * onto ISA-L's 0-3: 0-1 -> 1, 2-5 -> 2, 6-9 -> 3); compressed and
 * uncompressed digests (SHA-256) and the compressed size are returned
 * through the pointers that are not NULL. */
int cx_gzip_compress_fd(int in, int out, int level, struct cx_digest *compressed,
                        struct cx_digest *uncompressed, uint64_t *size, cx_error *err);

#endif
