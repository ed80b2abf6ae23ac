/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/tcpfwd.c - TCP forwarding between a host socket and a socket in
 * the target namespace, with splice(2) through a pipe each way
 *
 * Each direction (struct pf_half) moves bytes src -> pipe -> dst without
 * copying them to user space. The pipe is drained before it is refilled, so
 * an EAGAIN from splice(src -> pipe) always means src has nothing to read
 * (never that the pipe is full) and the epoll interest is exact:
 *  - want EPOLLIN on src while it has not reached end of file and dst is
 *    not blocked;
 *  - want EPOLLOUT on dst while bytes wait in the pipe.
 * End of file on src, once the pipe is empty, becomes shutdown(dst, SHUT_WR)
 * (half-close). A reset or error on either side resets the other (SO_LINGER
 * 0): a client never takes a truncated stream for a complete one.
 *
 * Pipes: a direction holds a pipe only while bytes wait in it (dst blocked).
 * It takes one from the table's small pool when it runs and gives it back
 * as soon as the pipe is drained, so idle connections hold none: thousands
 * of them do not eat the user's pipe budget (fs.pipe-user-pages-soft, past
 * which the kernel gives every new pipe of the user, also other programs',
 * 8 KiB instead of 64 KiB), nor 4 fds each. Taking and giving back are
 * array operations, no system call; pipes are made only when the pool is
 * empty (more directions blocked at once than it holds). Pipes are enlarged
 * to PF_PIPE_SIZE while fewer than pf_table.big_max are (a quarter of the
 * user's budget); others keep the kernel's default size.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "portfwd/fwd_internal.h"

#define PF_TCP_ACCEPT_BATCH 64
#define PF_PIPE_SIZE (1 << 20)

/**
 * struct pf_half - one direction of a connection
 * @pipe:	pipe[0] read end, pipe[1] write end; -1 while none is held
 * @big:	the pipe is of PF_PIPE_SIZE
 * @queued:	bytes in the pipe
 * @src_eof:	src has reached end of file
 * @shut:	shutdown(dst, SHUT_WR) done
 * @blocked:	dst returned EAGAIN with bytes queued
 * @moved:	bytes delivered to dst
 */
struct pf_half {
	int pipe[2];
	bool big;
	size_t queued;
	uint64_t moved;
	bool src_eof;
	bool shut;
	bool blocked;
};

/**
 * struct pf_tcp_conn - a forwarded TCP connection
 * @cl:		membership in the rule's connections
 * @rs:		rule
 * @host:	epoll registration of the host-side socket
 * @ns:		epoll registration of the namespace-side socket
 * @connecting:	the namespace side has not finished connecting
 * @to_guest:	host -> namespace
 * @to_host:	namespace -> host
 * @peer:	the client's address, for the debug lines
 * @start_ms:	when it was accepted, CLOCK_MONOTONIC milliseconds
 */
struct pf_tcp_conn {
	struct pf_conn_link cl;
	struct pf_rule_state *rs;
	struct pf_ep host;
	struct pf_ep ns;
	bool connecting;
	struct pf_half to_guest;
	struct pf_half to_host;
	struct sockaddr_storage peer;
	int64_t start_ms;
};

static void pf_tcp_host_cb(struct pf_ep *ep, uint32_t events);
static void pf_tcp_ns_cb(struct pf_ep *ep, uint32_t events);

/**
 * pf_pipes_init() - the table's pipe pool, empty, and the bound of large
 * pipes: a quarter of the user's budget (fs.pipe-user-pages-soft; read
 * before confinement)
 * @t:		table
 */
void pf_pipes_init(struct pf_table *t)
{
	long soft = 0;

	t->pipes_len = 0;
	t->big_pipes = 0;
	if (util_read_sysctl_int("/proc/sys/fs/pipe-user-pages-soft", &soft) ||
	    soft <= 0)
		soft = 16384; /* the kernel's default */
	t->big_max = (unsigned)MIN(soft / 4 / (PF_PIPE_SIZE / 4096), 4096L);
}

/**
 * pf_pipes_free() - close the pooled pipes
 * @t:		table
 */
void pf_pipes_free(struct pf_table *t)
{
	while (t->pipes_len) {
		struct pf_pipe *p = &t->pipes[--t->pipes_len];

		close(p->fd[0]);
		close(p->fd[1]);
		t->big_pipes -= p->big;
	}
}

/* Give @h's pipe back to the pool (or close it: the pool is full, or bytes
 * are still in it after a reset) */
static void pf_half_close(struct pf_table *t, struct pf_half *h)
{
	if (h->pipe[0] < 0)
		return;
	if (!h->queued && t->pipes_len < PF_PIPE_POOL) {
		struct pf_pipe *p = &t->pipes[t->pipes_len++];

		p->fd[0] = h->pipe[0];
		p->fd[1] = h->pipe[1];
		p->big = h->big;
	} else {
		close(h->pipe[0]);
		close(h->pipe[1]);
		t->big_pipes -= h->big;
		h->queued = 0;
	}
	h->pipe[0] = h->pipe[1] = -1;
	h->big = false;
}

/* A pipe for @h: its own, one from the pool, or a new one */
static int pf_half_open(struct pf_table *t, struct pf_half *h)
{
	if (h->pipe[0] >= 0)
		return 0;
	if (t->pipes_len) {
		struct pf_pipe *p = &t->pipes[--t->pipes_len];

		h->pipe[0] = p->fd[0];
		h->pipe[1] = p->fd[1];
		h->big = p->big;
		return 0;
	}
	if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		h->pipe[0] = h->pipe[1] = -1;
		return -errno;
	}
	/* Best effort: the per-user pipe budget may refuse a larger pipe */
	h->big = t->big_pipes < t->big_max &&
		 fcntl(h->pipe[1], F_SETPIPE_SZ, PF_PIPE_SIZE) >= PF_PIPE_SIZE;
	t->big_pipes += h->big;
	return 0;
}

static void pf_reset(int fd)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
}

/* Close and free @c; @reset: abort both sides instead of closing cleanly */
static void pf_tcp_free(struct pf_tcp_conn *c, bool reset)
{
	struct pf_table *t = c->rs->t;
	char peer[PF_PEER_STRLEN];

	log_ratelimited(LOG_LVL_DEBUG,
			"rule %u: close: tcp from %s (%s) "
			"after %.3f s: %" PRIu64 " bytes to the guest, %" PRIu64
			" bytes from the guest",
			c->rs->pub.id,
			pf_peer_str(&c->peer, peer, sizeof(peer)),
			reset ? "reset" : "closed",
			(double)(util_now_ms() - c->start_ms) / 1000,
			c->to_guest.moved, c->to_host.moved);
	pf_ep_del(t, &c->host);
	pf_ep_del(t, &c->ns);
	if (reset) {
		pf_reset(c->host.fd);
		pf_reset(c->ns.fd);
	}
	close(c->host.fd);
	if (c->ns.fd >= 0)
		close(c->ns.fd);
	c->host.fd = c->ns.fd = -1;
	pf_half_close(t, &c->to_guest);
	pf_half_close(t, &c->to_host);
	pf_conn_remove(c->rs, &c->cl);
	pf_free_later(t, c);
}

static void pf_tcp_close_cb(struct pf_conn_link *cl)
{
	pf_tcp_free((struct pf_tcp_conn *)cl, true);
}

/**
 * pf_half_move() - move what can be moved from @src to @dst
 * @h:		direction
 * @src:	socket to read
 * @dst:	socket to write
 * @moved:	bytes delivered to @dst are added here
 *
 * Return: 0, or -errno on an error of either socket
 */
static int pf_half_move(struct pf_half *h, int src, int dst, uint64_t *moved)
{
	ssize_t n;

	h->blocked = false;
	for (;;) {
		while (h->queued) {
			n = splice(h->pipe[0], NULL, dst, NULL, h->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->queued -= (size_t)n;
				*moved += (uint64_t)n;
				h->moved += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				h->blocked = true;
				return 0;
			}
			return n < 0 ? -errno : -EPIPE;
		}
		if (h->src_eof) {
			if (!h->shut && shutdown(dst, SHUT_WR) < 0 &&
			    errno != ENOTCONN)
				return -errno;
			h->shut = true;
			return 0;
		}
		n = splice(src, NULL, h->pipe[1], NULL, PF_PIPE_SIZE,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			h->queued += (size_t)n;
		} else if (n == 0) {
			h->src_eof = true;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			return 0;
		} else {
			return -errno;
		}
	}
}

/* pf_half_move() with a pipe held only while bytes wait in it */
static int pf_half_run(struct pf_rule_state *rs, struct pf_half *h, int src,
		       int dst, uint64_t *moved)
{
	int r;

	if (h->shut)
		return 0;
	r = pf_half_open(rs->t, h);
	if (r < 0) {
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: cannot create a "
				"pipe: %s",
				rs->pub.id, strerror(-r));
		return r;
	}
	r = pf_half_move(h, src, dst, moved);
	if (!h->queued)
		pf_half_close(rs->t, h);
	return r;
}

/* Epoll interest from the state of both directions */
static int pf_tcp_update(struct pf_tcp_conn *c)
{
	struct pf_table *t = c->rs->t;
	uint32_t host = 0, ns = 0;
	int r;

	if (c->connecting) {
		ns = EPOLLOUT;
	} else {
		if (!c->to_guest.src_eof && !c->to_guest.blocked)
			host |= EPOLLIN;
		if (c->to_host.blocked)
			host |= EPOLLOUT;
		if (!c->to_host.src_eof && !c->to_host.blocked)
			ns |= EPOLLIN;
		if (c->to_guest.blocked)
			ns |= EPOLLOUT;
	}
	r = pf_ep_set(t, &c->host, host);
	if (!r)
		r = pf_ep_set(t, &c->ns, ns);
	return r;
}

/* Move both ways; close when both are done, reset on errors */
static void pf_tcp_run(struct pf_tcp_conn *c)
{
	struct pf_rule_stats *st = &c->rs->pub.stats;
	int r;

	r = pf_half_run(c->rs, &c->to_guest, c->host.fd, c->ns.fd,
			&st->bytes_to_guest);
	if (!r)
		r = pf_half_run(c->rs, &c->to_host, c->ns.fd, c->host.fd,
				&st->bytes_from_guest);
	if (r < 0) {
		log_debug("rule %u: connection reset (%s)", c->rs->pub.id,
			  strerror(-r));
		pf_tcp_free(c, true);
		return;
	}
	if (c->to_guest.shut && c->to_host.shut) {
		log_debug("rule %u: connection closed", c->rs->pub.id);
		pf_tcp_free(c, false);
		return;
	}
	if (pf_tcp_update(c) < 0)
		pf_tcp_free(c, true);
}

static void pf_tcp_connected(struct pf_tcp_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->ns.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		log_debug("rule %u: guest refused the connection: %s",
			  c->rs->pub.id, strerror(err));
		c->rs->pub.stats.refused++;
		pf_tcp_free(c, true);
		return;
	}
	c->connecting = false;
	pf_tcp_run(c);
}

static void pf_tcp_host_cb(struct pf_ep *ep, uint32_t events)
{
	struct pf_tcp_conn *c = container_of(ep, struct pf_tcp_conn, host);

	pf_tcp_run(c);
}

static void pf_tcp_ns_cb(struct pf_ep *ep, uint32_t events)
{
	struct pf_tcp_conn *c = container_of(ep, struct pf_tcp_conn, ns);

	if (c->connecting)
		pf_tcp_connected(c);
	else
		pf_tcp_run(c);
}

/* Start forwarding accepted connection @fd from @peer */
static void pf_tcp_start(struct pf_listener *l, int fd,
			 const struct sockaddr_storage *peer,
			 socklen_t peer_len)
{
	struct pf_rule_state *rs = l->rs;
	struct pf_tcp_conn *c;
	bool local = pf_client_is_local(fd, peer);
	char peer_str[PF_PEER_STRLEN];
	int on = 1, ns;

	ns = pf_ns_socket(l, SOCK_STREAM, peer, peer_len, local, NULL);
	if (ns < 0) {
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: no socket in the "
				"namespace: %s",
				rs->pub.id, strerror(-ns));
		pf_reset(fd);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(ns, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

	c = g_new0(struct pf_tcp_conn, 1);
	c->rs = rs;
	c->cl.link.data = c;
	c->cl.close = pf_tcp_close_cb;
	c->host.fd = fd;
	c->host.cb = pf_tcp_host_cb;
	c->ns.fd = ns;
	c->ns.cb = pf_tcp_ns_cb;
	c->to_guest.pipe[0] = c->to_guest.pipe[1] = -1;
	c->to_host.pipe[0] = c->to_host.pipe[1] = -1;
	memcpy(&c->peer, peer, MIN((size_t)peer_len, sizeof(c->peer)));
	c->start_ms = util_now_ms();
	pf_conn_add(rs, &c->cl);
	log_ratelimited(LOG_LVL_DEBUG, "rule %u: open: tcp from %s (%s client)",
			rs->pub.id,
			pf_peer_str(peer, peer_str, sizeof(peer_str)),
			local ? "local" : "outside");
	c->connecting = true;
	if (connect(ns, (struct sockaddr *)&l->guest, l->guest_len) == 0) {
		c->connecting = false;
		pf_tcp_run(c);
		return;
	}
	if (errno != EINPROGRESS) {
		c->rs->pub.stats.refused++;
		pf_tcp_free(c, true);
		return;
	}
	if (pf_tcp_update(c) < 0)
		pf_tcp_free(c, true);
}

/*
 * pf_accept_pause() - stop watching a TCP listener whose accept() failed
 * for want of fds or memory: the connection stays queued, and a readable
 * listener would wake the loop at once, forever. pf_accept_resume() watches
 * it again, after connections closed or at the next tick (1 s)
 * @l:		listener
 * @err:	accept()'s errno
 */
static void pf_accept_pause(struct pf_listener *l, int err)
{
	struct pf_table *t = l->rs->t;

	log_ratelimited(LOG_LVL_WARN,
			"rule %u: accept: %s: not accepting "
			"new connections for a while",
			l->rs->pub.id, strerror(err));
	if (pf_ep_set(t, &l->ep, 0) < 0)
		return;
	l->paused = true;
	t->accept_paused = true;
}

/**
 * pf_accept_resume() - watch the paused listeners again (connections were
 * closed, or a tick passed)
 * @t:		table
 */
void pf_accept_resume(struct pf_table *t)
{
	guint i, j;

	if (!t->accept_paused)
		return;
	t->accept_paused = false;
	for (i = 0; i < t->rules->len; i++) {
		struct pf_rule_state *rs = g_ptr_array_index(t->rules, i);

		for (j = 0; rs->listeners && j < rs->listeners->len; j++) {
			struct pf_listener *l = g_ptr_array_index(rs->listeners,
								  j);

			if (l->paused && pf_ep_set(t, &l->ep, EPOLLIN) == 0)
				l->paused = false;
			t->accept_paused |= l->paused;
		}
	}
}

/**
 * pf_tcp_accept() - epoll callback of a TCP listener: take new connections
 * @ep:		the listener's registration
 * @events:	epoll events
 */
void pf_tcp_accept(struct pf_ep *ep, uint32_t events)
{
	struct pf_listener *l = container_of(ep, struct pf_listener, ep);
	int i;

	for (i = 0; i < PF_TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd;

		fd = accept4(ep->fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				pf_accept_pause(l, errno);
			else if (errno != EAGAIN)
				log_ratelimited(LOG_LVL_WARN,
						"rule %u: accept: "
						"%s",
						l->rs->pub.id, strerror(errno));
			return;
		}
		if (!pf_conn_admit(l->rs)) {
			pf_reset(fd);
			close(fd);
			continue;
		}
		pf_tcp_start(l, fd, &peer, len);
	}
}
