/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/nl.h - rtnetlink configuration (libmnl) of lo and the tap, run
 * inside the target network namespace; reading a netlink answer
 */
#ifndef NETNS_NL_H
#define NETNS_NL_H

#include <libmnl/libmnl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * struct nl_config - what --configure sets on the tap
 * @ifname:	tap name
 * @mtu:	link MTU
 * @set_mac:	whether @mac is set (--macaddress)
 * @mac:	link-layer address
 * @addr4:	IPv4 address (network + 100)
 * @prefix4:	its prefix length
 * @gw4:	IPv4 default gateway (network + 2)
 * @ipv6:	whether to add @addr6 and the IPv6 default route
 * @addr6:	IPv6 address (fd00::100), added without DAD
 * @prefix6:	its prefix length (64)
 * @gw6:	IPv6 default gateway (fd00::2)
 */
struct nl_config {
	char ifname[IFNAMSIZ];
	unsigned mtu;
	bool set_mac;
	uint8_t mac[6];
	struct in_addr addr4;
	unsigned prefix4;
	struct in_addr gw4;
	bool ipv6;
	struct in6_addr addr6;
	unsigned prefix6;
	struct in6_addr gw6;
};

int nl_recv_answer(int fd, void *buf, size_t size, int flags, unsigned seq,
		   unsigned portid, mnl_cb_t cb, void *data);
int nl_configure(const struct nl_config *cfg);
int nl_link_up(const char *ifname);
/* Mark of our sockets in the namespace, whose replies come back locally */
#define NL_RETURN_MARK 0x756e

/**
 * struct nl_flow - a UDP flow whose replies come back to our socket
 * @family:	AF_INET or AF_INET6
 * @sport:	the guest's port (source of its replies)
 * @dport:	our socket's port
 * @dst4:	our socket's IPv4 address (AF_INET)
 * @dst6:	our socket's IPv6 address (AF_INET6)
 */
struct nl_flow {
	int family;
	uint16_t sport;
	uint16_t dport;
	struct in_addr dst4;
	struct in6_addr dst6;
};

int nl_return_setup(int family, const struct in_addr *prefsrc4);
int nl_return_teardown(int family);
int nl_return_flow(const struct nl_flow *f, bool add);

#endif /* NETNS_NL_H */
