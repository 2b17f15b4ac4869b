/* procattr.h: the process attributes beyond user and capabilities:
 * process.scheduler, process.ioPriority, linux.personality, and the LSM
 * labels (process.apparmorProfile, process.selinuxLabel).  Checked at
 * create (a value the host cannot honour is an error naming its field),
 * applied by the init (and exec) before the user switch, labels last. */
#ifndef CAPSA_PROCATTR_H
#define CAPSA_PROCATTR_H

#include "common/error.h"
#include "oci/spec.h"

int procattr_check(const struct oci_process *p, const struct oci_linux *l,
                   cx_error *err);
/* scheduler, ioPriority, personality: while still privileged. */
int procattr_apply(const struct oci_process *p, const struct oci_linux *l,
                   cx_error *err);
/* AppArmor profile / SELinux label for the coming execve. */
int procattr_apply_labels(const struct oci_process *p, cx_error *err);

#endif
