/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/guestmap.c - one IPv4 address of the guest's that leads to another
 *
 * DOC: Theory of operation
 *
 * pasta's --map-guest-addr ADDR (Podman's host.containers.internal, at
 * 169.254.1.2) makes ADDR, inside, reach the host. libslirp reaches the host
 * at any of its addresses already; this maps ADDR onto one of them (the
 * target), both ways, for TCP and UDP only:
 * - a frame from the guest to ADDR gets the target as destination (IPv4
 *   and TCP/UDP checksums updated), and its flow (protocol, guest port,
 *   remote port) is remembered;
 * - a frame to the guest from the target, of a remembered flow, gets ADDR
 *   back as its source, so that the guest's socket recognises the answer.
 * A flow the guest opened to the target directly is never remembered and
 * passes unchanged. Nothing here reaches what the guest could not reach
 * through libslirp anyway. The table is bounded (SL_GUESTMAP_FLOWS_MAX per
 * protocol): when full, flows idle for SL_GUESTMAP_IDLE_S are forgotten,
 * and a new flow that still finds no room is dropped.
 */
#include <string.h>
#include <time.h>
#include <glib.h>

#include "common/log.h"
#include "common/util.h"
#include "slirp/guestmap.h"

#define GM_ETH_HLEN 14
#define GM_PROTO_TCP 6
#define GM_PROTO_UDP 17

/**
 * struct sl_guestmap - the mapping and its flows
 * @alias:	the address the guest uses
 * @target:	the address it leads to
 * @tcp:	TCP flows: (guest port << 16 | remote port) to the last
 *		second (CLOCK_MONOTONIC) a frame of it went out
 * @udp:	the same for UDP
 */
struct sl_guestmap {
	struct in_addr alias;
	struct in_addr target;
	GHashTable *tcp;
	GHashTable *udp;
};

/**
 * sl_guestmap_new() - map @alias onto @target
 * @alias:	the address the guest uses
 * @target:	the address it leads to
 *
 * Return: the mapping, for sl_guestmap_free()
 */
struct sl_guestmap *sl_guestmap_new(struct in_addr alias, struct in_addr target)
{
	struct sl_guestmap *m = g_new0(struct sl_guestmap, 1);

	m->alias = alias;
	m->target = target;
	m->tcp = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->udp = g_hash_table_new(g_direct_hash, g_direct_equal);
	return m;
}

/**
 * sl_guestmap_free() - forget the mapping
 * @m:		mapping, or NULL
 */
void sl_guestmap_free(struct sl_guestmap *m)
{
	if (!m)
		return;
	g_hash_table_destroy(m->tcp);
	g_hash_table_destroy(m->udp);
	g_free(m);
}

/* The checksum at @field, once the 4 bytes @old became @new (RFC 1624) */
static void gm_csum_replace(uint8_t *field, const uint8_t *old,
			    const uint8_t *new)
{
	uint32_t sum = (uint16_t)~util_get16(field);
	int i;

	for (i = 0; i < 4; i += 2) {
		sum += (uint16_t)~util_get16(old + i);
		sum += util_get16(new + i);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	util_put16(field, (uint16_t)~sum);
}

/*
 * The IPv4 header of a TCP or UDP frame, its transport header (NULL in a
 * fragment but the first) and the flow table of its protocol; NULL if the
 * frame is anything else
 */
static uint8_t *gm_parse(const struct sl_guestmap *m, uint8_t *frame,
			 size_t len, uint8_t **l4, GHashTable **flows)
{
	uint8_t *ip = frame + GM_ETH_HLEN;
	size_t hl;

	if (len < GM_ETH_HLEN + 20 || util_get16(frame + 12) != 0x0800 ||
	    (ip[0] >> 4) != 4)
		return NULL;
	hl = (size_t)(ip[0] & 0xf) * 4;
	if (hl < 20 || len < GM_ETH_HLEN + hl + 8)
		return NULL;
	if (ip[9] != GM_PROTO_TCP && ip[9] != GM_PROTO_UDP)
		return NULL;
	*flows = ip[9] == GM_PROTO_TCP ? m->tcp : m->udp;
	*l4 = (util_get16(ip + 6) & 0x1fff) ? NULL : ip + hl;
	if (*l4 && ip[9] == GM_PROTO_TCP && len < GM_ETH_HLEN + hl + 20)
		*l4 = NULL;
	return ip;
}

/* Rewrite the address at @addr (source or destination of @ip) to @to */
static void gm_rewrite(uint8_t *ip, uint8_t *l4, uint8_t *addr,
		       struct in_addr to)
{
	bool udp = ip[9] == GM_PROTO_UDP;
	uint8_t *csum = l4 ? l4 + (udp ? 6 : 16) : NULL;

	/* UDP without a checksum stays without; a computed 0 is sent as
	 * 0xffff, as 0 means none (RFC 768) */
	if (csum && !(udp && !util_get16(csum))) {
		gm_csum_replace(csum, addr, (const uint8_t *)&to);
		if (udp && !util_get16(csum))
			util_put16(csum, 0xffff);
	}
	gm_csum_replace(ip + 10, addr, (const uint8_t *)&to);
	memcpy(addr, &to, 4);
}

static guint gm_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (guint)ts.tv_sec;
}

static gboolean gm_idle(gpointer key, gpointer value, gpointer now)
{
	return GPOINTER_TO_UINT(now) - GPOINTER_TO_UINT(value) >
	       SL_GUESTMAP_IDLE_S;
}

/* Remember the flow @key now; false if the table has no room for it */
static bool gm_remember(GHashTable *flows, guint key)
{
	guint now = gm_now_s();

	if (g_hash_table_size(flows) >= SL_GUESTMAP_FLOWS_MAX &&
	    !g_hash_table_contains(flows, GUINT_TO_POINTER(key)))
		g_hash_table_foreach_remove(flows, gm_idle,
					    GUINT_TO_POINTER(now));
	if (g_hash_table_size(flows) >= SL_GUESTMAP_FLOWS_MAX &&
	    !g_hash_table_contains(flows, GUINT_TO_POINTER(key)))
		return false;
	/* 0 would read as no value: a flow seen at second 0 is at 1 */
	g_hash_table_insert(flows, GUINT_TO_POINTER(key),
			    GUINT_TO_POINTER(now ? now : 1));
	return true;
}

/**
 * sl_guestmap_out() - a frame from the guest: to the alias, it goes to the
 * target, and its flow is remembered
 * @m:		mapping
 * @frame:	Ethernet frame, rewritten in place
 * @len:	its length
 *
 * Return: false if the frame must be dropped (a new flow, the table full)
 */
bool sl_guestmap_out(struct sl_guestmap *m, uint8_t *frame, size_t len)
{
	GHashTable *flows;
	uint8_t *ip, *l4;

	ip = gm_parse(m, frame, len, &l4, &flows);
	if (!ip || memcmp(ip + 16, &m->alias, 4))
		return true;
	if (l4 && !gm_remember(flows, (guint)util_get16(l4) << 16 |
					      util_get16(l4 + 2))) {
		log_ratelimited(LOG_LVL_WARN,
				"--map-guest-addr: %u flows at once, the "
				"most: a new one is dropped",
				SL_GUESTMAP_FLOWS_MAX);
		return false;
	}
	gm_rewrite(ip, l4, ip + 16, m->target);
	return true;
}

/* The flow table and key of a frame from the target, or NULL */
static GHashTable *gm_in_flow(const struct sl_guestmap *m, uint8_t *frame,
			      size_t len, uint8_t **ip, uint8_t **l4,
			      guint *key)
{
	GHashTable *flows;

	*ip = gm_parse(m, frame, len, l4, &flows);
	if (!*ip || !*l4 || memcmp(*ip + 12, &m->target, 4))
		return NULL;
	*key = (guint)util_get16(*l4 + 2) << 16 | util_get16(*l4);
	return g_hash_table_contains(flows, GUINT_TO_POINTER(*key)) ? flows :
								      NULL;
}

/**
 * sl_guestmap_in_wants() - whether a frame to the guest is an answer of a
 * mapped flow (sl_guestmap_in() would rewrite it)
 * @m:		mapping
 * @frame:	Ethernet frame
 * @len:	its length
 *
 * Return: true if it is
 */
bool sl_guestmap_in_wants(const struct sl_guestmap *m, const uint8_t *frame,
			  size_t len)
{
	uint8_t *ip, *l4;
	guint key;

	/* gm_parse() only reads through the frame */
	return gm_in_flow(m, (uint8_t *)frame, len, &ip, &l4, &key) != NULL;
}

/**
 * sl_guestmap_in() - a frame to the guest: from the target in a mapped flow,
 * it comes from the alias
 * @m:		mapping
 * @frame:	Ethernet frame, rewritten in place
 * @len:	its length
 */
void sl_guestmap_in(struct sl_guestmap *m, uint8_t *frame, size_t len)
{
	uint8_t *ip, *l4;
	guint key;

	if (gm_in_flow(m, frame, len, &ip, &l4, &key))
		gm_rewrite(ip, l4, ip + 12, m->alias);
}
