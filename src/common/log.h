/* log.h: the runtime's log sink.
 *
 * Messages go to stderr as one line ("capsa: ...") and, when --log is given,
 * are appended to that file as text or runc-style JSON lines
 * {"level":"error","msg":"...","time":"..."}.  Library code logs only at
 * debug level; errors travel as cx_error and are printed once by main().
 */
#ifndef CAPSA_LOG_H
#define CAPSA_LOG_H

#include <stdbool.h>

#include "common/error.h"

enum cx_log_level { CX_LOG_DEBUG, CX_LOG_INFO, CX_LOG_WARN, CX_LOG_ERROR };
enum cx_log_format { CX_LOG_TEXT, CX_LOG_JSON };

/* Open the --log file (O_APPEND); NULL keeps stderr only. */
int cx_log_init(const char *path, enum cx_log_format format, bool debug,
                cx_error *err);
void cx_log_set_program(const char *name);
/* In the container's init and an exec'd child, stderr is the container's:
 * debug and info lines then go to the --log file only. */
void cx_log_no_stderr(void);
bool cx_log_debug_on(void);
int cx_log_fd(void);

void cx_log(enum cx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define cx_debug(...) cx_log(CX_LOG_DEBUG, __VA_ARGS__)
#define cx_warn(...) cx_log(CX_LOG_WARN, __VA_ARGS__)

/* Print err once: stderr line plus the --log sink. */
void cx_log_error(const cx_error *err);

/* Print err as a warning (a failure the operation survives). */
void cx_log_error_as_warning(const cx_error *err);

/* Write one record to the --log file only (used by the container init's
 * relayed errors and by tests). */
void cx_log_record(enum cx_log_level level, const char *msg);

#endif
