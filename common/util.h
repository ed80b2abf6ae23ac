/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/util.h - small helpers: fd cleanup, number parsing, sysctl reads
 */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/syscall.h>

/* System call numbers that C library headers older than the kernel lack */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void util_close_fdp(int *fd);
/* int fd declared with this is closed when it goes out of scope (if >= 0) */
#define cleanup_fd __attribute__((cleanup(util_close_fdp)))

/**
 * util_steal_fd() - take ownership of *@fd, leaving -1 behind
 * @fd:		fd variable declared with cleanup_fd
 *
 * Return: the fd
 */
static inline int util_steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

int64_t util_now_ns(void);
int64_t util_now_ms(void);
int util_parse_uint(const char *s, unsigned long max, unsigned long *out);
int util_set_nonblock(int fd);
int util_write_all(int fd, const void *buf, size_t len);
int util_read_sysctl_int(const char *path, long *out);

#endif /* COMMON_UTIL_H */
