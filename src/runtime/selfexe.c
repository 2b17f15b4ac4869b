/* selfexe.c: see selfexe.h. */
#include "runtime/selfexe.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

extern char **environ;

static char **saved_argv;

void selfexe_init(char **argv)
{
    saved_argv = argv;
}

const char *selfexe_argv0(void)
{
    return saved_argv ? saved_argv[0] : NULL;
}

bool selfexe_needed(const struct oci_spec *config, const struct oci_process *proc)
{
    if (oci_spec_namespace(config, CLONE_NEWUSER) != NULL)
        return false; /* its root cannot write the host's binary */
    (void) proc;
    /* non-dumpable is not enough even without CAP_SYS_PTRACE: the
     * container's program may itself be /proc/self/exe (an exec of
     * "/proc/self/exe", or an image's /bin/sh linked to it), and the
     * process then runs our binary, dumpable, from the container */
    return true;
}

bool selfexe_is_protected(void)
{
    struct statvfs sv;
    return statvfs("/proc/self/exe", &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static bool json_has_user_ns(json_t *config)
{
    size_t i;
    json_t *ns;
    json_array_foreach(json_object_get(json_object_get(config, "linux"), "namespaces"), i, ns)
        if (json_is_string(json_object_get(ns, "type")) &&
            strcmp(json_string_value(json_object_get(ns, "type")), "user") == 0)
            return true;
    return false;
}

bool selfexe_needed_json(json_t *config, const struct oci_process *proc)
{
    if (config == NULL)
        return true;
    (void) proc;
    return !json_has_user_ns(config);
}

void selfexe_protect(void)
{
#ifdef CAPSA_VALGRIND_BUILD
    return; /* a test build for memcheck, which an exec would leave */
#endif
    if (saved_argv == NULL || selfexe_is_protected())
        return;
    int tree = open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
    if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0) {
        cx_debug("cannot protect the capsa binary with a read-only clone: %m");
        if (tree >= 0)
            close(tree);
        return;
    }
    syscall(SYS_execveat, tree, "", saved_argv, environ, AT_EMPTY_PATH);
    cx_debug("re-exec from a read-only clone failed: %m");
    close(tree);
}
