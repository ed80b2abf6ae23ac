/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnsrelay.h - the guest's DNS server: queries to the DNS address
 * relayed to every nameserver of the host's resolv.conf (or --dns), in order
 */
#ifndef SLIRP_DNSRELAY_H
#define SLIRP_DNSRELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "slirp/dnswire.h"
#include "slirp/loop.h"

/* Servers asked (resolv.conf or --dns), in order */
#define DNSRELAY_SERVERS_MAX 16
/* Queries waiting for an answer; beyond it the oldest is dropped */
#define DNSRELAY_PENDING_MAX 128
/* How long one server has to answer before the next one is asked */
#define DNSRELAY_TIMEOUT_MS 1500
/* The resolver configuration followed without --dns */
#define DNSRELAY_RESOLV_PATH "/etc/resolv.conf"

typedef void (*dnsrelay_send_fn)(const uint8_t *frame, size_t len,
				 void *opaque);

/**
 * struct dnsrelay_cfg - what the relay answers and whom it asks
 * @addrs:	the guest-side DNS addresses
 * @mtu:	the tap's MTU (bound of an answer frame)
 * @resolv_path: resolver configuration to read and follow (looked at before
 *		queries), used when @nservers is 0
 * @servers:	fixed servers (--dns), port 53, or NULL
 * @nservers:	their number
 */
struct dnsrelay_cfg {
	struct dnsw_addrs addrs;
	unsigned mtu;
	const char *resolv_path;
	const struct sockaddr_storage *servers;
	unsigned nservers;
};

/**
 * struct dnsrelay_stats - what the relay did (logged at exit with --debug)
 * @relayed:	queries sent to an upstream server (each try counted)
 * @answered:	answers written to the guest
 * @dropped:	queries dropped: malformed, retransmitted while waiting,
 *		evicted from a full table, or no server answered
 */
struct dnsrelay_stats {
	uint64_t relayed;
	uint64_t answered;
	uint64_t dropped;
};

struct dnsrelay;

int dnsrelay_new(const struct dnsrelay_cfg *cfg, struct sl_loop *loop,
		 dnsrelay_send_fn send, void *send_opaque,
		 struct dnsrelay **out);
void dnsrelay_free(struct dnsrelay *r);
bool dnsrelay_frame(struct dnsrelay *r, const uint8_t *frame, size_t len);

#endif /* SLIRP_DNSRELAY_H */
