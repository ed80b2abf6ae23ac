/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/util.c - small helpers: fd cleanup, number parsing, /proc and
 * /proc/sys reads and writes
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/**
 * util_close_fdp() - close *@fd if it is open; target of cleanup_fd
 * @fd:		pointer to the fd variable
 */
void util_close_fdp(int *fd)
{
	if (*fd >= 0) {
		int saved_errno = errno;

		close(*fd);
		errno = saved_errno;
		*fd = -1;
	}
}

/**
 * util_now_ns() - CLOCK_MONOTONIC time
 *
 * Return: nanoseconds
 */
int64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * util_now_ms() - CLOCK_MONOTONIC time
 *
 * Return: milliseconds
 */
int64_t util_now_ms(void)
{
	return util_now_ns() / 1000000;
}

/**
 * util_basename_is() - whether the last component of @path is @name (how a
 * program knows the name it was run under: the drop-in entry points)
 * @path:	a path such as argv[0], or NULL
 * @name:	the name
 *
 * Return: true if it is
 */
bool util_basename_is(const char *path, const char *name)
{
	const char *base;

	if (!path)
		return false;
	base = strrchr(path, '/');
	return !strcmp(base ? base + 1 : path, name);
}

/**
 * util_parse_uint() - parse a whole decimal string as an unsigned number
 * @s:		string, digits only (no sign, no spaces, no trailing text)
 * @max:	largest accepted value
 * @out:	parsed value
 *
 * Return: 0, -EINVAL if not a number, -ERANGE if above @max
 */
int util_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/**
 * util_set_nonblock() - set O_NONBLOCK on @fd
 * @fd:		file descriptor
 *
 * Return: 0 or -errno
 */
int util_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/**
 * util_write_all() - write all of @buf, retrying on EINTR and short writes
 * @fd:		blocking file descriptor
 * @buf:	data
 * @len:	length of @buf
 *
 * Return: 0 or -errno
 */
int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * util_read_sysctl_int() - read an integer from a /proc/sys file
 * @path:	file path, e.g. /proc/sys/net/ipv4/ip_unprivileged_port_start
 * @out:	value read
 *
 * /proc/sys/net files show the network namespace of the reading process.
 *
 * Return: 0 or -errno (-EINVAL if the content is not an integer)
 */
int util_read_sysctl_int(const char *path, long *out)
{
	char buf[64];
	ssize_t n;
	char *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	buf[n] = '\0';
	errno = 0;
	*out = strtol(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	return 0;
}

/**
 * util_write_file() - write a short text to an existing file in one write()
 * @path:	file path: a /proc/sys value, a user namespace's uid_map,
 *		gid_map or setgroups
 * @text:	what to write, whole (the kernel takes such files in one
 *		write and refuses a second)
 *
 * Nothing is created or truncated. /proc/sys/net files are those of the
 * writing process's network namespace.
 *
 * Return: 0 or -errno (-EIO if the kernel took only part of @text)
 */
int util_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
