/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwd_internal.h - what fwd.c, tcpfwd.c, udpfwd.c and fwdcore.c share
 *
 * The calls go one way: fwd.c (the table) -> tcpfwd.c, udpfwd.c (the
 * forwarders) -> fwdcore.c (registrations, accounting, namespace sockets);
 * fwd.c calls fwdcore.c too, and nothing calls back up.
 */
#ifndef PORTFWD_FWD_INTERNAL_H
#define PORTFWD_FWD_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>

#include "netns/agent.h"
#include "portfwd/fwd.h"

/* Idle time after which a UDP flow is forgotten */
#define PF_UDP_FLOW_TIMEOUT_MS 60000

/* New UDP flows a rule may make per tick (1 s): each costs the agent a
 * socket and a fib rule, so a churn of (spoofed) sources must not keep it
 * busy; datagrams of new clients past it are dropped until the next tick */
#define PF_UDP_NEW_PER_TICK 512

/* Share of the global bound of connections (pf_table.max_total) that the
 * UDP flows of all rules may take: 1/PF_UDP_SHARE_DIV, so that they never
 * take it all from TCP connections and the API */
#define PF_UDP_SHARE_DIV 2

/* Global bound of connections from the fd limit (pf_conns_for_fds()): what
 * a connection may hold at most (two sockets, and a pipe each way while
 * bytes wait), and fds left for everything else (libslirp's NAT sockets,
 * the API, the namespace sockets made ahead, the pipe pool): at least
 * PF_FD_RESERVE, and an eighth of the limit */
#define PF_FDS_PER_CONN 6
#define PF_FD_RESERVE 64

/* Pipes kept for reuse by the table (tcpfwd.c): a connection holds pipes
 * only while bytes wait in them */
#define PF_PIPE_POOL 8

/**
 * struct pf_ep - something registered in the forwarders' epoll set
 * @cb:		called with the epoll events
 * @fd:		the fd
 * @events:	events registered now; 0: not in the set
 */
struct pf_ep {
	void (*cb)(struct pf_ep *ep, uint32_t events);
	int fd;
	uint32_t events;
};

struct pf_rule_state;

/**
 * struct pf_listener - a host socket of a rule (one per port of a range)
 * @ep:		epoll registration of the listening (TCP) or bound (UDP) fd
 * @rs:		its rule
 * @guest:	guest address and port to forward to
 * @guest_len:	length of @guest
 * @flows:	UDP: client address (GBytes) -> struct pf_udp_flow *
 * @paused:	TCP: out of fds, not watched until pf_accept_resume()
 */
struct pf_listener {
	struct pf_ep ep;
	struct pf_rule_state *rs;
	struct sockaddr_storage guest;
	socklen_t guest_len;
	GHashTable *flows;
	bool paused;
};

/**
 * struct pf_pipe - a pipe that splice() moves bytes through
 * @fd:		read end, write end
 * @big:	enlarged to PF_PIPE_SIZE (counted in pf_table.big_pipes)
 */
struct pf_pipe {
	int fd[2];
	bool big;
};

/**
 * struct pf_rule_state - a rule and what carries it
 * @pub:	the rule as listed
 * @t:		table
 * @listeners:	struct pf_listener *, our forwarders (not in slirp mode)
 * @conns:	open TCP connections and UDP flows (their pf_conn_link);
 *		UDP: least recently used first
 * @udp_new:	UDP: flows made (or tried) since the last tick
 */
struct pf_rule_state {
	struct pf_rule pub;
	struct pf_table *t;
	GPtrArray *listeners;
	GQueue conns;
	unsigned udp_new;
};

/**
 * struct pf_conn_link - membership of a connection in its rule's list
 * @link:	node in pf_rule_state.conns (data: the connection)
 * @close:	closes and frees the connection (rule removal, shutdown)
 */
struct pf_conn_link {
	GList link;
	void (*close)(struct pf_conn_link *cl);
};

/**
 * struct pf_table - all rules of one helper
 * @slirp:	libslirp, for --port-mode slirp
 * @agent:	namespace agent making sockets in the target, or NULL
 * @mode:	forwarding mode
 * @guest4:	default IPv4 guest address (network + 100)
 * @ipv6:	the guest has IPv6 (fd00::100)
 * @rules:	struct pf_rule_state *
 * @view:	struct pf_rule *, what pf_table_rules() returns
 * @next_id:	ID of the next rule
 * @epfd:	epoll set of listeners and connections
 * @max_conns:	bound of open connections per rule
 * @ret:	per family (0: IPv4, 1: IPv6), the namespace returns the
 *		replies to our marked sockets bound to addresses it does not
 *		own (nsagent_return())
 * @ret_what:	what the namespace refused last (pf_return_setup()), for
 *		the error of pf_table_add()
 * @net4:	the guest's IPv4 network (--cidr), for pf_peer_is_inner()
 * @gw:		per family, the gateway's address, port 0: local clients
 * @gw_len:	its length
 * @binds_refused: host ports pf_table_add() could not bind
 * @dead:	connections closed while an epoll batch is handled: freed
 *		after it, as later events of the batch may still name them
 * @pool:	per family, TCP sockets made ahead (pf_pool_fill())
 * @pool_len:	how many
 * @pool_want:	how many to keep: PF_POOL_START, doubled up to PF_POOL_SIZE
 *		each time a connection finds the pool empty (a burst)
 * @pool_taken:	per family, a connection took a socket of the pool since
 *		the last tick (pf_pool_tick())
 * @pool_on:	the family has TCP rules: keep its pool filled
 * @ready:	the helper is ready (pf_table_ready()): the pool is filled
 *		from then on, not before
 * @conns:	open connections and flows of all rules
 * @max_total:	bound of @conns, from the fd limit
 * @udp_flows:	UDP flows of all rules (counted in @conns too)
 * @closing:	pf_table_free() runs: flows leave their return rules to its
 *		one teardown request (nsagent_return_teardown())
 * @accept_paused: some listener is paused (pf_accept_pause())
 * @pipes:	free pipes, for the next connection that needs one
 * @pipes_len:	how many
 * @big_pipes:	pipes of PF_PIPE_SIZE in existence
 * @big_max:	bound of @big_pipes, from fs.pipe-user-pages-soft
 */
/* Sockets made ahead in the namespace per family (pf_pool_fill()): at
 * first PF_POOL_START, growing to PF_POOL_SIZE under a burst */
#define PF_POOL_SIZE 8
#define PF_POOL_START 2

struct pf_table {
	Slirp *slirp;
	struct nsagent *agent;
	enum pf_mode mode;
	struct in_addr guest4;
	bool ipv6;
	GPtrArray *rules;
	GPtrArray *view;
	unsigned next_id;
	int epfd;
	unsigned max_conns;
	bool ret[2];
	const char *ret_what;
	struct addr_cidr4 net4;
	struct sockaddr_storage gw[2];
	socklen_t gw_len[2];
	uint64_t binds_refused;
	GPtrArray *dead;
	int pool[2][PF_POOL_SIZE];
	unsigned pool_len[2];
	unsigned pool_want[2];
	bool pool_taken[2];
	bool pool_on[2];
	bool ready;
	unsigned conns;
	unsigned max_total;
	unsigned udp_flows;
	bool closing;
	bool accept_paused;
	struct pf_pipe pipes[PF_PIPE_POOL];
	unsigned pipes_len;
	unsigned big_pipes;
	unsigned big_max;
};

/* fwdcore.c: what the forwarders and the table call down into */
int pf_ep_set(struct pf_table *t, struct pf_ep *ep, uint32_t events);
void pf_ep_del(struct pf_table *t, struct pf_ep *ep);
void pf_conn_add(struct pf_rule_state *rs, struct pf_conn_link *cl);
void pf_conn_remove(struct pf_rule_state *rs, struct pf_conn_link *cl);
void pf_free_later(struct pf_table *t, void *p);
bool pf_conn_admit(struct pf_rule_state *rs);
void pf_sockreq(struct pf_table *t, unsigned k, int type,
		const struct sockaddr_storage *bind, socklen_t bind_len,
		struct nsagent_sockreq *sr);
int pf_ns_socket(struct pf_listener *l, int type,
		 const struct sockaddr_storage *client, socklen_t client_len,
		 bool local, struct nl_flow *flow);
void pf_pool_fill(struct pf_table *t);
void pf_pool_empty(struct pf_table *t);
void pf_pool_tick(struct pf_table *t);
bool pf_client_is_local(int fd, const struct sockaddr_storage *peer);
const char *pf_peer_str(const struct sockaddr_storage *peer, char *buf,
			size_t len);

/* tcpfwd.c: the TCP forwarder, called by the table (fwd.c) */
void pf_tcp_accept(struct pf_ep *ep, uint32_t events);
void pf_accept_resume(struct pf_table *t);
void pf_pipes_init(struct pf_table *t);
void pf_pipes_free(struct pf_table *t);

/* udpfwd.c: the UDP forwarder, called by the table (fwd.c) */
void pf_udp_input(struct pf_ep *ep, uint32_t events);
void pf_udp_expire(struct pf_rule_state *rs, int64_t now_ms);
void pf_udp_listener_free(struct pf_listener *l);

/* Room for "[IPv6]:port" */
#define PF_PEER_STRLEN (INET6_ADDRSTRLEN + 8)

#endif /* PORTFWD_FWD_INTERNAL_H */
