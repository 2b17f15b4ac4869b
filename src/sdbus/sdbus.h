/* sdbus.h: systemd's D-Bus API through libsystemd's sd-bus, for the
 * capsa-systemd helper (src/cmd/capsa-systemd.c).  capsa itself is a
 * static binary and never loads libsystemd: with --systemd-cgroup it runs
 * this small dynamically linked helper instead (runtime/cgroup/systemd.c).
 *
 *   sdb_open()          the system bus, subscribed to job results
 *   sdb_start_unit()    StartTransientUnit, waiting for the job's result
 *   sdb_set_props()     SetUnitProperties (runtime)
 *   sdb_stop_unit()     StopUnit, waiting; a unit already gone is success
 *
 * Properties are a JSON array of ["Name", signature, value] with the
 * signatures s, b, t, au and ay (what systemd.c sends). */
#ifndef CAPSA_SDBUS_H
#define CAPSA_SDBUS_H

#include <jansson.h>

#include "common/error.h"

struct sdb;

int sdb_open(struct sdb **out, cx_error *err);
void sdb_close(struct sdb *b);
static inline void sdb_closep(struct sdb **b)
{
    if (*b) sdb_close(*b);
}
#define _cleanup_sdb_ __attribute__((cleanup(sdb_closep)))

int sdb_start_unit(struct sdb *b, const char *unit, json_t *props, cx_error *err);
int sdb_set_props(struct sdb *b, const char *unit, json_t *props, cx_error *err);
int sdb_stop_unit(struct sdb *b, const char *unit, cx_error *err);

#endif
