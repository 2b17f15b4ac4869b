/* attach.h: the client side of capsa-shim's attach socket (<bundle>/attach,
 * SOCK_SEQPACKET: each datagram from the shim is a stream byte, 2 stdout or
 * 3 stderr, then the bytes; what we send is the container's stdin), with
 * podman's detach keys, terminal raw mode and size (<bundle>/ctl), and
 * signals forwarded to the container when it has no terminal. */
#ifndef CAPSA_ENGINE_ATTACH_H
#define CAPSA_ENGINE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

#define CX_DETACH_MAX 16

/* "ctrl-p,ctrl-q" (podman's default when keys is NULL), single characters,
 * "ctrl-@" ... "ctrl-_"; "" disables detaching. */
int cx_detach_keys_parse(const char *keys, unsigned char out[CX_DETACH_MAX], size_t *n,
                         cx_error *err);

struct cx_ctr;

struct cx_attach_opts {
    bool tty, stdin_open;
    const char *detach_keys;
    const struct cx_ctr *ctr; /* to forward signals (no tty) */
    bool has_ctl_dir;        /* resize through ctl_dir's ctl fifo (an exec */
    int ctl_dir;             /* session's), not the container's */
};

/* Connect to the container's attach socket. */
int cx_attach_connect(struct cx_engine *e, const char *id, cx_error *err);
/* The same for the attach socket in directory dir (an exec session's). */
int cx_attach_connect_dir(int dir, const char *id, cx_error *err);
/* Send the terminal's size through the ctl fifo (no-op without a tty). */
void cx_attach_resize(struct cx_engine *e, const char *id);
/* The same through the ctl fifo in directory dir. */
void cx_attach_resize_dir(int dir);
/* Relay until the container's output ends (*detached false) or the detach
 * keys are typed (*detached true). */
int cx_attach_relay(struct cx_engine *e, int sock, const struct cx_attach_opts *o,
                    bool *detached, cx_error *err);

#endif
