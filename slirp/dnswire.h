/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnswire.h - the DNS relay's parsing and building: guest query
 * frames and TCP segments, upstream answers, answer frames, resolv.conf
 * (no I/O)
 */
#ifndef SLIRP_DNSWIRE_H
#define SLIRP_DNSWIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSW_PORT 53
#define DNSW_PROTO_TCP 6
#define DNSW_PROTO_UDP 17
#define DNSW_HDR_LEN 12
/* Largest query taken from the guest (a query is a name and a few records:
 * EDNS options, cookies; anything larger is not a query) */
#define DNSW_QUERY_MAX 1232
/* Largest answer read from an upstream server (a UDP datagram) */
#define DNSW_ANSWER_MAX 65535
/* Frame headers in front of an answer: Ethernet, IPv6, its fragment
 * header, UDP */
#define DNSW_FRAME_HDR_MAX (14 + 40 + 8 + 8)
/* Largest DNS message in a UDP datagram to the guest: IPv4's total length
 * is 16 bits, IPv6's payload length (no jumbograms) */
#define DNSW_UDP4_MAX (65535 - 20 - 8)
#define DNSW_UDP6_MAX (65535 - 8)

/**
 * struct dnsw_addrs - the relay's own addresses on the guest side
 * @dns4:	IPv4 DNS address (network + 3)
 * @dns6_on:	@dns6 is in use (IPv6 enabled)
 * @dns6:	IPv6 DNS address (fd00::3)
 * @alias4_on:	@alias4 is in use (pasta's --dns-forward ADDR)
 * @alias4:	a second IPv4 address answered as @dns4
 */
struct dnsw_addrs {
	struct in_addr dns4;
	bool dns6_on;
	struct in6_addr dns6;
	bool alias4_on;
	struct in_addr alias4;
};

/**
 * struct dnsw_guest - where a query came from, to answer it
 * @family:	4 or 6
 * @guest_mac:	source MAC of the query (the answer's destination)
 * @our_mac:	destination MAC of the query (the answer's source)
 * @guest_ip:	source address (IPv4 in the first 4 bytes)
 * @dns_ip:	destination address, the relay's (IPv4 in the first 4 bytes)
 * @guest_port:	source UDP port, host order
 * @id:		the guest's query id, host order
 */
struct dnsw_guest {
	uint8_t family;
	uint8_t guest_mac[6];
	uint8_t our_mac[6];
	uint8_t guest_ip[16];
	uint8_t dns_ip[16];
	uint16_t guest_port;
	uint16_t id;
};

/**
 * struct dnsw_tcpseg - a TCP segment to or from port 53 of the relay
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	TCP flags (DNSW_TCP_*)
 * @wnd:	window (no scaling is offered)
 * @mss:	MSS option (SYN), 0 if none
 * @data:	payload
 * @dlen:	its length
 */
struct dnsw_tcpseg {
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t wnd;
	uint16_t mss;
	const uint8_t *data;
	size_t dlen;
};

#define DNSW_TCP_FIN 0x01
#define DNSW_TCP_SYN 0x02
#define DNSW_TCP_RST 0x04
#define DNSW_TCP_PSH 0x08
#define DNSW_TCP_ACK 0x10

/* What dnsw_parse_query() and dnsw_parse_tcp() found in a frame */
enum dnsw_verdict {
	DNSW_PASS, /* not a DNS query to the relay: libslirp's */
	DNSW_QUERY, /* a query to relay */
	DNSW_DROP, /* to the relay, but malformed or not relayable */
};

uint8_t dnsw_proto_to(const uint8_t *frame, size_t len,
		      const struct dnsw_addrs *a);
enum dnsw_verdict dnsw_parse_query(const uint8_t *frame, size_t len,
				   const struct dnsw_addrs *a,
				   struct dnsw_guest *g,
				   const uint8_t **payload, size_t *plen);
enum dnsw_verdict dnsw_parse_tcp(const uint8_t *frame, size_t len,
				 const struct dnsw_addrs *a,
				 struct dnsw_guest *g, struct dnsw_tcpseg *seg);
size_t dnsw_build_tcp(const struct dnsw_guest *g, const struct dnsw_tcpseg *seg,
		      uint8_t *out, size_t outmax);
bool dnsw_query_ok(const uint8_t *msg, size_t len);
long dnsw_question_len(const uint8_t *msg, size_t len);
bool dnsw_answer_ok(const uint8_t *ans, size_t alen, uint16_t id,
		    const uint8_t *query, size_t qlen);
size_t dnsw_build_udp(const struct dnsw_guest *g, const uint8_t *ans,
		      size_t alen, uint8_t *out, size_t outmax);
size_t dnsw_build_fragment(const struct dnsw_guest *g, const uint8_t *udp,
			   size_t ulen, size_t *off, unsigned mtu, uint32_t id,
			   uint8_t *out, size_t outmax);
unsigned dnsw_parse_resolv(const char *text, size_t len,
			   struct sockaddr_storage *out, unsigned max);

#endif /* SLIRP_DNSWIRE_H */
