/* safepath.h: resolving paths inside a container's root without ever
 * leaving it.  Every lookup goes through openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from an fd of the root, so a symlink planted in an
 * image ("/etc -> /host/etc") resolves inside the rootfs, never on the
 * host.  Mounts are then made on "/proc/self/fd/N" of the resolved fd. */
#ifndef CAPSA_SAFEPATH_H
#define CAPSA_SAFEPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* openat2 confined to rootfd; returns fd or -1 with errno. */
int sp_open(int rootfd, const char *path, int flags);
/* The same, through no symlink at all (ELOOP): for what must be exactly
 * where it is named (proc and sysfs, masked and read-only paths), where a
 * symlink -- planted or swapped in by a race -- would make them miss. */
int sp_open_nosymlinks(int rootfd, const char *path, int flags);
/* Create every missing directory of path (confined), return an O_PATH fd
 * of the last one. */
int sp_mkdir_all(int rootfd, const char *path, mode_t mode, cx_error *err);
/* The same, returning a real directory fd (for mkdirat, mknodat, ...). */
int sp_mkdir_open(int rootfd, const char *path, mode_t mode, cx_error *err);
/* Create path as an empty file if missing (parents too); O_PATH fd. */
int sp_mkfile(int rootfd, const char *path, mode_t mode, cx_error *err);
/* "/proc/self/fd/N" */
void sp_fd_path(int fd, char buf[static 32]);

#endif
