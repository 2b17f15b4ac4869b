/* sync.h: the parent <-> container-init channel (a SOCK_SEQPACKET pair).
 *
 * The init reports every failure before exec as a message carrying the
 * errno and the text, so the user reads the real cause ("mount /proc: ...")
 * and never a bare EOF.  File descriptors (the pty master) travel with
 * SCM_RIGHTS on the same channel.
 */
#ifndef CAPSA_SYNC_H
#define CAPSA_SYNC_H

#include <stdint.h>

#include "common/error.h"

enum sync_type {
    SYNC_GO = 1,      /* parent -> init: ids mapped, cgroup joined; go on */
    SYNC_READY,       /* init -> parent: set up, blocked until start */
    SYNC_ERROR,       /* init -> parent: setup failed (errnum + text) */
    SYNC_FD,          /* either way: carries one fd */
    SYNC_RECORDED,    /* parent -> init: state written; the init may outlive us */
    SYNC_HOOKS,       /* init -> parent: mounts done, run prestart/createRuntime */
    SYNC_ACK,         /* init -> parent: death signal dropped; we may exit */
};

struct sync_msg {
    uint32_t type;
    int32_t errnum;
    char text[CX_ERROR_MAX];
};

int sync_send(int sock, enum sync_type type);
int sync_send_error(int sock, const cx_error *err);
int sync_send_fd(int sock, int fd);
/* Receive one message; *fd gets a passed descriptor or -1.  Returns 0,
 * or -1 with errno (0 on EOF). */
int sync_recv(int sock, struct sync_msg *msg, int *fd);
/* Receive and expect a given type; turns SYNC_ERROR into err. */
int sync_expect(int sock, enum sync_type type, const char *peer, int *fd,
                cx_error *err);

#endif
