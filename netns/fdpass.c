/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/fdpass.c - messages with an optional fd over a UNIX socket
 * (SCM_RIGHTS): the one place that builds and reads the control data, for
 * the namespace agent's channel (messages) and the API socket (a stream)
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netns/fdpass.h"

/* Control data with room for @n fds */
#define FDPASS_CMSG_SPACE(n) CMSG_SPACE((n) * sizeof(int))

/**
 * union fdpass_cmsg - control buffer, aligned for struct cmsghdr
 * @buf:	room for FDPASS_FDS_MAX fds
 * @align:	alignment
 */
union fdpass_cmsg {
	char buf[FDPASS_CMSG_SPACE(FDPASS_FDS_MAX)];
	struct cmsghdr align;
};

/**
 * fdpass_send() - send one message, with @fd attached unless it is -1
 * @sock:	connected UNIX socket (SOCK_SEQPACKET keeps message boundaries;
 *		on a stream, @fd goes with the bytes of this call)
 * @buf:	message
 * @len:	length of @buf, not 0
 * @fd:		file descriptor to pass, or -1; it stays open here
 *
 * Never raises SIGPIPE.
 *
 * Return: bytes sent (on a non-blocking stream, maybe fewer than @len), or
 * -errno
 */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	union fdpass_cmsg u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = FDPASS_CMSG_SPACE(1);
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

/*
 * fdpass_take_fds() - collect the fds of the SCM_RIGHTS messages in @msg
 * @msg:	received message
 * @fd:		if it holds -1, the first fd received goes there; NULL to
 *		close them all
 *
 * Every fd but the one kept in @fd is closed.
 */
static void fdpass_take_fds(struct msghdr *msg, int *fd)
{
	struct cmsghdr *cmsg;

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
 * struct fdpass_rx - what one recvmsg() fills in
 * @ctl:	control data
 * @iov:	the caller's buffer
 * @msg:	message header: flags, and @ctl's length received
 */
struct fdpass_rx {
	union fdpass_cmsg ctl;
	struct iovec iov;
	struct msghdr msg;
};

/*
 * fdpass_recvmsg() - recvmsg() of up to @len bytes into @buf, with room for
 * @max_fds fds (received O_CLOEXEC) in @rx, retried on EINTR
 *
 * Return: bytes received, 0 on end of file, or -errno
 */
static ssize_t fdpass_recvmsg(int sock, void *buf, size_t len, unsigned max_fds,
			      int flags, struct fdpass_rx *rx)
{
	ssize_t n;

	if (max_fds > FDPASS_FDS_MAX)
		max_fds = FDPASS_FDS_MAX;
	rx->iov.iov_base = buf;
	rx->iov.iov_len = len;
	memset(&rx->msg, 0, sizeof(rx->msg));
	rx->msg.msg_iov = &rx->iov;
	rx->msg.msg_iovlen = 1;
	rx->msg.msg_control = rx->ctl.buf;
	rx->msg.msg_controllen = FDPASS_CMSG_SPACE(max_fds);
	do
		n = recvmsg(sock, &rx->msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/**
 * fdpass_recv() - receive one message and the fd attached to it, if any
 * @sock:	connected UNIX socket
 * @buf:	buffer for the message
 * @len:	size of @buf
 * @fd:		received fd (O_CLOEXEC), or -1 if none came; NULL to refuse
 *		fds (any that come are closed)
 *
 * There is room for one fd. A message longer than @len is dropped with its
 * fds. If only its control data was truncated (MSG_CTRUNC: no fd was free
 * here to receive the one attached, or more than one came), @buf holds the
 * whole message but the fds are lost: the caller learns it from -EMFILE,
 * and can still act on the message (e.g. undo what the sender did for the
 * lost fd).
 *
 * Return: bytes received, 0 on end of file, or -errno (-EMSGSIZE if the
 * message was truncated, -EMFILE if only its fds were lost)
 */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd)
{
	struct fdpass_rx rx;
	ssize_t n;

	if (fd)
		*fd = -1;
	n = fdpass_recvmsg(sock, buf, len, 1, 0, &rx);
	if (n < 0)
		return n;

	if (rx.msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		fdpass_take_fds(&rx.msg, NULL);
		return rx.msg.msg_flags & MSG_TRUNC ? -EMSGSIZE : -EMFILE;
	}
	fdpass_take_fds(&rx.msg, fd);
	return n;
}

/**
 * fdpass_recv_stream() - read what a UNIX stream socket holds now, up to
 * @len bytes, and keep the first fd that comes with it
 * @sock:	connected UNIX stream socket
 * @buf:	where the bytes go
 * @len:	room in @buf
 * @max_fds:	fds taken in one read (at most FDPASS_FDS_MAX); the kernel
 *		drops further ones
 * @fd:		in: -1, or an fd kept by an earlier read; out: the first fd
 *		received (O_CLOEXEC) if it held -1. Every other fd is closed.
 *
 * Never waits (MSG_DONTWAIT). Unlike fdpass_recv(), bytes are never lost
 * with the fds: a read whose control data was truncated keeps its bytes and
 * whatever fds came.
 *
 * Return: bytes read, 0 on end of file, or -errno (-EAGAIN: nothing to read)
 */
ssize_t fdpass_recv_stream(int sock, void *buf, size_t len, unsigned max_fds,
			   int *fd)
{
	struct fdpass_rx rx;
	ssize_t n;

	n = fdpass_recvmsg(sock, buf, len, max_fds, MSG_DONTWAIT, &rx);
	if (n >= 0 && rx.msg.msg_controllen)
		fdpass_take_fds(&rx.msg, fd);
	return n;
}
