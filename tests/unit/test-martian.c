/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-martian.c - which frames from the guest slirp/martian.c
 * drops: loopback, unspecified and mapped addresses, broadcast and multicast
 * destinations, and the link protocols that must still pass (DHCP, DAD, ND)
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "slirp/martian.h"

static struct sl_martian rules;

/* An Ethernet frame with an IPv4 (or, by the form of @src, IPv6) packet of
 * protocol @proto from @src to @dst, destination port @dport */
static bool dropped(const char *src, const char *dst, int proto, int dport)
{
	uint8_t f[128] = { 0 };
	uint8_t *ip = f + 14;
	size_t len;

	if (strchr(src, ':')) {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60;
		ip[6] = (uint8_t)proto;
		g_assert_cmpint(inet_pton(AF_INET6, src, ip + 8), ==, 1);
		g_assert_cmpint(inet_pton(AF_INET6, dst, ip + 24), ==, 1);
		ip[42] = (uint8_t)(dport >> 8), ip[43] = (uint8_t)dport;
		len = 14 + 40 + 20;
	} else {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[9] = (uint8_t)proto;
		g_assert_cmpint(inet_pton(AF_INET, src, ip + 12), ==, 1);
		g_assert_cmpint(inet_pton(AF_INET, dst, ip + 16), ==, 1);
		ip[22] = (uint8_t)(dport >> 8), ip[23] = (uint8_t)dport;
		len = 14 + 20 + 20;
	}
	return sl_martian_frame(&rules, f, len);
}

static void test_v4(void)
{
	/* ordinary traffic, the gateway, DNS, the LAN */
	g_assert_false(dropped("10.0.2.100", "10.0.2.2", 6, 80));
	g_assert_false(dropped("10.0.2.100", "10.0.2.3", 17, 53));
	g_assert_false(dropped("10.0.2.100", "192.0.2.1", 6, 443));
	g_assert_false(dropped("10.0.2.100", "10.0.2.2", 1, 0));
	/* DHCP: from 0.0.0.0 to the broadcast, and renewals */
	g_assert_false(dropped("0.0.0.0", "255.255.255.255", 17, 67));
	g_assert_false(dropped("10.0.2.100", "10.0.2.2", 17, 67));
	/* UDP multicast and the subnet broadcast go out as before */
	g_assert_false(dropped("10.0.2.100", "224.0.0.251", 17, 5353));
	g_assert_false(dropped("10.0.2.100", "10.0.2.255", 17, 137));
	/* the host's loopback, unspecified */
	g_assert_true(dropped("10.0.2.100", "127.0.0.1", 6, 80));
	g_assert_true(dropped("10.0.2.100", "127.1.2.3", 17, 53));
	g_assert_true(dropped("10.0.2.100", "127.0.0.1", 1, 0));
	g_assert_true(dropped("10.0.2.100", "0.0.0.0", 6, 80));
	g_assert_true(dropped("10.0.2.100", "0.1.2.3", 6, 80));
	g_assert_true(dropped("127.0.0.1", "10.0.2.2", 6, 80));
	g_assert_true(dropped("0.0.0.0", "10.0.2.2", 6, 80));
	g_assert_true(dropped("0.0.0.0", "255.255.255.255", 17, 53));
	g_assert_true(dropped("224.0.0.1", "10.0.2.2", 17, 53));
	g_assert_true(dropped("255.255.255.255", "10.0.2.2", 17, 53));
	/* broadcast and multicast: no TCP; UDP to 255.255.255.255 only DHCP */
	g_assert_true(dropped("10.0.2.100", "255.255.255.255", 6, 80));
	g_assert_true(dropped("10.0.2.100", "10.0.2.255", 6, 80));
	g_assert_true(dropped("10.0.2.100", "224.0.0.1", 6, 80));
	g_assert_true(dropped("10.0.2.100", "255.255.255.255", 17, 53));
}

static void test_v6(void)
{
	g_assert_false(dropped("fd00::100", "fd00::2", 6, 80));
	g_assert_false(dropped("fd00::100", "fd00::3", 17, 53));
	g_assert_false(dropped("fd00::100", "2001:db8::1", 6, 443));
	/* DAD, router and neighbour solicitations, DHCPv6 */
	g_assert_false(dropped("::", "ff02::1:ff00:100", 58, 0));
	g_assert_false(dropped("fe80::1", "ff02::2", 58, 0));
	g_assert_false(dropped("fe80::1", "ff02::1:2", 17, 547));
	/* MLD from :: behind a hop-by-hop header: libslirp drops it itself */
	g_assert_false(dropped("::", "ff02::16", 0, 0));
	/* loopback, unspecified, mapped, IPv4-compatible */
	g_assert_true(dropped("fd00::100", "::1", 6, 80));
	g_assert_true(dropped("fd00::100", "::", 6, 80));
	g_assert_true(dropped("fd00::100", "::ffff:127.0.0.1", 6, 80));
	g_assert_true(dropped("fd00::100", "::ffff:0.0.0.0", 6, 80));
	g_assert_true(dropped("fd00::100", "::ffff:192.0.2.1", 6, 80));
	g_assert_true(dropped("fd00::100", "::127.0.0.1", 6, 80));
	g_assert_true(dropped("fd00::100", "::1", 58, 0));
	g_assert_true(dropped("::1", "fd00::2", 6, 80));
	g_assert_true(dropped("::", "fd00::2", 6, 80));
	g_assert_true(dropped("::ffff:127.0.0.1", "fd00::2", 17, 53));
	g_assert_true(dropped("ff02::1", "fd00::2", 17, 53));
	/* multicast: no TCP, UDP only DHCPv6 (libslirp sends ff02::1 to ::1) */
	g_assert_true(dropped("fd00::100", "ff02::1", 6, 80));
	g_assert_true(dropped("fd00::100", "ff02::1", 17, 53));
	g_assert_true(dropped("fd00::100", "ff02::1", 17, 547));
	/* the prefix other than gateway and DNS is ::1 to libslirp */
	g_assert_true(dropped("fd00::100", "fd00::1234", 6, 80));
	g_assert_true(dropped("fd00::100", "fd00::1234", 17, 53));
}

static void test_no_dns(void)
{
	struct in_addr net = { htonl(0x0a000200) },
		       mask = { htonl(0xffffff00) };
	struct in6_addr p = { .s6_addr = { 0xfd } }, h = p;

	h.s6_addr[15] = 2;
	sl_martian_init(&rules, net, mask, &p, &h, NULL);
	/* without the built-in DNS, fd00::3 is the host's ::1 to libslirp */
	g_assert_true(dropped("fd00::100", "fd00::3", 17, 53));
	g_assert_false(dropped("fd00::100", "fd00::2", 17, 53));
}

int main(int argc, char **argv)
{
	struct in_addr net = { htonl(0x0a000200) },
		       mask = { htonl(0xffffff00) };
	struct in6_addr p = { .s6_addr = { 0xfd } }, h = p, d = p;

	h.s6_addr[15] = 2;
	d.s6_addr[15] = 3;
	sl_martian_init(&rules, net, mask, &p, &h, &d);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/martian/ipv4", test_v4);
	g_test_add_func("/martian/ipv6", test_v6);
	g_test_add_func("/martian/no-dns", test_no_dns);
	return g_test_run();
}
