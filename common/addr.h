/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/addr.h - IP address, CIDR and MAC parsing and arithmetic
 */
#ifndef COMMON_ADDR_H
#define COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * struct addr_cidr4 - an IPv4 network
 * @net:	network address, host bits clear (network byte order)
 * @prefix:	prefix length
 */
struct addr_cidr4 {
	struct in_addr net;
	unsigned prefix;
};

/**
 * struct addr_ip - an IPv4 or IPv6 address
 * @family:	AF_INET or AF_INET6
 * @v4:		address if AF_INET
 * @v6:		address if AF_INET6
 */
struct addr_ip {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* Guest-side addresses inside the CIDR, as slirp4netns numbers them */
#define ADDR_HOST_GATEWAY	2
#define ADDR_HOST_DNS		3
#define ADDR_HOST_DHCP_START	15
#define ADDR_HOST_DHCP_END	30
#define ADDR_HOST_GUEST		100
/* Longest prefix that still holds ADDR_HOST_GUEST */
#define ADDR_CIDR4_MAX_PREFIX	25
#define ADDR_CIDR4_MIN_PREFIX	8

#define ADDR_STRLEN 48 /* enough for INET6_ADDRSTRLEN plus brackets */

int addr_cidr4_parse(const char *s, struct addr_cidr4 *out);
struct in_addr addr_cidr4_host(const struct addr_cidr4 *c, uint32_t n);
struct in_addr addr_cidr4_mask(const struct addr_cidr4 *c);
int addr_ip_parse(const char *s, struct addr_ip *out);
const char *addr_ip_str(const struct addr_ip *a, char *buf, size_t len);
const char *addr_ip_str_plain(const struct addr_ip *a, char *buf, size_t len);
bool addr_ip_is_any(const struct addr_ip *a);
bool addr_ip_is_loopback(const struct addr_ip *a);
int addr_mac_parse(const char *s, uint8_t mac[6]);

#endif /* COMMON_ADDR_H */
