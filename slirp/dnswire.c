/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnswire.c - the DNS relay's parsing and building: guest query
 * frames, upstream answers, answer frames, resolv.conf (no I/O)
 *
 * Everything here reads untrusted bytes (frames from the guest, datagrams
 * from the network, a file) and is fuzzed (tests/fuzz/fuzz-dns.c): every
 * length is checked before the read it allows.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "common/util.h"
#include "slirp/dnswire.h"
#include "slirp/csum.h"

#define ETH_HLEN_ 14
#define ETHTYPE_IP 0x0800
#define ETHTYPE_IPV6 0x86dd
#define DNSW_FLAG_QR 0x80 /* byte 2 */
#define DNSW_FLAG_TC 0x02 /* byte 2 */
/* Questions a message may carry for dnsw_question_len() (one in practice) */
#define DNSW_QD_MAX 16

/* The guest's and the relay's address of a packet of IP version @family */
static enum dnsw_verdict dnsw_from(struct dnsw_guest *g, uint8_t family,
				   const uint8_t *src, const uint8_t *dst)
{
	size_t n = family == 4 ? 4 : 16;

	g->family = family;
	memcpy(g->guest_ip, src, n);
	memcpy(g->dns_ip, dst, n);
	return DNSW_QUERY;
}

/* Whether the IPv4 destination at @dst is one of the relay's addresses */
static bool dnsw_is_ours4(const uint8_t *dst, const struct dnsw_addrs *a)
{
	return !memcmp(dst, &a->dns4, 4) ||
	       (a->alias4_on && !memcmp(dst, &a->alias4, 4));
}

/* The transport header and its bounds of an IPv4 packet @ip of @iplen bytes
 * to the relay; DNSW_PASS when it is not UDP or TCP to the relay's address */
static enum dnsw_verdict dnsw_ip4(const uint8_t *ip, size_t iplen,
				  const struct dnsw_addrs *a,
				  struct dnsw_guest *g, const uint8_t **l4,
				  size_t *l4len)
{
	size_t hl, tot;

	if (iplen < 20 || (ip[0] >> 4) != 4 ||
	    (ip[9] != DNSW_PROTO_UDP && ip[9] != DNSW_PROTO_TCP) ||
	    !dnsw_is_ours4(ip + 16, a))
		return DNSW_PASS;
	hl = (size_t)(ip[0] & 0xf) * 4;
	tot = util_get16(ip + 2);
	if (hl < 20 || tot > iplen || tot < hl + 8)
		return DNSW_DROP;
	/* A fragmented query is no query: MF, or an offset */
	if ((util_get16(ip + 6) & 0x3fff) != 0)
		return DNSW_DROP;
	*l4 = ip + hl;
	*l4len = tot - hl;
	return dnsw_from(g, 4, ip + 12, ip + 16);
}

static enum dnsw_verdict dnsw_ip6(const uint8_t *ip, size_t iplen,
				  const struct dnsw_addrs *a,
				  struct dnsw_guest *g, const uint8_t **l4,
				  size_t *l4len)
{
	size_t pl;

	if (!a->dns6_on || iplen < 40 || (ip[0] >> 4) != 6 ||
	    (ip[6] != DNSW_PROTO_UDP && ip[6] != DNSW_PROTO_TCP) ||
	    memcmp(ip + 24, &a->dns6, 16))
		return DNSW_PASS;
	pl = util_get16(ip + 4);
	if (pl > iplen - 40 || pl < 8)
		return DNSW_DROP;
	*l4 = ip + 40;
	*l4len = pl;
	return dnsw_from(g, 6, ip + 8, ip + 24);
}

/* The transport (@proto: UDP or TCP) of a frame to port 53 of the relay's
 * address, at least 8 bytes; the MACs and addresses into @g */
static enum dnsw_verdict dnsw_l4(const uint8_t *frame, size_t len,
				 const struct dnsw_addrs *a, uint8_t proto,
				 struct dnsw_guest *g, const uint8_t **l4,
				 size_t *l4len)
{
	const uint8_t *ip = frame + ETH_HLEN_;
	enum dnsw_verdict v;
	uint16_t type;

	if (len < ETH_HLEN_)
		return DNSW_PASS;
	type = util_get16(frame + 12);
	if (type == ETHTYPE_IP && len >= ETH_HLEN_ + 20 && ip[9] == proto)
		v = dnsw_ip4(ip, len - ETH_HLEN_, a, g, l4, l4len);
	else if (type == ETHTYPE_IPV6 && len >= ETH_HLEN_ + 40 &&
		 ip[6] == proto)
		v = dnsw_ip6(ip, len - ETH_HLEN_, a, g, l4, l4len);
	else
		return DNSW_PASS;
	/* The fragments were dropped above: the first 8 bytes are there */
	if (v != DNSW_QUERY || util_get16(*l4 + 2) != DNSW_PORT)
		return v == DNSW_DROP ? DNSW_DROP : DNSW_PASS;
	memcpy(g->guest_mac, frame + 6, 6);
	memcpy(g->our_mac, frame, 6);
	if (frame[0] & 1) {
		/* sent to a group address: answer from the MAC libslirp gives
		 * its virtual hosts, 52:55 and the IPv4 address */
		g->our_mac[0] = 0x52;
		g->our_mac[1] = 0x55;
		memcpy(g->our_mac + 2, &a->dns4, 4);
	}
	g->guest_port = util_get16(*l4);
	return DNSW_QUERY;
}

/**
 * dnsw_proto_to() - the transport protocol of a frame to the relay's
 * address: the one check every frame from the guest goes through
 * @frame:	Ethernet frame
 * @len:	its length
 * @a:		the relay's addresses
 *
 * Return: the IP protocol (IPv6: the first next header) of an IPv4 or IPv6
 * packet to the relay's address, 0 for any other frame
 */
uint8_t dnsw_proto_to(const uint8_t *frame, size_t len,
		      const struct dnsw_addrs *a)
{
	const uint8_t *ip = frame + ETH_HLEN_;

	if (len >= ETH_HLEN_ + 20 && frame[12] == 0x08 && frame[13] == 0x00 &&
	    dnsw_is_ours4(ip + 16, a))
		return ip[9];
	if (a->dns6_on && len >= ETH_HLEN_ + 40 && frame[12] == 0x86 &&
	    frame[13] == 0xdd && !memcmp(ip + 24, &a->dns6, 16))
		return ip[6];
	return 0;
}

/**
 * dnsw_query_ok() - whether @msg can be relayed as a query
 * @msg:	DNS message from the guest
 * @len:	its length
 *
 * Return: true for a message of DNSW_HDR_LEN to DNSW_QUERY_MAX bytes without
 * QR, with one to DNSW_QD_MAX well-formed questions
 */
bool dnsw_query_ok(const uint8_t *msg, size_t len)
{
	return len >= DNSW_HDR_LEN && len <= DNSW_QUERY_MAX &&
	       !(msg[2] & DNSW_FLAG_QR) && util_get16(msg + 4) > 0 &&
	       dnsw_question_len(msg, len) >= 0;
}

/**
 * dnsw_parse_query() - whether an Ethernet frame from the guest is a DNS
 * query to the relay (UDP to port 53 of the IPv4 or IPv6 DNS address)
 * @frame:	the frame (no virtio-net header)
 * @len:	its length
 * @a:		the relay's addresses
 * @g:		out, for DNSW_QUERY: who asked
 * @payload:	out, for DNSW_QUERY: the DNS message, inside @frame
 * @plen:	out, for DNSW_QUERY: its length
 *
 * Other UDP ports of the DNS address, and everything else, pass to libslirp
 * (which never answered them). IPv6 extension headers pass too.
 *
 * Return: DNSW_PASS, DNSW_QUERY, or DNSW_DROP (to port 53 of the relay but
 * malformed, fragmented, or not a query)
 */
enum dnsw_verdict dnsw_parse_query(const uint8_t *frame, size_t len,
				   const struct dnsw_addrs *a,
				   struct dnsw_guest *g,
				   const uint8_t **payload, size_t *plen)
{
	const uint8_t *udp = NULL;
	size_t ulen = 0, uhlen;
	enum dnsw_verdict v;

	v = dnsw_l4(frame, len, a, DNSW_PROTO_UDP, g, &udp, &ulen);
	if (v != DNSW_QUERY)
		return v;
	uhlen = util_get16(udp + 4);
	if (uhlen < 8 || uhlen > ulen || !dnsw_query_ok(udp + 8, uhlen - 8))
		return DNSW_DROP;
	g->id = util_get16(udp + 8);
	*payload = udp + 8;
	*plen = uhlen - 8;
	return DNSW_QUERY;
}

/**
 * dnsw_parse_tcp() - whether an Ethernet frame from the guest is a TCP
 * segment to port 53 of the relay's address, and what it says
 * @frame:	the frame (no virtio-net header)
 * @len:	its length
 * @a:		the relay's addresses
 * @g:		out, for DNSW_QUERY: who sent it (its id is left alone)
 * @seg:	out, for DNSW_QUERY: the segment (its data inside @frame)
 *
 * Return: DNSW_PASS (not TCP to port 53 of the relay), DNSW_QUERY, or
 * DNSW_DROP (malformed, fragmented)
 */
enum dnsw_verdict dnsw_parse_tcp(const uint8_t *frame, size_t len,
				 const struct dnsw_addrs *a,
				 struct dnsw_guest *g, struct dnsw_tcpseg *seg)
{
	const uint8_t *tcp = NULL;
	size_t tlen = 0, doff, i;
	enum dnsw_verdict v;

	v = dnsw_l4(frame, len, a, DNSW_PROTO_TCP, g, &tcp, &tlen);
	if (v != DNSW_QUERY)
		return v;
	if (tlen < 20)
		return DNSW_DROP;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || doff > tlen)
		return DNSW_DROP;
	memset(seg, 0, sizeof(*seg));
	seg->seq = util_get32(tcp + 4);
	seg->ack = util_get32(tcp + 8);
	seg->flags = tcp[13];
	seg->wnd = util_get16(tcp + 14);
	seg->data = tcp + doff;
	seg->dlen = tlen - doff;
	/* Options: the MSS only (kind 2, length 4) */
	for (i = 20; i + 1 < doff;) {
		uint8_t kind = tcp[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		olen = tcp[i + 1];
		if (olen < 2 || i + olen > doff)
			break;
		if (kind == 2 && olen == 4)
			seg->mss = util_get16(tcp + i + 2);
		i += olen;
	}
	return DNSW_QUERY;
}

/**
 * dnsw_question_len() - length of the question section of a DNS message
 * @msg:	the message
 * @len:	its length
 *
 * Return: bytes after the header taken by QDCOUNT questions, or -1 if they
 * do not fit @len, are malformed (compression pointers included: nothing
 * precedes a question to point at), or are more than DNSW_QD_MAX
 */
long dnsw_question_len(const uint8_t *msg, size_t len)
{
	size_t off = DNSW_HDR_LEN;
	unsigned qd, i;

	if (len < DNSW_HDR_LEN)
		return -1;
	qd = util_get16(msg + 4);
	if (qd > DNSW_QD_MAX)
		return -1;
	for (i = 0; i < qd; i++) {
		for (;;) {
			uint8_t l;

			if (off >= len)
				return -1;
			l = msg[off];
			if (l == 0) {
				off++;
				break;
			}
			if (l & 0xc0)
				return -1;
			off += 1 + (size_t)l;
		}
		if (off + 4 > len)
			return -1;
		off += 4;
	}
	return (long)(off - DNSW_HDR_LEN);
}

/* The same questions (names compared without ASCII case: a server may
 * change it, 0x20 bit or not) */
static bool dnsw_same_question(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/**
 * dnsw_answer_ok() - whether a datagram from an upstream server answers the
 * query sent to it
 * @ans:	the datagram
 * @alen:	its length
 * @id:		the random id the query was sent with
 * @query:	the query as sent
 * @qlen:	its length
 *
 * Return: true if it is a response with @id whose question section is the
 * query's (or empty: some servers send none with an error)
 */
bool dnsw_answer_ok(const uint8_t *ans, size_t alen, uint16_t id,
		    const uint8_t *query, size_t qlen)
{
	long aq, qq;

	if (alen < DNSW_HDR_LEN || alen > DNSW_ANSWER_MAX ||
	    util_get16(ans) != id || !(ans[2] & DNSW_FLAG_QR))
		return false;
	if (util_get16(ans + 4) == 0)
		return true;
	if (util_get16(ans + 4) != util_get16(query + 4))
		return false;
	aq = dnsw_question_len(ans, alen);
	qq = dnsw_question_len(query, qlen);
	return aq >= 0 && aq == qq &&
	       dnsw_same_question(ans + DNSW_HDR_LEN, query + DNSW_HDR_LEN,
				  (size_t)aq);
}

/* The checksum of @l4 (@len bytes of protocol @proto, its checksum field
 * at @off zero) with the pseudo-header of @g's addresses, written there */
static void dnsw_l4_csum(const struct dnsw_guest *g, uint8_t proto, uint8_t *l4,
			 size_t len, size_t off)
{
	uint8_t ph[40] = { 0 };
	size_t alen = g->family == 4 ? 4 : 16, phlen;
	uint16_t c;

	memcpy(ph, g->dns_ip, alen);
	memcpy(ph + alen, g->guest_ip, alen);
	if (g->family == 4) {
		ph[9] = proto;
		util_put16(ph + 10, (uint16_t)len);
		phlen = 12;
	} else {
		util_put16(ph + 34, (uint16_t)len);
		ph[39] = proto;
		phlen = 40;
	}
	c = (uint16_t)~sl_csum_fold(
		sl_csum_add(sl_csum_add(0, ph, phlen), l4, len));
	if (c == 0 && proto == DNSW_PROTO_UDP)
		c = 0xffff;
	memcpy(l4 + off, &c, 2);
}

/**
 * struct dnsw_frag - where an IP packet lies in its datagram
 * @on:		a fragment (IPv4: MF and offset; IPv6: a fragment header)
 * @id:		identification (IPv4: the low 16 bits)
 * @off:	offset of the payload in the datagram, a multiple of 8
 * @more:	more fragments follow
 */
struct dnsw_frag {
	bool on;
	uint32_t id;
	size_t off;
	bool more;
};

/* The Ethernet and IP headers in front of @plen bytes of @proto (already
 * at their place in @out: after the IPv6 fragment header if @f->on); the
 * frame's length */
static size_t dnsw_frame(const struct dnsw_guest *g, uint8_t proto,
			 uint8_t *out, size_t plen, const struct dnsw_frag *f)
{
	uint8_t *ip = out + ETH_HLEN_;

	memcpy(out, g->guest_mac, 6);
	memcpy(out + 6, g->our_mac, 6);
	util_put16(out + 12, g->family == 4 ? ETHTYPE_IP : ETHTYPE_IPV6);
	if (g->family == 6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, g->dns_ip, 16);
		memcpy(ip + 24, g->guest_ip, 16);
		if (f->on) {
			ip[6] = 44; /* fragment header */
			memset(ip + 40, 0, 8);
			ip[40] = proto;
			util_put16(ip + 42, (uint16_t)(f->off | f->more));
			util_put32(ip + 44, f->id);
			plen += 8;
		}
		util_put16(ip + 4, (uint16_t)plen);
		return ETH_HLEN_ + 40 + plen;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	util_put16(ip + 2, (uint16_t)(20 + plen));
	util_put16(ip + 4, (uint16_t)f->id);
	/* DF on a whole datagram; MF and the offset on a fragment */
	util_put16(ip + 6,
		   f->on ? (uint16_t)((f->more ? 0x2000 : 0) | f->off / 8) :
			   0x4000);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, g->dns_ip, 4);
	memcpy(ip + 16, g->guest_ip, 4);
	sl_csum_ip4_header(ip);
	return ETH_HLEN_ + 20 + plen;
}

/**
 * dnsw_build_udp() - the UDP datagram carrying an answer to the guest
 * @g:		who asked (addresses, port, its query id)
 * @ans:	the upstream answer (at least a header: dnsw_answer_ok())
 * @alen:	its length
 * @out:	datagram buffer
 * @outmax:	its size
 *
 * The guest's id replaces the upstream one. An answer larger than a UDP
 * datagram of the guest's family may be (or than @outmax allows) is cut to
 * its header and question with TC set, so that the guest asks again over
 * TCP (as a server does for a client without EDNS).
 *
 * Return: datagram length (header, answer), 0 if it cannot be built
 */
size_t dnsw_build_udp(const struct dnsw_guest *g, const uint8_t *ans,
		      size_t alen, uint8_t *out, size_t outmax)
{
	size_t room = g->family == 4 ? DNSW_UDP4_MAX : DNSW_UDP6_MAX, ulen;
	uint8_t *msg = out + 8;

	if (alen < DNSW_HDR_LEN || outmax < 8 + DNSW_HDR_LEN)
		return 0;
	room = MIN(room, outmax - 8);
	if (alen <= room) {
		memcpy(msg, ans, alen);
	} else {
		long q = dnsw_question_len(ans, alen);

		if (q < 0 || DNSW_HDR_LEN + (size_t)q > room)
			q = 0;
		memcpy(msg, ans, DNSW_HDR_LEN + (size_t)q);
		msg[2] |= DNSW_FLAG_TC;
		if (!q)
			util_put16(msg + 4, 0);
		/* no answer, authority or additional records */
		memset(msg + 6, 0, 6);
		alen = DNSW_HDR_LEN + (size_t)q;
	}
	util_put16(msg, g->id);
	ulen = 8 + alen;
	util_put16(out, DNSW_PORT);
	util_put16(out + 2, g->guest_port);
	util_put16(out + 4, (uint16_t)ulen);
	util_put16(out + 6, 0);
	dnsw_l4_csum(g, DNSW_PROTO_UDP, out, ulen, 6);
	return ulen;
}

/**
 * dnsw_build_fragment() - the next frame of a UDP datagram to the guest:
 * the whole datagram when it fits the MTU, else IP fragments, as the
 * kernel sends a large datagram
 * @g:		who asked (addresses, MACs)
 * @udp:	the datagram (dnsw_build_udp())
 * @ulen:	its length
 * @off:	in: where the frame starts in the datagram (0 first); out: where
 *		the next one does (@ulen when done)
 * @mtu:	the tap's MTU
 * @id:		identification of the fragments (random)
 * @out:	frame buffer
 * @outmax:	its size
 *
 * Return: frame length, 0 if none can be built (MTU too small)
 */
size_t dnsw_build_fragment(const struct dnsw_guest *g, const uint8_t *udp,
			   size_t ulen, size_t *off, unsigned mtu, uint32_t id,
			   uint8_t *out, size_t outmax)
{
	size_t iphl = g->family == 4 ? 20 : 40, room, n, hl;
	struct dnsw_frag f = { .id = id, .off = *off };

	if (*off >= ulen || outmax < ETH_HLEN_ || mtu > outmax - ETH_HLEN_ ||
	    mtu < iphl + 8 + 8)
		return 0;
	room = mtu - iphl;
	if (*off == 0 && ulen <= room) {
		n = ulen;
	} else {
		f.on = true;
		if (g->family == 6)
			room -= 8;
		n = MIN(ulen - *off, room & ~(size_t)7);
		f.more = *off + n < ulen;
	}
	hl = ETH_HLEN_ + iphl + (f.on && g->family == 6 ? 8 : 0);
	memcpy(out + hl, udp + *off, n);
	*off += n;
	return dnsw_frame(g, DNSW_PROTO_UDP, out, n, &f);
}

/**
 * dnsw_build_tcp() - a TCP segment from port 53 of the relay to the guest
 * @g:		the connection's guest side (addresses, MACs, port)
 * @seg:	sequence and acknowledgement numbers, flags, window, MSS
 *		option (0: none), data
 * @out:	frame buffer
 * @outmax:	its size
 *
 * Return: frame length, 0 if the data does not fit @outmax
 */
size_t dnsw_build_tcp(const struct dnsw_guest *g, const struct dnsw_tcpseg *seg,
		      uint8_t *out, size_t outmax)
{
	size_t iphl = g->family == 4 ? 20 : 40, hl = seg->mss ? 24 : 20;
	uint8_t *tcp = out + ETH_HLEN_ + iphl;
	struct dnsw_frag nofrag = { .on = false };

	if (ETH_HLEN_ + iphl + hl + seg->dlen > outmax ||
	    iphl + hl + seg->dlen > 65535)
		return 0;
	memset(tcp, 0, hl);
	util_put16(tcp, DNSW_PORT);
	util_put16(tcp + 2, g->guest_port);
	util_put32(tcp + 4, seg->seq);
	util_put32(tcp + 8, seg->ack);
	tcp[12] = (uint8_t)((hl / 4) << 4);
	tcp[13] = seg->flags;
	util_put16(tcp + 14, seg->wnd);
	if (seg->mss) {
		tcp[20] = 2;
		tcp[21] = 4;
		util_put16(tcp + 22, seg->mss);
	}
	if (seg->dlen)
		memcpy(tcp + hl, seg->data, seg->dlen);
	dnsw_l4_csum(g, DNSW_PROTO_TCP, tcp, hl + seg->dlen, 16);
	return dnsw_frame(g, DNSW_PROTO_TCP, out, hl + seg->dlen, &nofrag);
}

/* One nameserver address, with an optional numeric %scope (a scope by
 * interface name is not taken: resolving it needs an ioctl) */
static bool dnsw_resolv_addr(const char *s, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 16];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	unsigned long scope = 0;
	char *pct, *end;
	size_t len = strlen(s);

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len + 1);
	memset(ss, 0, sizeof(*ss));
	pct = strchr(buf, '%');
	if (pct) {
		*pct++ = '\0';
		scope = strtoul(pct, &end, 10);
		if (!*pct || *end || scope > UINT32_MAX)
			return false;
	}
	if (!pct && inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(DNSW_PORT);
		return true;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(DNSW_PORT);
		sin6->sin6_scope_id = (uint32_t)scope;
		return true;
	}
	return false;
}

/**
 * dnsw_parse_resolv() - the nameservers of a resolv.conf text, in order
 * @text:	the file's contents (need not end with a NUL)
 * @len:	its length
 * @out:	addresses found, port 53
 * @max:	room in @out
 *
 * Return: addresses stored (lines that do not parse are skipped)
 */
unsigned dnsw_parse_resolv(const char *text, size_t len,
			   struct sockaddr_storage *out, unsigned max)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;

	while (p < end && n < max) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		char line[256], tok[128];

		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			if (sscanf(line, " nameserver%*[ \t]%127s", tok) == 1 &&
			    dnsw_resolv_addr(tok, &out[n]))
				n++;
		}
		p = eol ? eol + 1 : end;
	}
	return n;
}
