/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/addr.h - IP address, CIDR and MAC parsing and arithmetic, and the
 * guest's address plan (gateway, DNS, guest address in each family)
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

/*
 * The guest's address plan, as slirp4netns numbers it: the IPv4 network of
 * --cidr (ADDR_PLAN_CIDR4_DEFAULT unless given) and, with IPv6, the fixed
 * prefix ADDR_PLAN_PREFIX6/64; in each, host 2 is the gateway, 3 the DNS,
 * 100 (IPv6: 0x100) the guest. Ask the addr_plan_*() functions for them.
 */
#define ADDR_PLAN_CIDR4_DEFAULT "10.0.2.0/24"
#define ADDR_PLAN_PREFIX6 "fd00::"
#define ADDR_PLAN_PREFIX6_LEN 64
#define ADDR_HOST_GATEWAY 2
#define ADDR_HOST_DNS 3
#define ADDR_HOST_DHCP_START 15
#define ADDR_HOST_DHCP_END 30
#define ADDR_HOST_GUEST 100
#define ADDR_HOST6_GUEST 0x100
/* Longest prefix that still holds ADDR_HOST_GUEST */
#define ADDR_CIDR4_MAX_PREFIX 25
#define ADDR_CIDR4_MIN_PREFIX 8

#define ADDR_STRLEN 48 /* enough for INET6_ADDRSTRLEN plus brackets */

int addr_cidr4_parse(const char *s, struct addr_cidr4 *out);
struct in_addr addr_cidr4_host(const struct addr_cidr4 *c, uint32_t n);
struct in_addr addr_cidr4_mask(const struct addr_cidr4 *c);
void addr_plan_default4(struct addr_cidr4 *out);
struct in_addr addr_plan_gateway4(const struct addr_cidr4 *c);
struct in_addr addr_plan_dns4(const struct addr_cidr4 *c);
struct in_addr addr_plan_guest4(const struct addr_cidr4 *c);
struct in_addr addr_plan_dhcp_start4(const struct addr_cidr4 *c);
struct in_addr addr_plan_dhcp_end4(const struct addr_cidr4 *c);
struct in6_addr addr_plan_prefix6(void);
struct in6_addr addr_plan_gateway6(void);
struct in6_addr addr_plan_dns6(void);
struct in6_addr addr_plan_guest6(void);
int addr_ip_parse(const char *s, struct addr_ip *out);
const char *addr_ip_str(const struct addr_ip *a, char *buf, size_t len);
const char *addr_ip_str_plain(const struct addr_ip *a, char *buf, size_t len);
bool addr_ip_is_any(const struct addr_ip *a);
bool addr_ip_is_loopback(const struct addr_ip *a);
int addr_mac_parse(const char *s, uint8_t mac[6]);

#endif /* COMMON_ADDR_H */
