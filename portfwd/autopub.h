/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/autopub.h - auto-publish: publish the guest's listening TCP and
 * bound UDP ports on the same host ports while they are open
 */
#ifndef PORTFWD_AUTOPUB_H
#define PORTFWD_AUTOPUB_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "portfwd/fwd.h"

/* How often the namespace's sockets are listed */
#define AUTOPUB_SCAN_MS 250

/**
 * struct autopub_ports - which guest ports auto-publish may publish
 * @bits:	bit N set: port N may be published (bit 0 never set)
 */
struct autopub_ports {
	uint8_t bits[65536 / 8];
};

struct autopub;
struct sl_loop;

int autopub_range_parse(const char *s, struct autopub_ports *out,
			GError **error);
bool autopub_ports_has(const struct autopub_ports *p, uint16_t port);

int autopub_new(struct pf_table *t, struct sl_loop *loop, int diag_fd,
		const struct autopub_ports *ports, bool ipv6,
		struct autopub **out);
int autopub_scan(struct autopub *a);
void autopub_free(struct autopub *a);

#endif /* PORTFWD_AUTOPUB_H */
