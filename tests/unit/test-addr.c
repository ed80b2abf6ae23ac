/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-addr.c - CIDR, address and MAC parsing and arithmetic
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/util.h"

static const char *ip4(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static void test_cidr_default(void)
{
	struct addr_cidr4 c;

	g_assert_cmpint(addr_cidr4_parse("10.0.2.0/24", &c), ==, 0);
	g_assert_cmpuint(c.prefix, ==, 24);
	g_assert_cmpstr(ip4(c.net), ==, "10.0.2.0");
	g_assert_cmpstr(ip4(addr_cidr4_mask(&c)), ==, "255.255.255.0");
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_GATEWAY)), ==,
			"10.0.2.2");
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_DNS)), ==,
			"10.0.2.3");
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_DHCP_START)), ==,
			"10.0.2.15");
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_GUEST)), ==,
			"10.0.2.100");
}

static void test_cidr_other(void)
{
	struct addr_cidr4 c;

	g_assert_cmpint(addr_cidr4_parse("10.0.3.0/24", &c), ==, 0);
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_GUEST)), ==,
			"10.0.3.100");
	g_assert_cmpint(addr_cidr4_parse("172.16.0.0/16", &c), ==, 0);
	g_assert_cmpstr(ip4(addr_cidr4_mask(&c)), ==, "255.255.0.0");
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_GUEST)), ==,
			"172.16.0.100");
	/* /25 is the longest prefix that still holds .100 */
	g_assert_cmpint(addr_cidr4_parse("192.168.5.128/25", &c), ==, 0);
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, ADDR_HOST_GUEST)), ==,
			"192.168.5.228");
	/* carries across octets */
	g_assert_cmpint(addr_cidr4_parse("10.0.0.0/8", &c), ==, 0);
	g_assert_cmpstr(ip4(addr_cidr4_host(&c, 300)), ==, "10.0.1.44");
}

static void test_cidr_bad(void)
{
	static const char *const malformed[] = {
		"",
		"10.0.2.0",
		"10.0.2.0/",
		"/24",
		"10.0.2/24",
		"foo/24",
		"10.0.2.0/x",
		"10.0.2.0/24x",
		"10.0.2.0/-1",
		"10.0.2.0/+24",
		"::/64",
		"10.0.2.0/ 24",
		"256.0.2.0/24",
	};
	struct addr_cidr4 c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(malformed); i++)
		g_assert_cmpint(addr_cidr4_parse(malformed[i], &c), ==,
				-EINVAL);
	g_assert_cmpint(addr_cidr4_parse("10.0.2.0/33", &c), ==, -ERANGE);
	g_assert_cmpint(addr_cidr4_parse("10.0.2.0/26", &c), ==, -ERANGE);
	g_assert_cmpint(addr_cidr4_parse("0.0.0.0/0", &c), ==, -ERANGE);
	g_assert_cmpint(addr_cidr4_parse("10.0.2.0/99999999999", &c), ==,
			-ERANGE);
	g_assert_cmpint(addr_cidr4_parse("10.0.2.5/24", &c), ==,
			-EADDRNOTAVAIL);
}

static void test_ip_parse(void)
{
	char buf[ADDR_STRLEN];
	struct addr_ip a;

	g_assert_cmpint(addr_ip_parse("127.0.0.1", &a), ==, 0);
	g_assert_cmpint(a.family, ==, AF_INET);
	g_assert_true(addr_ip_is_loopback(&a));
	g_assert_cmpstr(addr_ip_str(&a, buf, sizeof(buf)), ==, "127.0.0.1");
	g_assert_cmpint(addr_ip_parse("[::1]", &a), ==, 0);
	g_assert_cmpint(a.family, ==, AF_INET6);
	g_assert_true(addr_ip_is_loopback(&a));
	g_assert_cmpstr(addr_ip_str(&a, buf, sizeof(buf)), ==, "[::1]");
	g_assert_cmpint(addr_ip_parse("::", &a), ==, 0);
	g_assert_true(addr_ip_is_any(&a));
	g_assert_cmpint(addr_ip_parse("0.0.0.0", &a), ==, 0);
	g_assert_true(addr_ip_is_any(&a));
	g_assert_false(addr_ip_is_loopback(&a));
	g_assert_cmpint(addr_ip_parse("[127.0.0.1]", &a), ==, -EINVAL);
	g_assert_cmpint(addr_ip_parse("[::1", &a), ==, -EINVAL);
	g_assert_cmpint(addr_ip_parse("[]", &a), ==, -EINVAL);
	g_assert_cmpint(addr_ip_parse("", &a), ==, -EINVAL);
	g_assert_cmpint(addr_ip_parse("1.2.3", &a), ==, -EINVAL);
	g_assert_cmpint(addr_ip_parse("localhost", &a), ==, -EINVAL);
}

static void test_mac(void)
{
	uint8_t mac[6];

	g_assert_cmpint(addr_mac_parse("02:00:00:00:00:01", mac), ==, 0);
	g_assert_cmpuint(mac[0], ==, 2);
	g_assert_cmpuint(mac[5], ==, 1);
	g_assert_cmpint(addr_mac_parse("0a:1B:2c:3D:4e:5F", mac), ==, 0);
	g_assert_cmpuint(mac[1], ==, 0x1b);
	g_assert_cmpint(addr_mac_parse("01:00:5e:00:00:01", mac), ==, -EINVAL);
	g_assert_cmpint(addr_mac_parse("02:00:00:00:00", mac), ==, -EINVAL);
	g_assert_cmpint(addr_mac_parse("02:00:00:00:00:01:", mac), ==, -EINVAL);
	g_assert_cmpint(addr_mac_parse("02-00-00-00-00-01", mac), ==, -EINVAL);
	g_assert_cmpint(addr_mac_parse("g2:00:00:00:00:01", mac), ==, -EINVAL);
	g_assert_cmpint(addr_mac_parse(" 2:00:00:00:00:01", mac), ==, -EINVAL);
}

static void test_parse_uint(void)
{
	unsigned long v;

	g_assert_cmpint(util_parse_uint("0", 10, &v), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_cmpint(util_parse_uint("65535", 65535, &v), ==, 0);
	g_assert_cmpint(util_parse_uint("65536", 65535, &v), ==, -ERANGE);
	g_assert_cmpint(util_parse_uint("99999999999999999999999", 65535, &v),
			==, -ERANGE);
	g_assert_cmpint(util_parse_uint("-1", 65535, &v), ==, -EINVAL);
	g_assert_cmpint(util_parse_uint(" 1", 65535, &v), ==, -EINVAL);
	g_assert_cmpint(util_parse_uint("1 ", 65535, &v), ==, -EINVAL);
	g_assert_cmpint(util_parse_uint("0x10", 65535, &v), ==, -EINVAL);
	g_assert_cmpint(util_parse_uint("", 65535, &v), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/addr/cidr/default", test_cidr_default);
	g_test_add_func("/addr/cidr/other", test_cidr_other);
	g_test_add_func("/addr/cidr/bad", test_cidr_bad);
	g_test_add_func("/addr/ip", test_ip_parse);
	g_test_add_func("/addr/mac", test_mac);
	g_test_add_func("/util/parse-uint", test_parse_uint);
	return g_test_run();
}
