/* idmap.c: see idmap.h. */
#include "runtime/idmap.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/mount_opts.h"
#include "runtime/namespaces.h"

/* A user namespace holding the mapping, kept by its fd: a child unshares
 * it, says so, and waits while we write its maps and open it. */
static int userns_with(const struct oci_idmap *u, size_t nu, const struct oci_idmap *g,
                       size_t ng, cx_error *err)
{
    int ready[2], done[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return cx_fail_errno(err, "idmap: pipe");
    if (pipe2(done, O_CLOEXEC) < 0) {
        close(ready[0]);
        close(ready[1]);
        return cx_fail_errno(err, "idmap: pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        char c = 0;
        close(ready[0]);
        close(done[1]);
        if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1)
            _exit(1);
        (void) !read(done[0], &c, 1); /* until the parent closes its end */
        _exit(0);
    }
    close(ready[1]);
    close(done[0]);
    int fd = -1;
    char c, path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
    if (pid < 0)
        cx_fail_errno(err, "idmap: fork");
    else if (read(ready[0], &c, 1) != 1)
        cx_fail(err, 0, "idmap: the helper could not create a user namespace");
    else if (ns_write_map(pid, "uid_map", u, nu, err) == 0 &&
             ns_write_map(pid, "gid_map", g, ng, err) == 0 &&
             (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        cx_fail_errno(err, "idmap: open %s", path);
    close(ready[0]);
    close(done[1]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return fd;
}

static int prepare_one(const struct oci_spec *spec, const struct oci_mount *m,
                       const char *bundle, bool recursive, cx_error *err)
{
    const struct oci_linux *l = spec->linux_;
    const struct oci_idmap *u = m->uid_mappings, *g = m->gid_mappings;
    size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
    if (nu == 0 && l && oci_spec_namespace(spec, CLONE_NEWUSER)) {
        u = l->uid_mappings, nu = l->n_uid_mappings;
        g = l->gid_mappings, ng = l->n_gid_mappings;
    }
    if (nu == 0)
        return cx_fail(err, 0, "idmap needs uidMappings on the mount or a user namespace");
    if (m->source == NULL)
        return cx_fail(err, 0, "idmap needs a bind mount with a source");
    _cleanup_free_ char *src = mount_bind_source(m, bundle);
    _cleanup_close_ int userns = userns_with(u, nu, g, ng, err);
    if (userns < 0)
        return -1;
    int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0)
        return cx_fail_errno(err, "idmap: clone %s", src);
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) < 0) {
        int e = errno;
        close(tree);
        return cx_fail(err, e, "idmap: map %s (does its filesystem support idmapped mounts?)",
                       src);
    }
    return tree;
}

/* A bind for a container with a user namespace: its root may not reach
 * the source (a 0700 directory of the host's root), so the runtime clones
 * it here, as runc opens such sources before the init joins the user
 * namespace. */
static int prepare_plain(const struct oci_mount *m, const char *bundle, bool recursive,
                         cx_error *err)
{
    _cleanup_free_ char *src = mount_bind_source(m, bundle);
    if (src == NULL)
        return cx_fail(err, 0, "bind mount on %s has no source", m->destination);
    int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                        (recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
        return cx_fail_errno(err, "bind %s on %s", src, m->destination);
    return tree;
}

int idmap_prepare(const struct oci_spec *spec, const char *bundle, int *fds, cx_error *err)
{
    bool userns = oci_spec_namespace(spec, CLONE_NEWUSER) != NULL;
    for (size_t i = 0; i < spec->n_mounts; i++)
        fds[i] = -1;
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct mount_opts o;
        const struct oci_mount *m = &spec->mounts[i];
        if (mount_opts_parse(m->options, &o, err) < 0)
            return cx_error_prefix(err, "mounts[%zu]", i);
        if (o.idmap)
            fds[i] = prepare_one(spec, m, bundle, o.idmap_recursive, err);
        else if (userns && mount_is_bind(m, &o))
            fds[i] = prepare_plain(m, bundle, o.recursive, err);
        else
            continue;
        if (fds[i] < 0) {
            idmap_close(fds, spec->n_mounts);
            return cx_error_prefix(err, "config.json: mounts[%zu]", i);
        }
    }
    return 0;
}

void idmap_close(int *fds, size_t n)
{
    for (size_t i = 0; fds && i < n; i++)
        fds[i] = cx_close(fds[i]);
}
