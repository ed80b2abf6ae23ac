/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/spec.h - port publishing specs (Podman's -p forms):
 * [[HOSTIP:][HOSTPORT[-END]]:]GUESTPORT[-END][/tcp|udp]
 */
#ifndef PORTFWD_SPEC_H
#define PORTFWD_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "common/addr.h"

enum pf_proto {
	PF_PROTO_TCP,
	PF_PROTO_UDP,
};

/**
 * struct pf_spec - one publishing rule as the user wrote it
 * @proto:		TCP or UDP
 * @host_addr_set:	false: every address of both families (0.0.0.0
 *			and ::); the table may narrow it to 0.0.0.0 where
 *			:: cannot be bound
 * @host_addr:		host address to listen on
 * @host_port:		first host port; 0: a free port chosen by the kernel
 * @guest_port:		first guest port
 * @count:		number of consecutive ports (1 without a range)
 * @guest_addr_set:	false: the recommended guest address
 * @guest_addr:		guest address to forward to
 */
struct pf_spec {
	enum pf_proto proto;
	bool host_addr_set;
	struct addr_ip host_addr;
	uint16_t host_port;
	uint16_t guest_port;
	uint16_t count;
	bool guest_addr_set;
	struct addr_ip guest_addr;
};

int pf_spec_parse(const char *text, struct pf_spec *out, GError **error);
const char *pf_proto_name(enum pf_proto proto);
int pf_proto_parse(const char *s, enum pf_proto *out);
char *pf_spec_to_string(const struct pf_spec *spec);

#endif /* PORTFWD_SPEC_H */
