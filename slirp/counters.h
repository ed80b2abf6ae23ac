/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/counters.h - live figures of the helper: what the tap's frames say
 * (new TCP connections and UDP flows of the guest, DNS queries and answers),
 * libslirp's open sockets, and the process's memory and CPU time
 */
#ifndef SLIRP_COUNTERS_H
#define SLIRP_COUNTERS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* A guest's UDP flow (libslirp's UDP socket for one source address and
 * port) is counted again once idle this long: libslirp's own expiry */
#define SL_COUNTERS_UDP_IDLE_MS 240000
/* A TCP SYN for the same four-tuple within this time is a retransmission */
#define SL_COUNTERS_SYN_RETRY_MS 10000
/* Bound of remembered flows (memory the guest can make us use) */
#define SL_COUNTERS_FLOWS_MAX 65536

/**
 * struct sl_flow_stats - figures read from the frames on the tap
 * @tcp_total:		TCP connections the guest opened through libslirp
 *			(SYN without ACK, retransmissions not counted again)
 * @udp_total:		UDP flows of the guest through libslirp (new source
 *			address and port, or one idle for SL_COUNTERS_UDP_IDLE_MS)
 * @dns_queries:	UDP datagrams from the guest to port 53 of the
 *			built-in DNS address (IPv4 or IPv6)
 * @dns_answers:	UDP datagrams to the guest from port 53 of it
 */
struct sl_flow_stats {
	uint64_t tcp_total;
	uint64_t udp_total;
	uint64_t dns_queries;
	uint64_t dns_answers;
};

/**
 * struct sl_proc_stats - figures of the helper process
 * @rss_bytes:		resident set size now (/proc/self/statm), -1 unknown
 * @max_rss_bytes:	largest resident set size (getrusage)
 * @cpu_user_us:	user CPU time
 * @cpu_system_us:	system CPU time
 */
struct sl_proc_stats {
	int64_t rss_bytes;
	int64_t max_rss_bytes;
	int64_t cpu_user_us;
	int64_t cpu_system_us;
};

struct sl_flowtab;

struct sl_flowtab *sl_flowtab_new(struct in_addr dns4, bool dns6_on,
				  const struct in6_addr *dns6);
void sl_flowtab_free(struct sl_flowtab *ft);
void sl_flowtab_frame(struct sl_flowtab *ft, const uint8_t *frame, size_t len,
		      bool to_guest);
const struct sl_flow_stats *sl_flowtab_stats(const struct sl_flowtab *ft);

int sl_counters_sockets(const char *info, int64_t *tcp, int64_t *udp);
int sl_counters_proc_open(void);
void sl_counters_proc_read(int statm_fd, struct sl_proc_stats *out);

#endif /* SLIRP_COUNTERS_H */
