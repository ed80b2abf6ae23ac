/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/fuzz/fuzz-dns.c - libFuzzer target: the DNS relay's parsing
 * (slirp/dnswire.c): guest frames and TCP segments, upstream answers, answer
 * frames, resolv.conf
 *
 * The first byte picks what the rest is:
 *  0: a frame from the guest (dnsw_parse_query()); a query found is also
 *     answered with itself, as if a server had echoed it;
 *  1: a query and an answer, split at the second byte (dnsw_answer_ok(),
 *     dnsw_question_len(), dnsw_build_udp() and dnsw_build_fragment() at
 *     several MTUs);
 *  2: a resolv.conf text (dnsw_parse_resolv());
 *  3: a TCP frame from the guest (dnsw_parse_tcp()), its data sent back in
 *     a segment (dnsw_build_tcp()).
 * Checks: what is found lies inside the input, a built frame fits its
 * buffer and the MTU, parsed servers are IPv4 or IPv6 on port 53.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "slirp/dnswire.h"

/* Room for parsed servers: fewer than a file may name */
#define FUZZ_SERVERS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t frame[DNSW_FRAME_HDR_MAX + DNSW_ANSWER_MAX];

static const unsigned mtus[] = { 68, 576, 1280, 1500, 65521 };

static void fuzz_addrs(struct dnsw_addrs *a)
{
	memset(a, 0, sizeof(*a));
	inet_pton(AF_INET, "10.0.2.3", &a->dns4);
	a->dns6_on = true;
	inet_pton(AF_INET6, "fd00::3", &a->dns6);
}

static uint8_t udp[8 + DNSW_ANSWER_MAX];

/* The answer's datagram, and its frames at each MTU: each fits the MTU,
 * and together they carry the datagram */
static void check_build(const struct dnsw_guest *g, const uint8_t *ans,
			size_t alen)
{
	size_t ulen = dnsw_build_udp(g, ans, alen, udp, sizeof(udp)), i;

	if (ulen > sizeof(udp) || (ulen && (udp[8] != (uint8_t)(g->id >> 8) ||
					    ulen < 8 + DNSW_HDR_LEN)))
		abort();
	for (i = 0; ulen && i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		size_t off = 0, n, frames = 0;

		while (off < ulen) {
			size_t before = off;

			n = dnsw_build_fragment(g, udp, ulen, &off, mtus[i],
						1234, frame, sizeof(frame));
			if (!n)
				break;
			if (n > 14 + mtus[i] || off <= before || off > ulen)
				abort();
			frames++;
		}
		if (n && off != ulen)
			abort();
		if (frames > 65536 / 8)
			abort();
	}
}

static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct dnsw_addrs a;
	struct dnsw_guest g;
	const uint8_t *msg = NULL;
	size_t mlen = 0;

	fuzz_addrs(&a);
	memset(&g, 0, sizeof(g));
	if (dnsw_parse_query(data, size, &a, &g, &msg, &mlen) != DNSW_QUERY)
		return;
	if (dnsw_proto_to(data, size, &a) != DNSW_PROTO_UDP)
		abort();
	if (msg < data || mlen > size || msg + mlen > data + size ||
	    !dnsw_query_ok(msg, mlen) || (g.family != 4 && g.family != 6))
		abort();
	check_build(&g, msg, mlen);
}

static void fuzz_answer(const uint8_t *data, size_t size)
{
	struct dnsw_guest g = { .family = 4, .guest_port = 33333, .id = 7 };
	size_t split;
	long q;

	if (size < 2)
		return;
	split = MIN((size_t)data[0] * 4, size - 1);
	data++;
	size--;
	q = dnsw_question_len(data + split, size - split);
	if (q >= 0 && (size_t)q + DNSW_HDR_LEN > size - split)
		abort();
	if (split >= DNSW_HDR_LEN)
		(void)dnsw_answer_ok(data + split, size - split,
				     (uint16_t)(data[0] << 8 | data[1]), data,
				     split);
	check_build(&g, data + split, size - split);
	g.family = 6;
	check_build(&g, data + split, size - split);
}

static void fuzz_resolv(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss[FUZZ_SERVERS];
	unsigned n, i;

	n = dnsw_parse_resolv((const char *)data, size, ss, FUZZ_SERVERS);
	if (n > FUZZ_SERVERS)
		abort();
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (const void *)&ss[i];

		if ((ss[i].ss_family != AF_INET &&
		     ss[i].ss_family != AF_INET6) ||
		    sin->sin_port != htons(DNSW_PORT))
			abort();
	}
}

static void fuzz_tcp(const uint8_t *data, size_t size)
{
	struct dnsw_addrs a;
	struct dnsw_guest g;
	struct dnsw_tcpseg seg;
	size_t n;

	fuzz_addrs(&a);
	memset(&g, 0, sizeof(g));
	if (dnsw_parse_tcp(data, size, &a, &g, &seg) != DNSW_QUERY)
		return;
	if (dnsw_proto_to(data, size, &a) != DNSW_PROTO_TCP)
		abort();
	if (seg.data < data || seg.dlen > size ||
	    seg.data + seg.dlen > data + size ||
	    (g.family != 4 && g.family != 6))
		abort();
	seg.flags |= DNSW_TCP_SYN;
	n = dnsw_build_tcp(&g, &seg, frame, sizeof(frame));
	if (n > sizeof(frame) || (n && n < 14 + 20 + 20 + seg.dlen))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_frame(data + 1, size - 1);
		break;
	case 1:
		fuzz_answer(data + 1, size - 1);
		break;
	case 2:
		fuzz_resolv(data + 1, size - 1);
		break;
	default:
		fuzz_tcp(data + 1, size - 1);
		break;
	}
	return 0;
}
