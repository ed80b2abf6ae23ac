/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/api.h - the JSON API socket (slirp4netns-compatible): request
 * handling on the forwarding table, the socket file, and the server in the
 * event loop (the client is portfwd/apiclient.h)
 */
#ifndef PORTFWD_API_H
#define PORTFWD_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdbool.h>
#include <glib.h>

#include "portfwd/fwd.h"
#include "slirp/capture.h"
#include "slirp/loop.h"

/* Requests larger than this are refused, as by slirp4netns */
#define API_REQUEST_MAX 4096
/* Descriptors a request may carry (SCM_RIGHTS); the first is kept */
#define API_PASSED_FDS_MAX 4

/* Server limits: simultaneous connections, and the time a client has to
 * send its request and read the reply */
#define API_CONN_MAX 64
#define API_CONN_TIMEOUT_MS 5000

/**
 * struct api_stats - figures of the `stats` request (see README,
 * "Statistics", for how each is obtained)
 * @tap:		frames and bytes each way on the tap, dropped frames
 * @flows:		new TCP connections, UDP flows, DNS queries and answers
 *			read from the tap's frames
 * @sockets_known:	@tcp_active and @udp_active are known
 * @tcp_active:		libslirp's TCP connections open now
 * @udp_active:		libslirp's UDP flows open now
 * @binds_refused:	host ports that could not be bound (rules refused,
 *			auto-publish skips)
 * @proc:		memory and CPU time of the helper
 * @uptime_ms:		time since the helper started serving
 * @bypass_on:		usernet run --bypass: the bypass_* figures are known
 * @bypass_connects:	connect() calls given a host socket (not on the tap)
 * @bypass_refused:	calls the bypass answered EPERM (or EAGAIN)
 * @bypass_pending:	host connects in progress now
 */
struct api_stats {
	struct sl_stats tap;
	struct sl_flow_stats flows;
	bool sockets_known;
	int64_t tcp_active;
	int64_t udp_active;
	uint64_t binds_refused;
	struct sl_proc_stats proc;
	int64_t uptime_ms;
	bool bypass_on;
	uint64_t bypass_connects;
	uint64_t bypass_refused;
	uint64_t bypass_pending;
};

/**
 * struct api_helper_ops - what only the helper knows, asked by the API
 * @stats:	fill the helper's figures of the `stats` request (the tap, the
 *		flows, libslirp's sockets, the process; the rules and
 *		@binds_refused come from the forwarding table). NULL: the
 *		request is refused, as an unknown one
 * @capture_start: start a packet capture into @path (absolute) with a size
 *		cap @max_size (0: none); on failure fill @error (its message
 *		goes to the client) and return -errno. NULL: not supported
 * @capture_start_fd: start a packet capture into @fd, an empty regular file
 *		opened for writing by the client and passed with the request
 *		(taken over: closed on failure); no rotation, @max_size caps
 *		the file. NULL: not supported
 * @capture_stop: stop the capture, fill @st with what it wrote; -ENOENT if
 *		none runs. NULL: not supported
 */
struct api_helper_ops {
	void (*stats)(void *opaque, struct api_stats *out);
	int (*capture_start)(void *opaque, const char *path, uint64_t max_size,
			     GError **error);
	int (*capture_start_fd)(void *opaque, int fd, uint64_t max_size,
				GError **error);
	int (*capture_stop)(void *opaque, struct capture_stats *st);
};

/**
 * struct api_backend - what the API's requests act on
 * @table:	the forwarding table: add_hostfwd, list_hostfwd and
 *		remove_hostfwd call pf_table_add(), pf_table_rules() and
 *		pf_table_remove() on it
 * @ops:	what only the helper knows (stats, packet capture); not NULL,
 *		its members may be
 * @opaque:	first argument of @ops
 * @slirp4netns_list: list_hostfwd answers as slirp4netns 1.2 does,
 *		{"entries":[...]} with its keys only (the drop-in,
 *		helper/slirp4netns.c); otherwise {"return":{"entries":[...]}}
 *		with our extensions
 */
struct api_backend {
	struct pf_table *table;
	const struct api_helper_ops *ops;
	void *opaque;
	bool slirp4netns_list;
};

/**
 * struct api_socket - a bound, listening API socket and where its file is
 * @fd:		listening socket, CLOEXEC and non-blocking
 * @dirfd:	O_PATH fd of the directory holding the socket file, so that
 *		it can be removed after a pivot_root
 * @name:	name of the socket file in that directory
 * @path:	path given by the user, for messages
 * @dev:	device of the socket file, to remove only our own
 * @ino:	inode of the socket file
 */
struct api_socket {
	int fd;
	int dirfd;
	char *name;
	char *path;
	dev_t dev;
	ino_t ino;
};

char *api_handle_request(const struct api_backend *b, const char *req,
			 size_t len);
char *api_handle_request_fd(const struct api_backend *b, const char *req,
			    size_t len, int *passed_fd);

int api_socket_bind(const char *path, struct api_socket *out, GError **error);
void api_socket_close(struct api_socket *s);

struct api_server;

int api_server_dirfd(const struct api_server *s);
int api_server_new(const char *path, const struct api_backend *b,
		   struct sl_loop *loop, struct api_server **out,
		   GError **error);
void api_server_free(struct api_server *s);

#endif /* PORTFWD_API_H */
