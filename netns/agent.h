/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/agent.h - a child process living in the target namespaces that
 * opens the tap, configures it and makes sockets there on request
 */
#ifndef NETNS_AGENT_H
#define NETNS_AGENT_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "nl.h"
#include "ns.h"

struct nsagent;

int nsagent_start(const struct ns_fds *fds, struct nsagent **out,
		  GError **error);
int nsagent_open_tap(struct nsagent *a, const char *name, int *tap_fd,
		     bool *existed, GError **error);
int nsagent_configure(struct nsagent *a, const struct nl_config *cfg,
		      GError **error);
int nsagent_socket(struct nsagent *a, int domain, int type, int protocol);
pid_t nsagent_pid(const struct nsagent *a);
void nsagent_stop(struct nsagent *a);

#endif /* NETNS_AGENT_H */
