/* rc.h: remotecommand, the protocol of the kubelet's exec and attach
 * (k8s.io/apimachinery's httpstream with the channel.k8s.io versions), as
 * capsad-stream serves it after the upgrade.
 *
 * The client opens one SPDY stream per channel, named by its streamtype
 * header: error (always), stdin, stdout, stderr as the request asked
 * (stderr never with a terminal), resize (a terminal, v3 and later).
 * Once they all exist (within 30 s) the process starts (exec) or the
 * container's output is joined (attach); stdin DATA goes to the process,
 * its FIN closes the process's stdin; output goes back as DATA on stdout
 * and stderr; each resize DATA is a JSON {"Width":W,"Height":H}.  At the
 * end v4 writes a metav1.Status as JSON on the error stream (Success, or
 * Failure with reason NonZeroExitCode and a cause ExitCode holding the
 * code, which kubectl and crictl turn into their exit code), older
 * versions the error's text only; then every stream is finished and the
 * session goes away (GOAWAY).  A client that leaves before the process
 * ends takes it along: the process is killed (no one could read it). */
#ifndef CAPSA_CRI_STREAM_RC_H
#define CAPSA_CRI_STREAM_RC_H

#include "common/error.h"
#include "cri/stream/desc.h"

/* Serve the session on fd (the 101 answer written already); 0 once it
 * ended as the protocol wants, -1 with err when it could not. */
int rc_serve(int fd, const struct stream_desc *d, cx_error *err);

/* 4, 3, 2 or 1 for v4.channel.k8s.io .. channel.k8s.io */
int rc_version(const char *protocol);

/* The status JSON v4 writes at the end: code 0 success, > 0 the exit
 * code of cmd; internal (not NULL): a failure of ours.  Malloc'd. */
char *rc_status_json(int code, char *const *cmd, const char *internal);

#endif
