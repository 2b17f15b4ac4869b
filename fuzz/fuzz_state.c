/* fuzz_state: a container directory as `state`, `list` and `delete` read
 * it: the input is state.json, optionally followed by "\n@@\n" and
 * cgroups.json.  cx_container_load reads both (cx_state_read,
 * load_cgroups) and derives the status; a state that loads is written
 * back (cx_state_write) and must read back the same. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "fuzz.h"
#include "runtime/container.h"
#include "runtime/state.h"

static char root[64];
static int rootfd = -1, ctfd = -1, copyfd = -1;

static void cleanup(void)
{
    static const char *files[] = { "fz/state.json", "fz/cgroups.json", "copy/state.json",
                                   "fz", "copy" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlinkat(rootfd, files[i], i < 3 ? 0 : AT_REMOVEDIR);
    rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    strcpy(root, "/dev/shm/capsa-fuzz-state-XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0 || mkdirat(rootfd, "fz", 0700) < 0 || mkdirat(rootfd, "copy", 0700) < 0)
        abort();
    ctfd = openat(rootfd, "fz", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    copyfd = openat(rootfd, "copy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ctfd < 0 || copyfd < 0)
        abort();
    atexit(cleanup);
    return 0;
}

static void put(const char *name, const void *data, size_t len)
{
    if (data == NULL) {
        unlinkat(ctfd, name, 0);
        return;
    }
    int fd = openat(ctfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (len && write(fd, data, len) != (ssize_t) len))
        abort();
    close(fd);
}

/* a field written from NULL reads back as the writer's default */
static int same(const char *a, const char *b, const char *dflt)
{
    return strcmp(a ? a : dflt, b ? b : dflt) == 0;
}

static void round_trip(const struct cx_state *st)
{
    cx_error err = { 0 };
    struct cx_state *back = NULL;
    if (cx_state_write(copyfd, st, &err) < 0) {
        fz_failed(&err);
        return;
    }
    FZ_CHECK(cx_state_read(copyfd, st->id, &back, &err) == 0);
    FZ_CHECK(same(st->id, back->id, "") && same(st->bundle, back->bundle, "") &&
             same(st->rootfs, back->rootfs, "") && same(st->created, back->created, "") &&
             same(st->owner, back->owner, "") && same(st->boot_id, back->boot_id, "") &&
             same(st->oci_version, back->oci_version, "1.0.2-dev"));
    FZ_CHECK(st->pid == back->pid && st->pid_start == back->pid_start);
    cx_state_free(back);
    if (st->config) { /* written beside state.json, as it was */
        char *text = NULL;
        FZ_CHECK(cx_read_file_at(copyfd, "config.json", 64 << 20, &text, NULL, &err) == 0);
        json_t *cfg = json_loads(text, 0, NULL);
        free(text);
        FZ_CHECK(cfg && json_equal(st->config, cfg));
        json_decref(cfg);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memmem(data, size, "\n@@\n", 4);
    size_t n1 = sep ? (size_t) (sep - data) : size;
    put("state.json", data, n1);
    put("cgroups.json", sep ? sep + 4 : NULL, sep ? size - n1 - 4 : 0);

    struct cx_container *c = NULL;
    cx_error err = { 0 };
    if (cx_container_load(root, "fz", false, &c, &err) < 0) {
        fz_failed(&err);
        return 0;
    }
    FZ_CHECK(c->st != NULL && c->st->id != NULL);
    (void) cx_status_name(c->st->status);
    json_t *oci = cx_state_to_oci(c->st, true);
    FZ_CHECK(oci != NULL);
    char *text = json_dumps(oci, JSON_COMPACT);
    FZ_CHECK(text != NULL);
    free(text);
    json_decref(oci);
    if (!c->st->partial)
        round_trip(c->st);
    cx_container_free(c);
    return 0;
}
