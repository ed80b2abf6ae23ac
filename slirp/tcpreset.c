/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/tcpreset.c - the TCP connections crossing the tap, followed closely
 * enough to reset them toward the guest when the helper stops
 *
 * DOC: Why
 *
 * libslirp's slirp_cleanup() frees its connections without a word to the
 * guest: a guest uploading through NAT would wait for a peer that is gone
 * (or, as a server, never learn that its client went away). Resetting them is
 * the truthful end, and the guest accepts a reset only with the sequence
 * number it expects next (RFC 5961: anything else in the window gets a
 * challenge ACK). libslirp does not tell its sequence numbers, so they are
 * read from the frames: per connection (guest address and port, peer address
 * and port), the end of the highest segment libslirp wrote to the tap (what
 * the guest expects next, once it has received everything) and the last ACK
 * of the guest (what it expects next if the last segments are still on
 * their way); sl_rst_all() sends a reset with each.
 *
 * A connection is followed from its SYN (the guest's, through NAT, or
 * libslirp's, for --port-mode slirp rules) until a reset in either direction
 * or until both sides sent their FIN: a connection closed both ways ends
 * cleanly. libslirp answers some SYNs with neither: a connect that fails at
 * once (no IPv6 route, the gateway with --disable-host-loopback) gets an
 * ICMP destination unreachable quoting the SYN, which ends it too; a SYN it
 * drops gets nothing. So every connection carries the time of libslirp's
 * last frame (of the guest's last SYN before libslirp answered), read from
 * the engine's clock (sl_rst_clock(): once per batch of frames, no syscall
 * per frame), and, at most once per SL_RST_SWEEP_MS:
 * - a SYN libslirp has not answered for SL_RST_SYN_MS is forgotten;
 * - when the table is full (SL_RST_MAX, the guest decides how many there
 *   are), a new connection first makes room by forgetting those libslirp
 *   sent nothing for SL_RST_IDLE_MS. An idle connection is kept otherwise
 *   (an ssh session may be silent for hours and still deserves its reset).
 * A connection that finds the table still full is not reset at the end.
 * Memory: SL_RST_MAX entries take 7.5 MiB (measured: an 80-byte entry in a
 * 96-byte malloc chunk each, 6 MiB, plus the hash table's 12 bytes per slot
 * at 2^17 slots, 1.5 MiB).
 *
 * Cost per frame: a few header reads and, for TCP, a compare with the
 * connection of the previous frame (a bulk transfer hits it every time)
 * before a hash lookup; for other frames to the guest, two more byte
 * compares (is it an ICMP destination unreachable).
 */
#include <string.h>
#include <arpa/inet.h>
#include <glib.h>

#include "common/util.h"
#include "slirp/csum.h"
#include "slirp/tcpreset.h"

#define ETH_HLEN_ 14
#define PROTO_TCP 6
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define ICMP_UNREACH 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMPV6_UNREACH 1
/* Connections followed at most */
#define SL_RST_MAX 65536
/* A SYN libslirp has not answered for this long is forgotten */
#define SL_RST_SYN_MS 10000
/* With the table full, a connection libslirp sent nothing for this long */
#define SL_RST_IDLE_MS 120000
/* Sweeps (each O(table)) at most this often */
#define SL_RST_SWEEP_MS 1000

/**
 * struct sl_rst_key - a connection, seen from the guest
 * @family:	4 or 6
 * @gport:	guest port, network order
 * @rport:	peer port, network order
 * @gaddr:	guest address (IPv4 in the first 4 bytes)
 * @raddr:	peer address
 */
struct sl_rst_key {
	uint8_t family;
	uint8_t pad;
	uint16_t gport;
	uint16_t rport;
	uint16_t pad2;
	uint8_t gaddr[16];
	uint8_t raddr[16];
};

/**
 * struct sl_rst_conn - what is known of one connection
 * @key:	which one (the hash table's key)
 * @mac_guest:	the guest's MAC address (destination of libslirp's frames)
 * @mac_slirp:	libslirp's MAC address
 * @snd_nxt:	end of the highest segment libslirp wrote to the guest
 * @guest_ack:	the guest's last acknowledgement
 * @rcv_nxt:	end of the highest segment of the guest (the ACK to send)
 * @synced:	@snd_nxt and the MAC addresses are known
 * @acked:	@guest_ack is known
 * @fin_in:	the guest sent its FIN
 * @fin_out:	libslirp sent its FIN
 * @last_ms:	libslirp's last frame (before it answered: the guest's last
 *		SYN), on the clock of sl_rst_clock()
 */
struct sl_rst_conn {
	struct sl_rst_key key;
	uint8_t mac_guest[6];
	uint8_t mac_slirp[6];
	uint32_t snd_nxt;
	uint32_t guest_ack;
	uint32_t rcv_nxt;
	bool synced;
	bool acked;
	bool fin_in;
	bool fin_out;
	int64_t last_ms;
};

/**
 * struct sl_rst - the connections followed
 * @conns:	struct sl_rst_conn * (key and value)
 * @last:	the connection of the previous TCP frame, or NULL
 * @now_ms:	the time last given to sl_rst_clock()
 * @swept_ms:	last sweep of unanswered SYNs
 * @full_swept_ms: last sweep of a full table
 * @sweep_full:	the sweep running is one of a full table
 */
struct sl_rst {
	GHashTable *conns;
	struct sl_rst_conn *last;
	int64_t now_ms;
	int64_t swept_ms;
	int64_t full_swept_ms;
	bool sweep_full;
};

/**
 * struct sl_rst_seg - what a TCP segment says
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @end:	@seq plus its length in sequence space (data, SYN, FIN)
 * @flags:	TCP flags
 */
struct sl_rst_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t end;
	uint8_t flags;
};

static guint sl_rst_hash(gconstpointer p)
{
	const struct sl_rst_key *k = p;
	uint32_t w[sizeof(*k) / 4];
	guint h = 0;
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < G_N_ELEMENTS(w); i++)
		h = (h ^ w[i]) * 0x9e3779b1u;
	return h;
}

static gboolean sl_rst_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct sl_rst_key));
}

/**
 * sl_rst_new() - follow no connection yet
 * @now_ms:	the time now, on the clock later given to sl_rst_clock()
 *
 * Return: the table, to sl_rst_free()
 */
struct sl_rst *sl_rst_new(int64_t now_ms)
{
	struct sl_rst *r = g_new0(struct sl_rst, 1);

	r->conns = g_hash_table_new_full(sl_rst_hash, sl_rst_equal, NULL,
					 g_free);
	r->now_ms = r->swept_ms = r->full_swept_ms = now_ms;
	return r;
}

/**
 * sl_rst_free() - free the table
 * @r:		table, may be NULL
 */
void sl_rst_free(struct sl_rst *r)
{
	if (!r)
		return;
	g_hash_table_unref(r->conns);
	g_free(r);
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * Parse the TCP segment in @f: fill @k from the guest's view (@to_guest: the
 * guest is the destination) and @s. Return false if it is not a first-fragment
 * TCP segment over IPv4 or IPv6 without extension headers.
 */
static bool sl_rst_parse(const uint8_t *f, size_t len, bool to_guest,
			 struct sl_rst_key *k, struct sl_rst_seg *s)
{
	const uint8_t *ip = f + ETH_HLEN_, *src, *dst, *th;
	size_t hl, iplen, alen, tl;

	if (len < ETH_HLEN_ + 40)
		return false;
	memset(k, 0, sizeof(*k));
	if (f[12] == 0x08 && f[13] == 0x00) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		iplen = (size_t)(ip[2] << 8 | ip[3]);
		if (ip[9] != PROTO_TCP || hl < 20 ||
		    ((ip[6] & 0x1f) << 8 | ip[7]))
			return false;
		k->family = 4;
		src = ip + 12, dst = ip + 16, alen = 4;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		hl = 40;
		iplen = 40 + (size_t)(ip[4] << 8 | ip[5]);
		if (ip[6] != PROTO_TCP || len < ETH_HLEN_ + 60)
			return false;
		k->family = 6;
		src = ip + 8, dst = ip + 24, alen = 16;
	} else {
		return false;
	}
	iplen = MIN(iplen, len - ETH_HLEN_);
	if (iplen < hl + 20)
		return false;
	th = ip + hl;
	tl = (size_t)(th[12] >> 4) * 4;
	if (tl < 20 || iplen < hl + tl)
		return false;
	memcpy(k->gaddr, to_guest ? dst : src, alen);
	memcpy(k->raddr, to_guest ? src : dst, alen);
	memcpy(&k->gport, to_guest ? th + 2 : th, 2);
	memcpy(&k->rport, to_guest ? th : th + 2, 2);
	s->flags = th[13];
	s->seq = util_get32(th + 4);
	s->ack = util_get32(th + 8);
	s->end = s->seq + (uint32_t)(iplen - hl - tl) + !!(s->flags & TH_SYN) +
		 !!(s->flags & TH_FIN);
	return true;
}

/* Whether @v is stale: an unanswered SYN, or (@full) an idle connection */
static gboolean sl_rst_stale(gpointer k, gpointer v, gpointer opaque)
{
	const struct sl_rst_conn *c = v;
	const struct sl_rst *r = opaque;
	int64_t idle = r->now_ms - c->last_ms;

	return (!c->synced && idle >= SL_RST_SYN_MS) ||
	       (r->sweep_full && idle >= SL_RST_IDLE_MS);
}

/*
 * Forget the stale connections (@full: idle ones too), at most once per
 * SL_RST_SWEEP_MS since @since
 */
static void sl_rst_sweep(struct sl_rst *r, int64_t *since, bool full)
{
	if (r->now_ms - *since < SL_RST_SWEEP_MS)
		return;
	*since = r->now_ms;
	r->last = NULL;
	r->sweep_full = full;
	g_hash_table_foreach_remove(r->conns, sl_rst_stale, r);
}

/**
 * sl_rst_clock() - the time now, for the frames until the next call; now and
 * then forget the SYNs libslirp never answered
 * @r:		table
 * @now_ms:	a monotonic clock in milliseconds
 */
void sl_rst_clock(struct sl_rst *r, int64_t now_ms)
{
	r->now_ms = now_ms;
	sl_rst_sweep(r, &r->swept_ms, false);
}

/*
 * The connection quoted by an ICMP or ICMPv6 destination unreachable to the
 * guest (libslirp's answer to a SYN whose connect failed), in @k; false if
 * @f is none ("fragmentation needed" is none: its connection lives on)
 */
static bool sl_rst_parse_unreach(const uint8_t *f, size_t len,
				 struct sl_rst_key *k)
{
	const uint8_t *ip = f + ETH_HLEN_, *in, *src, *dst;
	size_t hl, ihl, alen;

	if (len < ETH_HLEN_ + 40)
		return false;
	if (f[12] == 0x08 && f[13] == 0x00) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		if (ip[9] != PROTO_ICMP || hl < 20 ||
		    ((ip[6] & 0x1f) << 8 | ip[7]) ||
		    len < ETH_HLEN_ + hl + 8 + 20)
			return false;
		in = ip + hl + 8;
		ihl = (size_t)(in[0] & 0xf) * 4;
		if (ip[hl] != ICMP_UNREACH ||
		    ip[hl + 1] == ICMP_UNREACH_NEEDFRAG || in[0] >> 4 != 4 ||
		    in[9] != PROTO_TCP || ihl < 20 ||
		    len < ETH_HLEN_ + hl + 8 + ihl + 4)
			return false;
		src = in + 12, dst = in + 16, alen = 4;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		if (ip[6] != PROTO_ICMPV6 || len < ETH_HLEN_ + 40 + 8 + 40 + 4)
			return false;
		in = ip + 40 + 8;
		ihl = 40;
		if (ip[40] != ICMPV6_UNREACH || in[0] >> 4 != 6 ||
		    in[6] != PROTO_TCP)
			return false;
		src = in + 8, dst = in + 24, alen = 16;
	} else {
		return false;
	}
	/* the quoted segment is the guest's */
	memset(k, 0, sizeof(*k));
	k->family = alen == 4 ? 4 : 6;
	memcpy(k->gaddr, src, alen);
	memcpy(k->raddr, dst, alen);
	memcpy(&k->gport, in + ihl, 2);
	memcpy(&k->rport, in + ihl + 2, 2);
	return true;
}

static struct sl_rst_conn *sl_rst_lookup(struct sl_rst *r,
					 const struct sl_rst_key *k, bool add)
{
	struct sl_rst_conn *c = r->last;

	if (c && !memcmp(&c->key, k, sizeof(*k)))
		return c;
	c = g_hash_table_lookup(r->conns, k);
	if (!c && add && g_hash_table_size(r->conns) >= SL_RST_MAX)
		sl_rst_sweep(r, &r->full_swept_ms, true);
	if (!c && add && g_hash_table_size(r->conns) < SL_RST_MAX) {
		c = g_new0(struct sl_rst_conn, 1);
		c->key = *k;
		g_hash_table_add(r->conns, c);
	}
	r->last = c;
	return c;
}

static void sl_rst_forget(struct sl_rst *r, struct sl_rst_conn *c)
{
	r->last = NULL;
	g_hash_table_remove(r->conns, c);
}

/**
 * sl_rst_frame() - follow the connection of one frame crossing the tap
 * @r:		table
 * @f:		the Ethernet frame
 * @len:	its length
 * @to_guest:	written by libslirp to the guest, rather than read from it
 */
void sl_rst_frame(struct sl_rst *r, const uint8_t *f, size_t len, bool to_guest)
{
	struct sl_rst_conn *c;
	struct sl_rst_key k;
	struct sl_rst_seg s;
	bool opening;

	if (!sl_rst_parse(f, len, to_guest, &k, &s)) {
		if (to_guest && sl_rst_parse_unreach(f, len, &k) &&
		    (c = sl_rst_lookup(r, &k, false)))
			sl_rst_forget(r, c);
		return;
	}
	/* A new connection: the opening SYN of either side (the four-tuple
	 * may be one used before: start afresh) */
	opening = (s.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
	c = sl_rst_lookup(r, &k, opening);
	if (!c)
		return;
	if (opening) {
		memset((uint8_t *)c + sizeof(c->key), 0,
		       sizeof(*c) - sizeof(c->key));
		c->last_ms = r->now_ms;
	}
	if (s.flags & TH_RST) {
		sl_rst_forget(r, c);
		return;
	}
	if (to_guest) {
		c->last_ms = r->now_ms;
		memcpy(c->mac_guest, f, 6);
		memcpy(c->mac_slirp, f + 6, 6);
		if (!c->synced || seq_after(s.end, c->snd_nxt))
			c->snd_nxt = s.end;
		c->synced = true;
		c->fin_out |= s.flags & TH_FIN;
	} else {
		if (s.flags & TH_ACK) {
			c->guest_ack = s.ack;
			c->acked = true;
		}
		if ((s.flags & TH_SYN) || seq_after(s.end, c->rcv_nxt))
			c->rcv_nxt = s.end;
		c->fin_in |= s.flags & TH_FIN;
	}
	if (c->fin_in && c->fin_out)
		sl_rst_forget(r, c);
}

/* The reset of @c with sequence number @seq, in @f; returns its length */
static size_t sl_rst_build(const struct sl_rst_conn *c, uint32_t seq,
			   uint8_t *f)
{
	const struct sl_rst_key *k = &c->key;
	size_t hl = k->family == 4 ? 20 : 40;
	uint8_t *ip = f + ETH_HLEN_, *th = ip + hl;
	uint16_t csum;
	uint64_t ps;

	memset(f, 0, ETH_HLEN_ + hl + 20);
	memcpy(f, c->mac_guest, 6);
	memcpy(f + 6, c->mac_slirp, 6);
	if (k->family == 4) {
		util_put16(f + 12, 0x0800);
		ip[0] = 0x45;
		util_put16(ip + 2, 40);
		ip[8] = 64;
		ip[9] = PROTO_TCP;
		memcpy(ip + 12, k->raddr, 4);
		memcpy(ip + 16, k->gaddr, 4);
		sl_csum_ip4_header(ip);
		ps = sl_csum_add(0, ip + 12, 8);
	} else {
		util_put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		util_put16(ip + 4, 20);
		ip[6] = PROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, k->raddr, 16);
		memcpy(ip + 24, k->gaddr, 16);
		ps = sl_csum_add(0, ip + 8, 32);
	}
	memcpy(th, &k->rport, 2);
	memcpy(th + 2, &k->gport, 2);
	util_put32(th + 4, seq);
	util_put32(th + 8, c->rcv_nxt);
	th[12] = 5 << 4;
	th[13] = TH_RST | TH_ACK;
	/* sl_csum_add() sums in the machine's order: the pseudo-header's
	 * protocol and length are added in network order to match */
	csum = (uint16_t)~sl_csum_fold(
		sl_csum_add(ps + htons(PROTO_TCP) + htons(20), th, 20));
	memcpy(th + 16, &csum, 2);
	return ETH_HLEN_ + hl + 20;
}

/**
 * sl_rst_all() - reset toward the guest every connection followed that is
 * not closed both ways
 * @r:		table
 * @send:	writes one frame to the tap
 * @opaque:	its argument
 *
 * Each gets a reset with the end of libslirp's highest segment as sequence
 * number and, if the guest had not acknowledged that far, one more with its
 * last acknowledgement: one of them is the number the guest expects.
 *
 * Return: connections reset
 */
unsigned sl_rst_all(struct sl_rst *r,
		    void (*send)(const uint8_t *f, size_t len, void *opaque),
		    void *opaque)
{
	uint8_t f[ETH_HLEN_ + 40 + 20];
	GHashTableIter it;
	gpointer p;
	unsigned n = 0;

	g_hash_table_iter_init(&it, r->conns);
	while (g_hash_table_iter_next(&it, &p, NULL)) {
		const struct sl_rst_conn *c = p;

		if (!c->synced)
			continue;
		send(f, sl_rst_build(c, c->snd_nxt, f), opaque);
		if (c->acked && c->guest_ack != c->snd_nxt)
			send(f, sl_rst_build(c, c->guest_ack, f), opaque);
		n++;
	}
	return n;
}
