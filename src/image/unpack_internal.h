/* unpack_internal.h: what unpack.c (entries, the stream) and unpack_tree.c
 * (parents, lower layers, copy-ups) share.  Not a public header. */
#ifndef CAPSA_IMAGE_UNPACK_INTERNAL_H
#define CAPSA_IMAGE_UNPACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "image/unpack.h"

struct archive;

#define READ_BUF (256u << 10)    /* tar reads and copy-ups */
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct dirtime {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    struct cx_unpack_opts o;        /* with the defaults filled in */
    struct cx_unpack_stats st;
    struct cx_layer_reader *r;
    struct archive *a;
    int destfd;
    uint8_t *buf;
    cx_error rerr;                  /* the reader's error, seen in read_cb */
    /* the last entry was read to its end: a stream ending here lacks only
       its padding and end blocks (umoci 0.4 writes such layers) */
    bool at_entry_end, padded;
    bool rfailed;
    char *cache_path;               /* the last parent directory, and its fd */
    int cache_fd;
    struct dirtime *dirs;           /* directory times, applied at the end */
    size_t ndirs, capdirs;
    uint64_t logical;               /* the sum of the files' sizes */
    const char *name;               /* "layer sha256:..." */
    char entry[256];                /* the entry's name, printable, for errors */
};

enum lower_kind { LOWER_NONE, LOWER_DIR, LOWER_FILE, LOWER_SYMLINK, LOWER_OTHER };

/* "layer ...: entry \"NAME\": why", returns -1 */
int cx_up_fail(struct unpack *u, cx_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* openat2(RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS | NO_XDEV) */
int cx_up_open_nolinks(int dirfd, const char *path, int flags);
bool cx_up_overlay_xattr(const char *name);   /* trusted.overlay.*, user.overlay.* */
bool cx_up_is_whiteout(const struct stat *st);
/* What path is in the merged view of the lower layers; *fd: O_PATH fd of
 * the top-most instance (or -1). */
int cx_up_lower_lookup(struct unpack *u, const char *path, int *fd, enum lower_kind *kind,
                       cx_error *err);
/* The lower regular file lfd (O_PATH) copied as leaf of dfd. */
int cx_up_copy_up(struct unpack *u, int lfd, const char *lowerpath, int dfd, const char *leaf,
                  cx_error *err);
/* Add size to the files' total, refused past max_bytes. */
int cx_up_count_bytes(struct unpack *u, uint64_t size, cx_error *err);
int cx_up_defer_dir_time(struct unpack *u, const char *path, const struct timespec ts[2]);
void cx_up_cache_drop(struct unpack *u);
void cx_up_cache_set(struct unpack *u, const char *path, size_t len, int fd);
/* A borrowed fd of the directory holding path's leaf (plen: the parent's
 * length, 0 for the root): reached through no symlink, made when missing. */
int cx_up_parent_fd(struct unpack *u, const char *path, size_t plen, cx_error *err);
/* leaf exists in dfd: remove it (a directory with its subtree). */
int cx_up_make_room(struct unpack *u, int dfd, const char *leaf, cx_error *err);

#endif
