/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/fdpass.h - messages with an optional fd over a UNIX socket (SCM_RIGHTS)
 */
#ifndef NETNS_FDPASS_H
#define NETNS_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Most fds fdpass_recv_stream() takes in one read */
#define FDPASS_FDS_MAX 4

ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd);
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd);
ssize_t fdpass_recv_stream(int sock, void *buf, size_t len, unsigned max_fds,
			   int *fd);

#endif /* NETNS_FDPASS_H */
