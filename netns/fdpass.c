/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/fdpass.c - messages with an optional fd over a UNIX socket (SCM_RIGHTS)
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netns/fdpass.h"

/* Room for one fd; a peer sending more gets the extra ones closed */
#define FDPASS_CMSG_SPACE	CMSG_SPACE(sizeof(int))

/**
 * fdpass_send() - send one message, with @fd attached unless it is -1
 * @sock:	connected UNIX socket (SOCK_SEQPACKET keeps message boundaries)
 * @buf:	message
 * @len:	length of @buf, not 0
 * @fd:		file descriptor to pass, or -1; it stays open here
 *
 * Never raises SIGPIPE.
 *
 * Return: bytes sent, or -errno
 */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[FDPASS_CMSG_SPACE];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}

	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/**
 * fdpass_take_fds() - collect the fds of the SCM_RIGHTS messages in @msg
 * @msg:	received message
 * @fd:		first fd received, or -1 if none; NULL to close them all
 *
 * Every fd but the one returned in @fd is closed.
 */
static void fdpass_take_fds(struct msghdr *msg, int *fd)
{
	struct cmsghdr *cmsg;

	if (fd)
		*fd = -1;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		const unsigned char *data = CMSG_DATA(cmsg);
		size_t i, nfds;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int f;

			memcpy(&f, data + i * sizeof(int), sizeof(int));
			if (fd && *fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
}

/**
 * fdpass_recv() - receive one message and the fd attached to it, if any
 * @sock:	connected UNIX socket
 * @buf:	buffer for the message
 * @len:	size of @buf
 * @fd:		received fd (O_CLOEXEC), or -1 if none came; NULL to refuse
 *		fds (any that come are closed)
 *
 * A message longer than @len is dropped with its fds. If only its control
 * data was truncated (MSG_CTRUNC: no fd was free here to receive the one
 * attached, or more than one came), @buf holds the whole message but the
 * fds are lost: the caller learns it from -EMFILE, and can still act on
 * the message (e.g. undo what the sender did for the lost fd).
 *
 * Return: bytes received, 0 on end of file, or -errno (-EMSGSIZE if the
 * message was truncated, -EMFILE if only its fds were lost)
 */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd)
{
	union {
		char buf[FDPASS_CMSG_SPACE];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	ssize_t n;

	if (fd)
		*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		fdpass_take_fds(&msg, NULL);
		return msg.msg_flags & MSG_TRUNC ? -EMSGSIZE : -EMFILE;
	}
	fdpass_take_fds(&msg, fd);
	return n;
}
