/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/log.c - leveled logging to stderr
 *
 * Lines look like "usernet: warning: message". stderr is written with one
 * write(2) per line, so lines from several processes do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

static const char *log_prog = "usernet";
static enum log_level log_level_max = LOG_LVL_INFO;

/**
 * log_init() - set the program name and the most verbose level printed
 * @prog:	prefix of every line (not copied: must outlive the program)
 * @max_level:	LOG_LVL_DEBUG with --debug, LOG_LVL_INFO otherwise
 */
void log_init(const char *prog, enum log_level max_level)
{
	log_prog = prog;
	log_level_max = max_level;
}

/**
 * log_enabled() - whether a line at @level would be printed
 * @level:	level to test
 *
 * Return: true if printed
 */
bool log_enabled(enum log_level level)
{
	return level <= log_level_max;
}

static void log_vmsg(enum log_level level, int errnum, const char *fmt,
		     va_list ap) __attribute__((format(printf, 3, 0)));

static void log_vmsg(enum log_level level, int errnum, const char *fmt,
		     va_list ap)
{
	static const char *const prefix[] = {
		[LOG_LVL_ERR] = "error: ",
		[LOG_LVL_WARN] = "warning: ",
		[LOG_LVL_INFO] = "",
		[LOG_LVL_DEBUG] = "debug: ",
	};
	char line[1024];
	int saved_errno = errno;
	size_t n;
	int r;

	r = snprintf(line, sizeof(line), "%s: %s", log_prog, prefix[level]);
	n = r < 0 ? 0 : MIN_SZ((size_t)r, sizeof(line) - 1);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = r < 0 ? n : MIN_SZ(n + (size_t)r, sizeof(line) - 1);
	if (errnum) {
		r = snprintf(line + n, sizeof(line) - n, ": %s",
			     strerror(errnum));
		n = r < 0 ? n : MIN_SZ(n + (size_t)r, sizeof(line) - 1);
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}

/**
 * log_msg() - print one line at @level if enabled
 * @level:	severity
 * @errnum:	errno value to append as ": strerror(errnum)", or 0
 * @fmt:	printf format
 */
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, errnum, fmt, ap);
	va_end(ap);
}

/**
 * log_ratelimit_ok() - token check behind log_ratelimited()
 * @window_start:	per call site: start of the current one-second window
 * @count:		per call site: lines printed in that window
 *
 * Return: true if one more line may be printed now
 */
bool log_ratelimit_ok(time_t *window_start, unsigned *count)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec != *window_start) {
		*window_start = now.tv_sec;
		*count = 0;
	}
	return (*count)++ < LOG_RATELIMIT_BURST;
}
