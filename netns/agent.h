/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/agent.h - a child process living in the target namespaces that
 * opens the tap, configures it and makes sockets there on request
 */
#ifndef NETNS_AGENT_H
#define NETNS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <glib.h>

#include "netns/nl.h"
#include "netns/ns.h"

struct nsagent;

/* Most instructions of the agent's seccomp filter (the kernel's bound) */
#define NSAGENT_FILTER_MAX BPF_MAXINSNS

/* How often nsagent_park_idle() runs (an agent with no request for one to
 * two periods leaves) */
#define NSAGENT_IDLE_MS 2000

/* Builds the agent's seccomp filter for the agent of PID @agent into
 * @insns (room for @max): the number of instructions, or -errno */
typedef ssize_t (*nsagent_filter_fn)(pid_t agent, struct sock_filter *insns,
				     size_t max, GError **error);

int nsagent_spawn(struct nsagent **out, GError **error);
pid_t nsagent_pid(const struct nsagent *a);
int nsagent_join(struct nsagent *a, const struct ns_fds *fds,
		 nsagent_filter_fn filter, GError **error);
int nsagent_open_tap(struct nsagent *a, const char *name, int *tap_fd,
		     bool *existed, GError **error);
int nsagent_configure(struct nsagent *a, const struct nl_config *cfg,
		      GError **error);
/* nsagent_sockreq flags */
#define NSAGENT_SOCK_TRANSPARENT \
	1U /* IP(V6)_TRANSPARENT: may bind
						 * an address not of the
						 * namespace */
#define NSAGENT_SOCK_MARK \
	2U /* SO_MARK NL_RETURN_MARK: the
						 * replies come back */
#define NSAGENT_SOCK_BIND \
	4U /* bind to @bind (its port, or
						 * any if taken) */
#define NSAGENT_SOCK_FLOW \
	8U /* UDP: connect to @peer, add
						 * the flow's return rule */

/**
 * struct nsagent_sockreq - a socket to make in the target namespace
 * @domain:	as for socket(2)
 * @type:	as for socket(2)
 * @protocol:	as for socket(2)
 * @flags:	NSAGENT_SOCK_*
 * @bind:	address to bind to (NSAGENT_SOCK_BIND)
 * @bind_len:	its length
 * @peer:	address to connect to (NSAGENT_SOCK_FLOW)
 * @peer_len:	its length
 */
struct nsagent_sockreq {
	int domain;
	int type;
	int protocol;
	unsigned flags;
	struct sockaddr_storage bind;
	socklen_t bind_len;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

int nsagent_socket_req(struct nsagent *a, const struct nsagent_sockreq *sr,
		       struct nl_flow *flow);
int nsagent_socket(struct nsagent *a, int domain, int type, int protocol,
		   unsigned flags);
/* Most sockets nsagent_sockets() makes in one exchange */
#define NSAGENT_SOCKETS_MAX 16
int nsagent_sockets(struct nsagent *a, const struct nsagent_sockreq *sr,
		    int *fds, unsigned n);
int nsagent_return(struct nsagent *a, bool ipv6, struct in_addr prefsrc4);
int nsagent_return_teardown(struct nsagent *a);
void nsagent_flow_of(const struct sockaddr_storage *self,
		     const struct sockaddr_storage *guest, struct nl_flow *f);
int nsagent_return_flow(struct nsagent *a, const struct nl_flow *f, bool add);
int nsagent_pidfd(const struct nsagent *a);
void nsagent_stop(struct nsagent *a);
int nsagent_allow_park(struct nsagent *a, nsagent_filter_fn filter);
bool nsagent_park_idle(struct nsagent *a);

#endif /* NETNS_AGENT_H */
