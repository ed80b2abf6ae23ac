/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwdcore.c - what the TCP and UDP forwarders (tcpfwd.c, udpfwd.c)
 * call down into: the table's epoll registrations, the count and bounds of
 * connections, the sockets inside the namespace (made ahead, or on demand
 * bound to the gateway or to an outside client's own address), whether a
 * client is local, and the deferred free of closed connections. The table
 * itself (fwd.c) sits above the forwarders and uses this file too; nothing
 * here calls up into them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "portfwd/fwd_internal.h"

/**
 * pf_ep_set() - make the epoll registration of @ep ask for @events
 * @t:		table
 * @ep:		registration
 * @events:	EPOLLIN/EPOLLOUT; 0 removes the fd from the set, so that a
 *		hung-up socket we want nothing from does not wake us
 *
 * Return: 0 or -errno
 */
int pf_ep_set(struct pf_table *t, struct pf_ep *ep, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ep };
	int op;

	if (events == ep->events)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else if (!ep->events)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(t->epfd, op, ep->fd, &ev) < 0)
		return -errno;
	ep->events = events;
	return 0;
}

/**
 * pf_ep_del() - remove @ep from the epoll set (before closing its fd)
 * @t:		table
 * @ep:		registration
 */
void pf_ep_del(struct pf_table *t, struct pf_ep *ep)
{
	pf_ep_set(t, ep, 0);
}

/**
 * pf_conn_admit() - whether rule @rs may take one more connection
 * @rs:		rule
 *
 * Return: true if under the bound; otherwise counts a refusal and logs
 */
bool pf_conn_admit(struct pf_rule_state *rs)
{
	struct pf_table *t = rs->t;

	if (t->conns >= t->max_total) {
		rs->pub.stats.refused++;
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: %u connections open in all rules, "
				"the most the limit of open files allows: "
				"refusing new ones (raise the limit, ulimit "
				"-n)",
				rs->pub.id, t->max_total);
		return false;
	}
	if (rs->conns.length < t->max_conns)
		return true;
	rs->pub.stats.refused++;
	log_ratelimited(LOG_LVL_WARN,
			"rule %u: %u connections open, the most a rule may "
			"have: refusing new ones",
			rs->pub.id, t->max_conns);
	return false;
}

/**
 * pf_conn_add() - count a new connection of rule @rs
 * @rs:		rule
 * @cl:		the connection's link, its close callback set
 */
void pf_conn_add(struct pf_rule_state *rs, struct pf_conn_link *cl)
{
	rs->t->conns++;
	g_queue_push_tail_link(&rs->conns, &cl->link);
	rs->pub.stats.active++;
	rs->pub.stats.total++;
}

/**
 * pf_conn_remove() - forget a closed connection of rule @rs
 * @rs:		rule
 * @cl:		the connection's link
 */
void pf_conn_remove(struct pf_rule_state *rs, struct pf_conn_link *cl)
{
	rs->t->conns--;
	g_queue_unlink(&rs->conns, &cl->link);
	rs->pub.stats.active--;
}

static void pf_unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
	if (len)
		*len = sizeof(sin);
}

/* These read addresses that getsockname(), accept() or recvmsg() wrote, which
 * clang 14's analyser does not follow (it reports them as garbage) */
/* NOLINTBEGIN(clang-analyzer-core.UndefinedBinaryOperatorResult) */
static bool pf_same_ip(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		/* the address comes from getsockname(), accept() or a request read with
		 * recvmsg(), whose writes clang 14's analyser does not follow */
		/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)a)->sin6_addr,
				  &((const struct sockaddr_in6 *)b)->sin6_addr);
}
/* NOLINTEND(clang-analyzer-core.UndefinedBinaryOperatorResult) */

/* Whether @ip (port ignored) is an address of this host: only then can a
 * socket be bound to it */
static bool pf_is_own_address(const struct sockaddr_storage *ip)
{
	struct sockaddr_storage a = *ip;
	socklen_t len = a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						  sizeof(struct sockaddr_in);
	int fd, r;

	if (a.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
	else
		((struct sockaddr_in *)&a)->sin_port = 0;
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = bind(fd, (struct sockaddr *)&a, len);
	close(fd);
	return r == 0;
}

/* NOLINTBEGIN(clang-analyzer-core.UndefinedBinaryOperatorResult): as above */
static bool pf_sockaddr_is_any(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		/* the address comes from getsockname(), accept() or a request read with
		 * recvmsg(), whose writes clang 14's analyser does not follow */
		/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)a)->sin6_addr);
}
/* NOLINTEND(clang-analyzer-core.UndefinedBinaryOperatorResult) */

/**
 * pf_client_is_local() - whether a client runs on this host
 * @fd:		the host socket the client reached (accepted, or bound UDP)
 * @peer:	the client's address (IPv4-mapped IPv6 allowed)
 *
 * Local means a loopback address, or an address of this host (a host talking
 * to itself through its own external address). An accepted socket knows the
 * address the client reached; a UDP socket on a wildcard address does not,
 * so then the peer's address is checked against the host's own.
 *
 * Return: true for a local client
 */
bool pf_client_is_local(int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage p = *peer, self = { 0 };
	socklen_t len = sizeof(self);
	struct addr_ip ip = { .family = 0 };

	pf_unmap_v4(&p, NULL);
	if (p.ss_family == AF_INET) {
		ip.family = AF_INET;
		ip.v4 = ((struct sockaddr_in *)&p)->sin_addr;
	} else {
		ip.family = AF_INET6;
		ip.v6 = ((struct sockaddr_in6 *)&p)->sin6_addr;
	}
	if (addr_ip_is_loopback(&ip))
		return true;
	if (getsockname(fd, (struct sockaddr *)&self, &len) < 0)
		return false;
	pf_unmap_v4(&self, NULL);
	if (pf_same_ip(&self, &p))
		return true;
	return pf_sockaddr_is_any(&self) && pf_is_own_address(&p);
}

/**
 * pf_sockreq() - the agent's request for a socket of family index @k whose
 * replies come back (pf_table.ret), bound to @bind
 * @t:		table
 * @k:		0: IPv4, 1: IPv6
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @bind:	address to bind, or NULL for the gateway's (local clients)
 * @bind_len:	its length
 * @sr:		out: the request
 */
void pf_sockreq(struct pf_table *t, unsigned k, int type,
		const struct sockaddr_storage *bind, socklen_t bind_len,
		struct nsagent_sockreq *sr)
{
	memset(sr, 0, sizeof(*sr));
	sr->domain = k ? AF_INET6 : AF_INET;
	sr->type = type | SOCK_NONBLOCK | SOCK_CLOEXEC;
	if (!t->ret[k])
		return;
	sr->flags = NSAGENT_SOCK_TRANSPARENT | NSAGENT_SOCK_MARK |
		    NSAGENT_SOCK_BIND;
	sr->bind = bind ? *bind : t->gw[k];
	sr->bind_len = bind ? bind_len : t->gw_len[k];
}

/*
 * pf_peer_is_inner() - whether an outside client's address @p (unmapped) is
 * one the namespace owns or trusts: the guest's, the gateway's, the DNS
 * address, anything in the guest's IPv4 network or IPv6 /64, or a loopback,
 * unspecified, multicast or broadcast address. Such a client (a LAN that
 * overlaps --cidr, a spoofed source) cannot keep its address inside.
 */
static bool pf_peer_is_inner(const struct pf_table *t,
			     const struct sockaddr_storage *p)
{
	if (p->ss_family == AF_INET) {
		struct in_addr a = ((const struct sockaddr_in *)p)->sin_addr;
		struct in_addr mask = addr_cidr4_mask(&t->net4);
		uint32_t h = ntohl(a.s_addr);

		return (a.s_addr & mask.s_addr) == t->net4.net.s_addr ||
		       a.s_addr == t->guest4.s_addr || h >> 24 == 0 ||
		       h >> 24 == 127 || h >> 28 == 0xe || h == UINT32_MAX;
	} else {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)p)->sin6_addr;
		const struct in6_addr *gw =
			&((const struct sockaddr_in6 *)&t->gw[1])->sin6_addr;

		return !memcmp(a, gw, 8) || IN6_IS_ADDR_UNSPECIFIED(a) ||
		       IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_MULTICAST(a) ||
		       IN6_IS_ADDR_V4MAPPED(a);
	}
}

/**
 * pf_ns_socket() - a socket inside the target namespace for one client,
 * bound to the gateway's address or to an outside client's own, see "DOC"
 * @l:		listener the client came to
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @client:	client address
 * @client_len:	its length
 * @local:	the client is local (pf_client_is_local())
 * @flow:	SOCK_DGRAM: out, the flow whose return rule was added
 *		(nsagent_flow_of()), or family 0 if none was; NULL for TCP
 *
 * Return: non-blocking fd, or -errno. A TCP socket is not yet connected,
 * a UDP socket is connected to the guest.
 */
int pf_ns_socket(struct pf_listener *l, int type,
		 const struct sockaddr_storage *client, socklen_t client_len,
		 bool local, struct nl_flow *flow)
{
	struct pf_table *t = l->rs->t;
	unsigned k = l->guest.ss_family == AF_INET6;
	struct sockaddr_storage src = *client;
	socklen_t src_len = client_len;
	struct nsagent_sockreq sr;
	bool outside;
	int fd, r;

	pf_unmap_v4(&src, &src_len);
	outside = !local && t->mode == PF_MODE_AUTO &&
		  src.ss_family == l->guest.ss_family;
	if (outside && pf_peer_is_inner(t, &src)) {
		char peer[PF_PEER_STRLEN];

		log_ratelimited(LOG_LVL_WARN,
				"rule %u: refused a client from "
				"%s, an address of the guest's network",
				l->rs->pub.id,
				pf_peer_str(&src, peer, sizeof(peer)));
		return -EACCES;
	}
	if (type == SOCK_STREAM && !outside) {
		t->pool_on[k] = true;
		t->pool_taken[k] = true;
		if (t->pool_len[k])
			return t->pool[k][--t->pool_len[k]];
		/* A burst emptied it (or it is not filled yet): keep more */
		if (t->ready)
			t->pool_want[k] = MIN(t->pool_want[k] * 2,
					      PF_POOL_SIZE);
	}
	pf_sockreq(t, k, type, outside ? &src : NULL, src_len, &sr);
	if (type == SOCK_DGRAM && sr.flags) {
		sr.flags |= NSAGENT_SOCK_FLOW;
		sr.peer = l->guest;
		sr.peer_len = l->guest_len;
	}
	fd = nsagent_socket_req(t->agent, &sr, flow);
	if (fd < 0 || type != SOCK_DGRAM || sr.flags)
		return fd;
	if (connect(fd, (struct sockaddr *)&l->guest, l->guest_len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/**
 * pf_free_later() - free @p once the current epoll batch is handled
 * @t:		table
 * @p:		a closed connection (g_free'd), whose fds are already closed
 *		and out of the epoll set
 */
void pf_free_later(struct pf_table *t, void *p)
{
	g_ptr_array_add(t->dead, p);
}

/**
 * pf_pool_fill() - top up the sockets made ahead in the namespace
 * @t:		table
 *
 * A TCP connection from a local client takes a plain socket made ahead by the
 * agent instead of waiting for the agent's round trip: the pool is refilled
 * after the epoll batch, in one exchange (nsagent_sockets()), while the
 * connections it served are being set up. They are bound to the gateway's
 * address already (pf_sockreq()), their port chosen at connect().
 * Sockets bound to an outside client's address are made on demand.
 * Nothing is made before the helper is ready (pf_table_ready()): the pool
 * is not needed to start, and an idle helper keeps only PF_POOL_START per
 * family (pf_pool_tick()); a connection that finds the pool empty asks the
 * agent itself, and doubles the pool's size, up to PF_POOL_SIZE.
 */
void pf_pool_fill(struct pf_table *t)
{
	struct nsagent_sockreq sr;
	unsigned k;

	if (!t->agent || !t->ready)
		return;
	for (k = 0; k < 2; k++) {
		int r;

		if (!t->pool_on[k] || t->pool_len[k] >= t->pool_want[k])
			continue;
		pf_sockreq(t, k, SOCK_STREAM, NULL, 0, &sr);
		r = nsagent_sockets(t->agent, &sr, t->pool[k] + t->pool_len[k],
				    t->pool_want[k] - t->pool_len[k]);
		if (r < 0)
			t->pool_on[k] = false;
		else
			t->pool_len[k] += (unsigned)r;
	}
}

/**
 * pf_pool_tick() - once a second: a family whose pool no connection drew
 * from since the last tick goes back to PF_POOL_START sockets (the burst
 * is over), closing the others
 * @t:		table
 */
void pf_pool_tick(struct pf_table *t)
{
	unsigned k;

	for (k = 0; k < 2; k++) {
		if (!t->pool_taken[k] && t->pool_want[k] > PF_POOL_START) {
			t->pool_want[k] = PF_POOL_START;
			while (t->pool_len[k] > PF_POOL_START)
				close(t->pool[k][--t->pool_len[k]]);
		}
		t->pool_taken[k] = false;
	}
}

/**
 * pf_pool_empty() - close the sockets made ahead (the table is freed)
 * @t:		table
 */
void pf_pool_empty(struct pf_table *t)
{
	unsigned k;

	for (k = 0; k < 2; k++)
		while (t->pool_len[k])
			close(t->pool[k][--t->pool_len[k]]);
}

/**
 * pf_peer_str() - "ADDR:PORT" ("[ADDR]:PORT" for IPv6) of a client, for the
 * per-connection debug lines
 * @peer:	address (IPv4-mapped IPv6 shown as IPv4)
 * @buf:	where to write, at least PF_PEER_STRLEN bytes
 * @len:	its size
 *
 * Return: @buf
 */
const char *pf_peer_str(const struct sockaddr_storage *peer, char *buf,
			size_t len)
{
	struct sockaddr_storage p = *peer;
	char a[INET6_ADDRSTRLEN] = "?";

	pf_unmap_v4(&p, NULL);
	if (p.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&p;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const void *)&p;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
	return buf;
}
