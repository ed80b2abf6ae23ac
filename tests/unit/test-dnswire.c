/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-dnswire.c - the DNS relay's parsing and building
 * (slirp/dnswire.c): resolv.conf, queries in frames, answers accepted or
 * refused, answer datagrams and their fragments
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "slirp/dnswire.h"

/* A query for usernet.test A, id 0x1234 */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0,   1, 0,   0,	  0,   0,   0, 0, 7, 'u', 's',
	'e',  'r',  'n',  'e',	't', 4, 't', 'e', 's', 't', 0, 0, 1, 0,	  1,
};

static void test_resolv(void)
{
	static const char text[] = "# comment\n"
				   "search example.org\n"
				   "nameserver 192.0.2.1\n"
				   "  nameserver\t2001:db8::53  \n"
				   "nameserver fe80::1%3\n"
				   "nameserver fe80::1%eth0\n"
				   "nameserver 300.1.1.1\n"
				   "nameserver192.0.2.9\n"
				   "nameserver 192.0.2.2";
	struct sockaddr_storage ss[8];
	const struct sockaddr_in *a = (const void *)&ss[0];
	const struct sockaddr_in6 *b = (const void *)&ss[1],
				  *c = (const void *)&ss[2];
	const struct sockaddr_in *d = (const void *)&ss[3];
	char buf[INET6_ADDRSTRLEN];

	g_assert_cmpuint(dnsw_parse_resolv(text, strlen(text), ss, 8), ==, 4);
	g_assert_cmpint(a->sin_family, ==, AF_INET);
	g_assert_cmpuint(ntohs(a->sin_port), ==, 53);
	g_assert_cmpstr(inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf)), ==,
			"192.0.2.1");
	g_assert_cmpint(b->sin6_family, ==, AF_INET6);
	g_assert_cmpstr(inet_ntop(AF_INET6, &b->sin6_addr, buf, sizeof(buf)),
			==, "2001:db8::53");
	g_assert_cmpuint(c->sin6_scope_id, ==, 3);
	g_assert_cmpstr(inet_ntop(AF_INET, &d->sin_addr, buf, sizeof(buf)), ==,
			"192.0.2.2");
	/* bounded by the room given */
	g_assert_cmpuint(dnsw_parse_resolv(text, strlen(text), ss, 2), ==, 2);
	g_assert_cmpuint(dnsw_parse_resolv("", 0, ss, 8), ==, 0);
}

/* An Ethernet/IPv4/UDP frame from 10.0.2.100:40000 to @dst:@dport */
static size_t frame4(uint8_t *f, const char *dst, uint16_t dport,
		     const uint8_t *msg, size_t mlen, uint16_t frag)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 14 + 28);
	memcpy(f, "\x52\x55\x0a\x00\x02\x03\x02\x00\x00\x00\x00\x01\x08\x00",
	       14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + mlen) >> 8);
	ip[3] = (uint8_t)(28 + mlen);
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = DNSW_PROTO_UDP;
	inet_pton(AF_INET, "10.0.2.100", ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	udp[0] = 0x9c;
	udp[1] = 0x40;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + mlen) >> 8);
	udp[5] = (uint8_t)(8 + mlen);
	memcpy(udp + 8, msg, mlen);
	return 14 + 28 + mlen;
}

static void test_parse_query(void)
{
	struct dnsw_addrs a = { .dns6_on = false };
	struct dnsw_guest g;
	uint8_t f[256], bad[sizeof(query)];
	const uint8_t *msg;
	size_t n, mlen;

	inet_pton(AF_INET, "10.0.2.3", &a.dns4);
	n = frame4(f, "10.0.2.3", 53, query, sizeof(query), 0);
	g_assert_cmpuint(dnsw_proto_to(f, n, &a), ==, DNSW_PROTO_UDP);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_QUERY);
	g_assert_cmpuint(mlen, ==, sizeof(query));
	g_assert_true(msg == f + 42);
	g_assert_cmpuint(g.family, ==, 4);
	g_assert_cmpuint(g.guest_port, ==, 40000);
	g_assert_cmpuint(g.id, ==, 0x1234);
	g_assert_cmpmem(g.our_mac, 6, "\x52\x55\x0a\x00\x02\x03", 6);
	g_assert_cmpmem(g.guest_mac, 6, "\x02\x00\x00\x00\x00\x01", 6);
	/* another address, another port: libslirp's */
	n = frame4(f, "10.0.2.2", 53, query, sizeof(query), 0);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_PASS);
	n = frame4(f, "10.0.2.3", 5353, query, sizeof(query), 0);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_PASS);
	/* a fragment, an answer, no question, a truncated question: dropped */
	n = frame4(f, "10.0.2.3", 53, query, sizeof(query), 0x2000);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_DROP);
	memcpy(bad, query, sizeof(query));
	bad[2] |= 0x80;
	n = frame4(f, "10.0.2.3", 53, bad, sizeof(bad), 0);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_DROP);
	memcpy(bad, query, sizeof(query));
	bad[5] = 0;
	n = frame4(f, "10.0.2.3", 53, bad, sizeof(bad), 0);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_DROP);
	n = frame4(f, "10.0.2.3", 53, query, sizeof(query) - 3, 0);
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_DROP);
	/* a UDP length beyond the packet */
	n = frame4(f, "10.0.2.3", 53, query, sizeof(query), 0);
	f[14 + 20 + 5] += 10;
	g_assert_cmpint(dnsw_parse_query(f, n, &a, &g, &msg, &mlen), ==,
			DNSW_DROP);
}

static void test_answer_ok(void)
{
	uint8_t ans[sizeof(query) + 16];

	memcpy(ans, query, sizeof(query));
	ans[0] = 0xab;
	ans[1] = 0xcd;
	ans[2] = 0x81;
	ans[3] = 0x80;
	g_assert_true(dnsw_answer_ok(ans, sizeof(query), 0xabcd, query,
				     sizeof(query)));
	/* another id, not a response */
	g_assert_false(dnsw_answer_ok(ans, sizeof(query), 0xabce, query,
				      sizeof(query)));
	ans[2] = 0x01;
	g_assert_false(dnsw_answer_ok(ans, sizeof(query), 0xabcd, query,
				      sizeof(query)));
	ans[2] = 0x81;
	/* the question in another case: the same; another name: refused */
	ans[13] = 'U';
	g_assert_true(dnsw_answer_ok(ans, sizeof(query), 0xabcd, query,
				     sizeof(query)));
	ans[13] = 'x';
	g_assert_false(dnsw_answer_ok(ans, sizeof(query), 0xabcd, query,
				      sizeof(query)));
	/* no question (an error answer): taken; short: refused */
	ans[5] = 0;
	g_assert_true(dnsw_answer_ok(ans, 12, 0xabcd, query, sizeof(query)));
	g_assert_false(dnsw_answer_ok(ans, 11, 0xabcd, query, sizeof(query)));
}

static void test_build(void)
{
	struct dnsw_guest g = { .family = 4,
				.guest_port = 40000,
				.id = 0x1234 };
	static uint8_t ans[3000], udp[8 + sizeof(ans)], frame[1600];
	size_t ulen, off = 0, n, total = 0, frames = 0;

	memcpy(ans, query, sizeof(query));
	ans[0] = 0x55;
	ans[2] = 0x81;
	inet_pton(AF_INET, "10.0.2.100", g.guest_ip);
	inet_pton(AF_INET, "10.0.2.3", g.dns_ip);
	ulen = dnsw_build_udp(&g, ans, sizeof(ans), udp, sizeof(udp));
	g_assert_cmpuint(ulen, ==, 8 + sizeof(ans));
	/* the guest's id put back, ports */
	g_assert_cmpuint(udp[8], ==, 0x12);
	g_assert_cmpuint(udp[9], ==, 0x34);
	g_assert_cmpuint(udp[0] << 8 | udp[1], ==, 53);
	g_assert_cmpuint(udp[2] << 8 | udp[3], ==, 40000);
	/* MTU 1500: three fragments, offsets in eights, MF on all but the last */
	while (off < ulen) {
		size_t before = off;

		n = dnsw_build_fragment(&g, udp, ulen, &off, 1500, 7, frame,
					sizeof(frame));
		g_assert_cmpuint(n, >, 0);
		g_assert_cmpuint(n, <=, 14 + 1500);
		g_assert_cmpuint(((frame[20] & 0x1f) << 8 | frame[21]) * 8, ==,
				 before);
		g_assert_cmpuint(!!(frame[20] & 0x20), ==, off < ulen);
		total += n - 14 - 20;
		frames++;
	}
	g_assert_cmpuint(frames, ==, 3);
	g_assert_cmpuint(total, ==, ulen);
	/* small enough: one whole datagram with DF */
	ulen = dnsw_build_udp(&g, query, sizeof(query), udp, sizeof(udp));
	off = 0;
	n = dnsw_build_fragment(&g, udp, ulen, &off, 1500, 7, frame,
				sizeof(frame));
	g_assert_cmpuint(n, ==, 14 + 20 + ulen);
	g_assert_cmpuint(frame[20], ==, 0x40);
	g_assert_cmpuint(off, ==, ulen);
	/* no room for the answer: cut to its question, with TC */
	ulen = dnsw_build_udp(&g, ans, sizeof(ans), udp, 8 + 100);
	g_assert_cmpuint(ulen, ==, 8 + sizeof(query));
	g_assert_cmpuint(udp[10] & 0x02, ==, 0x02);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dnswire/resolv", test_resolv);
	g_test_add_func("/dnswire/parse-query", test_parse_query);
	g_test_add_func("/dnswire/answer-ok", test_answer_ok);
	g_test_add_func("/dnswire/build", test_build);
	return g_test_run();
}
