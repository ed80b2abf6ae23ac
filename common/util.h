/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/util.h - small helpers: fd cleanup, number parsing, /proc and
 * /proc/sys reads and writes
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
	((type *)(void *)(((char *)(ptr)) - offsetof(type, member)))

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

/* Numbers in network byte order at any alignment (packet headers) */
static inline uint16_t util_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t util_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void util_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void util_put32(uint8_t *p, uint32_t v)
{
	util_put16(p, (uint16_t)(v >> 16));
	util_put16(p + 2, (uint16_t)v);
}

int64_t util_now_ns(void);
int64_t util_now_ms(void);
bool util_basename_is(const char *path, const char *name);
int util_parse_uint(const char *s, unsigned long max, unsigned long *out);
int util_set_nonblock(int fd);
int util_write_all(int fd, const void *buf, size_t len);
int util_read_sysctl_int(const char *path, long *out);
int util_write_file(const char *path, const char *text);

#endif /* COMMON_UTIL_H */
