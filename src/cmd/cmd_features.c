/* cmd_features.c: `capsa features`: what this build recognizes, per
 * features.md and features-linux.md.  Fields of later issues (cgroup
 * resources, seccomp) say what is implemented today. */
#include <errno.h>
#include <jansson.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capsa-config.h"
#include "cmd/cmd.h"
#include "oci/seccomp.h"

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* Every capability name libcap knows, as config.json spells them. */
static json_t *capability_names(void)
{
    json_t *a = json_array();
    for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
        char *name = cap_to_name(v);
        if (name == NULL)
            continue;
        char upper[64];
        size_t i;
        for (i = 0; name[i] && i < sizeof upper - 1; i++)
            upper[i] = (char) (name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
        upper[i] = '\0';
        json_array_append_new(a, json_string(upper));
        cap_free(name);
    }
    return a;
}

/* The flags this kernel takes: seccomp(2) with no program answers EFAULT
 * for a flag it knows and EINVAL for one it does not. */
static json_t *seccomp_supported_flags(void)
{
    static const struct { const char *name; unsigned long flags; } probe[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
          SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER },
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++)
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe[i].flags, NULL) < 0 &&
            errno == EFAULT)
            json_array_append_new(a, json_string(probe[i].name));
    return a;
}

static json_t *seccomp_features(void)
{
    return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1,
                     "actions", strings(oci_seccomp_action_names()),
                     "operators", strings(oci_seccomp_operator_names()),
                     "archs", strings(oci_seccomp_arch_names()),
                     "knownFlags", strings(oci_seccomp_flag_names()),
                     "supportedFlags", seccomp_supported_flags());
}

int cmd_features(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                         "startContainer", "poststart", "poststop", NULL };
    static const char *const mount_opts[] = {
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
        "iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime",
        "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime",
        "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime",
        "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
        "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rrelatime",
        "rro", "rrw", "rstrictatime", "rsuid", "rsymfollow", "idmap", "ridmap",
        "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "silent",
        "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable", NULL };
    static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid",
                                      "time", "user", "uts", NULL };
    (void) g;
    if (cmd_need_args(argc - 1, 0, "capsa features", err) < 0)
        return -1;
    (void) argv;
    /* what this build implements (features.md: not what the host has);
     * (supportedFlags: what this kernel takes as well) */
    json_t *linux_ = json_pack("{s:o,s:o,s:{s:b,s:b,s:b,s:b},s:o,s:{s:b},s:{s:b},"
                               "s:{s:b},s:{s:{s:b}},s:{s:b}}",
        "namespaces", strings(ns), "capabilities", capability_names(),
        "cgroup", "v1", 1, "v2", 1, "systemd", 1, "systemdUser", 0,
        "seccomp", seccomp_features(), "apparmor", "enabled", 1, "selinux", "enabled", 1,
        "intelRdt", "enabled", 0, "mountExtensions", "idmap", "enabled", 1,
        "netDevices", "enabled", 0);
    json_t *f = json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:s}}",
        "ociVersionMin", "1.0.0", "ociVersionMax", CAPSA_SPEC_VERSION,
        "hooks", strings(hooks), "mountOptions", strings(mount_opts),
        "linux", linux_, "annotations", "io.capsa.version", CAPSA_VERSION);
    cmd_print_json(f, true, true);
    json_decref(f);
    return 0;
}
