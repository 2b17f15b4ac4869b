/* fuzz_unpack: the input as a layer blob (compression detected) unpacked
 * into a fresh directory below a temporary parent that also holds a
 * sentinel directory; after each input nothing may have appeared outside
 * the layer directory (the parent holds exactly dest and sentinel, the
 * sentinel stays empty), and a failure must say why. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "fuzz.h"
#include "image/unpack.h"

static char parent[64];
static int parentfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    strcpy(parent, "/tmp/fuzz-unpack-XXXXXX");
    FZ_CHECK(mkdtemp(parent) != NULL);
    parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FZ_CHECK(parentfd >= 0);
    FZ_CHECK(mkdirat(parentfd, "sentinel", 0755) == 0);
    return 0;
}

static size_t entries(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FZ_CHECK(fd >= 0);
    DIR *d = fdopendir(fd);
    FZ_CHECK(d != NULL);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    FZ_CHECK(fd >= 0);
    FZ_CHECK(cx_write_all(fd, data, size) == 0);
    FZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    FZ_CHECK(mkdirat(parentfd, "dest", 0755) == 0);
    int destfd = openat(parentfd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FZ_CHECK(destfd >= 0);

    struct cx_unpack_opts opts = { .max_entries = 1000, .max_bytes = 16 << 20 };
    struct cx_unpack_stats st;
    cx_error err = { 0 };
    if (cx_unpack_layer(fd, CX_COMP_DETECT, NULL, NULL, destfd, &opts, &st, &err) < 0)
        fz_failed(&err);
    else
        FZ_CHECK(st.entries <= 1000 && st.bytes <= (16u << 20));

    /* nothing outside dest */
    int sfd = openat(parentfd, "sentinel", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    FZ_CHECK(sfd >= 0);
    FZ_CHECK(entries(sfd) == 0);
    close(sfd);
    FZ_CHECK(entries(parentfd) == 2);
    struct stat s;
    FZ_CHECK(fstatat(parentfd, "dest", &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(s.st_mode));

    close(destfd);
    close(fd);
    FZ_CHECK(cx_rm_rf_at(parentfd, "dest") == 0);
    return 0;
}
