/* dir_usage.h: what a directory tree takes on disk, as du counts it: the
 * allocated blocks (st_blocks * 512) and the inodes, each inode once (a
 * file of n links counts 1/n at each of them).  The tree is a container's
 * writable layer, which the container's own processes change while we
 * walk: nothing is followed out of it (no symlink, no mount point crossed:
 * each directory is opened from its parent's fd with O_NOFOLLOW), the
 * depth is bounded (CRI_DU_MAX_DEPTH open directories at most; deeper ones
 * count as entries, their contents not), and what vanishes meanwhile is
 * skipped.  No chdir: handlers share the process's working directory. */
#ifndef CAPSA_CRI_DIR_USAGE_H
#define CAPSA_CRI_DIR_USAGE_H

#include <stdint.h>

#include "common/error.h"

#define CRI_DU_MAX_DEPTH 128

/* The usage of path (relative to at, or absolute). */
int cri_dir_usage(int at, const char *path, uint64_t *bytes, uint64_t *inodes,
                  cx_error *err);

#endif
