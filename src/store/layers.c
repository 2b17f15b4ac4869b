/* layers.c: unpacked layers, once per chain ID, in layers/<hex>/diff:
 * whether one is complete, and its path.  Unpacking them is
 * layer_unpack.c's (the only part that needs libarchive). */
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

bool cx_layer_complete(struct cx_store *s, const struct cx_digest *chain_id)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    char ds[CX_DIGEST_MAX];
    cx_error err = { 0 };
    cx_digest_format(chain_id, ds);
    if (cx_db_prepare(&s->db, "SELECT 1 FROM layers WHERE chain_id = ? AND state = 'complete'",
                      &st, &err) < 0)
        return false;
    sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
    return sqlite3_step(st) == SQLITE_ROW;
}

char *cx_layer_path(struct cx_store *s, const struct cx_digest *chain_id)
{
    return cx_asprintf("%s/layers/%s/diff", s->root, chain_id->hex);
}

int cx_layer_open(struct cx_store *s, const struct cx_digest *chain_id, int *fd, cx_error *err)
{
    char rel[80];
    snprintf(rel, sizeof rel, "%s/diff", chain_id->hex);
    *fd = openat(s->layersfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        return cx_fail_errno(err, "layer %.12s: open %s/layers/%s (run capsactl system check)",
                             chain_id->hex, s->root, rel);
    return 0;
}
