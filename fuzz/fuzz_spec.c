/* fuzz_spec: config.json through oci_spec_parse (spec.c, spec_linux.c,
 * resources.c, seccomp.c), then what create derives from a valid spec
 * without touching the system: every mount's options, the namespace
 * plan's lookups, the systemd unit of linux.cgroupsPath, the device rules. */
#include <sched.h>

#include "fuzz.h"
#include "oci/resources.h"
#include "oci/spec.h"
#include "runtime/cgroup/internal.h"
#include "runtime/mount_opts.h"

static void derived(const struct oci_spec *spec)
{
    cx_error err = { 0 };
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct mount_opts mo;
        if (spec->mounts[i].options && mount_opts_parse(spec->mounts[i].options, &mo, &err) < 0)
            fz_failed(&err);
        else if (spec->mounts[i].options)
            FZ_CHECK(memchr(mo.data, '\0', sizeof mo.data) != NULL);
    }
    static const int types[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                 CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        (void) oci_spec_namespace(spec, types[t]);
    if (spec->process)
        (void) oci_env_get(spec->process->env, "PATH");
    const struct oci_linux *l = spec->linux_;
    if (l == NULL)
        return;
    if (l->cgroups_path) {
        struct cg_sd_unit u;
        if (cg_systemd_unit(l->cgroups_path, "fuzz", &u, &err) < 0)
            fz_failed(&err);
    }
    size_t n = 0;
    free(cg_device_rules(l->resources, &n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_str(data, size);
    struct oci_spec *spec = NULL;
    cx_error err = { 0 };
    if (oci_spec_parse(text, "config.json", &spec, &err) == 0) {
        derived(spec);
        oci_spec_free(spec);
    } else {
        fz_failed(&err);
    }
    free(text);
    return 0;
}
