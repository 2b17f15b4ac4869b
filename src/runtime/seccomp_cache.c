/* seccomp_cache.c: compiled profiles kept under <root>/@seccomp-cache/ (see
 * seccomp_internal.h).
 *
 * A file: the magic line, the key's length and the program's length
 * (uint32 each, host order), the key, then the instructions.  A hit needs
 * the whole key to match byte for byte, so two profiles whose names hash
 * alike can never share a program: the later one overwrites the slot. */
#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "capsa-config.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/seccomp_internal.h"

#define MAGIC "CAPSA-SECCOMP-BPF 1\n"
#define MAGIC_LEN (sizeof MAGIC - 1)
#define HEADER_LEN (MAGIC_LEN + 2 * sizeof(uint32_t))
#define STALE_TMP_SECONDS 60
/* '@' is not allowed in a container id: no container can take this name,
 * and `list` skips it */
#define CACHE_DIR "@seccomp-cache"

char *seccomp_cache_key(json_t *profile)
{
    struct utsname u;
    const struct scmp_version *v = seccomp_version();
    _cleanup_free_ char *text = json_dumps(profile, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL || uname(&u) < 0)
        return NULL;
    /* what the program depends on besides the profile: our translation,
     * libseccomp's, the arch it was made for, and the kernel whose
     * actions libseccomp checked */
    return cx_asprintf("capsa %s %s program 2 (enosys stub)\nlibseccomp %u.%u.%u\narch 0x%x\nkernel %s\n%s",
                       CAPSA_VERSION, CAPSA_COMMIT, v->major, v->minor, v->micro,
                       seccomp_arch_native(), u.release, text);
}

void seccomp_cache_name(const char *key, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *) key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    snprintf(out, 17, "%016llx", (unsigned long long) h);
}

int seccomp_cache_open(const char *root)
{
    struct stat st;
    /* the first create may come before any record made the root */
    if (cx_mkdir_p(root, 0700, NULL) < 0)
        return -1;
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -1;
    if (mkdirat(rootfd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
        return -1;
    int fd = openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* only a directory of ours that nobody else may write into */
    if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
        cx_debug("seccomp cache %s/" CACHE_DIR ": not private to us, not used", root);
        fd = cx_close(fd);
    }
    return fd;
}

int seccomp_cache_lookup(int dirfd, const char *key, struct sock_filter **insns,
                         unsigned short *len)
{
    char name[17];
    size_t klen = strlen(key), n;
    _cleanup_free_ char *buf = NULL;
    uint32_t hk, hn;
    seccomp_cache_name(key, name);
    if (cx_read_file_at(dirfd, name, HEADER_LEN + klen + BPF_MAXINSNS * sizeof **insns,
                        &buf, &n, NULL) < 0 || n < HEADER_LEN ||
        memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return -1;
    memcpy(&hk, buf + MAGIC_LEN, sizeof hk);
    memcpy(&hn, buf + MAGIC_LEN + sizeof hk, sizeof hn);
    if (hk != klen || hn == 0 || hn > BPF_MAXINSNS ||
        n != HEADER_LEN + klen + hn * sizeof **insns ||
        memcmp(buf + HEADER_LEN, key, klen) != 0)
        return -1;
    *insns = cx_calloc(hn, sizeof **insns);
    memcpy(*insns, buf + HEADER_LEN + klen, hn * sizeof **insns);
    *len = (unsigned short) hn;
    utimensat(dirfd, name, NULL, 0); /* recently used: evicted last */
    return 0;
}

struct entry {
    char name[17];
    struct timespec t;
};

static int newest_first(const void *a, const void *b)
{
    const struct timespec *x = &((const struct entry *) a)->t, *y = &((const struct entry *) b)->t;
    if (x->tv_sec != y->tv_sec)
        return x->tv_sec < y->tv_sec ? 1 : -1;
    return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Keep at most SECCOMP_CACHE_MAX entries: drop the least recently used,
 * and temporary files a killed writer left. */
static void evict(int dirfd)
{
    _cleanup_free_ struct entry *e = NULL;
    size_t n = 0, cap = 0;
    /* a dup would share (and leave at the end) dirfd's offset */
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    struct stat st;
    if (d == NULL) {
        cx_close(fd);
        return;
    }
    while ((de = readdir(d))) {
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (strlen(de->d_name) != 16) { /* .NAME.tmp.PID */
            if (st.st_mtime + STALE_TMP_SECONDS < time(NULL))
                unlinkat(dirfd, de->d_name, 0);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : SECCOMP_CACHE_MAX + 1;
            struct entry *ne = realloc(e, cap * sizeof *e);
            if (ne == NULL)
                return;
            e = ne;
        }
        snprintf(e[n].name, sizeof e[n].name, "%s", de->d_name);
        e[n++].t = st.st_mtim;
    }
    if (n <= SECCOMP_CACHE_MAX)
        return;
    qsort(e, n, sizeof *e, newest_first);
    for (size_t i = SECCOMP_CACHE_MAX; i < n; i++)
        unlinkat(dirfd, e[i].name, 0);
}

void seccomp_cache_store(int dirfd, const char *key, const struct sock_filter *insns,
                         unsigned short len)
{
    char name[17];
    size_t klen = strlen(key), size = HEADER_LEN + klen + len * sizeof *insns;
    uint32_t hk = (uint32_t) klen, hn = len;
    cx_error err = { 0 };
    if (klen > UINT32_MAX)
        return;
    _cleanup_free_ char *buf = cx_calloc(1, size);
    memcpy(buf, MAGIC, MAGIC_LEN);
    memcpy(buf + MAGIC_LEN, &hk, sizeof hk);
    memcpy(buf + MAGIC_LEN + sizeof hk, &hn, sizeof hn);
    memcpy(buf + HEADER_LEN, key, klen);
    memcpy(buf + HEADER_LEN + klen, insns, len * sizeof *insns);
    seccomp_cache_name(key, name);
    if (cx_write_file_atomic_at(dirfd, name, buf, size, 0600, &err) < 0) {
        cx_debug("seccomp cache: %s%s%s", err.msg, err.errnum ? ": " : "",
                 err.errnum ? strerror(err.errnum) : "");
        return;
    }
    evict(dirfd);
}
