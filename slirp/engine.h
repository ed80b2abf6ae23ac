/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/engine.h - one libslirp instance bound to a tap fd
 */
#ifndef SLIRP_ENGINE_H
#define SLIRP_ENGINE_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <libslirp.h>

#include "common/addr.h"
#include "slirp/counters.h"

#define SL_MTU_MIN 68
#define SL_MTU_MIN_IPV6 1280
#define SL_MTU_MAX 65521 /* a tap's and libslirp's limit, as slirp4netns */
#define SL_MTU_DEFAULT 1500

/**
 * struct sl_config - network parameters of the guest side
 * @cidr:			guest IPv4 network
 * @mtu:			MTU (and MRU) of the tap and of libslirp
 * @ipv6:			enable IPv6 (the plan's prefix, common/addr.h)
 * @disable_host_loopback:	the gateway does not lead to the host's loopback
 * @disable_dns:		no built-in DNS forwarder
 * @has_outbound4:		@outbound4 is set
 * @outbound4:			source address of outbound IPv4 connections
 * @has_outbound6:		@outbound6 is set
 * @outbound6:			source address of outbound IPv6 connections
 * @map4_on:			@map4_alias leads to @map4_target (pasta's
 *				--map-guest-addr, slirp/guestmap.c)
 * @map4_alias:			the address the guest uses
 * @map4_target:		the host's address it leads to
 */
struct sl_config {
	struct addr_cidr4 cidr;
	unsigned mtu;
	bool ipv6;
	bool disable_host_loopback;
	bool disable_dns;
	bool has_outbound4;
	struct sockaddr_in outbound4;
	bool has_outbound6;
	struct sockaddr_in6 outbound6;
	bool map4_on;
	struct in_addr map4_alias;
	struct in_addr map4_target;
};

/**
 * struct sl_stats - counters of the tap side
 * @frames_in:		frames read from the tap (guest to libslirp)
 * @bytes_in:		bytes of those frames
 * @frames_out:		frames written to the tap (libslirp to guest)
 * @bytes_out:		bytes of those frames
 * @drops_out:		frames that could not be written to the tap
 * @martians_in:	frames from the guest dropped for a loopback,
 *			unspecified, mapped or broadcast address (slirp/martian.c)
 */
struct sl_stats {
	uint64_t frames_in;
	uint64_t bytes_in;
	uint64_t frames_out;
	uint64_t bytes_out;
	uint64_t drops_out;
	uint64_t martians_in;
};

struct sl_engine;
struct capture_writer;
struct dnsrelay;

void sl_config_init(struct sl_config *c);

int sl_engine_new(const struct sl_config *cfg, int tap_fd,
		  struct sl_engine **out);
void sl_engine_free(struct sl_engine *e);
Slirp *sl_engine_slirp(struct sl_engine *e);
int sl_engine_tap_fd(const struct sl_engine *e);
const struct sl_stats *sl_engine_stats(const struct sl_engine *e);
const struct sl_flow_stats *sl_engine_flow_stats(const struct sl_engine *e);
int sl_engine_sockets(struct sl_engine *e, int64_t *tcp, int64_t *udp);
int sl_engine_drain_tap(struct sl_engine *e);
void sl_engine_set_capture(struct sl_engine *e, struct capture_writer *cap);
void sl_engine_set_dns(struct sl_engine *e, struct dnsrelay *r);
void sl_engine_send_frame(const uint8_t *frame, size_t len, void *opaque);

/* Used by the event loop (slirp/loop.c) */
void sl_engine_poll_fill(struct sl_engine *e, GArray *pollfds,
			 int64_t *timeout_ms);
void sl_engine_poll_dispatch(struct sl_engine *e, bool poll_failed);
void sl_engine_run_timers(struct sl_engine *e);

#endif /* SLIRP_ENGINE_H */
