/* log.h: one logging module for both programs: levels, UTC time, a context prefix, escaped text. */
#ifndef CAPTIONACC_LOG_H
#define CAPTIONACC_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL__MAX
};

/* Threads: log_msg may be called from any thread (one fprintf per line, so lines never interleave);
 * log_init, log_open_file and log_open_syslog are called once at start-up, before any thread is started. */

/* Sets the program name and the lowest level written. */
void log_init(const char *progname, enum log_level min);
/* Sends lines to an append-only file instead of stderr; returns -1 (errno set) if it cannot be opened. */
int log_open_file(const char *path);
/* Sends lines to syslog(3) instead (openlog: ident, LOG_PID, LOG_DAEMON; levels as LOG_DEBUG, LOG_INFO,
 * LOG_WARNING, LOG_ERR). Whichever of log_open_file and log_open_syslog was called last wins. */
void log_open_syslog(const char *ident);
/* Both programs' start-up: log_init with LOG_LEVEL, then syslog (LOG_SYSLOG, ident progname) or LOG_FILE
 * (else stderr). -1 with one line in err if LOG_FILE cannot be opened. */
int log_setup(const char *progname, const struct config *cfg, char *err, size_t errlen);
/* For tests: where syslog lines go instead of syslog(3) (priority, text without time, name or pid); NULL
 * restores syslog(3). Set before any thread starts. */
void log_set_syslog_writer(void (*writer)(int priority, const char *line));
/* A short context shown in brackets on every line (request or job id); NULL clears it. Copied. It is the
 * calling thread's own (thread-local): it appears only on that thread's lines, and a new thread starts
 * with none (the runner's heartbeat thread logs without the job context, naming the job itself). */
void log_set_context(const char *ctx);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) do { if (log_enabled(LOG_LEVEL_DEBUG)) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
