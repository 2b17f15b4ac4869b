/* pf.h: port-forward (portforward.k8s.io) as capsad-stream serves it
 * after the upgrade, in the pod's network namespace (entered once at the
 * start: the client's connection, made before, stays where it was).
 *
 * Each forwarded connection is a pair of SPDY streams the client opens,
 * with the headers streamtype (error, then data), port and requestid
 * (the pair's name).  Once both exist, 127.0.0.1:port (else [::1]:port)
 * is dialled and the data stream relayed both ways: the client's FIN
 * half-closes the connection, the connection's end finishes the data
 * stream.  A failure is written as text on the pair's error stream; the
 * error stream is finished when the pair is done (the client waits for
 * that).  Many pairs share one session; a pair that lacks its other half
 * for 30 s is dropped. */
#ifndef CAPSA_CRI_STREAM_PF_H
#define CAPSA_CRI_STREAM_PF_H

#include "common/error.h"
#include "cri/stream/desc.h"

/* Serve the session on fd (the 101 answer written already) until the
 * client goes. */
int pf_serve(int fd, const struct stream_desc *d, cx_error *err);

#endif
