/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/addr.c - IP address, CIDR and MAC parsing and arithmetic, and the
 * guest's address plan
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "common/addr.h"
#include "common/util.h"

/**
 * addr_cidr4_parse() - parse "A.B.C.D/N" into a network
 * @s:		text
 * @out:	parsed network
 *
 * The prefix must lie in [ADDR_CIDR4_MIN_PREFIX, ADDR_CIDR4_MAX_PREFIX] so
 * that the recommended guest address (network + 100) fits, and the host bits
 * of the address must be clear.
 *
 * Return: 0, -EINVAL if malformed, -ERANGE if the prefix is out of range,
 * -EADDRNOTAVAIL if host bits are set
 */
int addr_cidr4_parse(const char *s, struct addr_cidr4 *out)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long prefix;
	struct in_addr a;
	uint32_t mask;
	size_t len;
	int r;

	if (!slash)
		return -EINVAL;
	len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	r = util_parse_uint(slash + 1, 32, &prefix);
	if (r == -EINVAL)
		return -EINVAL;
	if (r || prefix < ADDR_CIDR4_MIN_PREFIX ||
	    prefix > ADDR_CIDR4_MAX_PREFIX)
		return -ERANGE;
	mask = htonl(~0U << (32 - prefix));
	if (a.s_addr & ~mask)
		return -EADDRNOTAVAIL;
	out->net = a;
	out->prefix = (unsigned)prefix;
	return 0;
}

/**
 * addr_cidr4_host() - address number @n inside the network
 * @c:		network
 * @n:		host number (2 = gateway, 3 = DNS, 100 = guest, ...)
 *
 * Return: network address plus @n
 */
struct in_addr addr_cidr4_host(const struct addr_cidr4 *c, uint32_t n)
{
	struct in_addr a = { .s_addr = htonl(ntohl(c->net.s_addr) + n) };

	return a;
}

/**
 * addr_cidr4_mask() - netmask of the network
 * @c:		network
 *
 * Return: netmask, network byte order
 */
struct in_addr addr_cidr4_mask(const struct addr_cidr4 *c)
{
	struct in_addr m = {
		.s_addr = c->prefix ? htonl(~0U << (32 - c->prefix)) : 0,
	};

	return m;
}

/**
 * addr_plan_default4() - the guest's IPv4 network when --cidr is not given
 * @out:	ADDR_PLAN_CIDR4_DEFAULT, parsed
 */
void addr_plan_default4(struct addr_cidr4 *out)
{
	/* a constant that parses (tests/unit/test-addr.c) */
	(void)addr_cidr4_parse(ADDR_PLAN_CIDR4_DEFAULT, out);
}

/**
 * addr_plan_gateway4() - the gateway of the guest's IPv4 network, network + 2
 * @c:		the guest's network (--cidr)
 *
 * Return: the address (the host's loopback unless --disable-host-loopback)
 */
struct in_addr addr_plan_gateway4(const struct addr_cidr4 *c)
{
	return addr_cidr4_host(c, ADDR_HOST_GATEWAY);
}

/**
 * addr_plan_dns4() - the built-in DNS of the guest's IPv4 network, network + 3
 * @c:		the guest's network (--cidr)
 *
 * Return: the address
 */
struct in_addr addr_plan_dns4(const struct addr_cidr4 *c)
{
	return addr_cidr4_host(c, ADDR_HOST_DNS);
}

/**
 * addr_plan_guest4() - the guest's recommended IPv4 address, network + 100
 * @c:		the guest's network (--cidr)
 *
 * Return: the address (what --configure gives the tap)
 */
struct in_addr addr_plan_guest4(const struct addr_cidr4 *c)
{
	return addr_cidr4_host(c, ADDR_HOST_GUEST);
}

/**
 * addr_plan_dhcp_start4() - first address libslirp's DHCP hands out
 * @c:		the guest's network (--cidr)
 *
 * Return: network + 15
 */
struct in_addr addr_plan_dhcp_start4(const struct addr_cidr4 *c)
{
	return addr_cidr4_host(c, ADDR_HOST_DHCP_START);
}

/**
 * addr_plan_dhcp_end4() - last address libslirp's DHCP hands out (16 leases)
 * @c:		the guest's network (--cidr)
 *
 * Return: network + 30
 */
struct in_addr addr_plan_dhcp_end4(const struct addr_cidr4 *c)
{
	return addr_cidr4_host(c, ADDR_HOST_DHCP_END);
}

/**
 * addr_plan_prefix6() - the guest's IPv6 prefix (ADDR_PLAN_PREFIX6_LEN bits)
 *
 * Return: ADDR_PLAN_PREFIX6, fd00::
 */
struct in6_addr addr_plan_prefix6(void)
{
	struct in6_addr a = IN6ADDR_ANY_INIT;

	(void)inet_pton(AF_INET6, ADDR_PLAN_PREFIX6, &a);
	return a;
}

/* Host @n of the IPv6 prefix, written as its last 16 bits */
static struct in6_addr addr_plan_host6(uint16_t n)
{
	struct in6_addr a = addr_plan_prefix6();

	a.s6_addr[14] = (uint8_t)(n >> 8);
	a.s6_addr[15] = (uint8_t)n;
	return a;
}

/**
 * addr_plan_gateway6() - the IPv6 gateway, fd00::2
 *
 * Return: the address
 */
struct in6_addr addr_plan_gateway6(void)
{
	return addr_plan_host6(ADDR_HOST_GATEWAY);
}

/**
 * addr_plan_dns6() - the built-in IPv6 DNS, fd00::3
 *
 * Return: the address
 */
struct in6_addr addr_plan_dns6(void)
{
	return addr_plan_host6(ADDR_HOST_DNS);
}

/**
 * addr_plan_guest6() - the guest's IPv6 address, fd00::100
 *
 * Return: the address (what --configure gives the tap)
 */
struct in6_addr addr_plan_guest6(void)
{
	return addr_plan_host6(ADDR_HOST6_GUEST);
}

/**
 * addr_ip_parse() - parse an IPv4 or IPv6 address
 * @s:		"A.B.C.D", "X::Y" or "[X::Y]"
 * @out:	parsed address
 *
 * Return: 0 or -EINVAL
 */
int addr_ip_parse(const char *s, struct addr_ip *out)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len = strlen(s);

	if (len && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &out->v6) != 1)
			return -EINVAL;
		out->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/**
 * addr_ip_str() - format an address, IPv6 in brackets
 * @a:		address
 * @buf:	output buffer, at least ADDR_STRLEN bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
const char *addr_ip_str(const struct addr_ip *a, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (a->family == AF_INET6) {
		inet_ntop(AF_INET6, &a->v6, tmp, sizeof(tmp));
		snprintf(buf, len, "[%s]", tmp);
	} else {
		inet_ntop(AF_INET, &a->v4, buf, (socklen_t)len);
	}
	return buf;
}

/**
 * addr_ip_str_plain() - format an address, IPv6 without brackets (as JSON
 * APIs and slirp4netns print it)
 * @a:		address
 * @buf:	output buffer, at least ADDR_STRLEN bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
const char *addr_ip_str_plain(const struct addr_ip *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET,
		       a->family == AF_INET6 ? (const void *)&a->v6 :
					       (const void *)&a->v4,
		       buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

/**
 * addr_ip_is_any() - whether @a is 0.0.0.0 or ::
 * @a:		address
 *
 * Return: true for the wildcard address
 */
bool addr_ip_is_any(const struct addr_ip *a)
{
	if (a->family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->v6);
	return a->v4.s_addr == htonl(INADDR_ANY);
}

/**
 * addr_ip_is_loopback() - whether @a is in 127.0.0.0/8 or is ::1
 * @a:		address
 *
 * Return: true for loopback addresses
 */
bool addr_ip_is_loopback(const struct addr_ip *a)
{
	if (a->family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&a->v6);
	return (ntohl(a->v4.s_addr) >> 24) == 127;
}

/**
 * addr_mac_parse() - parse "aa:bb:cc:dd:ee:ff"
 * @s:		text, six colon-separated hexadecimal octets
 * @mac:	parsed address
 *
 * Multicast addresses are refused: a tap cannot use one.
 *
 * Return: 0 or -EINVAL
 */
int addr_mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = g_ascii_xdigit_value(s[i * 3]);
		lo = g_ascii_xdigit_value(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return -EINVAL;
	return 0;
}
