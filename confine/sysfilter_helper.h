/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_helper.h - the seccomp allowlist of the network helper (usernet
 * attach), applied as its last isolation stage
 */
#ifndef CONFINE_SYSFILTER_HELPER_H
#define CONFINE_SYSFILTER_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#include <glib.h>

#include "confine/sysfilter.h"

const struct sysfilter_entry *sysfilter_helper_allowlist(size_t *n);
int sysfilter_helper_apply(int kill_pidfd, GError **error);
const struct sysfilter_entry *sysfilter_agent_allowlist(size_t *n);
ssize_t sysfilter_agent_export(pid_t agent, struct sock_filter *insns,
			       size_t max, GError **error);
ssize_t sysfilter_agent_build(pid_t agent, struct sock_filter *insns,
			      size_t max, GError **error);

#endif /* CONFINE_SYSFILTER_HELPER_H */
