/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwd.c - the forwarding table: published ports, their IDs, their
 * host sockets, and the choice of data path
 *
 * DOC: Theory of operation
 *
 * A rule owns one host socket per port of its range (struct pf_listener),
 * registered in one epoll set that the event loop watches as a single fd.
 * For each accepted TCP connection (tcpfwd.c) or new UDP flow (udpfwd.c) the
 * namespace agent makes a socket *inside* the target namespace, which then
 * connects to the guest address and port; bytes move between the two
 * sockets with splice(2) (TCP) or recvmmsg/sendmmsg (UDP), never through
 * libslirp. A connection through a published port never comes from an
 * address the namespace owns (which services trust as local). Per
 * connection, the inner socket is made with IP_TRANSPARENT and bound to
 *  - the gateway's address (network + 2, the IPv6 gateway for an IPv6 guest
 *    address) for local clients (the peer address is loopback, or is the
 *    host's own address of the connection), and for every client in
 *    --port-mode direct;
 *  - the client's own address and port for outside clients in --port-mode
 *    auto, so the guest sees the real client. A client whose address the
 *    namespace owns or trusts (in the guest's network or /64, loopback,
 *    multicast: pf_peer_is_inner()) is reset instead, with a rate-limited
 *    warning: a LAN overlapping --cidr, or a spoofed source.
 * The guest's replies to those addresses would leave by the tap. Our sockets
 * carry a mark (SO_MARK), which the guest's accepted TCP sockets take over
 * (net.ipv4.tcp_fwmark_accept), and one policy rule in the namespace
 * ("fwmark M lookup T", T holding "local default dev lo") delivers them back;
 * a UDP flow, whose guest server replies from an unmarked socket, has a rule
 * of its own naming the flow (nl_return_setup(), nl_return_flow()). The
 * guest's own connections carry no mark and are never diverted. At start the
 * agent removes whatever a killed helper left of these rules; a clean exit
 * removes them and restores the sysctls (nsagent_return_teardown()). If the
 * namespace refuses the return or transparent sockets, every rule is
 * refused with an error naming --port-mode slirp (fail closed: unbound
 * inner sockets would make every client appear as the guest itself).
 * --port-mode slirp uses libslirp's own host forwarding instead (what
 * slirp4netns does): slower, but nothing is added to the namespace.
 *
 * This file is the table: rules, their host sockets, the choice of data
 * path. It calls down into the forwarders (tcpfwd.c, udpfwd.c), which call
 * down into fwdcore.c (registrations, accounting, namespace sockets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "portfwd/fwd_internal.h"
#include "portfwd/privport.h"
#include "slirp/loop.h"

#define PF_EPOLL_BATCH 64

/**
 * pf_mode_parse() - parse --port-mode
 * @s:		"auto", "direct" or "slirp"
 * @out:	mode
 *
 * Return: 0 or -EINVAL
 */
int pf_mode_parse(const char *s, enum pf_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = PF_MODE_AUTO;
	else if (!strcmp(s, "direct"))
		*out = PF_MODE_DIRECT;
	else if (!strcmp(s, "slirp"))
		*out = PF_MODE_SLIRP;
	else
		return -EINVAL;
	return 0;
}

/* The global bound of connections: what the fd limit leaves after the
 * reserve, PF_FDS_PER_CONN fds each */
static unsigned pf_conns_for_fds(void)
{
	struct rlimit rl;
	rlim_t reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT_MAX;
	reserve = PF_FD_RESERVE + rl.rlim_cur / 8;
	if (rl.rlim_cur < reserve + PF_FDS_PER_CONN)
		return 1;
	return (unsigned)MIN((rl.rlim_cur - reserve) / PF_FDS_PER_CONN,
			     (rlim_t)UINT_MAX);
}

static void pf_epoll_ready(struct sl_loop *loop, int fd, short revents,
			   void *opaque)
{
	struct epoll_event ev[PF_EPOLL_BATCH];
	struct pf_table *t = opaque;
	int n, i;

	n = epoll_wait(fd, ev, PF_EPOLL_BATCH, 0);
	for (i = 0; i < n; i++) {
		struct pf_ep *ep = ev[i].data.ptr;

		/* Closed by an earlier event of this batch */
		if (ep->fd < 0)
			continue;
		ep->cb(ep, ev[i].events);
	}
	/* Connections closed: their fds are free for paused listeners */
	if (t->dead->len)
		pf_accept_resume(t);
	g_ptr_array_set_size(t->dead, 0);
	pf_pool_fill(t);
}

static void pf_udp_tick(struct sl_loop *loop, void *opaque)
{
	struct pf_table *t = opaque;
	int64_t now = util_now_ms();
	guint i;

	pf_accept_resume(t);
	pf_pool_tick(t);
	for (i = 0; i < t->rules->len; i++) {
		struct pf_rule_state *rs = g_ptr_array_index(t->rules, i);

		rs->udp_new = 0;
		if (rs->pub.spec.proto == PF_PROTO_UDP && rs->listeners)
			pf_udp_expire(rs, now);
	}
}

static socklen_t pf_sockaddr(const struct addr_ip *a, uint16_t port,
			     struct sockaddr_storage *ss);

/* The gateway's addresses, port 0: what local clients are bound to */
static void pf_gw_setup(struct pf_table *t, const struct sl_config *cfg)
{
	struct addr_ip gw4 = { .family = AF_INET },
		       gw6 = { .family = AF_INET6 };

	gw4.v4 = addr_plan_gateway4(&cfg->cidr);
	gw6.v6 = addr_plan_gateway6();
	t->gw_len[0] = pf_sockaddr(&gw4, 0, &t->gw[0]);
	t->gw_len[1] = pf_sockaddr(&gw6, 0, &t->gw[1]);
}

/*
 * pf_return_setup() - the namespace's return of the replies to our sockets
 * (nsagent_return()), checked with one transparent socket per family; done
 * at the first rule published (the guest's address, the replies' preferred
 * source, must exist by then: a runtime may configure the tap after start),
 * and tried again at the next rule if the namespace refused. Fail closed:
 * without it the rule is refused (pf_table_add()), as unbound inner sockets
 * would make every client appear as the guest itself.
 * @t:		table, with its agent
 *
 * Return: 0, or -errno with t->ret_what naming what was refused
 */
static int pf_return_setup(struct pf_table *t)
{
	struct nsagent_sockreq sr;
	unsigned k;
	int r;

	if (t->ret[0])
		return 0;
	r = nsagent_return(t->agent, t->ipv6, t->guest4);
	if (r < 0) {
		t->ret_what = "the return of replies (sysctls, policy rule or "
			      "route; is the guest's address configured?)";
		return r;
	}
	t->ret[0] = true;
	t->ret[1] = t->ipv6;
	for (k = 0; k < 2 && t->ret[k]; k++) {
		pf_sockreq(t, k, SOCK_STREAM, NULL, 0, &sr);
		r = nsagent_socket_req(t->agent, &sr, NULL);
		if (r < 0) {
			t->ret[0] = t->ret[1] = false;
			t->ret_what = "transparent sockets (IP_TRANSPARENT)";
			return r;
		}
		close(r);
	}
	return 0;
}

/**
 * pf_table_new() - an empty table
 * @slirp:	libslirp instance, for --port-mode slirp
 * @cfg:	network configuration (default guest addresses)
 * @mode:	forwarding mode
 * @agent:	namespace agent kept for making sockets in the target; may be
 *		NULL only with PF_MODE_SLIRP
 * @loop:	event loop to register the forwarders in
 *
 * Return: the table, or NULL if the epoll set cannot be created
 */
struct pf_table *pf_table_new(Slirp *slirp, const struct sl_config *cfg,
			      enum pf_mode mode, struct nsagent *agent,
			      struct sl_loop *loop)
{
	struct pf_table *t = g_new0(struct pf_table, 1);

	t->slirp = slirp;
	t->agent = agent;
	t->mode = agent ? mode : PF_MODE_SLIRP;
	t->guest4 = addr_plan_guest4(&cfg->cidr);
	t->net4 = cfg->cidr;
	t->ipv6 = cfg->ipv6;
	t->rules = g_ptr_array_new();
	t->view = g_ptr_array_new();
	t->dead = g_ptr_array_new_with_free_func(g_free);
	t->next_id = 1;
	t->max_conns = PF_MAX_CONNS_DEFAULT;
	t->pool_want[0] = t->pool_want[1] = PF_POOL_START;
	t->max_total = pf_conns_for_fds();
	pf_pipes_init(t);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0) {
		g_ptr_array_unref(t->rules);
		g_ptr_array_unref(t->view);
		g_ptr_array_unref(t->dead);
		g_free(t);
		return NULL;
	}
	pf_gw_setup(t, cfg);
	sl_loop_watch_fd(loop, t->epfd, POLLIN, pf_epoll_ready, t);
	sl_loop_every(loop, 1000, pf_udp_tick, t);
	return t;
}

/**
 * pf_table_ready() - the helper is ready: fill the sockets made ahead now
 * (pf_pool_fill()), and after every epoll batch from now on
 * @t:		table
 *
 * Before, a connection (none can be accepted before the event loop runs)
 * would ask the agent for its socket itself.
 */
void pf_table_ready(struct pf_table *t)
{
	t->ready = true;
	pf_pool_fill(t);
}

/**
 * pf_table_set_max_conns() - bound of open connections (UDP: flows) per rule
 * @t:		table
 * @max:	bound, at least 1
 */
void pf_table_set_max_conns(struct pf_table *t, unsigned max)
{
	t->max_conns = MAX(max, 1U);
}

static socklen_t pf_sockaddr(const struct addr_ip *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
}

/*
 * pf_slirp_udp_exclusive() - clear SO_REUSEADDR on the UDP host socket that
 * libslirp just bound for a rule (udp_listen() sets it after bind()), which
 * would let another user bind the same address and port and take the
 * datagrams
 * @fd:		the lowest free fd before slirp_add_hostxfwd(): socket(2)
 *		takes the lowest, so libslirp's new socket has this number
 * @host:	the address it must be bound to, checked
 * @hlen:	its length
 *
 * Return: 0, or -ENOENT if @fd is not that socket
 */
static int pf_slirp_udp_exclusive(int fd, const struct sockaddr_storage *host,
				  socklen_t hlen)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);
	int type = 0, off = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_DGRAM ||
	    getsockname(fd, (struct sockaddr *)&self, &len) < 0 ||
	    len != hlen || memcmp(&self, host, hlen))
		return -ENOENT;
	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off)) < 0 ?
		       -errno :
		       0;
}

/* --port-mode slirp: add or remove port @i of the rule in libslirp */
static int pf_slirp_port(struct pf_table *t, const struct pf_spec *s,
			 uint16_t i, bool add)
{
	struct sockaddr_storage host, guest;
	socklen_t hlen, glen;
	int flags = s->proto == PF_PROTO_UDP ? SLIRP_HOSTFWD_UDP : 0;

	if (s->host_addr.family == AF_INET6)
		flags |= SLIRP_HOSTFWD_V6ONLY;
	hlen = pf_sockaddr(&s->host_addr, (uint16_t)(s->host_port + i), &host);
	glen = pf_sockaddr(&s->guest_addr, (uint16_t)(s->guest_port + i),
			   &guest);
	if (add) {
		/* The number libslirp's new socket will have */
		int next = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (next >= 0)
			close(next);
		errno = 0;
		if (slirp_add_hostxfwd(t->slirp, (struct sockaddr *)&host, hlen,
				       (struct sockaddr *)&guest, glen,
				       flags) < 0)
			return errno ? -errno : -EINVAL;
		if ((flags & SLIRP_HOSTFWD_UDP) &&
		    (next < 0 || pf_slirp_udp_exclusive(next, &host, hlen)))
			log_warn("host port %u/udp: cannot clear SO_REUSEADDR "
				 "on libslirp's socket: another user may bind "
				 "it",
				 s->host_port + i);
		return 0;
	}
	return slirp_remove_hostxfwd(t->slirp, (struct sockaddr *)&host, hlen,
				     flags) < 0 ?
		       -ENOENT :
		       0;
}

/* Our forwarders: the host socket of port @i of the rule on address @addr
 * (the rule's, or one of the two wildcards of a rule on both families) */
static int pf_listener_add(struct pf_rule_state *rs, const struct addr_ip *addr,
			   uint16_t i)
{
	struct pf_spec *s = &rs->pub.spec;
	int type = s->proto == PF_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	struct sockaddr_storage host;
	socklen_t hlen;
	struct pf_listener *l;
	int fd, on = 1, r;

	hlen = pf_sockaddr(addr, (uint16_t)(s->host_port + i), &host);
	fd = socket(host.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* TCP: rebinding while old connections linger in TIME_WAIT; no one
	 * may bind a listening port, SO_REUSEADDR or not. Not UDP: there it
	 * would let another user bind the same port and take the datagrams */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* IPv6 only, [::] too: a rule on both families has an IPv4 socket
	 * of its own, and an explicit [::] means IPv6 */
	if (host.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&host, hlen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)) {
		r = -errno;
		close(fd);
		return r;
	}
	if (s->host_port == 0) {
		/* Ephemeral: the kernel chose; the rule shows its choice */
		hlen = sizeof(host);
		getsockname(fd, (struct sockaddr *)&host, &hlen);
		s->host_port = ntohs(
			host.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&host)->sin6_port :
				((struct sockaddr_in *)&host)->sin_port);
	}

	l = g_new0(struct pf_listener, 1);
	l->rs = rs;
	l->ep.fd = fd;
	l->ep.cb = type == SOCK_STREAM ? pf_tcp_accept : pf_udp_input;
	l->guest_len = pf_sockaddr(&s->guest_addr,
				   (uint16_t)(s->guest_port + i), &l->guest);
	if (type == SOCK_DGRAM)
		l->flows = g_hash_table_new(g_bytes_hash, g_bytes_equal);
	r = pf_ep_set(rs->t, &l->ep, EPOLLIN);
	if (r < 0) {
		close(fd);
		if (l->flows)
			g_hash_table_unref(l->flows);
		g_free(l);
		return r;
	}
	g_ptr_array_add(rs->listeners, l);
	return 0;
}

static void pf_listener_free(struct pf_table *t, struct pf_listener *l)
{
	pf_ep_del(t, &l->ep);
	if (l->flows)
		pf_udp_listener_free(l);
	close(l->ep.fd);
	g_free(l);
}

/* Close everything that carries rule @rs (connections included) */
static void pf_rule_unpublish(struct pf_rule_state *rs)
{
	struct pf_table *t = rs->t;
	struct pf_spec *s = &rs->pub.spec;
	uint16_t p;

	while (rs->conns.head) {
		struct pf_conn_link *cl = (struct pf_conn_link *)rs->conns.head;

		cl->close(cl);
	}
	if (rs->listeners) {
		while (rs->listeners->len) {
			pf_listener_free(t,
					 g_ptr_array_index(rs->listeners,
							   rs->listeners->len -
								   1));
			g_ptr_array_remove_index(rs->listeners,
						 rs->listeners->len - 1);
		}
		g_ptr_array_unref(rs->listeners);
		rs->listeners = NULL;
	} else {
		for (p = 0; p < s->count; p++)
			pf_slirp_port(t, s, p, false);
	}
}

/* The host address of family index @k (0: IPv4, 1: IPv6) of rule @s, in
 * @a: its own, or that family's wildcard for a rule on both families */
static void pf_host_addr(const struct pf_spec *s, unsigned k, struct addr_ip *a)
{
	if (s->host_addr_set) {
		*a = s->host_addr;
		return;
	}
	memset(a, 0, sizeof(*a));
	a->family = k ? AF_INET6 : AF_INET;
	if (!k)
		a->v4.s_addr = htonl(INADDR_ANY);
}

static int pf_fill_addresses(struct pf_table *t, struct pf_spec *s,
			     GError **error)
{
	char host[ADDR_STRLEN];

	/* libslirp's forwarding, as slirp4netns: no address is 0.0.0.0 */
	if (!s->host_addr_set && t->mode == PF_MODE_SLIRP) {
		pf_host_addr(s, 0, &s->host_addr);
		s->host_addr_set = true;
	}
	if (s->guest_addr_set && addr_ip_is_loopback(&s->guest_addr)) {
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "cannot forward to guest address %s: the "
			    "namespace's loopback is not reachable through a "
			    "published port",
			    addr_ip_str(&s->guest_addr, host, sizeof(host)));
		return -EINVAL;
	}
	if (s->guest_addr_set)
		return 0;
	/* libslirp keeps the client's family towards the guest */
	if (t->mode == PF_MODE_SLIRP && s->host_addr.family == AF_INET6) {
		if (!t->ipv6) {
			g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
				    "cannot publish on IPv6 host address %s "
				    "with --port-mode slirp without "
				    "--enable-ipv6: the guest has no IPv6 "
				    "address to forward to",
				    addr_ip_str(&s->host_addr, host,
						sizeof(host)));
			return -EAFNOSUPPORT;
		}
		s->guest_addr.family = AF_INET6;
		s->guest_addr.v6 = addr_plan_guest6();
	} else {
		s->guest_addr.family = AF_INET;
		s->guest_addr.v4 = t->guest4;
	}
	s->guest_addr_set = true;
	return 0;
}

/*
 * pf_rule_check() - complete rule @s (pf_fill_addresses()) and check that
 * the table can carry it: the namespace's return of replies in our modes,
 * host port 0 only for a single port of our forwarders
 */
static int pf_rule_check(struct pf_table *t, struct pf_spec *s, GError **error)
{
	int r;

	r = pf_fill_addresses(t, s, error);
	if (!r && t->mode != PF_MODE_SLIRP) {
		r = pf_return_setup(t);
		if (r < 0)
			g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
				    "cannot publish ports in --port-mode auto "
				    "or direct: the namespace refuses %s (%s); "
				    "use --port-mode slirp",
				    t->ret_what, g_strerror(-r));
	}
	if (r < 0)
		return r;
	if (s->host_port == 0 && (t->mode == PF_MODE_SLIRP || s->count > 1)) {
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "host port 0 (any free port) needs a single port "
			    "and --port-mode auto or direct");
		return -EINVAL;
	}
	return 0;
}

/*
 * pf_port_bind() - bind port @i of rule @rs on each of its host addresses:
 * its own, or 0.0.0.0 and [::] for a rule on both families. A host where
 * [::] cannot be bound (IPv6 disabled) narrows such a rule to 0.0.0.0 at its
 * first port, with a warning, rather than failing it.
 * @failed:	out, on a failure: the address refused
 */
static int pf_port_bind(struct pf_rule_state *rs, uint16_t i,
			struct addr_ip *failed)
{
	struct pf_spec *s = &rs->pub.spec;
	unsigned k, n = s->host_addr_set ? 1 : 2;
	int r;

	for (k = 0; k < n; k++) {
		pf_host_addr(s, k, failed);
		if (rs->listeners)
			r = pf_listener_add(rs, failed, i);
		else
			r = pf_slirp_port(rs->t, s, i, true);
		if (k == 1 && i == 0 &&
		    (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL)) {
			log_warn("host port %u/%s: IPv6 is not available on "
				 "this host ([::]: %s): published on 0.0.0.0 "
				 "only",
				 s->host_port, pf_proto_name(s->proto),
				 g_strerror(-r));
			pf_host_addr(s, 0, &s->host_addr);
			s->host_addr_set = true;
			return 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Bind every host port of rule @rs, all or none: 0, or -errno with @port
 * and @failed the host port and address refused, and nothing left bound */
static int pf_rule_bind(struct pf_rule_state *rs, uint16_t *port,
			struct addr_ip *failed)
{
	struct pf_spec *s = &rs->pub.spec;
	uint16_t i;
	int r;

	if (rs->t->mode != PF_MODE_SLIRP)
		rs->listeners = g_ptr_array_new();
	for (i = 0; i < s->count; i++) {
		r = pf_port_bind(rs, i, failed);
		if (r < 0) {
			*port = (uint16_t)(s->host_port + i);
			pf_rule_unpublish(rs);
			return r;
		}
	}
	return 0;
}

/* Free ports the kernel may choose for a rule on both families, each taken
 * on IPv4 and in use on IPv6, before the rule is refused */
#define PF_FREE_PORT_TRIES 8

/*
 * pf_rule_publish() - bind every host port of rule @rs, all or none: on a
 * failure @error names the port. A free port (host port 0) is chosen by the
 * kernel on the first address, and bound on the second (a rule on both
 * families) too: if in use there, the kernel chooses again.
 */
static int pf_rule_publish(struct pf_rule_state *rs, GError **error)
{
	struct pf_spec *s = &rs->pub.spec;
	bool free_port = !s->host_port;
	char host[ADDR_STRLEN];
	struct addr_ip failed;
	unsigned tries = 0;
	uint16_t port = 0;
	int r;

	while ((r = pf_rule_bind(rs, &port, &failed)) == -EADDRINUSE &&
	       free_port && !s->host_addr_set && ++tries < PF_FREE_PORT_TRIES)
		s->host_port = 0;
	if (r < 0) {
		rs->t->binds_refused++;
		privport_set_bind_error(error, -r, port,
					pf_proto_name(s->proto),
					addr_ip_str(&failed, host,
						    sizeof(host)));
	}
	return r;
}

/**
 * pf_table_add() - publish a rule
 * @t:		table
 * @spec:	rule; an unset host address means both families (0.0.0.0
 *		and [::], one rule with a socket on each; 0.0.0.0 alone in
 *		slirp mode, as slirp4netns), an unset guest address the
 *		guest's IPv4 address (for both); host port 0 lets the kernel
 *		choose (not in slirp mode)
 * @id:		out: the new rule's ID (may be NULL)
 * @error:	UN_EXIT_PUBLISH naming the cause (port in use, privileged)
 *
 * A range is published whole or not at all.
 *
 * Return: 0 or -errno
 */
int pf_table_add(struct pf_table *t, const struct pf_spec *spec, unsigned *id,
		 GError **error)
{
	struct pf_rule_state *rs = g_new0(struct pf_rule_state, 1);
	struct pf_spec *s = &rs->pub.spec;
	int r;

	rs->t = t;
	*s = *spec;
	g_queue_init(&rs->conns);
	r = pf_rule_check(t, s, error);
	if (!r)
		r = pf_rule_publish(rs, error);
	if (r < 0) {
		g_free(rs);
		return r;
	}

	/* Sockets ahead for the guest's family, from the first TCP rule on */
	if (rs->listeners && s->proto == PF_PROTO_TCP) {
		t->pool_on[s->guest_addr.family == AF_INET6] = true;
		pf_pool_fill(t);
	}
	rs->pub.id = t->next_id++;
	g_ptr_array_add(t->rules, rs);
	if (id)
		*id = rs->pub.id;
	return 0;
}

/**
 * pf_table_remove() - stop publishing rule @id and close its connections
 * @t:		table
 * @id:		rule ID
 *
 * Return: 0, or -ENOENT if there is no such rule
 */
int pf_table_remove(struct pf_table *t, unsigned id)
{
	guint i;

	for (i = 0; i < t->rules->len; i++) {
		struct pf_rule_state *rs = g_ptr_array_index(t->rules, i);

		if (rs->pub.id != id)
			continue;
		g_ptr_array_remove_index(t->rules, i);
		pf_rule_unpublish(rs);
		g_free(rs);
		return 0;
	}
	return -ENOENT;
}

/**
 * pf_table_set_automatic() - mark rule @id as added by auto-publish
 * @t:		table
 * @id:		rule ID
 *
 * Return: 0, or -ENOENT if there is no such rule
 */
int pf_table_set_automatic(struct pf_table *t, unsigned id)
{
	guint i;

	for (i = 0; i < t->rules->len; i++) {
		struct pf_rule_state *rs = g_ptr_array_index(t->rules, i);

		if (rs->pub.id == id) {
			rs->pub.automatic = true;
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * pf_table_binds_refused() - host ports that could not be bound so far
 * @t:		table
 *
 * Return: the count
 */
uint64_t pf_table_binds_refused(const struct pf_table *t)
{
	return t->binds_refused;
}

/**
 * pf_table_rules() - the rules, in the order they were added
 * @t:		table
 *
 * Return: array of struct pf_rule *, owned by the table, valid until the
 * next change of the table
 */
GPtrArray *pf_table_rules(struct pf_table *t)
{
	guint i;

	g_ptr_array_set_size(t->view, 0);
	for (i = 0; i < t->rules->len; i++)
		g_ptr_array_add(t->view,
				&((struct pf_rule_state *)
					  g_ptr_array_index(t->rules, i))
					 ->pub);
	return t->view;
}

/**
 * pf_table_free() - unpublish everything and free the table
 * @t:		table, may be NULL
 */
void pf_table_free(struct pf_table *t)
{
	if (!t)
		return;
	/* The flows' return rules go with the teardown below, in one
	 * request, not one per flow */
	t->closing = true;
	while (t->rules->len)
		pf_table_remove(t, ((struct pf_rule_state *)
					    g_ptr_array_index(t->rules, 0))
					   ->pub.id);
	g_ptr_array_unref(t->rules);
	g_ptr_array_unref(t->view);
	g_ptr_array_unref(t->dead);
	pf_pool_empty(t);
	/* Leave the namespace as it was; if the agent is gone, the next
	 * helper's sweep removes what is left */
	if (t->mode != PF_MODE_SLIRP)
		nsagent_return_teardown(t->agent);
	pf_pipes_free(t);
	close(t->epfd);
	g_free(t);
}
