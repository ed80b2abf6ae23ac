/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/apiclient.c - client of the JSON API socket: one request per
 * connection, as slirp4netns clients do it
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/util.h"
#include "netns/fdpass.h"
#include "portfwd/apiclient.h"

/* Milliseconds left until @deadline_us, at least 0 */
static int apiclient_left_ms(gint64 deadline_us)
{
	gint64 left = deadline_us - g_get_monotonic_time();

	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* Wait for @events on @fd until @deadline_us: 0, -ETIMEDOUT or -errno */
static int apiclient_wait(int fd, short events, gint64 deadline_us)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, apiclient_left_ms(deadline_us));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Whether @uid may serve the caller's API: the caller, or root */
static bool apiclient_trusted(uid_t uid)
{
	return uid == geteuid() || uid == 0 || geteuid() == 0;
}

static int apiclient_squatted(const char *path, uid_t uid, GError **error)
{
	g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
		    "refusing to talk to the API socket %s: it is served by "
		    "another user (uid %u), not by your usernet",
		    path, (unsigned)uid);
	return -EPERM;
}

/* The socket @fd is connected to a helper of the user's (or root's), not to
 * something another user put at the path in a shared directory: nothing,
 * not even the request, goes to a squatter. (The file's owner was checked
 * before connecting; this closes the race with a replaced file.) */
static int apiclient_check_peer(int fd, const char *path, GError **error)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot tell who serves the API socket %s: %s",
			    path, g_strerror(errno));
		return -EPERM;
	}
	if (apiclient_trusted(cred.uid))
		return 0;
	return apiclient_squatted(path, cred.uid, error);
}

static int apiclient_connect(int fd, const char *path, gint64 deadline_us,
			     GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	struct stat st;
	int r;

	if (!len || len >= sizeof(sa.sun_path)) {
		g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
			    "the API socket path '%s' is %s", path,
			    len ? "too long" : "empty");
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, len + 1);
	/* Another user's file at the path: not even a connection to it */
	if (!lstat(path, &st) && !apiclient_trusted(st.st_uid))
		return apiclient_squatted(path, st.st_uid, error);
	for (;;) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return apiclient_check_peer(fd, path, error);
		r = -errno;
		if (r == -EINTR)
			continue;
		/* A UNIX socket says EAGAIN when its backlog is full */
		if (r == -EAGAIN && apiclient_left_ms(deadline_us) > 0) {
			g_usleep(10000);
			continue;
		}
		break;
	}
	if (r == -ENOENT || r == -ECONNREFUSED)
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot connect to the API socket %s: %s (is "
			    "usernet running with --api-socket %s?)",
			    path, g_strerror(-r), path);
	else
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot connect to the API socket %s: %s", path,
			    g_strerror(-r));
	return r;
}

/*
 * apiclient_again() - after a call on @fd failed with @r: 0 to try again
 * (interrupted, or @fd became ready for @events before @deadline_us), or
 * the error (-ETIMEDOUT past the deadline)
 */
static int apiclient_again(int fd, int r, short events, gint64 deadline_us)
{
	if (r == -EINTR)
		return 0;
	if (r != -EAGAIN)
		return r;
	return apiclient_wait(fd, events, deadline_us);
}

/* Write all of @request, @pass_fd (if not -1) with its first bytes, and
 * shut down the write side: 0 or -errno */
static int apiclient_send_request(int fd, const char *request, int pass_fd,
				  gint64 deadline_us)
{
	size_t len = strlen(request), off = 0;
	int r;

	while (off < len) {
		ssize_t n = fdpass_send(fd, request + off, len - off,
					off ? -1 : pass_fd);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		r = apiclient_again(fd, (int)n, POLLOUT, deadline_us);
		if (r < 0)
			return r;
	}
	return shutdown(fd, SHUT_WR) ? -errno : 0;
}

/* Read the reply until end of file into @in: 0 or -errno (-EMSGSIZE past
 * APICLIENT_REPLY_MAX) */
static int apiclient_read_reply(int fd, GByteArray *in, gint64 deadline_us)
{
	int r;

	for (;;) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0)
			return 0;
		if (n > 0) {
			if (in->len + (size_t)n > APICLIENT_REPLY_MAX)
				return -EMSGSIZE;
			g_byte_array_append(in, (guint8 *)buf, (guint)n);
			continue;
		}
		r = -errno;
		/* The server closed with unread data: the reply is whole */
		if (r == -ECONNRESET && in->len)
			return 0;
		r = apiclient_again(fd, r, POLLIN, deadline_us);
		if (r < 0)
			return r;
	}
}

/* The error of a failed exchange: @what timed out or failed with @r */
static int apiclient_failed(const char *path, const char *what, int r,
			    GError **error)
{
	if (r == -ETIMEDOUT)
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "API socket %s: %s timed out after %d s", path,
			    what, APICLIENT_TIMEOUT_MS / 1000);
	else
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "API socket %s: %s failed: %s", path, what,
			    g_strerror(-r));
	return r;
}

/**
 * apiclient_call() - send one request to the API socket and read the reply
 * @path:	API socket
 * @request:	the request, JSON
 * @reply:	out: the reply, NUL-terminated, to g_free()
 * @error:	UN_EXIT_FAILURE naming @path if the exchange fails
 *
 * Connects, writes @request, shuts down the write side and reads the reply
 * until EOF, all within APICLIENT_TIMEOUT_MS.
 *
 * Return: 0 or -errno
 */
int apiclient_call(const char *path, const char *request, char **reply,
		   GError **error)
{
	return apiclient_call_fd(path, request, -1, reply, error);
}

/**
 * apiclient_call_fd() - apiclient_call() with a file descriptor sent along
 * with the request (SCM_RIGHTS, with its first bytes)
 * @path:	API socket
 * @request:	the request, JSON
 * @pass_fd:	descriptor to send (the server gets a copy), or -1
 * @reply:	out: the reply, NUL-terminated, to g_free()
 * @error:	UN_EXIT_FAILURE naming @path if the exchange fails
 *
 * Return: 0 or -errno
 */
int apiclient_call_fd(const char *path, const char *request, int pass_fd,
		      char **reply, GError **error)
{
	gint64 deadline_us = g_get_monotonic_time() +
			     (gint64)APICLIENT_TIMEOUT_MS * 1000;
	g_autoptr(GByteArray) in = g_byte_array_new();
	cleanup_fd int fd = -1;
	int r;

	*reply = NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot create a socket: %s", g_strerror(-r));
		return r;
	}
	r = apiclient_connect(fd, path, deadline_us, error);
	if (r < 0)
		return r;
	r = apiclient_send_request(fd, request, pass_fd, deadline_us);
	if (r < 0)
		return apiclient_failed(path, "sending the request", r, error);
	r = apiclient_read_reply(fd, in, deadline_us);
	if (r < 0)
		return apiclient_failed(path, "reading the reply", r, error);
	g_byte_array_append(in, (const guint8 *)"", 1);
	*reply = (char *)g_byte_array_free(g_steal_pointer(&in), FALSE);
	return 0;
}

/**
 * apiclient_request() - send one request and take the "return" of the reply
 * @path:	API socket
 * @request:	the request, JSON
 * @ret:	out: the "return" member of the reply, to json_decref()
 * @error:	UN_EXIT_FAILURE: the exchange failed (naming @path), the
 *		server answered an error (its "desc" is the message), or the
 *		reply is malformed
 *
 * Return: 0, -EREMOTEIO if the server answered an error, -EPROTO for a
 * malformed reply, or -errno
 */
int apiclient_request(const char *path, const char *request, json_t **ret,
		      GError **error)
{
	return apiclient_request_fd(path, request, -1, ret, error);
}

/**
 * apiclient_request_fd() - apiclient_request() with a file descriptor sent
 * along with the request (start_capture with "fd":true)
 * @path:	API socket
 * @request:	the request, JSON
 * @pass_fd:	descriptor to send, or -1
 * @ret:	out: the "return" member of the reply, to json_decref()
 * @error:	as for apiclient_request()
 *
 * Return: as apiclient_request()
 */
int apiclient_request_fd(const char *path, const char *request, int pass_fd,
			 json_t **ret, GError **error)
{
	g_autofree char *reply = NULL;
	g_autoptr(json_t) root = NULL;
	const char *desc;
	json_t *n;
	int r;

	*ret = NULL;
	r = apiclient_call_fd(path, request, pass_fd, &reply, error);
	if (r < 0)
		return r;
	root = reply ? apijson_parse(reply, strlen(reply)) : NULL;
	if (!json_is_object(root))
		goto malformed;
	n = json_object_get(root, "error");
	if (n) {
		desc = json_string_value(json_object_get(n, "desc"));
		if (!desc)
			goto malformed;
		g_set_error_literal(error, UN_ERROR, UN_EXIT_FAILURE, desc);
		return -EREMOTEIO;
	}
	n = json_object_get(root, "return");
	/* slirp4netns (and usernet as slirp4netns) answer list_hostfwd with
	 * {"entries":[...]} alone: take the whole object as the return */
	if (!n && json_object_get(root, "entries"))
		n = root;
	if (!n)
		goto malformed;
	*ret = json_incref(n);
	return 0;

malformed:
	g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
		    "API socket %s: malformed reply: %.200s", path, reply);
	return -EPROTO;
}
