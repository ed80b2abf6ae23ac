/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/log.h - leveled logging to stderr, with rate-limited variants for
 * the packet path
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <errno.h>
#include <stdbool.h>
#include <time.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_init(const char *prog, enum log_level max_level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool log_ratelimit_ok(time_t *window_start, unsigned *count);

#define log_err(...) log_msg(LOG_LVL_ERR, 0, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)                                          \
	do {                                                    \
		if (log_enabled(LOG_LVL_DEBUG))                 \
			log_msg(LOG_LVL_DEBUG, 0, __VA_ARGS__); \
	} while (0)
/* Append ": strerror(errno)" */
#define log_perror(level, ...) log_msg(level, errno, __VA_ARGS__)

/**
 * log_ratelimited() - log at most LOG_RATELIMIT_BURST lines a second from
 * this call site (for anything a guest can trigger per packet)
 */
#define LOG_RATELIMIT_BURST 5
#define log_ratelimited(level, ...)                            \
	do {                                                   \
		static time_t rl_window_;                      \
		static unsigned rl_count_;                     \
		if (log_enabled(level) &&                      \
		    log_ratelimit_ok(&rl_window_, &rl_count_)) \
			log_msg(level, 0, __VA_ARGS__);        \
	} while (0)

#endif /* COMMON_LOG_H */
