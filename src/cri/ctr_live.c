/* ctr_live.c: see ctr_live.h. */
#include "cri/ctr_live.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/lifecycle.h"
#include "runtime/procinfo.h"

/* one per pid, sorted by pid */
struct known {
    int pid;
    unsigned long long start;
    int fd;                     /* the pidfd */
    int64_t asked_at;           /* monotonic ns */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct known *tab;
static size_t ntab, cap, limit;
static int64_t pruned_at;

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The first slot whose pid is >= pid (mu held). */
static size_t slot(int pid)
{
    size_t lo = 0, hi = ntab;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct known *find(const struct cx_ctr *c)
{
    size_t i = slot(c->pid);
    return i < ntab && tab[i].pid == c->pid && tab[i].start == c->pid_start ? &tab[i] : NULL;
}

static void drop(size_t i)
{
    close(tab[i].fd);
    memmove(&tab[i], &tab[i + 1], (ntab - i - 1) * sizeof *tab);
    ntab--;
}

/* The pidfds no list asked for lately: removed containers' (mu held). */
static void prune(int64_t mono)
{
    if (mono - pruned_at < CRI_LIVE_FORGET_NS)
        return;
    pruned_at = mono;
    size_t k = 0;
    for (size_t i = 0; i < ntab; i++) {
        if (mono - tab[i].asked_at < CRI_LIVE_FORGET_NS)
            tab[k++] = tab[i];
        else
            close(tab[i].fd);
    }
    ntab = k;
}

static size_t fd_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 1024;
    return rl.rlim_cur / 4 > 65536 ? 65536 : (size_t) (rl.rlim_cur / 4);
}

/* Keep fd as c's init's pidfd (mu held); false when there is no room. */
static bool keep(const struct cx_ctr *c, int fd, int64_t mono)
{
    if (limit == 0)
        limit = fd_budget();
    size_t i = slot(c->pid);
    if (i < ntab && tab[i].pid == c->pid) {
        close(tab[i].fd);   /* an earlier process of that number, or another thread's */
        tab[i] = (struct known){ c->pid, c->pid_start, fd, mono };
        return true;
    }
    if (ntab >= limit)
        return false;
    if (ntab == cap) {
        cap = cap ? 2 * cap : 64;
        tab = cx_realloc(tab, cap * sizeof *tab);
    }
    memmove(&tab[i + 1], &tab[i], (ntab - i) * sizeof *tab);
    ntab++;
    tab[i] = (struct known){ c->pid, c->pid_start, fd, mono };
    return true;
}

/* A pidfd for c's init, kept when it is that process (its start time,
 * read after the open, is the record's). */
static void learn(const struct cx_ctr *c, int64_t mono)
{
    int fd = cx_pidfd_open(c->pid);
    if (fd < 0)
        return;   /* gone (or no pidfds): the full reading */
    unsigned long long st = cx_pid_start(c->pid);
    pthread_mutex_lock(&mu);
    bool kept = st == c->pid_start && keep(c, fd, mono);
    pthread_mutex_unlock(&mu);
    if (!kept)
        close(fd);
}

/* Whether the record says its init runs, in this boot, as one the table
 * can know (a start time to check the pidfd against). */
static bool candidate(const struct cx_ctr *c)
{
    return (c->state == CX_CTR_RUNNING || c->state == CX_CTR_PAUSED) && c->pid > 0 &&
           c->pid_start != 0 && strcmp(c->boot_id, cx_boot_id()) == 0;
}

/* Of the candidates v[0..n), those whose init is known and still runs:
 * ok[i] true.  One poll for all (mu held throughout, so no pidfd is
 * closed under it); the pidfds of inits that ended are closed. */
static void poll_known(struct cx_ctr *const *v, size_t n, bool *ok, int64_t mono)
{
    struct pollfd *fds = cx_calloc(n + 1, sizeof *fds);
    size_t *which = cx_calloc(n + 1, sizeof *which), k = 0;
    pthread_mutex_lock(&mu);
    prune(mono);
    for (size_t i = 0; i < n; i++) {
        struct known *kn = candidate(v[i]) ? find(v[i]) : NULL;
        if (kn == NULL)
            continue;
        kn->asked_at = mono;
        fds[k] = (struct pollfd){ .fd = kn->fd, .events = POLLIN };
        which[k++] = i;
    }
    int r = k ? poll(fds, k, 0) : 0;
    for (size_t j = 0; j < k; j++) {
        if (r >= 0 && fds[j].revents == 0) {
            ok[which[j]] = true;
            continue;
        }
        size_t i = slot(v[which[j]]->pid);   /* ended (or the poll failed) */
        if (r >= 0 && i < ntab && tab[i].fd == fds[j].fd)
            drop(i);
    }
    pthread_mutex_unlock(&mu);
    free(fds);
    free(which);
}

void cri_ctrs_sync_quick(struct cx_engine *e, struct cx_ctr *const *v, size_t n)
{
    int64_t mono = mono_now();
    bool *ok = cx_calloc(n + 1, sizeof *ok);
    /* those seen for the first time: their pidfds first */
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n; i++)
        ok[i] = candidate(v[i]) && find(v[i]) == NULL;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++)
        if (ok[i])
            learn(v[i], mono);
    memset(ok, 0, n * sizeof *ok);
    poll_known(v, n, ok, mono);
    for (size_t i = 0; i < n; i++)
        if (!ok[i])
            cx_ctr_sync(e, v[i]);   /* at once for a record at rest */
    free(ok);
}

void cri_ctr_sync_quick(struct cx_engine *e, struct cx_ctr *c)
{
    cri_ctrs_sync_quick(e, &c, 1);
}

size_t cri_live_size(void)
{
    pthread_mutex_lock(&mu);
    size_t n = ntab;
    pthread_mutex_unlock(&mu);
    return n;
}

void cri_live_clear(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < ntab; i++)
        close(tab[i].fd);
    free(tab);
    tab = NULL;
    ntab = cap = 0;
    pruned_at = 0;
    pthread_mutex_unlock(&mu);
}
