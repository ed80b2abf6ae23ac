/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/bypass.h - socket bypass (usernet run --bypass): the handler of the
 * command's seccomp notifications, in the helper (host network namespace)
 */
#ifndef HELPER_BYPASS_H
#define HELPER_BYPASS_H

#include <stdint.h>

#include "slirp/engine.h"

/* Most host connects in progress at once for one sandbox */
#define BYPASS_PENDING_MAX 256

struct bypass_proc;

/**
 * struct bypass_stats - what `stats` shows of the bypass
 * @connects:	connect() calls given a host socket
 * @continued:	connect() calls left to the namespace (loopback, inside)
 * @refused:	calls answered EPERM by the policy (or EAGAIN at the cap)
 * @pending:	host connects in progress now
 *
 * Written by the handler process, read by the helper (a shared page): each
 * field is a plain word, a torn read is off by one at most.
 */
struct bypass_stats {
	uint64_t connects;
	uint64_t continued;
	uint64_t refused;
	uint64_t pending;
};

int bypass_spawn(int chan_fd, const struct sl_config *cfg,
		 struct bypass_proc **out);
void bypass_free(struct bypass_proc *p);
void bypass_get_stats(const struct bypass_proc *p, struct bypass_stats *st);

#endif /* HELPER_BYPASS_H */
