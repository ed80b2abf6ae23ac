/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnstcp.c - DNS over TCP at port 53 of the relay: a small TCP
 * responder for the guest's connections
 *
 * DOC: Theory of operation
 *
 * libslirp 4.7 offers no way to take over the guest's TCP connections to its
 * DNS address (slirp_add_guestfwd() refuses that address, is IPv4 only and
 * cannot tell two connections to one address and port apart), so the relay
 * answers them itself, below libslirp, from the frames: a connection is a
 * slot in a table of DNSTCP_CONN_MAX (the least recently active one is reset
 * when a new one needs room). It does what a DNS client needs and no more:
 * SYN answered with SYN-ACK (our MSS from the MTU; no window scaling, no
 * SACK, no timestamps), data accepted in order only (anything else is
 * acknowledged again and dropped: the guest retransmits), each complete
 * query (two-byte length, then the message) relayed upstream over TCP in
 * turn (dnsrelay_start()), its answer queued with its length and sent within
 * the guest's window, unacknowledged data sent again every DNSTCP_RTO_MS up
 * to DNSTCP_RETRIES times. The guest closes first (FIN); we then send ours
 * once every answer is out. A query that is malformed or larger than
 * DNSW_QUERY_MAX, a connection idle for DNSTCP_IDLE_MS, or a query no server
 * answered: reset. A segment for no connection gets a RST.
 */
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "slirp/dnsrelay_internal.h"

/* Segments no smaller than this are accepted from any MSS option */
#define DNSTCP_MSS_MIN 536

static struct dnstcp_conn *dnstcp_find(struct dnsrelay *r,
				       const struct dnsw_guest *g)
{
	unsigned i;

	for (i = 0; i < DNSTCP_CONN_MAX; i++) {
		struct dnstcp_conn *c = &r->tcp[i];

		if (c->used && c->g.family == g->family &&
		    c->g.guest_port == g->guest_port &&
		    !memcmp(c->g.guest_ip, g->guest_ip, 16))
			return c;
	}
	return NULL;
}

/* One segment of @c to the guest, acknowledging what we have */
static void dnstcp_emit(struct dnsrelay *r, struct dnstcp_conn *c, uint32_t seq,
			uint8_t flags, const uint8_t *data, size_t dlen)
{
	struct dnsw_tcpseg seg = {
		.seq = seq,
		.ack = c->rcv_nxt,
		.flags = flags,
		.wnd = (uint16_t)(sizeof(c->in) - c->inlen),
		.data = data,
		.dlen = dlen,
	};
	size_t len;

	if (flags & DNSW_TCP_SYN)
		seg.mss = (uint16_t)(r->mtu - (c->g.family == 4 ? 40 : 60));
	len = dnsw_build_tcp(&c->g, &seg, r->frame, sizeof(r->frame));
	if (len)
		r->send(r->frame, len, r->send_opaque);
	c->sent_ms = util_now_ms();
}

/* A RST for a segment that belongs to no connection (RFC 9293 3.10.7.1) */
static void dnstcp_refuse(struct dnsrelay *r, const struct dnsw_guest *g,
			  const struct dnsw_tcpseg *in)
{
	struct dnsw_tcpseg seg = { .flags = DNSW_TCP_RST };
	size_t len;

	if (in->flags & DNSW_TCP_RST)
		return;
	if (in->flags & DNSW_TCP_ACK) {
		seg.seq = in->ack;
	} else {
		seg.flags |= DNSW_TCP_ACK;
		seg.ack = in->seq + (uint32_t)in->dlen +
			  !!(in->flags & DNSW_TCP_SYN) +
			  !!(in->flags & DNSW_TCP_FIN);
	}
	len = dnsw_build_tcp(g, &seg, r->frame, sizeof(r->frame));
	if (len)
		r->send(r->frame, len, r->send_opaque);
}

/* Forget @c (and its query upstream), with a RST to the guest if @rst */
static void dnstcp_free(struct dnsrelay *r, struct dnstcp_conn *c, bool rst)
{
	if (rst)
		dnstcp_emit(r, c, c->snd_nxt, DNSW_TCP_RST | DNSW_TCP_ACK, NULL,
			    0);
	if (c->pend)
		dnsrelay_release(r, c->pend);
	g_clear_pointer(&c->out, g_byte_array_unref);
	c->used = false;
}

/* Data and FIN within the guest's window, from @c->snd_nxt on */
static void dnstcp_send_more(struct dnsrelay *r, struct dnstcp_conn *c)
{
	for (;;) {
		size_t off = c->snd_nxt - c->base, n;

		if (off >= c->out->len || off >= c->wnd)
			break;
		n = MIN(MIN(c->out->len - off, (size_t)c->mss), c->wnd - off);
		dnstcp_emit(r, c, c->snd_nxt, DNSW_TCP_ACK | DNSW_TCP_PSH,
			    c->out->data + off, n);
		c->snd_nxt += (uint32_t)n;
	}
	if (c->fin_rcvd && !c->fin_sent && !c->pend && c->inlen == 0 &&
	    c->snd_nxt - c->base == c->out->len) {
		dnstcp_emit(r, c, c->snd_nxt, DNSW_TCP_FIN | DNSW_TCP_ACK, NULL,
			    0);
		c->snd_nxt++;
		c->fin_sent = true;
	}
}

/* Relay the next complete query of @c when none of its is upstream;
 * false if @c was reset */
static bool dnstcp_queries(struct dnsrelay *r, struct dnstcp_conn *c)
{
	struct dnsw_guest g = c->g;
	size_t mlen;

	if (c->pend || c->inlen < 2)
		return true;
	mlen = (size_t)(c->in[0] << 8 | c->in[1]);
	if (mlen > DNSW_QUERY_MAX ||
	    (c->inlen >= 2 + mlen && !dnsw_query_ok(c->in + 2, mlen))) {
		r->st.dropped++;
		log_ratelimited(LOG_LVL_DEBUG,
				"DNS: malformed query over "
				"TCP from the guest, connection reset");
		dnstcp_free(r, c, true);
		return false;
	}
	if (c->inlen < 2 + mlen)
		return true;
	g.id = (uint16_t)(c->in[2] << 8 | c->in[3]);
	c->qid = g.id;
	dnsrelay_start(r, &g, c->in + 2, mlen, c);
	if (!c->used)
		return false;
	c->inlen -= 2 + mlen;
	memmove(c->in, c->in + 2 + mlen, c->inlen);
	/* The window opened again */
	dnstcp_emit(r, c, c->snd_nxt, DNSW_TCP_ACK, NULL, 0);
	return true;
}

/**
 * dnstcp_answer() - queue the answer to the query @c had upstream, and send
 * what the window allows
 * @r:		relay
 * @c:		the connection
 * @ans:	the answer (its id is the upstream one: the guest's is put back)
 * @alen:	its length
 */
void dnstcp_answer(struct dnsrelay *r, struct dnstcp_conn *c,
		   const uint8_t *ans, size_t alen)
{
	uint8_t hdr[4] = {
		(uint8_t)(alen >> 8),
		(uint8_t)alen,
		(uint8_t)(c->qid >> 8),
		(uint8_t)c->qid,
	};

	if (!c->used)
		return;
	if (c->out->len + 2 + alen > DNSTCP_OUT_MAX || alen < DNSW_HDR_LEN) {
		dnstcp_free(r, c, true);
		return;
	}
	g_byte_array_append(c->out, hdr, sizeof(hdr));
	g_byte_array_append(c->out, ans + 2, (guint)(alen - 2));
	if (!dnstcp_queries(r, c))
		return;
	dnstcp_send_more(r, c);
}

/**
 * dnstcp_failed() - no server answered the query of @c: reset it
 * @r:		relay
 * @c:		the connection
 */
void dnstcp_failed(struct dnsrelay *r, struct dnstcp_conn *c)
{
	if (c->used)
		dnstcp_free(r, c, true);
}

/* A SYN: a new connection (the least recently active one reset if the
 * table is full) */
static void dnstcp_open(struct dnsrelay *r, const struct dnsw_guest *g,
			const struct dnsw_tcpseg *seg)
{
	struct dnstcp_conn *c = NULL;
	unsigned i;

	for (i = 0; i < DNSTCP_CONN_MAX; i++) {
		struct dnstcp_conn *t = &r->tcp[i];

		if (!t->used) {
			c = t;
			break;
		}
		if (!c || t->last_ms < c->last_ms)
			c = t;
	}
	if (c->used)
		dnstcp_free(r, c, true);
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->g = *g;
	c->iss = (uint32_t)dnsrelay_random16(r) << 16 | dnsrelay_random16(r);
	c->base = c->snd_nxt = c->iss + 1;
	c->rcv_nxt = seg->seq + 1;
	c->wnd = seg->wnd;
	c->mss = (uint16_t)MIN(seg->mss ? MAX(seg->mss, DNSTCP_MSS_MIN) :
					  DNSTCP_MSS_MIN,
			       r->mtu - (g->family == 4 ? 40U : 60U));
	c->out = g_byte_array_new();
	c->last_ms = util_now_ms();
	dnstcp_emit(r, c, c->iss, DNSW_TCP_SYN | DNSW_TCP_ACK, NULL, 0);
}

/* The acknowledgement of @seg: data (and our FIN) acknowledged; false if
 * the connection is done (both sides closed) */
static bool dnstcp_acked(struct dnsrelay *r, struct dnstcp_conn *c,
			 const struct dnsw_tcpseg *seg)
{
	uint32_t acked = seg->ack - c->base, sent = c->snd_nxt - c->base;
	size_t d;

	if (!(seg->flags & DNSW_TCP_ACK))
		return true;
	if (!c->established) {
		if (seg->ack != c->iss + 1)
			return true;
		c->established = true;
	}
	c->wnd = seg->wnd;
	if (acked == 0 || acked > sent)
		return true;
	c->retries = 0;
	d = MIN((size_t)acked, c->out->len);
	g_byte_array_remove_range(c->out, 0, (guint)d);
	c->base += (uint32_t)d;
	if (acked > d && c->fin_rcvd) {
		/* our FIN too: done */
		dnstcp_free(r, c, false);
		return false;
	}
	return true;
}

/* In-order data and FIN of @seg; false if the connection was reset */
static bool dnstcp_data(struct dnsrelay *r, struct dnstcp_conn *c,
			const struct dnsw_tcpseg *seg)
{
	bool fin = seg->flags & DNSW_TCP_FIN;

	if (!seg->dlen && !fin)
		return true;
	if (seg->seq == c->rcv_nxt && c->established && !c->fin_rcvd) {
		if (seg->dlen > sizeof(c->in) - c->inlen) {
			dnstcp_free(r, c, true);
			return false;
		}
		memcpy(c->in + c->inlen, seg->data, seg->dlen);
		c->inlen += seg->dlen;
		c->rcv_nxt += (uint32_t)seg->dlen;
		if (fin) {
			c->fin_rcvd = true;
			c->rcv_nxt++;
		}
	}
	dnstcp_emit(r, c, c->snd_nxt, DNSW_TCP_ACK, NULL, 0);
	return dnstcp_queries(r, c);
}

/**
 * dnstcp_frame() - take a frame if it is a TCP segment to port 53 of the
 * relay, and act on it
 * @r:		relay
 * @frame:	Ethernet frame from the guest
 * @len:	its length
 *
 * Return: true if the frame was the relay's, false if it is libslirp's
 */
bool dnstcp_frame(struct dnsrelay *r, const uint8_t *frame, size_t len)
{
	struct dnsw_guest g = { 0 };
	struct dnsw_tcpseg seg;
	struct dnstcp_conn *c;

	switch (dnsw_parse_tcp(frame, len, &r->addrs, &g, &seg)) {
	case DNSW_PASS:
		return false;
	case DNSW_DROP:
		r->st.dropped++;
		return true;
	case DNSW_QUERY:
		break;
	}
	c = dnstcp_find(r, &g);
	if (seg.flags & DNSW_TCP_RST) {
		if (c)
			dnstcp_free(r, c, false);
		return true;
	}
	if ((seg.flags & (DNSW_TCP_SYN | DNSW_TCP_ACK)) == DNSW_TCP_SYN) {
		if (c && !c->established && seg.seq + 1 == c->rcv_nxt)
			dnstcp_emit(r, c, c->iss, DNSW_TCP_SYN | DNSW_TCP_ACK,
				    NULL, 0);
		else
			dnstcp_open(r, &g, &seg);
		return true;
	}
	if (!c || (seg.flags & DNSW_TCP_SYN)) {
		dnstcp_refuse(r, &g, &seg);
		return true;
	}
	c->last_ms = util_now_ms();
	if (dnstcp_acked(r, c, &seg) && dnstcp_data(r, c, &seg))
		dnstcp_send_more(r, c);
	return true;
}

/**
 * dnstcp_tick() - retransmissions and idle connections
 * @r:		relay
 * @now_ms:	CLOCK_MONOTONIC milliseconds
 */
void dnstcp_tick(struct dnsrelay *r, int64_t now_ms)
{
	unsigned i;

	for (i = 0; i < DNSTCP_CONN_MAX; i++) {
		struct dnstcp_conn *c = &r->tcp[i];

		if (!c->used)
			continue;
		if (now_ms - c->last_ms >= DNSTCP_IDLE_MS) {
			dnstcp_free(r, c, true);
			continue;
		}
		if (now_ms - c->sent_ms < DNSTCP_RTO_MS ||
		    (c->established && c->snd_nxt == c->base))
			continue;
		if (++c->retries > DNSTCP_RETRIES) {
			dnstcp_free(r, c, true);
			continue;
		}
		if (!c->established) {
			dnstcp_emit(r, c, c->iss, DNSW_TCP_SYN | DNSW_TCP_ACK,
				    NULL, 0);
			continue;
		}
		/* Go back to the first unacknowledged byte */
		c->snd_nxt = c->base;
		c->fin_sent = false;
		dnstcp_send_more(r, c);
	}
}

/**
 * dnstcp_free_all() - forget every connection (the relay goes)
 * @r:		relay
 */
void dnstcp_free_all(struct dnsrelay *r)
{
	unsigned i;

	for (i = 0; i < DNSTCP_CONN_MAX; i++)
		if (r->tcp[i].used)
			dnstcp_free(r, &r->tcp[i], false);
}
