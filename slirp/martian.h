/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/martian.h - frames from the guest that must never reach libslirp:
 * addresses that would lead to the host's loopback, or that no tap peer may use
 */
#ifndef SLIRP_MARTIAN_H
#define SLIRP_MARTIAN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct sl_martian - what the rules need to know of the guest's network
 * @bcast4:	the IPv4 subnet's broadcast address, network order
 * @prefix6:	the IPv6 /64 prefix
 * @host6:	the IPv6 gateway
 * @dns6_on:	@dns6 is the built-in DNS
 * @dns6:	the IPv6 DNS address
 */
struct sl_martian {
	uint32_t bcast4;
	uint8_t prefix6[8];
	struct in6_addr host6;
	bool dns6_on;
	struct in6_addr dns6;
};

void sl_martian_init(struct sl_martian *m, struct in_addr net,
		     struct in_addr mask, const struct in6_addr *prefix6,
		     const struct in6_addr *host6, const struct in6_addr *dns6);
bool sl_martian_frame(const struct sl_martian *m, const uint8_t *f, size_t len);

#endif /* SLIRP_MARTIAN_H */
