/* infra_image.c: see infra_image.h. */
#include "engine/infra_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/commit.h"
#include "image/archive.h"

/* dir/capsa-pause: a copy of the binary, 0755 */
static int copy_binary(const char *bin, int dir, cx_error *err)
{
    _cleanup_close_ int in = open(bin, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return cx_fail_errno(err, "open %s (the infra container's program: build capsa-pause, "
                             "or set CAPSACTL_PAUSE)", bin);
    _cleanup_close_ int out = openat(dir, "capsa-pause", O_WRONLY | O_CREAT | O_EXCL |
                                     O_CLOEXEC, 0755);
    if (out < 0)
        return cx_fail_errno(err, "create capsa-pause");
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (cx_write_all(out, buf, (size_t) n) < 0)
            return cx_fail_errno(err, "copy %s", bin);
    if (n < 0)
        return cx_fail_errno(err, "read %s", bin);
    return fchmod(out, 0755) < 0 ? cx_fail_errno(err, "chmod capsa-pause") : 0;
}

/* the tar of a directory holding the binary alone, into memfd tar */
static int layer_tar(const char *bin, const char *tmp, int tar, cx_error *err)
{
    _cleanup_free_ char *dir = cx_asprintf("%s/infra-XXXXXX", tmp);
    if (cx_mkdir_p(tmp, 0700, err) < 0)
        return -1;
    if (!mkdtemp(dir))
        return cx_fail_errno(err, "mkdtemp %s", dir);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = dfd < 0 ? cx_fail_errno(err, "open %s", dir) : copy_binary(bin, dfd, err);
    _cleanup_close_ int path = r < 0 ? -1 : open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct cx_tar t;
    if (r == 0 && (r = cx_tar_open(tar, &t, err)) == 0) {
        struct cx_tar_opts o = { .chown = true };
        r = cx_tar_node(t.a, path, "", &o, err);
        if (cx_tar_close(&t, r < 0, r < 0 ? &(cx_error){ 0 } : err) < 0)
            r = -1;
    }
    if (dfd >= 0)
        unlinkat(dfd, "capsa-pause", 0);
    rmdir(dir);
    return r;
}

int cx_infra_image_build(struct cx_engine *e, const char *name, cx_error *err)
{
    _cleanup_free_ char *bin = cx_find_helper("CAPSACTL_PAUSE", "capsa-pause");
    _cleanup_free_ char *tmp = cx_asprintf("%s/tmp", e->store.runroot);
    _cleanup_close_ int tar = memfd_create("capsa-pause.tar", MFD_CLOEXEC);
    if (tar < 0)
        return cx_fail_errno(err, "memfd_create");
    if (layer_tar(bin, tmp, tar, err) < 0 || lseek(tar, 0, SEEK_SET) < 0)
        return cx_error_prefix(err, "the infra image");
    const char *changes[] = { "ENTRYPOINT [\"/capsa-pause\"]", "STOPSIGNAL SIGTERM", NULL };
    struct cx_import_opts o = { .name = name, .message = "capsa's pod infra container",
                                .changes = changes };
    char id[65];
    if (cx_archive_import(&e->store, tar, &o, id, err) < 0)
        return cx_error_prefix(err, "the infra image %s", name);
    return 0;
}
