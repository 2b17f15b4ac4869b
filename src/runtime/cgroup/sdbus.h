/* sdbus.h: systemd's D-Bus API, reached through libsystemd's sd-bus,
 * loaded with dlopen only when the systemd cgroup driver is used: every
 * other `capsa` run keeps its short list of shared libraries (glibc only),
 * and a host without libsystemd still runs capsa with the cgroupfs driver.
 *
 *   sdb_open()          the system bus, once systemd is known to be PID 1
 *   sdb_start_unit()    StartTransientUnit, waiting for the job's result
 *   sdb_set_props()     SetUnitProperties (runtime)
 *   sdb_stop_unit()     StopUnit, waiting; a unit already gone is success
 *
 * Properties are built by the caller with sdb_prop_*() into a message
 * that sdb_start_unit()/sdb_set_props() open for it (see systemd.c). */
#ifndef CAPSA_CGROUP_SDBUS_H
#define CAPSA_CGROUP_SDBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct sdb;          /* a connection and the loaded library */
struct sdb_props;    /* properties being appended (an a(sv) container) */

int sdb_open(struct sdb **out, cx_error *err);
void sdb_close(struct sdb *b);
static inline void sdb_closep(struct sdb **b)
{
    if (*b) sdb_close(*b);
}
#define _cleanup_sdb_ __attribute__((cleanup(sdb_closep)))

/* fill appends the unit's properties; it returns < 0 (err set) to abort */
typedef int (*sdb_fill_fn)(struct sdb_props *p, void *data, cx_error *err);

int sdb_start_unit(struct sdb *b, const char *unit, sdb_fill_fn fill, void *data,
                   cx_error *err);
int sdb_set_props(struct sdb *b, const char *unit, sdb_fill_fn fill, void *data,
                  cx_error *err);
int sdb_stop_unit(struct sdb *b, const char *unit, cx_error *err);

int sdb_prop_str(struct sdb_props *p, const char *name, const char *v);
int sdb_prop_bool(struct sdb_props *p, const char *name, bool v);
int sdb_prop_u64(struct sdb_props *p, const char *name, uint64_t v);
int sdb_prop_pids(struct sdb_props *p, const char *name, const pid_t *pids, size_t n);
int sdb_prop_bytes(struct sdb_props *p, const char *name, const uint8_t *v, size_t n);

#endif
