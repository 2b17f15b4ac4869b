/* passwd.h: users, groups and directories inside a container's root,
 * always through the root's fd with the no-escape resolution (safepath):
 * a symlinked /etc/passwd or working directory in an image can never make
 * capsa read or create anything on the host. */
#ifndef CAPSA_ENGINE_PASSWD_H
#define CAPSA_ENGINE_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

struct cx_user {
    uid_t uid;
    gid_t gid;
    gid_t *additional;           /* supplementary groups from /etc/group */
    size_t nadditional;
    char *home;                  /* from /etc/passwd, or "/" */
};

/* Resolve USER[:GROUP] (names or numbers, as docker's `-u`) against
 * rootfd's /etc/passwd and /etc/group.  A numeric uid need not exist; a
 * name that does not is an error naming it.  NULL or "" is root. */
int cx_user_resolve(int rootfd, const char *spec, struct cx_user *out, cx_error *err);
void cx_user_free(struct cx_user *u);
/* --group-add: each group (a name in rootfd's /etc/group, or a number that
 * need not be there) appended to u's supplementary groups, once. */
int cx_user_add_groups(int rootfd, char *const *groups, struct cx_user *u, cx_error *err);

/* mkdir -p of an absolute path inside rootfd (0755, owned by uid:gid when
 * it is made); an existing non-directory is an error. */
int cx_rootfs_mkdir(int rootfd, const char *path, uid_t uid, gid_t gid, cx_error *err);

#endif
