/* mount_opts.c: see mount_opts.h. */
#include "runtime/mount_opts.h"

#include <string.h>
#include <sys/mount.h>

#include "common/util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} flag_opts[] = {
    { "defaults", false, 0 },       { "ro", false, MS_RDONLY },
    { "rw", true, MS_RDONLY },      { "nosuid", false, MS_NOSUID },
    { "suid", true, MS_NOSUID },    { "nodev", false, MS_NODEV },
    { "dev", true, MS_NODEV },      { "noexec", false, MS_NOEXEC },
    { "exec", true, MS_NOEXEC },    { "sync", false, MS_SYNCHRONOUS },
    { "async", true, MS_SYNCHRONOUS }, { "dirsync", false, MS_DIRSYNC },
    { "remount", false, MS_REMOUNT }, { "mand", false, MS_MANDLOCK },
    { "nomand", true, MS_MANDLOCK }, { "atime", true, MS_NOATIME },
    { "noatime", false, MS_NOATIME }, { "diratime", true, MS_NODIRATIME },
    { "nodiratime", false, MS_NODIRATIME }, { "relatime", false, MS_RELATIME },
    { "norelatime", true, MS_RELATIME }, { "strictatime", false, MS_STRICTATIME },
    { "nostrictatime", true, MS_STRICTATIME }, { "lazytime", false, MS_LAZYTIME },
    { "nolazytime", true, MS_LAZYTIME }, { "iversion", false, MS_I_VERSION },
    { "noiversion", true, MS_I_VERSION }, { "silent", false, MS_SILENT },
    { "loud", true, MS_SILENT },    { "nosymfollow", false, MS_NOSYMFOLLOW },
    { "symfollow", true, MS_NOSYMFOLLOW },
};

static const struct {
    const char *name;
    unsigned long flag;
} prop_opts[] = {
    { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },   { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },     { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* The recursive options (runc 1.1's "rro", "rnosuid", ...): applied with
 * mount_setattr(AT_RECURSIVE) to the mount and every mount below it. */
static const struct {
    const char *name;
    bool clear;
    uint64_t attr;
} rec_opts[] = {
    { "rro", false, MOUNT_ATTR_RDONLY }, { "rrw", true, MOUNT_ATTR_RDONLY },
    { "rnosuid", false, MOUNT_ATTR_NOSUID }, { "rsuid", true, MOUNT_ATTR_NOSUID },
    { "rnodev", false, MOUNT_ATTR_NODEV }, { "rdev", true, MOUNT_ATTR_NODEV },
    { "rnoexec", false, MOUNT_ATTR_NOEXEC }, { "rexec", true, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
    { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW },
    { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};

/* atime modes are one field: rrelatime, rnoatime, rstrictatime set it */
static const struct {
    const char *name;
    uint64_t attr;
} rec_atime[] = {
    { "rrelatime", MOUNT_ATTR_RELATIME }, { "rnorelatime", MOUNT_ATTR_STRICTATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME }, { "ratime", MOUNT_ATTR_STRICTATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", MOUNT_ATTR_RELATIME },
};

static bool parse_recursive(struct mount_opts *o, const char *opt)
{
    for (size_t i = 0; i < sizeof rec_opts / sizeof rec_opts[0]; i++) {
        if (strcmp(opt, rec_opts[i].name) != 0)
            continue;
        if (rec_opts[i].clear) {
            o->rec_clr |= rec_opts[i].attr;
            o->rec_set &= ~rec_opts[i].attr;
        } else {
            o->rec_set |= rec_opts[i].attr;
            o->rec_clr &= ~rec_opts[i].attr;
        }
        return true;
    }
    for (size_t i = 0; i < sizeof rec_atime / sizeof rec_atime[0]; i++)
        if (strcmp(opt, rec_atime[i].name) == 0) {
            o->rec_set = (o->rec_set & ~(uint64_t) MOUNT_ATTR__ATIME) | rec_atime[i].attr;
            o->rec_clr |= MOUNT_ATTR__ATIME;
            return true;
        }
    return false;
}

static int add_data(struct mount_opts *o, const char *opt, cx_error *err)
{
    size_t used = strlen(o->data), n = strlen(opt);
    if (used + (used ? 1 : 0) + n + 1 > sizeof o->data)
        return cx_fail(err, E2BIG, "mount options longer than %zu bytes",
                       sizeof o->data);
    if (used)
        o->data[used++] = ',';
    memcpy(o->data + used, opt, n + 1);
    return 0;
}

static bool parse_flag(struct mount_opts *o, const char *opt)
{
    for (size_t i = 0; i < sizeof flag_opts / sizeof flag_opts[0]; i++) {
        if (strcmp(opt, flag_opts[i].name) != 0)
            continue;
        if (flag_opts[i].clear) {
            o->flags &= ~flag_opts[i].flag;
            o->clear |= flag_opts[i].flag;
        } else {
            o->flags |= flag_opts[i].flag;
            o->clear &= ~flag_opts[i].flag;
        }
        return true;
    }
    for (size_t i = 0; i < sizeof prop_opts / sizeof prop_opts[0]; i++)
        if (strcmp(opt, prop_opts[i].name) == 0) {
            o->propagation = prop_opts[i].flag;
            return true;
        }
    return false;
}

int mount_opts_parse(const char **options, struct mount_opts *o, cx_error *err)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; options && options[i]; i++) {
        const char *opt = options[i];
        if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
            o->bind = true;
            o->recursive |= opt[0] == 'r';
            continue;
        }
        if (parse_flag(o, opt))
            continue;
        if (parse_recursive(o, opt))
            continue;
        if (strcmp(opt, "tmpcopyup") == 0) {
            o->copyup = true;
            continue;
        }
        if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
            o->idmap = true;
            o->idmap_recursive |= opt[0] == 'r';
            continue;
        }
        if (add_data(o, opt, err) < 0)
            return -1;
    }
    return 0;
}

bool mount_is_bind(const struct oci_mount *m, const struct mount_opts *o)
{
    return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

char *mount_bind_source(const struct oci_mount *m, const char *bundle)
{
    if (m->source == NULL)
        return NULL;
    return m->source[0] == '/' ? cx_strdup(m->source) : cx_asprintf("%s/%s", bundle, m->source);
}
