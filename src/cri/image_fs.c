/* image_fs.c: ImageFsInfo: what the store's layers (<root>/layers) and
 * the containers' own layers (<root>/containers) take, in bytes and
 * inodes, from a walk of each.  The kubelet asks every few seconds and a
 * walk of a big store takes long, so a measure is kept for 60 s; one
 * walk at a time (the others wait for its result). */
#include <fts.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/loop.h"
#include "common/util.h"
#include "cri/handlers.h"
#include "engine/engine.h"

#define FS_CACHE_MS 60000

struct fs_usage {
    char path[PATH_MAX];
    int64_t measured_ms;         /* loop_now_ms() time, 0: never */
    int64_t timestamp_ns;        /* the wall clock of that time */
    uint64_t bytes, inodes;
};

static pthread_mutex_t usage_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fs_usage usage_cache[2];   /* layers, containers (usage_mu) */

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* du's count: allocated blocks, each inode once.  A file with n links
 * counts 1/n at each of them (the links of a layer's files are all
 * inside the layer); what vanishes during the walk is skipped. */
static int walk(const char *path, uint64_t *bytes, uint64_t *inodes, cx_error *err)
{
    char *paths[] = { (char *) path, NULL };
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
    if (fts == NULL)
        return cx_fail_errno(err, "walk %s", path);
    double nodes = 0;
    *bytes = 0;
    FTSENT *f;
    while ((f = fts_read(fts)) != NULL) {
        if (f->fts_info == FTS_DP || f->fts_info == FTS_NS || f->fts_info == FTS_ERR ||
            f->fts_info == FTS_DNR)
            continue;
        const struct stat *st = f->fts_statp;
        nlink_t links = S_ISDIR(st->st_mode) || st->st_nlink == 0 ? 1 : st->st_nlink;
        *bytes += (uint64_t) st->st_blocks * 512 / links;
        nodes += 1.0 / (double) links;
    }
    fts_close(fts);
    *inodes = (uint64_t) (nodes + 0.5);
    return 0;
}

/* The usage of root/sub, measured at most FS_CACHE_MS ago. */
static int usage_of(struct fs_usage *slot, const char *root, const char *sub,
                    struct fs_usage *out, cx_error *err)
{
    char path[PATH_MAX];
    if ((size_t) snprintf(path, sizeof path, "%s/%s", root, sub) >= sizeof path)
        return cx_fail(err, ENAMETOOLONG, "%s/%s: path too long", root, sub);
    int rc = 0;
    pthread_mutex_lock(&usage_mu);
    int64_t now = loop_now_ms();
    if (slot->measured_ms == 0 || now - slot->measured_ms >= FS_CACHE_MS ||
        strcmp(slot->path, path) != 0) {
        int64_t ts = wall_ns();
        uint64_t bytes = 0, inodes = 0;
        rc = walk(path, &bytes, &inodes, err);
        if (rc == 0) {
            snprintf(slot->path, sizeof slot->path, "%s", path);
            slot->measured_ms = now;
            slot->timestamp_ns = ts;
            slot->bytes = bytes;
            slot->inodes = inodes;
        }
    }
    if (rc == 0)
        *out = *slot;
    pthread_mutex_unlock(&usage_mu);
    return rc;
}

static Runtime__V1__FilesystemUsage **fs_list(struct cri_ctx *ctx, const char *mountpoint,
                                              const struct fs_usage *u)
{
    Runtime__V1__FilesystemUsage **list = arena_alloc(&ctx->arena, 2 * sizeof *list);
    Runtime__V1__FilesystemUsage *fs = list[0] =
        CRI_NEW(ctx, Runtime__V1__FilesystemUsage, runtime__v1__filesystem_usage__init);
    fs->timestamp = u->timestamp_ns;
    fs->fs_id = CRI_NEW(ctx, Runtime__V1__FilesystemIdentifier,
                        runtime__v1__filesystem_identifier__init);
    fs->fs_id->mountpoint = arena_strdup(&ctx->arena, mountpoint);
    fs->used_bytes = CRI_NEW(ctx, Runtime__V1__UInt64Value, runtime__v1__uint64_value__init);
    fs->used_bytes->value = u->bytes;
    fs->inodes_used = CRI_NEW(ctx, Runtime__V1__UInt64Value, runtime__v1__uint64_value__init);
    fs->inodes_used->value = u->inodes;
    return list;
}

CRI_HANDLER(cri_image_fs_info)
{
    (void) in;
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    const char *root = e->store.root;
    struct fs_usage layers, ctrs;
    if (usage_of(&usage_cache[0], root, "layers", &layers, err) < 0 ||
        usage_of(&usage_cache[1], root, "containers", &ctrs, err) < 0)
        return -1;
    Runtime__V1__ImageFsInfoResponse *r = CRI_NEW(
        ctx, Runtime__V1__ImageFsInfoResponse, runtime__v1__image_fs_info_response__init);
    /* one filesystem: the store's root holds both */
    r->n_image_filesystems = 1;
    r->image_filesystems = fs_list(ctx, root, &layers);
    _cleanup_free_ char *ctrdir = cx_asprintf("%s/containers", root);
    r->n_container_filesystems = 1;
    r->container_filesystems = fs_list(ctx, ctrdir, &ctrs);
    *out = &r->base;
    return 0;
}
