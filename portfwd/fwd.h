/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwd.h - the forwarding table: published ports and their IDs
 */
#ifndef PORTFWD_FWD_H
#define PORTFWD_FWD_H

#include <glib.h>
#include <libslirp.h>

#include "portfwd/spec.h"
#include "slirp/engine.h"

/**
 * struct pf_rule_stats - counters of one rule
 * @active:		connections (UDP: flows) open now
 * @total:		connections (UDP: flows) since the rule was added
 * @bytes_to_guest:	bytes from host clients to the guest
 * @bytes_from_guest:	bytes from the guest to host clients
 * @refused:		connections refused (bound reached, guest refused)
 */
struct pf_rule_stats {
	uint64_t active;
	uint64_t total;
	uint64_t bytes_to_guest;
	uint64_t bytes_from_guest;
	uint64_t refused;
};

/**
 * struct pf_rule - a published rule
 * @id:		ID, counting up from 1 per process
 * @spec:	the rule, with host and guest addresses filled in, and the
 *		host port chosen by the kernel if 0 was asked for
 * @automatic:	added by auto-publish rather than by a user
 * @stats:	counters
 */
struct pf_rule {
	unsigned id;
	struct pf_spec spec;
	bool automatic;
	struct pf_rule_stats stats;
};

/**
 * enum pf_mode - how published ports are carried (--port-mode)
 * @PF_MODE_AUTO:	our forwarders: local clients connect from inside the
 *			namespace (splice); outside clients too, from their own
 *			address (IP_TRANSPARENT), so the guest sees it
 * @PF_MODE_DIRECT:	our forwarders, every client from inside the namespace
 * @PF_MODE_SLIRP:	libslirp's host forwarding (as slirp4netns)
 */
enum pf_mode {
	PF_MODE_AUTO,
	PF_MODE_DIRECT,
	PF_MODE_SLIRP,
};

/* Connections (UDP: flows) open at once per rule before new ones are refused */
#define PF_MAX_CONNS_DEFAULT 4096

struct pf_table;
struct nsagent;
struct sl_loop;

struct pf_table *pf_table_new(Slirp *slirp, const struct sl_config *cfg,
			      enum pf_mode mode, struct nsagent *agent,
			      struct sl_loop *loop);
int pf_mode_parse(const char *s, enum pf_mode *out);
void pf_table_set_max_conns(struct pf_table *t, unsigned max);
void pf_table_ready(struct pf_table *t);
void pf_table_free(struct pf_table *t);
int pf_table_add(struct pf_table *t, const struct pf_spec *spec, unsigned *id,
		 GError **error);
int pf_table_remove(struct pf_table *t, unsigned id);
GPtrArray *pf_table_rules(struct pf_table *t);
int pf_table_set_automatic(struct pf_table *t, unsigned id);
uint64_t pf_table_binds_refused(const struct pf_table *t);

#endif /* PORTFWD_FWD_H */
