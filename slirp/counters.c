/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/counters.c - live figures of the helper: what the tap's frames say
 * (new TCP connections and UDP flows of the guest, DNS queries and answers),
 * libslirp's open sockets, and the process's memory and CPU time
 *
 * DOC: How each figure is obtained
 *
 * libslirp 4.7 has no counters. What it carries is seen on the tap, so the
 * engine shows every frame to sl_flowtab_frame() (a few header reads, no
 * copy):
 * - a TCP segment from the guest with SYN and without ACK opens a connection
 *   through libslirp (NAT); one for the same four-tuple within
 *   SL_COUNTERS_SYN_RETRY_MS is a retransmission and is not counted again;
 * - a UDP datagram from a guest source address and port not seen for
 *   SL_COUNTERS_UDP_IDLE_MS opens a flow (libslirp keeps one host socket per
 *   guest source address and port, and expires it after that time); DHCP
 *   (port 67), answered by libslirp itself, is not a flow;
 * - a UDP datagram to port 53 of the built-in DNS address is a query, one
 *   from it to the guest an answer.
 * IPv4 and IPv6 without extension headers are read; fragments after the
 * first are skipped. Connections through published ports do not cross the
 * tap in --port-mode auto/direct: their counters are the rules' own.
 *
 * Sockets open now: libslirp's slirp_connection_info() text, one line per
 * socket, "TCP[state]" or "UDP[N sec]"; HOST_FORWARD lines are listening
 * sockets of --port-mode slirp rules, not connections. (libslirp 4.7 lists
 * its IPv4 sockets only.)
 *
 * Process: resident set from /proc/self/statm, read through an fd opened
 * before the sandbox (its root has no /proc/self); CPU times and the peak
 * resident set from getrusage().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/util.h"
#include "slirp/counters.h"

#define ETH_HLEN_ 14
#define ETHTYPE_IP 0x0800
#define ETHTYPE_IPV6 0x86dd
#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_SYN 0x02
#define TCP_ACK 0x10

/**
 * struct sl_flowkey - what identifies a flow
 * @proto:	6 (TCP) or 17 (UDP)
 * @family:	4 or 6
 * @sport:	guest port, network order
 * @dport:	TCP: destination port; UDP: 0
 * @src:	guest address (IPv4 in the first 4 bytes)
 * @dst:	TCP: destination address; UDP: zero
 */
struct sl_flowkey {
	uint8_t proto;
	uint8_t family;
	uint16_t sport;
	uint16_t dport;
	uint8_t src[16];
	uint8_t dst[16];
};

/**
 * struct sl_flow - a remembered flow
 * @key:	what identifies it (the hash table's key)
 * @last_ms:	last frame, CLOCK_MONOTONIC milliseconds
 */
struct sl_flow {
	struct sl_flowkey key;
	int64_t last_ms;
};

/**
 * struct sl_flowtab - flows seen on the tap, and the counters
 * @flows:	struct sl_flow * (key and value)
 * @last_sweep_ms: last sweep of expired flows from a full table
 * @dns4:	IPv4 address of the built-in DNS
 * @dns6_on:	@dns6 is in use
 * @dns6:	IPv6 address of the built-in DNS
 * @st:		counters
 */
struct sl_flowtab {
	GHashTable *flows;
	int64_t last_sweep_ms;
	struct in_addr dns4;
	bool dns6_on;
	struct in6_addr dns6;
	struct sl_flow_stats st;
};

static guint sl_flowkey_hash(gconstpointer p)
{
	const uint8_t *b = p;
	guint h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(struct sl_flowkey); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean sl_flowkey_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct sl_flowkey));
}

/**
 * sl_flowtab_new() - an empty flow table
 * @dns4:	IPv4 address of the built-in DNS
 * @dns6_on:	IPv6 is enabled
 * @dns6:	IPv6 address of the built-in DNS
 *
 * Return: the table, to sl_flowtab_free()
 */
struct sl_flowtab *sl_flowtab_new(struct in_addr dns4, bool dns6_on,
				  const struct in6_addr *dns6)
{
	struct sl_flowtab *ft = g_new0(struct sl_flowtab, 1);

	ft->flows = g_hash_table_new_full(sl_flowkey_hash, sl_flowkey_equal,
					  NULL, g_free);
	ft->dns4 = dns4;
	ft->dns6_on = dns6_on;
	if (dns6)
		ft->dns6 = *dns6;
	return ft;
}

/**
 * sl_flowtab_free() - free the table
 * @ft:		table, may be NULL
 */
void sl_flowtab_free(struct sl_flowtab *ft)
{
	if (!ft)
		return;
	g_hash_table_unref(ft->flows);
	g_free(ft);
}

static gboolean sl_flow_expired(gpointer k, gpointer v, gpointer now)
{
	const struct sl_flow *f = v;
	int64_t idle = f->key.proto == PROTO_TCP ? SL_COUNTERS_SYN_RETRY_MS :
						   SL_COUNTERS_UDP_IDLE_MS;

	return *(int64_t *)now - f->last_ms >= idle;
}

/* Remember @k; return whether it is new (or expired, as if new) */
static bool sl_flowtab_touch(struct sl_flowtab *ft, const struct sl_flowkey *k,
			     int64_t idle_ms)
{
	int64_t now = util_now_ms();
	struct sl_flow *f = g_hash_table_lookup(ft->flows, k);
	bool fresh;

	if (f) {
		fresh = now - f->last_ms >= idle_ms;
		f->last_ms = now;
		return fresh;
	}
	if (g_hash_table_size(ft->flows) >= SL_COUNTERS_FLOWS_MAX) {
		/* A full table is swept at most once a second: a guest that
		 * keeps it full must not buy an O(table) scan per frame */
		if (now - ft->last_sweep_ms >= 1000) {
			ft->last_sweep_ms = now;
			g_hash_table_foreach_remove(ft->flows, sl_flow_expired,
						    &now);
		}
		/* Still full: count it, without remembering it */
		if (g_hash_table_size(ft->flows) >= SL_COUNTERS_FLOWS_MAX)
			return true;
	}
	f = g_new(struct sl_flow, 1);
	f->key = *k;
	f->last_ms = now;
	g_hash_table_add(ft->flows, f);
	return true;
}

/**
 * struct sl_frame_ip - what counting needs of a frame's IP header
 * @alen:	address length: 4 (IPv4) or 16 (IPv6)
 * @proto:	transport protocol
 * @src:	source address
 * @dst:	destination address
 * @l4:		transport header (at least 8 bytes of it are in the frame)
 * @l4len:	bytes from @l4 to the end of the frame
 */
struct sl_frame_ip {
	size_t alen;
	uint8_t proto;
	const uint8_t *src;
	const uint8_t *dst;
	const uint8_t *l4;
	size_t l4len;
};

/* Read the IPv4 or IPv6 header of the Ethernet frame @frame (at least
 * ETH_HLEN_ + 20 bytes). Return: false for anything else, and for fragments
 * after the first (only the first has the ports) */
static bool sl_frame_ip_parse(const uint8_t *frame, size_t len,
			      struct sl_frame_ip *p)
{
	uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
	const uint8_t *ip = frame + ETH_HLEN_;
	size_t iplen = len - ETH_HLEN_, hl;

	if (type == ETHTYPE_IP) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		if ((ip[0] >> 4) != 4 || hl < 20 || iplen < hl + 8 ||
		    ((ip[6] & 0x1f) << 8 | ip[7]) != 0)
			return false;
		*p = (struct sl_frame_ip){ .alen = 4,
					   .proto = ip[9],
					   .src = ip + 12,
					   .dst = ip + 16 };
	} else if (type == ETHTYPE_IPV6) {
		hl = 40;
		if ((ip[0] >> 4) != 6 || iplen < hl + 8)
			return false;
		*p = (struct sl_frame_ip){ .alen = 16,
					   .proto = ip[6],
					   .src = ip + 8,
					   .dst = ip + 24 };
	} else {
		return false;
	}
	p->l4 = ip + hl;
	p->l4len = iplen - hl;
	return true;
}

/* Count a UDP datagram: a DNS answer to the guest, or a query and perhaps
 * a new flow from it (@k: family and source address filled in) */
static void sl_flowtab_udp(struct sl_flowtab *ft, struct sl_flowkey *k,
			   const struct sl_frame_ip *p, bool to_guest,
			   const uint8_t *dns)
{
	uint16_t sport = util_get16(p->l4), dport = util_get16(p->l4 + 2);

	if (to_guest) {
		if (dns && !memcmp(p->src, dns, p->alen) && sport == 53)
			ft->st.dns_answers++;
		return;
	}
	if (dns && !memcmp(p->dst, dns, p->alen) && dport == 53)
		ft->st.dns_queries++;
	if (dport == 67)
		return;
	k->proto = PROTO_UDP;
	k->sport = sport;
	if (sl_flowtab_touch(ft, k, SL_COUNTERS_UDP_IDLE_MS))
		ft->st.udp_total++;
}

/* Count a TCP segment from the guest: a SYN (without ACK) opens a
 * connection, unless it repeats one (@k: family and source address filled
 * in) */
static void sl_flowtab_tcp(struct sl_flowtab *ft, struct sl_flowkey *k,
			   const struct sl_frame_ip *p)
{
	if (p->l4len < 14 || (p->l4[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return;
	k->proto = PROTO_TCP;
	k->sport = util_get16(p->l4);
	k->dport = util_get16(p->l4 + 2);
	memcpy(k->dst, p->dst, p->alen);
	if (sl_flowtab_touch(ft, k, SL_COUNTERS_SYN_RETRY_MS))
		ft->st.tcp_total++;
}

/**
 * sl_flowtab_frame() - count what one Ethernet frame on the tap means
 * @ft:		table
 * @frame:	the frame
 * @len:	its length
 * @to_guest:	written to the tap (libslirp to the guest), rather than read
 */
void sl_flowtab_frame(struct sl_flowtab *ft, const uint8_t *frame, size_t len,
		      bool to_guest)
{
	struct sl_flowkey k;
	const uint8_t *dns;
	struct sl_frame_ip p;

	if (!ft || len < ETH_HLEN_ + 20 || !sl_frame_ip_parse(frame, len, &p))
		return;
	memset(&k, 0, sizeof(k)); /* the hash reads every byte */
	/* The built-in DNS address of the frame's family, NULL if none */
	if (p.alen == 4)
		dns = (const uint8_t *)&ft->dns4;
	else
		dns = ft->dns6_on ? ft->dns6.s6_addr : NULL;
	k.family = p.alen == 4 ? 4 : 6;
	memcpy(k.src, p.src, p.alen);
	if (p.proto == PROTO_UDP)
		sl_flowtab_udp(ft, &k, &p, to_guest, dns);
	else if (p.proto == PROTO_TCP && !to_guest)
		sl_flowtab_tcp(ft, &k, &p);
}

/**
 * sl_flowtab_stats() - the counters
 * @ft:		table
 *
 * Return: the counters, valid as long as the table
 */
const struct sl_flow_stats *sl_flowtab_stats(const struct sl_flowtab *ft)
{
	return &ft->st;
}

/**
 * sl_counters_sockets() - count libslirp's TCP connections and UDP flows
 * in the text of slirp_connection_info()
 * @info:	the text
 * @tcp:	out: TCP sockets that are not listening (HOST_FORWARD)
 * @udp:	out: UDP sockets that are not host-forwarded
 *
 * Return: 0, or -EPROTO if the text has not the expected header
 */
int sl_counters_sockets(const char *info, int64_t *tcp, int64_t *udp)
{
	const char *p = info;

	*tcp = *udp = 0;
	if (!info || !strstr(info, "Protocol[State]"))
		return -EPROTO;
	while (p && *p) {
		const char *eol = strchr(p, '\n');

		while (*p == ' ')
			p++;
		if (!strncmp(p, "TCP[", 4) &&
		    strncmp(p, "TCP[HOST_FORWARD]", 17))
			(*tcp)++;
		else if (!strncmp(p, "UDP[", 4) &&
			 strncmp(p, "UDP[HOST_FORWARD]", 17))
			(*udp)++;
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

/**
 * sl_counters_proc_open() - open /proc/self/statm, to be read after the sandbox
 * took /proc away
 *
 * Return: fd (O_CLOEXEC), or -errno
 */
int sl_counters_proc_open(void)
{
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/**
 * sl_counters_proc_read() - the process's memory and CPU time
 * @statm_fd:	fd from sl_counters_proc_open(), or -1
 * @out:	figures (rss_bytes -1 if unknown)
 */
void sl_counters_proc_read(int statm_fd, struct sl_proc_stats *out)
{
	struct rusage ru;
	char buf[128];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->rss_bytes = -1;
	if (statm_fd >= 0) {
		n = pread(statm_fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			unsigned long long resident;
			char *end;

			/* statm: "size resident shared ...", in pages */
			buf[n] = '\0';
			errno = 0;
			strtoull(buf, &end, 10);
			resident = strtoull(end, &end, 10);
			if (!errno && *end == ' ')
				out->rss_bytes = (int64_t)resident *
						 sysconf(_SC_PAGESIZE);
		}
	}
	if (!getrusage(RUSAGE_SELF, &ru)) {
		out->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
		out->cpu_user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 +
				   ru.ru_utime.tv_usec;
		out->cpu_system_us = (int64_t)ru.ru_stime.tv_sec * 1000000 +
				     ru.ru_stime.tv_usec;
	}
	/* The kernel updates the peak lazily: never show it below now */
	if (out->rss_bytes > out->max_rss_bytes)
		out->max_rss_bytes = out->rss_bytes;
}
