/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/martian.c - frames from the guest that must never reach libslirp:
 * addresses that would lead to the host's loopback, or that no tap peer may use
 *
 * DOC: Why, and what
 *
 * libslirp opens host sockets to whatever address a guest's packet names.
 * A process in the namespace that holds CAP_NET_RAW (root in a rootless
 * container) writes frames of its own to the tap, so it can name addresses
 * the guest's kernel never routes to the tap: 127.0.0.1 or 0.0.0.0 (connect()
 * to either reaches the host's loopback), ::1, ::, or ::ffff:127.0.0.1 (a
 * dual-stack socket connects to the IPv4 loopback). And libslirp itself turns
 * more than the gateway into the host's loopback (socket.c, sotranslate_out):
 * 255.255.255.255 as well as 10.0.2.2, and every address of the IPv6 prefix
 * (fd00::/64) as well as ff02::1. --disable-host-loopback stops only what
 * libslirp translates, not the literal loopback addresses.
 *
 * sl_martian_frame() reads the IP header of each frame (a few compares on
 * bytes the engine just read) and refuses, whatever the loopback switch:
 * - any source or destination in 127.0.0.0/8, ::1, or ::ffff:0:0/96 (mapped
 *   IPv4 addresses never appear on a link, RFC 4291 2.5.5.2);
 * - as destination: 0.0.0.0/8 and ::/96 (unspecified, and the deprecated
 *   IPv4-compatible addresses, which contain :: and ::1);
 * - as source: 0.0.0.0/8 and ::, except where a link protocol needs them: a
 *   DHCP client (UDP to port 67) has no address yet, IPv6 DAD sends ICMPv6
 *   from :: (libslirp answers it itself, no socket is opened);
 * - multicast or broadcast sources;
 * - TCP (and ICMP) to an IPv4 multicast or broadcast address (224.0.0.0/4,
 *   255.255.255.255, the subnet's broadcast), TCP to ff00::/8: TCP has no
 *   such peers, and libslirp sends 255.255.255.255 to the host's loopback;
 * - UDP to 255.255.255.255 other than DHCP (port 67), and UDP to ff02::1 or
 *   other IPv6 multicast other than DHCPv6 (ff02::1:2 port 547): libslirp
 *   sends them to the host's loopback (other IPv4 multicast goes out as
 *   multicast, as before);
 * - TCP and UDP to an address of the IPv6 prefix other than the gateway and
 *   the DNS address (with the built-in DNS): libslirp sends them to ::1, so
 *   the documented gateway stays the only way to the host's loopback.
 * IPv6 packets whose next header is not TCP, UDP or ICMPv6 pass: libslirp
 * drops them itself (MLD reports from :: have a hop-by-hop header). ICMPv6
 * passes but for the address rules (neighbour discovery uses
 * multicast; libslirp answers it and echo requests to itself). Fragments
 * after the first carry no ports: only the address rules apply to them (the
 * first fragment decides whether the datagram is ever reassembled). Frames
 * that are not IPv4 or IPv6 (ARP, VLAN tags: libslirp ignores the latter)
 * pass.
 */
#include <string.h>

#include "slirp/martian.h"

#define ETH_HLEN_ 14
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

/**
 * sl_martian_init() - the addresses of the guest's network the rules need
 * @m:		rules to fill
 * @net:	IPv4 network, network order
 * @mask:	its netmask, network order
 * @prefix6:	the IPv6 /64 prefix
 * @host6:	the IPv6 gateway
 * @dns6:	the built-in IPv6 DNS address, or NULL without built-in DNS
 */
void sl_martian_init(struct sl_martian *m, struct in_addr net,
		     struct in_addr mask, const struct in6_addr *prefix6,
		     const struct in6_addr *host6, const struct in6_addr *dns6)
{
	memset(m, 0, sizeof(*m));
	m->bcast4 = net.s_addr | ~mask.s_addr;
	memcpy(m->prefix6, prefix6->s6_addr, 8);
	m->host6 = *host6;
	m->dns6_on = dns6 != NULL;
	if (dns6)
		m->dns6 = *dns6;
}

static bool v4_loop(const uint8_t *a)
{
	return a[0] == 127;
}
static bool v4_zero(const uint8_t *a)
{
	return a[0] == 0;
}
static bool v4_multi(const uint8_t *a)
{
	return (a[0] & 0xf0) == 0xe0;
}
static bool v4_all(const uint8_t *a)
{
	return (a[0] & a[1] & a[2] & a[3]) == 0xff;
}

/* Checks on the IPv4 header @ip of @iplen bytes; true: drop */
static bool sl_martian4(const struct sl_martian *m, const uint8_t *ip,
			size_t iplen)
{
	const uint8_t *src = ip + 12, *dst = ip + 16;
	size_t hl = (size_t)(ip[0] & 0xf) * 4;
	uint16_t dport;

	if (v4_loop(src) || v4_loop(dst) || v4_zero(dst) || v4_multi(src) ||
	    v4_all(src))
		return true;
	if (!v4_zero(src) && !v4_all(dst) && !v4_multi(dst) &&
	    memcmp(dst, &m->bcast4, 4))
		return false;
	/* From 0.0.0.0, or to a broadcast or multicast address: UDP only */
	if (ip[9] != PROTO_UDP)
		return true;
	/* Only the first fragment has the ports */
	if (((ip[6] & 0x1f) << 8 | ip[7]) != 0)
		return false;
	if (hl < 20 || iplen < hl + 4)
		return true;
	dport = (uint16_t)(ip[hl + 2] << 8 | ip[hl + 3]);
	if (dport == 67)
		return false;
	/* 255.255.255.255 is the host's loopback to libslirp */
	return v4_zero(src) || v4_all(dst);
}

static bool v6_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pfx, 12);
}

/* ::/96: ::, ::1 and the deprecated IPv4-compatible addresses */
static bool v6_compat(const uint8_t *a)
{
	static const uint8_t zero[12];

	return !memcmp(a, zero, 12);
}

static bool v6_zero(const uint8_t *a)
{
	return v6_compat(a) && !(a[12] | a[13] | a[14] | a[15]);
}

/* Checks on the IPv6 header @ip of @iplen bytes; true: drop */
static bool sl_martian6(const struct sl_martian *m, const uint8_t *ip,
			size_t iplen)
{
	static const uint8_t dhcp6[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };
	const uint8_t *src = ip + 8, *dst = ip + 24, *l4 = ip + 40;
	uint8_t nh = ip[6];
	uint16_t dport;

	/* libslirp drops other next headers (extension headers too: MLD
	 * reports from :: with a hop-by-hop header are no martians) */
	if (nh != PROTO_TCP && nh != PROTO_UDP && nh != PROTO_ICMPV6)
		return false;
	if (v6_mapped(src) || v6_mapped(dst) || v6_compat(dst) ||
	    src[0] == 0xff)
		return true;
	if (v6_compat(src) && !(v6_zero(src) && nh == PROTO_ICMPV6))
		return true;
	if (nh == PROTO_ICMPV6)
		return false;
	if (dst[0] == 0xff) {
		if (nh == PROTO_TCP || iplen < 40 + 4)
			return true;
		dport = (uint16_t)(l4[2] << 8 | l4[3]);
		return !(dport == 547 && !memcmp(dst, dhcp6, 16));
	}
	if (memcmp(dst, m->prefix6, 8))
		return false;
	return memcmp(dst, &m->host6, 16) &&
	       !(m->dns6_on && !memcmp(dst, &m->dns6, 16));
}

/**
 * sl_martian_frame() - whether a frame from the guest must be dropped
 * @m:		rules (sl_martian_init())
 * @f:		the Ethernet frame
 * @len:	its length
 *
 * Return: true if the frame names an address no tap peer may use (see the
 * file's comment); false for frames libslirp may have
 */
bool sl_martian_frame(const struct sl_martian *m, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN_;
	size_t iplen;

	if (len < ETH_HLEN_ + 20)
		return false;
	iplen = len - ETH_HLEN_;
	if (f[12] == 0x08 && f[13] == 0x00)
		return (ip[0] >> 4) != 4 || sl_martian4(m, ip, iplen);
	if (f[12] == 0x86 && f[13] == 0xdd)
		return iplen < 40 || (ip[0] >> 4) != 6 ||
		       sl_martian6(m, ip, iplen);
	return false;
}
