/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwd.h - the forwarding table: published ports and their IDs
 */
#ifndef PORTFWD_FWD_H
#define PORTFWD_FWD_H

#include <glib.h>
#include <libslirp.h>

#include "engine.h"
#include "spec.h"

/**
 * struct pf_rule - a published rule
 * @id:		ID, counting up from 1 per process
 * @spec:	the rule, with the guest address filled in
 */
struct pf_rule {
	unsigned id;
	struct pf_spec spec;
};

struct pf_table;

struct pf_table *pf_table_new(Slirp *slirp, const struct sl_config *cfg);
void pf_table_free(struct pf_table *t);
int pf_table_add(struct pf_table *t, const struct pf_spec *spec,
		 unsigned *id, GError **error);
int pf_table_remove(struct pf_table *t, unsigned id);
GPtrArray *pf_table_rules(struct pf_table *t);

#endif /* PORTFWD_FWD_H */
