/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/agent.h - a child process living in the target namespaces that
 * opens the tap, configures it and makes sockets there on request
 */
#ifndef NETNS_AGENT_H
#define NETNS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <glib.h>

#include "nl.h"
#include "ns.h"

struct nsagent;

/* Loads the agent's seccomp filter, in the agent: 0 or -errno */
typedef int (*nsagent_confine_fn)(void);

int nsagent_start(const struct ns_fds *fds, nsagent_confine_fn confine,
		  struct nsagent **out, GError **error);
int nsagent_open_tap(struct nsagent *a, const char *name, int *tap_fd,
		     bool *existed, GError **error);
int nsagent_configure(struct nsagent *a, const struct nl_config *cfg,
		      GError **error);
/* nsagent_socket() flags */
#define NSAGENT_SOCK_TRANSPARENT	1U	/* IP(V6)_TRANSPARENT: may bind
						 * a foreign (client) address */

int nsagent_socket(struct nsagent *a, int domain, int type, int protocol,
		   unsigned flags);
/* Most sockets nsagent_sockets() makes in one exchange */
#define NSAGENT_SOCKETS_MAX	16
int nsagent_sockets(struct nsagent *a, int domain, int type, int protocol,
		    int *fds, unsigned n);
int nsagent_local_return(struct nsagent *a, int family, uint8_t ipproto,
			 uint16_t sport_lo, uint16_t sport_hi,
			 struct in_addr prefsrc4, bool add);
int nsagent_pidfd(const struct nsagent *a);
void nsagent_stop(struct nsagent *a);

#endif /* NETNS_AGENT_H */
