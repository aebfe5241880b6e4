/* log.c: writes one line per event: "<UTC time> <program>[pid] <level>: [context] message" to stderr or
 * LOG_FILE, or "<level>: [context] message" to syslog(3) (LOG_SYSLOG, which adds time, name and pid).
 * Control characters in messages are escaped so input can never forge or split a log line. The context
 * is per thread; the other settings are made once, before any thread starts. */
#include "shared/log.h"
#include "shared/config.h"
#include "shared/str.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[LOG_LEVEL__MAX] = { "debug", "info", "warn", "error" };

static char log_prog[64] = "captionacc";
static enum log_level log_min = LOG_LEVEL_INFO;
static _Thread_local char log_ctx[96]; /* each thread's own: the heartbeat thread logs while run sets it */
static FILE *log_out; /* NULL means stderr */
static bool log_syslog; /* lines go to log_syslog_writer instead of log_out */
static const int level_priorities[LOG_LEVEL__MAX] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

static void
write_syslog(int priority, const char *line)
{
	syslog(priority, "%s", line);
}

static void (*log_syslog_writer)(int, const char *) = write_syslog;

void
log_init(const char *progname, enum log_level min)
{
	snprintf(log_prog, sizeof(log_prog), "%s", progname); /* a cut name is harmless */
	log_min = min;
}

int
log_open_file(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f == NULL)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_out != NULL)
		fclose(log_out);
	log_out = f;
	if (log_syslog)
		closelog();
	log_syslog = false;
	return 0;
}

void
log_open_syslog(const char *ident)
{
	static char id[64]; /* openlog keeps the pointer */

	snprintf(id, sizeof(id), "%s", ident); /* a cut name is harmless */
	openlog(id, LOG_PID, LOG_DAEMON);
	log_syslog = true;
}

void
log_set_syslog_writer(void (*writer)(int priority, const char *line))
{
	log_syslog_writer = writer != NULL ? writer : write_syslog;
}

int
log_setup(const char *progname, const struct config *cfg, char *err, size_t errlen)
{
	log_init(progname, cfg->log_level);
	if (cfg->log_syslog)
		log_open_syslog(progname);
	else if (cfg->log_file != NULL && log_open_file(cfg->log_file) != 0) {
		(void)str_fmt(err, errlen, "cannot open LOG_FILE %s: %s", cfg->log_file, strerror(errno));
		return -1;
	}
	return 0;
}

void
log_set_context(const char *ctx)
{
	if (ctx == NULL)
		log_ctx[0] = '\0';
	else
		snprintf(log_ctx, sizeof(log_ctx), "%s", ctx);
}

bool
log_enabled(enum log_level level)
{
	return level >= log_min;
}

/* Copies src into dst escaping bytes below 0x20 and 0x7f as \xNN; always terminates dst. */
static void
escape(char *dst, size_t dstlen, const char *src)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (o + 5 > dstlen)
				break;
			snprintf(dst + o, 5, "\\x%02x", *p);
			o += 4;
		} else {
			if (o + 2 > dstlen)
				break;
			dst[o++] = (char)*p;
		}
	}
	dst[o] = '\0';
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char raw[2048], clean[4096], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	FILE *out = log_out != NULL ? log_out : stderr;
	int saved = errno;

	if (!log_enabled(level) || level >= LOG_LEVEL__MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap); /* over-long lines are cut, never overflow */
	va_end(ap);
	escape(clean, sizeof(clean), raw);
	if (log_syslog) {
		char line[sizeof(clean) + sizeof(log_ctx) + 16];

		(void)str_fmt(line, sizeof(line), "%s: %s%s%s%s", level_names[level], log_ctx[0] ? "[" : "", log_ctx,
		    log_ctx[0] ? "] " : "", clean);
		log_syslog_writer(level_priorities[level], line);
		errno = saved;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%03ldZ %s[%ld] %s: %s%s%s%s\n", stamp, ts.tv_nsec / 1000000L, log_prog,
	    (long)getpid(), level_names[level], log_ctx[0] ? "[" : "", log_ctx, log_ctx[0] ? "] " : "",
	    clean);
	fflush(out);
	errno = saved;
}
