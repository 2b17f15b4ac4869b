/* log.c: stderr and --log sinks (see log.h). */
#include "common/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    int fd;
    enum cx_log_format format;
    bool debug, no_stderr;
    const char *program;
} sink = { -1, CX_LOG_TEXT, false, false, "capsa" };

/* Held around each line's write(s): capsad logs from several threads at
 * once, and a line written in pieces (short writes) must not interleave
 * with another.  The sink's settings are made once at start-up, before
 * any thread; a child forked by a threaded program must not log before
 * its exec (none does: they run async-signal-safe code only). */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_name[] = { "debug", "info", "warning", "error" };

void cx_log_set_program(const char *name) { sink.program = name; }
void cx_log_no_stderr(void) { sink.no_stderr = true; }
bool cx_log_debug_on(void) { return sink.debug; }
int cx_log_fd(void) { return sink.fd; }

int cx_log_init(const char *path, enum cx_log_format format, bool debug,
                cx_error *err)
{
    sink.format = format;
    sink.debug = debug;
    if (path == NULL || *path == '\0')
        return 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cx_fail_errno(err, "open log file %s", path);
    sink.fd = fd;
    return 0;
}

static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_all(int fd, const char *buf, size_t len)
{
    pthread_mutex_lock(&sink_lock);
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            break;
        buf += n;
        len -= (size_t) n;
    }
    pthread_mutex_unlock(&sink_lock);
}

/* One line to stderr, formatted first and written under the lock (on the
 * stack: this also reports running out of memory).  A line longer than
 * the buffer is cut, its newline kept. */
static void __attribute__((format(printf, 1, 2))) err_line(const char *fmt, ...)
{
    char line[CX_ERROR_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if ((size_t) n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    write_all(STDERR_FILENO, line, (size_t) n);
}

void cx_log_record(enum cx_log_level level, const char *msg)
{
    char ts[64];
    if (sink.fd < 0)
        return;
    timestamp(ts, sizeof ts);
    if (sink.format == CX_LOG_JSON) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_name[level],
                              "msg", msg, "time", ts);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s) {
            size_t n = strlen(s);
            s[n] = '\n'; /* json_dumps leaves room only for NUL: rewrite */
            write_all(sink.fd, s, n + 1);
            s[n] = '\0';
        }
        free(s);
        json_decref(o);
    } else {
        char *line = NULL;
        int n = asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", ts,
                         level_name[level], msg);
        if (n > 0)
            write_all(sink.fd, line, (size_t) n);
        free(line);
    }
}

void cx_log(enum cx_log_level level, const char *fmt, ...)
{
    char msg[CX_ERROR_MAX];
    va_list ap;

    if (level == CX_LOG_DEBUG && !sink.debug)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level >= CX_LOG_WARN)
        err_line("%s: %s%s\n", sink.program, level == CX_LOG_WARN ? "warning: " : "", msg);
    else if (sink.fd < 0 && !sink.no_stderr) { /* --debug without --log: as runc */
        char ts[64];
        timestamp(ts, sizeof ts);
        err_line("time=\"%s\" level=%s msg=\"%s\"\n", ts, level_name[level], msg);
    }
    cx_log_record(level, msg);
}

void cx_log_error(const cx_error *err)
{
    char msg[CX_ERROR_MAX + 128];
    cx_error_format(err, msg, sizeof msg);
    err_line("%s: %s\n", sink.program, msg);
    cx_log_record(CX_LOG_ERROR, msg);
}

void cx_log_error_as_warning(const cx_error *err)
{
    char msg[CX_ERROR_MAX + 128];
    cx_error_format(err, msg, sizeof msg);
    cx_log(CX_LOG_WARN, "%s", msg);
}
