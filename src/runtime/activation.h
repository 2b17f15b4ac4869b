/* activation.h: systemd socket activation passed through to a container.
 * Fds handed to capsa with LISTEN_FDS (and LISTEN_PID naming capsa, as
 * sd_listen_fds() checks) stay open in the container from fd 3, whose
 * process is told LISTEN_FDS=n and LISTEN_PID=1, as runc does. */
#ifndef CAPSA_ACTIVATION_H
#define CAPSA_ACTIVATION_H

#include "oci/spec.h"

/* The number of activation fds passed to us, or 0. */
int activation_fds(void);
/* Append LISTEN_FDS/LISTEN_PID to the process env when there are some. */
void activation_env(struct oci_spec *spec);

#endif
