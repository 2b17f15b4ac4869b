/* logread.c: see logread.h.
 *
 * The file is read as a byte stream by a small state machine: a record's
 * header (at most HDR_MAX bytes) is collected, then its text goes to the
 * output as it arrives, so a line of any length costs a bounded buffer.
 * Per stream, a line is open from its first record to the F record that
 * ends it; the time filter and the -t prefix are decided at its first
 * record.  --tail walks back from the end a block at a time; -f waits on
 * inotify, with a timeout to poll done(), and moves to the new file when
 * the shim's rotation replaces the old one.
 */
#include "engine/logread.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define BLOCK (64 * 1024)   /* read size, forward and backward */
#define OUT_BUF (64 * 1024)
#define HDR_MAX 64          /* "<time> stderr P" */
#define JOIN_MAX (1 << 20)  /* a line held until its F record; longer ones stream */
#define POLL_MS 200         /* how often -f asks done() when idle */
#define NS 1000000000LL

/* ---- times ------------------------------------------------------------ */

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The decimal digits at *s (advanced past them); false on overflow. */
static bool whole(const char **s, int64_t *v)
{
    for (*v = 0; **s >= '0' && **s <= '9'; ++*s)
        if (__builtin_mul_overflow(*v, 10, v) || __builtin_add_overflow(*v, **s - '0', v))
            return false;
    return true;
}

/* A ".123" fraction at *s (advanced past it) as nanoseconds; *nd: its
 * digits (past 9 ignored), -1 when there is no '.'. */
static int64_t fraction(const char **s, int *nd)
{
    int64_t ns = 0, scale = NS;
    *nd = -1;
    if (**s != '.')
        return 0;
    for (*nd = 0, ++*s; **s >= '0' && **s <= '9'; ++*s, ++*nd)
        if (scale > 1)
            ns += (**s - '0') * (scale /= 10);
    return ns;
}

/* "2006-01-02T15:04:05[.999999999](Z|+07:00)" in s[0..len) as unix ns and
 * the offset it was written with; loose: also without a zone, and the
 * date alone ("2006-01-02"), in local time. */
static bool parse_time(const char *s, size_t len, bool loose, int64_t *ns, int *off)
{
    const char *p = s + 10, *end = s + len;
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, nd = -1;
    int64_t frac = 0;
    *off = 0;
    if (len < 10 || (y = digits(s, 4)) < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 0 ||
        s[7] != '-' || (d = digits(s + 8, 2)) < 0)
        return false;
    if (p < end) {
        if (len < 19 || *p != 'T' || (h = digits(s + 11, 2)) < 0 || s[13] != ':' ||
            (mi = digits(s + 14, 2)) < 0 || s[16] != ':' || (se = digits(s + 17, 2)) < 0)
            return false;
        p = s + 19;
        frac = fraction(&p, &nd);
    }
    bool local = p == end, utc = !local && *p == 'Z' && end - p == 1;
    if (local && !loose)
        return false;
    if (!local && !utc) {
        if ((*p != '+' && *p != '-') || end - p != 6 || p[3] != ':' ||
            (oh = digits(p + 1, 2)) < 0 || oh > 23 || (om = digits(p + 4, 2)) < 0 || om > 59)
            return false;
        *off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = se, .tm_isdst = -1 };
    if (nd == 0 || nd > 9 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
        return false;
    time_t sec = local ? mktime(&tm) : timegm(&tm);
    /* normalized: a day past the month's end moved */
    if (tm.tm_mday != d || tm.tm_mon != mo - 1 || sec - *off < -9223372035LL ||
        sec - *off > 9223372035LL)
        return false;
    *ns = ((int64_t) sec - *off) * NS + frac;
    return true;
}

/* A Go duration: [-+](number unit)+, units ns us µs ms s m h. */
static bool parse_duration(const char *s, int64_t *out)
{
    static const struct { const char *u; int64_t ns; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
        { "ms", 1000000 }, { "s", NS }, { "m", 60 * NS }, { "h", 3600 * NS },
    };
    const size_t nunits = sizeof units / sizeof units[0];
    bool neg = *s == '-';
    int64_t total = 0;
    s += *s == '-' || *s == '+';
    if (*s == '\0')
        return false;
    while (*s) {
        const char *num = s;
        int64_t w, v;
        int nd;
        if (!whole(&s, &w))
            return false;
        int64_t frac = fraction(&s, &nd); /* in 1e-9 of the unit */
        size_t u = 0;
        while (u < nunits && strncmp(s, units[u].u, strlen(units[u].u)) != 0)
            u++;
        if ((s == num + 1 && nd == 0) || s == num || u == nunits)
            return false;
        s += strlen(units[u].u);
        if (__builtin_mul_overflow(w, units[u].ns, &v) ||
            __builtin_add_overflow(v, (int64_t) ((double) frac / NS * (double) units[u].ns), &v) ||
            __builtin_add_overflow(total, v, &total))
            return false;
    }
    *out = neg ? -total : total;
    return true;
}

/* Unix seconds with an optional fraction: "1700000000.5". */
static bool parse_unix(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t sec;
    int nd;
    if (!whole(&p, &sec))
        return false;
    int64_t frac = fraction(&p, &nd);
    if (p == s || *p != '\0' || nd == 0 || nd > 9 || sec > INT64_MAX / NS - 1)
        return false;
    *out = sec * NS + frac;
    return true;
}

int cx_logtime_parse(const char *s, int64_t now_ns, int64_t *out_ns, cx_error *err)
{
    int64_t v;
    int off;
    char pbuf[112];
    if (parse_time(s, strlen(s), true, out_ns, &off) || parse_unix(s, out_ns))
        return 0;
    if (parse_duration(s, &v) && !__builtin_sub_overflow(now_ns, v, out_ns))
        return 0;
    return cx_fail(err, 0, "invalid time \"%s\": use RFC 3339 (2006-01-02T15:04:05Z07:00), "
                   "a date (2006-01-02), unix seconds (1700000000.5) or a duration ago "
                   "(10m, 1h30m)", cx_printable(s, pbuf));
}

/* ---- records ---------------------------------------------------------- */

struct hdr {
    int64_t ns;
    int off;     /* the offset the time was written with, seconds east */
    int stream;  /* 0 stdout, 1 stderr */
    bool full;   /* F: the record ends its line */
};

/* "<time> <stdout|stderr> <F|P>" at p, the start of a record (len bytes of
 * it, its text or end of line after the header). */
static bool parse_hdr(const char *p, size_t len, struct hdr *h)
{
    const char *sp = memchr(p, ' ', len < HDR_MAX ? len : HDR_MAX);
    if (sp == NULL || !parse_time(p, (size_t) (sp - p), false, &h->ns, &h->off))
        return false;
    size_t rest = len - (size_t) (sp + 1 - p);
    const char *st = sp + 1;
    if (rest < 8 || (memcmp(st, "stdout ", 7) != 0 && memcmp(st, "stderr ", 7) != 0) ||
        (st[7] != 'F' && st[7] != 'P') || (rest > 8 && st[8] != ' ' && st[8] != '\n'))
        return false;
    h->stream = st[3] == 'e';
    h->full = st[7] == 'F';
    return true;
}

/* The time as podman -t writes it: nine digits, "Z" for UTC. */
static size_t format_time(char *buf, size_t len, int64_t ns, int off)
{
    int64_t sec = ns / NS, frac = ns % NS;
    if (frac < 0)
        sec--, frac += NS;
    time_t local = (time_t) (sec + off);
    struct tm tm;
    gmtime_r(&local, &tm);
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lld", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long) frac);
    int a = off < 0 ? -off : off;
    n += off == 0 ? snprintf(buf + n, len - (size_t) n, "Z ")
                  : snprintf(buf + n, len - (size_t) n, "%c%02d:%02d ", off < 0 ? '-' : '+',
                             a / 3600, a % 3600 / 60);
    return (size_t) n;
}

enum rstate { R_HDR, R_TEXT, R_SKIP };

/* A stream's line being joined from its records. */
struct line {
    bool open, show;  /* a record of it was read; it passed the time filter */
    bool spilled;     /* over JOIN_MAX: the rest goes out as it comes */
    char *buf;
    size_t n, cap;
};

struct reader {
    const struct cx_logread_opts *o;
    const char *path;
    int fd[2];               /* stdout's and stderr's records go to */
    int cur;                 /* the fd out[] holds bytes for */
    size_t nout;
    struct line line[2];
    enum rstate state;
    struct hdr rec;          /* the record being read */
    bool rec_show;
    char hdr[HDR_MAX + 1];
    size_t hlen;
    int spaces;
    char out[OUT_BUF];
    char in[BLOCK];
};

static int flush(struct reader *r, cx_error *err)
{
    if (r->nout > 0 && cx_write_all(r->cur, r->out, r->nout) < 0)
        return cx_fail_errno(err, "write the log of %s", r->path);
    r->nout = 0;
    return 0;
}

/* Bytes for one stream's fd, in the order of the records across both. */
static int emit(struct reader *r, int stream, const char *p, size_t len, cx_error *err)
{
    int fd = r->fd[stream];
    if (fd < 0 || len == 0)
        return 0;
    if ((fd != r->cur || r->nout + len > OUT_BUF) && flush(r, err) < 0)
        return -1;
    r->cur = fd;
    if (len >= OUT_BUF) {
        if (cx_write_all(fd, p, len) < 0)
            return cx_fail_errno(err, "write the log of %s", r->path);
        return 0;
    }
    memcpy(r->out + r->nout, p, len);
    r->nout += len;
    return 0;
}

/* Text of stream s's line: held until the line ends, up to JOIN_MAX. */
static int add(struct reader *r, int s, const char *p, size_t len, cx_error *err)
{
    struct line *l = &r->line[s];
    if (!l->spilled && l->n + len <= JOIN_MAX) {
        if (l->n + len > l->cap) {
            l->cap = l->n + len > 2 * l->cap ? l->n + len : 2 * l->cap;
            l->buf = cx_realloc(l->buf, l->cap);
        }
        memcpy(l->buf + l->n, p, len);
        l->n += len;
        return 0;
    }
    l->spilled = true;
    if (emit(r, s, l->buf, l->n, err) < 0)
        return -1;
    l->n = 0;
    return emit(r, s, p, len, err);
}

/* Out with what stream s holds; ended: its line is complete. */
static int line_out(struct reader *r, int s, bool ended, cx_error *err)
{
    struct line *l = &r->line[s];
    if ((ended && l->show && add(r, s, "\n", 1, err) < 0) || emit(r, s, l->buf, l->n, err) < 0)
        return -1;
    l->n = 0;
    l->open = l->spilled = l->open && !ended;
    return 0;
}

/* A record's header is read: a line starts, or goes on. */
static int record_start(struct reader *r, const struct hdr *h, cx_error *err)
{
    struct line *l = &r->line[h->stream];
    r->rec = *h;
    if (!l->open) {
        const struct cx_logread_opts *o = r->o;
        l->open = true;
        l->show = (o->since_ns == 0 || h->ns > o->since_ns) &&
                  (o->until_ns == 0 || h->ns < o->until_ns);
        char ts[64];
        if (l->show && o->timestamps &&
            add(r, h->stream, ts, format_time(ts, sizeof ts, h->ns, h->off), err) < 0)
            return -1;
    }
    r->rec_show = l->show;
    return 0;
}

static int record_end(struct reader *r, cx_error *err)
{
    return r->rec.full ? line_out(r, r->rec.stream, true, err) : 0;
}

/* The header collected in r->hdr ends (at its third blank or the line's
 * end): parse it, or skip the line. */
static int header_done(struct reader *r, bool line_end, cx_error *err)
{
    struct hdr h;
    r->hdr[r->hlen] = line_end ? '\n' : ' ';
    if (!parse_hdr(r->hdr, r->hlen + 1, &h)) {
        r->state = line_end ? R_HDR : R_SKIP;
        return 0;
    }
    r->state = R_TEXT;
    if (record_start(r, &h, err) < 0)
        return -1;
    if (line_end) {
        r->state = R_HDR;
        return record_end(r, err);
    }
    return 0;
}

/* Feed the state machine len bytes of the file. */
static int feed(struct reader *r, const char *p, size_t len, cx_error *err)
{
    while (len > 0) {
        if (r->state == R_HDR) {
            char c = *p++;
            len--;
            if (r->hlen == 0)
                r->spaces = 0;
            if (c == '\n' || (c == ' ' && ++r->spaces == 3)) {
                int rc = r->hlen ? header_done(r, c == '\n', err) : 0;
                r->hlen = 0;
                if (rc < 0)
                    return -1;
            } else if (r->hlen == HDR_MAX) {
                r->state = R_SKIP;
                r->hlen = 0;
            } else {
                r->hdr[r->hlen++] = c;
            }
            continue;
        }
        const char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t) (nl - p) : len;
        if (r->state == R_TEXT && r->rec_show && add(r, r->rec.stream, p, n, err) < 0)
            return -1;
        if (nl && r->state == R_TEXT && record_end(r, err) < 0)
            return -1;
        if (nl)
            r->state = R_HDR;
        p += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
    return 0;
}

/* Read fd to its end. */
static int drain(struct reader *r, int fd, cx_error *err)
{
    for (;;) {
        ssize_t n = read(fd, r->in, sizeof r->in);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cx_fail_errno(err, "read log file %s", r->path);
        if (n == 0)
            return flush(r, err);
        if (feed(r, r->in, (size_t) n, err) < 0)
            return -1;
    }
}

/* ---- --tail: backwards from the end ----------------------------------- */

struct back {
    int fd;
    const char *path;
    off_t boff;       /* in[] holds the file's bytes [boff, boff + blen) */
    size_t blen;
    char in[BLOCK];
};

/* The offset of the last '\n' before lim, -1 when there is none. */
static int prev_nl(struct back *b, off_t lim, off_t *at, cx_error *err)
{
    for (;;) {
        if (lim > b->boff && lim <= b->boff + (off_t) b->blen) {
            const char *nl = memrchr(b->in, '\n', (size_t) (lim - b->boff));
            if (nl) {
                *at = b->boff + (nl - b->in);
                return 0;
            }
            lim = b->boff;
        }
        if (lim <= 0) {
            *at = -1;
            return 0;
        }
        off_t start = lim > BLOCK ? lim - BLOCK : 0;
        ssize_t n = pread(b->fd, b->in, (size_t) (lim - start), start);
        if (n < 0)
            return cx_fail_errno(err, "read log file %s", b->path);
        b->boff = start;
        b->blen = (size_t) n;
        if (n == 0) {
            *at = -1;
            return 0;
        }
    }
}

/* The header of the line [start, end). */
static bool back_hdr(struct back *b, off_t start, off_t end, struct hdr *h)
{
    char tmp[HDR_MAX + 2];
    size_t len = (size_t) (end - start < HDR_MAX + 2 ? end - start : HDR_MAX + 2);
    const char *p = b->in + (start - b->boff);
    if (start < b->boff || start + (off_t) len > b->boff + (off_t) b->blen) {
        ssize_t n = pread(b->fd, tmp, len, start);
        len = n > 0 ? (size_t) n : 0;
        p = tmp;
    }
    return parse_hdr(p, len, h);
}

/* Where the last n lines start.  A line is its P records and the F that
 * ends it (a last line with no F yet counts too); going back, a stream's
 * P record belongs to the line its next record is in. */
static int tail_start(int fd, const char *path, off_t size, int64_t n, off_t *out, cx_error *err)
{
    _cleanup_free_ struct back *b = cx_calloc(1, sizeof *b);
    bool seen[2] = { false, false };
    int64_t count = 0;
    off_t end = size, nl = -1;
    b->fd = fd;
    b->path = path;
    b->boff = size;
    *out = size;
    while (end > 0) {
        if (prev_nl(b, end - 1, &nl, err) < 0)
            return -1;
        struct hdr h;
        if (back_hdr(b, nl + 1, end, &h)) {
            bool new_line = h.full || !seen[h.stream];
            if (new_line && count == n)
                break;
            count += new_line;
            seen[h.stream] = true;
            *out = nl + 1;
        }
        end = nl + 1;
    }
    return 0;
}

/* ---- -f --------------------------------------------------------------- */

/* Has path been replaced (or created) since fd was opened? */
static bool replaced(const char *path, int fd)
{
    struct stat now, was;
    if (stat(path, &now) < 0)
        return false;
    return fd < 0 || fstat(fd, &was) < 0 || now.st_ino != was.st_ino || now.st_dev != was.st_dev;
}

/* Move to the file now at path: the rest of the old one first. */
static int reopen(struct reader *r, int *fd, int ino, int *wd, cx_error *err)
{
    if (*fd >= 0 && drain(r, *fd, err) < 0)
        return -1;
    int nfd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (nfd < 0)
        return errno == ENOENT ? 0 : cx_fail_errno(err, "open log file %s", r->path);
    *fd = cx_close(*fd);
    *fd = nfd;
    r->state = R_HDR; /* a record cut by the rotation ends there */
    r->hlen = 0;
    if (*wd >= 0)
        inotify_rm_watch(ino, *wd);
    *wd = inotify_add_watch(ino, r->path, IN_MODIFY);
    return 0;
}

/* After the end: wait for more (IN_MODIFY on the file, IN_CREATE and
 * IN_MOVED_TO in its directory for the rotation), asking done() at least
 * every POLL_MS; finish once done() said so and the file is read. */
static int follow(struct reader *r, int *fd, cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(r->path);
    _cleanup_close_ int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (ino < 0)
        return cx_fail_errno(err, "inotify_init1 to follow %s", r->path);
    if (inotify_add_watch(ino, dirname(dir), IN_CREATE | IN_MOVED_TO) < 0)
        return cx_fail_errno(err, "watch the directory of %s", r->path);
    int wd = *fd >= 0 ? inotify_add_watch(ino, r->path, IN_MODIFY) : -1;
    for (;;) {
        bool done = r->o->done && r->o->done(r->o->done_arg);
        if (*fd >= 0 && drain(r, *fd, err) < 0)
            return -1;
        if (replaced(r->path, *fd)) {
            if (reopen(r, fd, ino, &wd, err) < 0)
                return -1;
            continue;
        }
        if (done)
            return 0;
        struct pollfd pfd = { .fd = ino, .events = POLLIN };
        if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR)
            return cx_fail_errno(err, "wait for %s to grow", r->path);
        while (read(ino, ev, sizeof ev) > 0)
            ;
    }
}

int cx_logread(const char *path, const struct cx_logread_opts *o, int out_fd, int err_fd,
               cx_error *err)
{
    _cleanup_free_ struct reader *r = cx_calloc(1, sizeof *r);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    r->o = o;
    r->path = path;
    r->fd[0] = out_fd;
    r->fd[1] = err_fd;
    r->cur = out_fd;
    /* no file yet: the container has not written (podman prints nothing) */
    if (fd < 0 && errno != ENOENT)
        return cx_fail_errno(err, "open log file %s", path);
    if (fd >= 0 && o->tail >= 0) {
        off_t start;
        if (fstat(fd, &st) < 0)
            return cx_fail_errno(err, "stat log file %s", path);
        if (tail_start(fd, path, st.st_size, o->tail, &start, err) < 0)
            return -1;
        if (lseek(fd, start, SEEK_SET) < 0)
            return cx_fail_errno(err, "seek in log file %s", path);
    }
    int rc = o->follow ? follow(r, &fd, err) : fd >= 0 ? drain(r, fd, err) : 0;
    /* an F record with no newline yet ends its line all the same; lines
     * with no F record yet go out as far as they go */
    if (rc == 0 && r->state == R_TEXT)
        rc = record_end(r, err);
    for (int s = 0; s < 2; s++) {
        if (rc == 0)
            rc = line_out(r, s, false, err);
        free(r->line[s].buf);
    }
    return rc < 0 || flush(r, err) < 0 ? -1 : 0;
}
