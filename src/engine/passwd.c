/* passwd.c: see passwd.h.  The image's /etc/passwd and /etc/group are
 * opened inside its root only (openat2 RESOLVE_IN_ROOT), must be regular
 * files of bounded size, and are read strictly: a line that is not
 * exactly NAME:PASSWORD:UID:GID:GECOS:HOME:SHELL (or NAME:PASSWORD:GID:
 * MEMBERS) is skipped. */
#include "engine/passwd.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/safepath.h"

#define ETC_FILE_MAX (4u << 20)
#define ID_MAX 4294967294u   /* (uid_t) -1 is "no change" to the kernel */

/* The text of an /etc file in the root, or NULL (*out) when it is absent. */
static int read_etc(int rootfd, const char *path, char **out, cx_error *err)
{
    *out = NULL;
    /* O_NONBLOCK: a FIFO planted by an image must not hang the open */
    _cleanup_close_ int fd = sp_open(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return cx_fail_errno(err, "open %s in the container", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return cx_fail_errno(err, "stat %s in the container", path);
    if (!S_ISREG(st.st_mode))
        return cx_fail(err, 0, "%s in the container is not a regular file", path);
    return cx_read_fd(fd, path, ETC_FILE_MAX, out, NULL, err);
}

static bool parse_id(const char *s, uint32_t *out)
{
    uint64_t v;
    if (s[0] < '0' || s[0] > '9' || cx_parse_u64(s, &v) < 0 || v > ID_MAX)
        return false;
    *out = (uint32_t) v;
    return true;
}

/* Split line at ':' into exactly n fields (in place). */
static bool split_fields(char *line, char **f, size_t n)
{
    size_t i = 0;
    for (char *p = line;; p++) {
        if (i == n)
            return false;
        f[i++] = p;
        if ((p = strchr(p, ':')) == NULL)
            break;
        *p = '\0';
    }
    return i == n && f[0][0] != '\0';
}

/* The next line of *text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **text)
{
    char *line = *text;
    if (line == NULL || *line == '\0')
        return NULL;
    char *nl = strchr(line, '\n');
    *text = nl ? nl + 1 : NULL;
    if (nl)
        *nl = '\0';
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

/* The first entry of /etc/passwd named name or, when num, with uid *num:
 * its ids, home and name into u and *found_name. */
static bool find_user(char *text, const char *name, const uint32_t *num, struct cx_user *u,
                      char **found_name)
{
    for (char *line; (line = next_line(&text)) != NULL;) {
        char *f[7];
        uint32_t uid, gid;
        if (!split_fields(line, f, 7) || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
            continue;
        if ((name && strcmp(f[0], name) == 0) || (num && uid == *num)) {
            u->uid = uid;
            u->gid = gid;
            u->home = cx_strdup(f[5][0] ? f[5] : "/");
            *found_name = cx_strdup(f[0]);
            return true;
        }
    }
    return false;
}

static bool has_member(char *members, const char *name)
{
    for (char *save = NULL, *m = strtok_r(members, ",", &save); m;
         m = strtok_r(NULL, ",", &save))
        if (strcmp(m, name) == 0)
            return true;
    return false;
}

static void add_gid(struct cx_user *u, gid_t g)
{
    for (size_t i = 0; i < u->nadditional; i++)
        if (u->additional[i] == g)
            return;
    u->additional = cx_realloc(u->additional, (u->nadditional + 1) * sizeof *u->additional);
    u->additional[u->nadditional++] = g;
}

/* The gid of the first group of /etc/group named group or numbered so. */
static bool find_group(char *text, const char *group, gid_t *gid)
{
    uint32_t num = 0;
    bool numeric = parse_id(group, &num);
    for (char *line; (line = next_line(&text)) != NULL;) {
        char *f[4];
        uint32_t g;
        if (split_fields(line, f, 4) && parse_id(f[2], &g) &&
            (strcmp(f[0], group) == 0 || (numeric && g == num)))
            return *gid = g, true;
    }
    return false;
}

/* Every group of /etc/group listing member, in the file's order. */
static void member_groups(char *text, const char *member, struct cx_user *u)
{
    for (char *line; (line = next_line(&text)) != NULL;) {
        char *f[4];
        uint32_t g;
        if (split_fields(line, f, 4) && parse_id(f[2], &g) && has_member(f[3], member))
            add_gid(u, g);
    }
}

/* USER (a name or a number) into u; *found_name is its passwd name. */
static int resolve_user(int rootfd, const char *name, struct cx_user *u, char **found_name,
                        cx_error *err)
{
    char buf[112];
    _cleanup_free_ char *passwd = NULL;
    if (read_etc(rootfd, "/etc/passwd", &passwd, err) < 0)
        return -1;
    uint32_t num = 0;
    bool numeric = parse_id(name, &num);
    if (passwd && find_user(passwd, name, numeric ? &num : NULL, u, found_name))
        return 0;
    if (!numeric && passwd == NULL)
        return cx_fail(err, 0, "user %s: the image has no /etc/passwd to look it up in",
                       cx_printable(name, buf));
    if (!numeric)
        return cx_fail(err, 0, "user %s: no such user in the image's /etc/passwd",
                       cx_printable(name, buf));
    u->uid = num;
    u->gid = 0;  /* a uid without an entry runs in group 0, as docker does */
    u->home = cx_strdup("/");
    return 0;
}

/* The primary group (GROUP, else the user's) first and, without a GROUP,
 * the groups listing member; with primary false (no user was asked for:
 * root) only those, as podman gives them. */
static int resolve_groups(int rootfd, const char *group, const char *member, bool primary,
                          struct cx_user *u, cx_error *err)
{
    char buf[112];
    _cleanup_free_ char *text = NULL;
    if (read_etc(rootfd, "/etc/group", &text, err) < 0)
        return -1;
    uint32_t num = 0;
    if (group && !(text && find_group(text, group, &u->gid))) {
        if (!parse_id(group, &num))
            return cx_fail(err, 0, "group %s: %s", cx_printable(group, buf),
                           text ? "no such group in the image's /etc/group"
                                : "the image has no /etc/group to look it up in");
        u->gid = num;
    }
    if (primary)
        add_gid(u, u->gid);  /* the primary group first, as podman lists it */
    /* with an explicit GROUP, only that one (as runc and podman) */
    if (group == NULL && member && text)
        member_groups(text, member, u);
    return 0;
}

int cx_user_resolve(int rootfd, const char *spec, struct cx_user *out, cx_error *err)
{
    struct cx_user u = { 0 };
    bool given = spec && spec[0];
    _cleanup_free_ char *copy = cx_strdup(given ? spec : "0");
    char *group = strchr(copy, ':');
    if (group)
        *group++ = '\0';
    char buf[112];
    if (copy[0] == '\0' || (group && group[0] == '\0'))
        return cx_fail(err, 0, "user \"%s\": expected USER[:GROUP]", cx_printable(spec, buf));
    _cleanup_free_ char *name = NULL;
    if (resolve_user(rootfd, copy, &u, &name, err) < 0)
        return -1;
    /* no -u and no image User: root, with the groups listing root */
    if (resolve_groups(rootfd, group, name, given, &u, err) < 0) {
        cx_user_free(&u);
        return -1;
    }
    *out = u;
    return 0;
}

int cx_user_add_groups(int rootfd, char *const *groups, struct cx_user *u, cx_error *err)
{
    char buf[112];
    _cleanup_free_ char *text = NULL;
    if (groups == NULL || read_etc(rootfd, "/etc/group", &text, err) < 0)
        return groups == NULL ? 0 : -1;
    for (; *groups; groups++) {
        gid_t gid = 0;
        uint32_t num = 0;
        /* find_group cuts the text into lines: a copy for each */
        _cleanup_free_ char *copy = text ? cx_strdup(text) : NULL;
        bool found = copy && find_group(copy, *groups, &gid);
        if (!found && !parse_id(*groups, &num))  /* a number need not be listed */
            return cx_fail(err, 0, "--group-add %s: %s", cx_printable(*groups, buf),
                           text ? "no such group in the image's /etc/group"
                                : "the image has no /etc/group to look it up in");
        add_gid(u, found ? gid : num);
    }
    return 0;
}

void cx_user_free(struct cx_user *u)
{
    free(u->additional);
    free(u->home);
    *u = (struct cx_user) { 0 };
}

/* ---- directories ---- */

/* A directory just made at fd (O_PATH): the owner and the mode asked for. */
static int own_new_dir(int fd, const char *path, uid_t uid, gid_t gid, cx_error *err)
{
    char p[32];
    sp_fd_path(fd, p);
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
        return cx_fail_errno(err, "chown %s in the container to %u:%u", path, (unsigned) uid,
                             (unsigned) gid);
    if (chmod(p, 0755) < 0)  /* whatever the umask took away */
        return cx_fail_errno(err, "chmod %s in the container", path);
    return 0;
}

int cx_rootfs_mkdir(int rootfd, const char *path, uid_t uid, gid_t gid, cx_error *err)
{
    char buf[112];
    if (path[0] != '/')
        return cx_fail(err, 0, "%s: not an absolute path", cx_printable(path, buf));
    _cleanup_free_ char *prefix = cx_strdup(path);
    /* each prefix in turn: those missing are made here, and only they are
     * given to uid:gid (an image's existing directories keep their owner) */
    for (char *end = prefix + 1;; end++) {
        if (*end != '/' && *end != '\0')
            continue;
        char saved = *end;
        *end = '\0';
        if (end > prefix + 1 && end[-1] != '/') {
            _cleanup_close_ int fd = sp_open(rootfd, prefix, O_PATH | O_DIRECTORY);
            if (fd < 0 && errno == ENOTDIR)
                return cx_fail(err, ENOTDIR, "%s in the container",
                               cx_printable(prefix, buf));
            if (fd < 0 && errno != ENOENT)
                return cx_fail_errno(err, "open %s in the container", cx_printable(prefix, buf));
            if (fd < 0 && ((fd = sp_mkdir_all(rootfd, prefix, 0755, err)) < 0 ||
                           own_new_dir(fd, prefix, uid, gid, err) < 0))
                return -1;
        }
        if ((*end = saved) == '\0')
            return 0;
    }
}
