/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-tcpreset.c - the connections slirp/tcpreset.c follows on
 * the tap, and the resets it writes for them at the end: sequence numbers
 * the guest accepts, addresses and ports swapped, valid checksums; and what
 * it forgets: SYNs answered with ICMP destination unreachable, SYNs never
 * answered, idle connections when the table is full (never young ones)
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "slirp/tcpreset.h"

#define GUEST_MAC "\x02\x00\x00\x00\x00\x64"
#define SLIRP_MAC "\x52\x55\x0a\x00\x02\x02"

static GPtrArray *sent;

/* A TCP segment over IPv4 between the guest 10.0.2.100:40000 and
 * 10.0.2.2:80, @to_guest or from it, with @paylen bytes of data */
static size_t seg(uint8_t *f, bool to_guest, uint8_t flags, uint32_t seq,
		  uint32_t ack, size_t paylen)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	uint8_t g[4] = { 10, 0, 2, 100 }, r[4] = { 10, 0, 2, 2 };

	memset(f, 0, 14 + 40 + paylen);
	memcpy(f, to_guest ? GUEST_MAC : SLIRP_MAC, 6);
	memcpy(f + 6, to_guest ? SLIRP_MAC : GUEST_MAC, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((40 + paylen) >> 8);
	ip[3] = (uint8_t)(40 + paylen);
	ip[9] = 6;
	memcpy(ip + 12, to_guest ? r : g, 4);
	memcpy(ip + 16, to_guest ? g : r, 4);
	th[0] = to_guest ? 0 : 0x9c, th[1] = to_guest ? 80 : 0x40;
	th[2] = to_guest ? 0x9c : 0, th[3] = to_guest ? 0x40 : 80;
	seq = htonl(seq), ack = htonl(ack);
	memcpy(th + 4, &seq, 4);
	memcpy(th + 8, &ack, 4);
	th[12] = 5 << 4;
	th[13] = flags;
	return 14 + 40 + paylen;
}

static void feed(struct sl_rst *r, bool to_guest, uint8_t flags, uint32_t seq,
		 uint32_t ack, size_t paylen)
{
	uint8_t f[14 + 40 + 1500];

	sl_rst_frame(r, f, seg(f, to_guest, flags, seq, ack, paylen), to_guest);
}

static void record(const uint8_t *f, size_t len, void *opaque)
{
	uint8_t *copy = g_malloc(len);

	memcpy(copy, f, len);
	g_ptr_array_add(sent, copy);
	g_assert_true(len == 54 || len == 74);
}

static uint16_t sum(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Reset number @i: to the guest, from 10.0.2.2:80, RST|ACK, @seq, @ack */
static void check_rst(guint i, uint32_t seq, uint32_t ack)
{
	const uint8_t *f = g_ptr_array_index(sent, i), *ip = f + 14,
		      *th = ip + 20;
	uint32_t v;

	g_assert_cmpmem(f, 6, GUEST_MAC, 6);
	g_assert_cmpmem(f + 6, 6, SLIRP_MAC, 6);
	g_assert_cmpuint(sum(ip, 20, 0), ==, 0xffff);
	g_assert_cmpmem(ip + 12, 4, "\x0a\x00\x02\x02", 4);
	g_assert_cmpmem(ip + 16, 4, "\x0a\x00\x02\x64", 4);
	/* the TCP checksum over the pseudo-header */
	g_assert_cmpuint(sum(th, 20, sum(ip + 12, 8, 6 + 20)), ==, 0xffff);
	g_assert_cmpuint(th[0] << 8 | th[1], ==, 80);
	g_assert_cmpuint(th[2] << 8 | th[3], ==, 40000);
	memcpy(&v, th + 4, 4);
	g_assert_cmpuint(ntohl(v), ==, seq);
	memcpy(&v, th + 8, 4);
	g_assert_cmpuint(ntohl(v), ==, ack);
	g_assert_cmpuint(th[13], ==, 0x14);
}

static void test_open(void)
{
	struct sl_rst *r = sl_rst_new(0);

	sent = g_ptr_array_new_with_free_func(g_free);
	feed(r, false, 0x02, 1000, 0, 0); /* SYN */
	/* not answered yet: nothing the guest would accept */
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 0);
	feed(r, true, 0x12, 5000, 1001, 0); /* SYN-ACK */
	feed(r, false, 0x10, 1001, 5001, 0); /* ACK */
	feed(r, false, 0x18, 1001, 5001, 300); /* upload */
	feed(r, true, 0x18, 5001, 1301, 100); /* reply */
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	/* the guest has not acknowledged the reply: two numbers */
	g_assert_cmpuint(sent->len, ==, 2);
	check_rst(0, 5101, 1301);
	check_rst(1, 5001, 1301);
	/* once it has, one */
	g_ptr_array_set_size(sent, 0);
	feed(r, false, 0x10, 1301, 5101, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	g_assert_cmpuint(sent->len, ==, 1);
	check_rst(0, 5101, 1301);
	/* half-closed by the guest: still open, still reset (FIN counts) */
	feed(r, false, 0x11, 1301, 5101, 0);
	g_ptr_array_set_size(sent, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	check_rst(0, 5101, 1302);
	sl_rst_free(r);
	g_ptr_array_unref(sent);
}

static void test_closed(void)
{
	struct sl_rst *r = sl_rst_new(0);

	sent = g_ptr_array_new_with_free_func(g_free);
	/* both FINs: closed both ways, no reset */
	feed(r, false, 0x02, 1000, 0, 0);
	feed(r, true, 0x12, 5000, 1001, 0);
	feed(r, true, 0x11, 5001, 1001, 0);
	feed(r, false, 0x11, 1001, 5002, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 0);
	/* a reset from either side ends it too */
	feed(r, false, 0x02, 2000, 0, 0);
	feed(r, true, 0x12, 7000, 2001, 0);
	feed(r, true, 0x04, 7001, 0, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 0);
	/* segments of a connection whose SYN was not seen are ignored */
	feed(r, true, 0x18, 9000, 3000, 10);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 0);
	g_assert_cmpuint(sent->len, ==, 0);
	sl_rst_free(r);
	g_ptr_array_unref(sent);
}

/*
 * A TCP segment between the guest 10.0.2.100 (fd00::100 if @v6) port @gp and
 * 10.0.2.2 (fd00::2) port @rp, @to_guest or from it, without data
 */
static size_t seg2(uint8_t *f, bool v6, bool to_guest, uint8_t flags,
		   uint32_t seq, uint32_t ack, uint16_t gp, uint16_t rp)
{
	uint8_t g6[16] = { 0xfd, [15] = 0x64 }, r6[16] = { 0xfd, [15] = 2 };
	uint8_t g4[4] = { 10, 0, 2, 100 }, r4[4] = { 10, 0, 2, 2 };
	size_t hl = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	uint8_t *ip = f + 14, *th = ip + hl;
	const uint8_t *g = v6 ? g6 : g4, *r = v6 ? r6 : r4;

	memset(f, 0, 14 + hl + 20);
	memcpy(f, to_guest ? GUEST_MAC : SLIRP_MAC, 6);
	memcpy(f + 6, to_guest ? SLIRP_MAC : GUEST_MAC, 6);
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60, ip[5] = 20, ip[6] = 6, ip[7] = 64;
	} else {
		f[12] = 0x08;
		ip[0] = 0x45, ip[3] = 40, ip[9] = 6;
	}
	memcpy(ip + hl - 2 * alen, to_guest ? r : g, alen);
	memcpy(ip + hl - alen, to_guest ? g : r, alen);
	gp = htons(gp), rp = htons(rp);
	memcpy(th, to_guest ? &rp : &gp, 2);
	memcpy(th + 2, to_guest ? &gp : &rp, 2);
	seq = htonl(seq), ack = htonl(ack);
	memcpy(th + 4, &seq, 4);
	memcpy(th + 8, &ack, 4);
	th[12] = 5 << 4;
	th[13] = flags;
	return 14 + hl + 20;
}

static void feed2(struct sl_rst *r, bool v6, bool to_guest, uint8_t flags,
		  uint32_t seq, uint32_t ack, uint16_t gp, uint16_t rp)
{
	uint8_t f[14 + 60];

	sl_rst_frame(r, f, seg2(f, v6, to_guest, flags, seq, ack, gp, rp),
		     to_guest);
}

/* A connection opened by the guest and answered by libslirp */
static void open2(struct sl_rst *r, bool v6, uint16_t gp, uint16_t rp)
{
	feed2(r, v6, false, 0x02, 1000, 0, gp, rp);
	feed2(r, v6, true, 0x12, 5000, 1001, gp, rp);
}

/*
 * libslirp's ICMP (ICMPv6 if @v6) @type/@code to the guest, quoting the
 * guest's SYN of the connection @gp - @rp as it does (IP header and 8 bytes)
 */
static void unreach(struct sl_rst *r, bool v6, uint8_t type, uint8_t code,
		    uint16_t gp, uint16_t rp)
{
	size_t hl = v6 ? 40 : 20;
	uint8_t f[14 + 40 + 8 + 60], q[14 + 60], *ip = f + 14;

	seg2(q, v6, false, 0x02, 1000, 0, gp, rp);
	seg2(f, v6, true, 0, 0, 0, gp, rp);
	memset(ip + hl, 0, 8);
	ip[hl] = type, ip[hl + 1] = code;
	memcpy(ip + hl + 8, q + 14, hl + 8);
	if (v6) {
		ip[5] = 8 + 40 + 8, ip[6] = 58;
	} else {
		ip[3] = 20 + 8 + 20 + 8, ip[9] = 1;
	}
	sl_rst_frame(r, f, 14 + hl + 8 + hl + 8, true);
}

static void test_unreach(void)
{
	struct sl_rst *r = sl_rst_new(0);
	unsigned i;

	sent = g_ptr_array_new_with_free_func(g_free);
	/* 65,536 connects that fail at once (the table's size), IPv4 and
	 * IPv6, each answered by libslirp with a destination unreachable */
	for (i = 0; i < 65536; i++) {
		bool v6 = i & 1;

		feed2(r, v6, false, 0x02, 1000, 0, (uint16_t)(i / 2), 81);
		unreach(r, v6, v6 ? 1 : 3, i % 4 ? 1 : 13, (uint16_t)(i / 2),
			81);
	}
	/* all forgotten: a new connection is followed and reset */
	feed(r, false, 0x02, 1000, 0, 0);
	feed(r, true, 0x12, 5000, 1001, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	check_rst(0, 5001, 1001);
	sl_rst_free(r);

	/* "fragmentation needed" and "packet too big" end no connection */
	r = sl_rst_new(0);
	open2(r, false, 1, 80);
	open2(r, true, 1, 80);
	unreach(r, false, 3, 4, 1, 80);
	unreach(r, true, 2, 0, 1, 80);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 2);
	/* an unreachable for an established one does, IPv4 and IPv6 */
	unreach(r, false, 3, 3, 1, 80);
	unreach(r, true, 1, 4, 1, 80);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 0);
	sl_rst_free(r);
	g_ptr_array_unref(sent);
}

static void test_syn_expiry(void)
{
	struct sl_rst *r = sl_rst_new(0);

	sent = g_ptr_array_new_with_free_func(g_free);
	/* two SYNs libslirp does not answer at once */
	feed2(r, false, false, 0x02, 1000, 0, 1, 80);
	feed2(r, false, false, 0x02, 1000, 0, 2, 80);
	/* young: kept by the sweep, answered after 9.5 s */
	sl_rst_clock(r, 9000);
	feed2(r, false, true, 0x12, 5000, 1001, 1, 80);
	/* unanswered for 10 s: forgotten, its late answer is not followed */
	sl_rst_clock(r, 10000);
	feed2(r, false, true, 0x12, 5000, 1001, 2, 80);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	/* an answered one, silent for long, stays while the table has room */
	sl_rst_clock(r, 10000000);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 1);
	sl_rst_free(r);
	g_ptr_array_unref(sent);
}

static void test_full(void)
{
	struct sl_rst *r = sl_rst_new(0);
	unsigned i;

	sent = g_ptr_array_new_with_free_func(g_free);
	/* a full table of connections answered by libslirp at 0 s */
	for (i = 0; i < 65536; i++)
		open2(r, false, (uint16_t)i, 81);
	/* full of young ones: a new connection is not followed */
	sl_rst_clock(r, 1000);
	feed(r, false, 0x02, 1000, 0, 0);
	feed(r, true, 0x12, 5000, 1001, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 65536);
	/* at 150 s, libslirp writes to one of them */
	sl_rst_clock(r, 150000);
	feed2(r, false, true, 0x18, 5001, 1001, 7, 81);
	/* at 200 s, a new connection makes room: the silent ones go, the
	 * active one stays */
	sl_rst_clock(r, 200000);
	g_ptr_array_set_size(sent, 0);
	feed(r, false, 0x02, 1000, 0, 0);
	feed(r, true, 0x12, 5000, 1001, 0);
	g_assert_cmpuint(sl_rst_all(r, record, NULL), ==, 2);
	g_assert_cmpuint(sent->len, ==, 2);
	sl_rst_free(r);
	g_ptr_array_unref(sent);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tcpreset/open", test_open);
	g_test_add_func("/tcpreset/closed", test_closed);
	g_test_add_func("/tcpreset/unreach", test_unreach);
	g_test_add_func("/tcpreset/syn-expiry", test_syn_expiry);
	g_test_add_func("/tcpreset/full", test_full);
	return g_test_run();
}
