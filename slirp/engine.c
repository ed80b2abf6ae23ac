/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/engine.c - one libslirp instance bound to a tap fd
 *
 * DOC: Theory of operation
 *
 * Frames the guest writes to its tap arrive on the tap fd; sl_engine_drain_tap()
 * reads up to SL_TAP_BATCH of them per wakeup and hands each to slirp_input(),
 * but for those naming an address no tap peer may use (slirp/martian.c: the
 * host's loopback other than through the gateway, and the like).
 * libslirp terminates the guest's TCP/UDP/ICMP flows and opens ordinary host
 * sockets for them (NAT). Frames libslirp emits towards the guest arrive in
 * sl_cb_send_packet() and are written to the tap straight away; if the tap is
 * full the frame is dropped and TCP retransmits it (libslirp's contract).
 *
 * The tap is opened with IFF_VNET_HDR and checksum and TSO offloads: the
 * guest's kernel hands over TCP segments of up to 64 KiB whatever the MTU,
 * with the checksum left to sl_frame_csum() (libslirp takes segments larger
 * than its MSS, and verifies every checksum).
 *
 * libslirp's own sockets and timers are polled by slirp/loop.c through
 * sl_engine_poll_fill() and sl_engine_poll_dispatch(). Everything runs in one
 * thread: the callbacks below never block.
 *
 * With a capture set (sl_engine_set_capture()), every frame read from or
 * written to the tap is also handed to slirp/capture.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "slirp/capture.h"
#include "slirp/counters.h"
#include "slirp/dnsrelay.h"
#include "slirp/csum.h"
#include "slirp/engine.h"
#include "slirp/guestmap.h"
#include "slirp/martian.h"
#include "slirp/tcpreset.h"

/* Frames read from the tap per wakeup before other fds get a turn */
#define SL_TAP_BATCH 64
/* Largest frame: MTU 65521 plus Ethernet and VLAN headers, rounded up (also
 * the largest TSO frame: 64 KiB of IP packet plus Ethernet headers) */
#define SL_FRAME_MAX (65536 + 64)
/* MTUs from which the tap's offloads are left off (sl_engine_offload()) */
#define SL_OFFLOAD_MTU_MAX 16384
/* The virtio-net header in front of every frame of a tap with IFF_VNET_HDR */
#define SL_VNET_LEN ((int)sizeof(struct virtio_net_hdr))

/**
 * struct sl_timer - a libslirp timer
 * @expire_ms:	expiry on the CLOCK_MONOTONIC millisecond scale, -1 if idle
 * @id:		timer id for slirp_handle_timer() (timer_new_opaque)
 * @cb:		callback (legacy timer_new), or NULL
 * @cb_opaque:	libslirp's argument for the callback
 */
struct sl_timer {
	int64_t expire_ms;
	SlirpTimerId id;
	SlirpTimerCb cb;
	void *cb_opaque;
};

/**
 * struct sl_engine - libslirp bound to a tap
 * @slirp:	the libslirp instance
 * @tap_fd:	non-blocking tap fd, owned
 * @timers:	struct sl_timer * created by libslirp
 * @pollfds:	array filled by sl_engine_poll_fill(), read back by dispatch
 * @pollfds_first: index in @pollfds of libslirp's first entry
 * @stats:	tap counters
 * @cap:	packet capture, or NULL (not owned)
 * @flows:	what the frames say (slirp/counters.c)
 * @martian:	addresses the guest's frames may not use (slirp/martian.c)
 * @rst:	TCP connections on the tap, to reset at the end (slirp/tcpreset.c)
 * @fds:	libslirp's host sockets (register_poll_fd), as GINT_TO_POINTER
 * @dns:	the DNS relay, shown every frame before libslirp; or NULL
 * @vnet:	the tap has IFF_VNET_HDR: frames carry a virtio-net header
 * @rxbuf:	receive buffer: room for a virtio-net header, then the frame
 * @frame:	where the frame starts in @rxbuf
 * @txbuf:	a virtio-net header (zero: no offload) and a frame to the guest
 * @out4:	source address of outbound IPv4 connections (libslirp keeps a
 *		pointer to it, not a copy: it lives as long as the instance)
 * @out6:	the same for IPv6
 * @gmap:	--map-guest-addr's mapping (slirp/guestmap.c), or NULL
 * @gmbuf:	with @gmap, a frame to the guest rewritten by it
 */
struct sl_engine {
	Slirp *slirp;
	int tap_fd;
	GPtrArray *timers;
	GArray *pollfds;
	guint pollfds_first;
	struct sl_stats stats;
	struct capture_writer *cap;
	struct sl_flowtab *flows;
	struct sl_martian martian;
	struct sl_rst *rst;
	GHashTable *fds;
	struct dnsrelay *dns;
	bool vnet;
	uint8_t rxbuf[SL_VNET_LEN + SL_FRAME_MAX];
	uint8_t *frame;
	uint8_t txbuf[SL_VNET_LEN + SL_FRAME_MAX];
	struct sockaddr_in out4;
	struct sockaddr_in6 out6;
	struct sl_guestmap *gmap;
	uint8_t *gmbuf;
};

/* Write a frame to the tap, count and capture it; the bytes written */
static ssize_t sl_tap_out(struct sl_engine *e, const void *buf, size_t len)
{
	const void *out = buf;
	size_t outlen = len;
	ssize_t n;

	if (e->vnet) {
		/* the header (zero: a plain frame) must come in the same write */
		if (len > SL_FRAME_MAX)
			return (ssize_t)len;
		memcpy(e->txbuf + SL_VNET_LEN, buf, len);
		out = e->txbuf;
		outlen = len + SL_VNET_LEN;
	}
	do {
		n = write(e->tap_fd, out, outlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		e->stats.drops_out++;
		log_ratelimited(LOG_LVL_DEBUG,
				"dropped a frame to the guest: %s",
				strerror(errno));
		return -1;
	}
	if (e->vnet)
		n = MAX(n - SL_VNET_LEN, 0);
	e->stats.frames_out++;
	e->stats.bytes_out += (uint64_t)n;
	if (e->cap)
		capture_frame(e->cap, buf, (size_t)n);
	return n;
}

static ssize_t sl_cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct sl_engine *e = opaque;
	ssize_t n;

	if (e->gmap && len <= SL_FRAME_MAX &&
	    sl_guestmap_in_wants(e->gmap, buf, len)) {
		memcpy(e->gmbuf, buf, len);
		sl_guestmap_in(e->gmap, e->gmbuf, len);
		buf = e->gmbuf;
	}
	n = sl_tap_out(e, buf, len);

	/* Not an error for libslirp: TCP retransmits */
	if (n < 0)
		return (ssize_t)len;
	sl_flowtab_frame(e->flows, buf, (size_t)n, true);
	sl_rst_frame(e->rst, buf, (size_t)n, true);
	return n;
}

static void sl_cb_guest_error(const char *msg, void *opaque)
{
	log_ratelimited(LOG_LVL_WARN, "guest error: %s", msg);
}

static int64_t sl_cb_clock_get_ns(void *opaque)
{
	return util_now_ns();
}

static struct sl_timer *sl_timer_add(struct sl_engine *e, SlirpTimerId id,
				     SlirpTimerCb cb, void *cb_opaque)
{
	struct sl_timer *t = g_new0(struct sl_timer, 1);

	t->expire_ms = -1;
	t->id = id;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	g_ptr_array_add(e->timers, t);
	return t;
}

static void *sl_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return sl_timer_add(opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *sl_cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
				    void *opaque)
{
	return sl_timer_add(opaque, id, NULL, cb_opaque);
}

static void sl_cb_timer_free(void *timer, void *opaque)
{
	struct sl_engine *e = opaque;

	g_ptr_array_remove_fast(e->timers, timer);
}

static void sl_cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct sl_timer *t = timer;

	t->expire_ms = expire_time;
}

static void sl_cb_register_fd(int fd, void *opaque)
{
	struct sl_engine *e = opaque;

	g_hash_table_add(e->fds, GINT_TO_POINTER(fd));
}

static void sl_cb_unregister_fd(int fd, void *opaque)
{
	struct sl_engine *e = opaque;

	g_hash_table_remove(e->fds, GINT_TO_POINTER(fd));
}

static void sl_cb_notify(void *opaque)
{
	/* Single-threaded: the loop polls again right after dispatching */
}

static const SlirpCb sl_callbacks = {
	.send_packet = sl_cb_send_packet,
	.guest_error = sl_cb_guest_error,
	.clock_get_ns = sl_cb_clock_get_ns,
	.timer_new = sl_cb_timer_new,
	.timer_free = sl_cb_timer_free,
	.timer_mod = sl_cb_timer_mod,
	.register_poll_fd = sl_cb_register_fd,
	.unregister_poll_fd = sl_cb_unregister_fd,
	.notify = sl_cb_notify,
#if SLIRP_CHECK_VERSION(4, 7, 0)
	.timer_new_opaque = sl_cb_timer_new_opaque,
#endif
};

/**
 * sl_config_init() - defaults: the default network of the address plan
 * (ADDR_PLAN_CIDR4_DEFAULT), MTU 1500, IPv4 only, host loopback reachable,
 * DNS on
 * @c:		configuration to fill
 */
void sl_config_init(struct sl_config *c)
{
	memset(c, 0, sizeof(*c));
	addr_plan_default4(&c->cidr);
	c->mtu = SL_MTU_DEFAULT;
}

/*
 * sl_engine_offload() - with a tap opened with IFF_VNET_HDR (netns/tap.c),
 * let the guest's kernel hand us TCP segments of up to 64 KiB whatever the MTU
 * (TSO) with their checksum left to us (sl_frame_csum()): one frame and one
 * slirp_input() instead of up to 44 at MTU 1500. libslirp takes segments
 * larger than its MSS. If the kernel refuses the offloads, frames stay plain.
 */
static void sl_engine_offload(struct sl_engine *e, unsigned mtu)
{
	struct ifreq ifr = { 0 };

	if (ioctl(e->tap_fd, TUNGETIFF, &ifr) < 0 ||
	    !(ifr.ifr_flags & IFF_VNET_HDR))
		return;
	e->vnet = true;
	e->frame = e->rxbuf + SL_VNET_LEN;
	/* With a large MTU a segment is about as large as TSO makes it: the
	 * checksum is then better left to the guest's kernel (measured in
	 * docs/PERFORMANCE.md) */
	if (mtu >= SL_OFFLOAD_MTU_MAX) {
		ioctl(e->tap_fd, TUNSETOFFLOAD, 0);
		return;
	}
	if (ioctl(e->tap_fd, TUNSETOFFLOAD,
		  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0 &&
	    ioctl(e->tap_fd, TUNSETOFFLOAD, 0) < 0)
		log_debug("no offloads on the tap: %s", strerror(errno));
}

/* An engine for the tap @tap_fd, all but its libslirp instance and what
 * depends on the instance's addresses */
static struct sl_engine *sl_engine_alloc(const struct sl_config *cfg,
					 int tap_fd)
{
	struct sl_engine *e = g_new0(struct sl_engine, 1);

	e->tap_fd = tap_fd;
	e->frame = e->rxbuf;
	sl_engine_offload(e, cfg->mtu);
	e->timers = g_ptr_array_new_with_free_func(g_free);
	e->fds = g_hash_table_new(NULL, NULL);
	e->rst = sl_rst_new(util_now_ms());
	e->out4 = cfg->outbound4;
	e->out6 = cfg->outbound6;
	return e;
}

/**
 * sl_engine_new() - create a libslirp instance serving the tap @tap_fd
 * @cfg:	network parameters (already validated)
 * @tap_fd:	tap fd; made non-blocking; owned by the engine from now on
 * @out:	the new engine
 *
 * Return: 0 or -errno (-EINVAL if libslirp refuses the configuration)
 */
int sl_engine_new(const struct sl_config *cfg, int tap_fd,
		  struct sl_engine **out)
{
	struct sl_engine *e;
	SlirpConfig sc = { 0 };
	int r;

	r = util_set_nonblock(tap_fd);
	if (r < 0)
		return r;
	e = sl_engine_alloc(cfg, tap_fd);

	/*
	 * What libslirp 4.7's slirp_new() keeps: the strings (vhostname,
	 * tftp names, bootfile, vdomainname, vdnssearch) are copied; the
	 * outbound addresses are kept as pointers and read at every outbound
	 * connection, so they point into the engine (@e->out4, @e->out6);
	 * the callbacks are a static table and their opaque is @e, both
	 * outliving the instance (sl_engine_free() calls slirp_cleanup() first).
	 */
#if SLIRP_CONFIG_VERSION_MAX > 4
	sc.version = 4;
#else
	sc.version = SLIRP_CONFIG_VERSION_MAX;
#endif
	sc.restricted = 0;
	sc.in_enabled = true;
	sc.vnetwork = cfg->cidr.net;
	sc.vnetmask = addr_cidr4_mask(&cfg->cidr);
	sc.vhost = addr_plan_gateway4(&cfg->cidr);
	sc.vdhcp_start = addr_plan_dhcp_start4(&cfg->cidr);
	sc.vnameserver = addr_plan_dns4(&cfg->cidr);
	sc.in6_enabled = cfg->ipv6;
	sc.vprefix_addr6 = addr_plan_prefix6();
	sc.vprefix_len = ADDR_PLAN_PREFIX6_LEN;
	sc.vhost6 = addr_plan_gateway6();
	sc.vnameserver6 = addr_plan_dns6();
	sc.vhostname = "usernet";
	sc.if_mtu = cfg->mtu;
	sc.if_mru = cfg->mtu;
	sc.disable_host_loopback = cfg->disable_host_loopback;
	sc.enable_emu = false;
	sc.outbound_addr = cfg->has_outbound4 ? &e->out4 : NULL;
	sc.outbound_addr6 = cfg->has_outbound6 ? &e->out6 : NULL;
	sc.disable_dns = cfg->disable_dns;

	e->slirp = slirp_new(&sc, &sl_callbacks, e);
	if (!e->slirp) {
		g_ptr_array_unref(e->timers);
		g_hash_table_unref(e->fds);
		sl_rst_free(e->rst);
		g_free(e);
		return -EINVAL;
	}
	e->flows = sl_flowtab_new(sc.vnameserver,
				  cfg->ipv6 && !cfg->disable_dns,
				  &sc.vnameserver6);
	sl_martian_init(&e->martian, sc.vnetwork, sc.vnetmask,
			&sc.vprefix_addr6, &sc.vhost6,
			cfg->disable_dns ? NULL : &sc.vnameserver6);
	if (cfg->map4_on) {
		e->gmap = sl_guestmap_new(cfg->map4_alias, cfg->map4_target);
		e->gmbuf = g_malloc(SL_FRAME_MAX);
	}
	*out = e;
	return 0;
}

static void sl_rst_send(const uint8_t *f, size_t len, void *opaque)
{
	sl_tap_out(opaque, f, len);
}

/*
 * Whether a host socket of libslirp carries a connection that is still open
 * on at least one side: TCP, and not yet in a state where both sides sent
 * their FIN (LAST_ACK, CLOSING, TIME_WAIT, CLOSE)
 */
static bool sl_fd_open_tcp(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return false;
	switch (ti.tcpi_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
		return true;
	default:
		return false;
	}
}

/*
 * sl_engine_reset_all() - the truthful end of libslirp's TCP connections:
 * a reset toward the guest (slirp/tcpreset.c) and, by SO_LINGER 0 on its
 * host sockets, toward the host's peers when slirp_cleanup() closes them.
 * Connections both sides closed end as they are.
 */
static void sl_engine_reset_all(struct sl_engine *e)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	unsigned guest, host = 0;
	GHashTableIter it;
	gpointer fd;

	guest = sl_rst_all(e->rst, sl_rst_send, e);
	g_hash_table_iter_init(&it, e->fds);
	while (g_hash_table_iter_next(&it, &fd, NULL)) {
		if (!sl_fd_open_tcp(GPOINTER_TO_INT(fd)))
			continue;
		if (!setsockopt(GPOINTER_TO_INT(fd), SOL_SOCKET, SO_LINGER,
				&lin, sizeof(lin)))
			host++;
	}
	if (guest || host)
		log_debug("reset %u TCP connections toward the guest, %u "
			  "toward the host",
			  guest, host);
}

/**
 * sl_engine_free() - reset the open TCP connections, destroy the libslirp
 * instance and close the tap
 * @e:		engine, may be NULL
 */
void sl_engine_free(struct sl_engine *e)
{
	if (!e)
		return;
	sl_engine_reset_all(e);
	slirp_cleanup(e->slirp);
	sl_flowtab_free(e->flows);
	sl_rst_free(e->rst);
	sl_guestmap_free(e->gmap);
	g_free(e->gmbuf);
	g_hash_table_unref(e->fds);
	g_ptr_array_unref(e->timers);
	close(e->tap_fd);
	g_free(e);
}

/**
 * sl_engine_slirp() - the libslirp instance, for port forwarding
 * @e:		engine
 *
 * Return: the instance
 */
Slirp *sl_engine_slirp(struct sl_engine *e)
{
	return e->slirp;
}

/**
 * sl_engine_tap_fd() - the tap fd, to poll for input
 * @e:		engine
 *
 * Return: the fd
 */
int sl_engine_tap_fd(const struct sl_engine *e)
{
	return e->tap_fd;
}

/**
 * sl_engine_stats() - tap counters
 * @e:		engine
 *
 * Return: the counters, valid as long as the engine
 */
const struct sl_stats *sl_engine_stats(const struct sl_engine *e)
{
	return &e->stats;
}

/**
 * sl_frame_csum() - complete the checksum the guest's kernel left to us
 * @h:		virtio-net header of the frame
 * @f:		the frame
 * @len:	its length
 *
 * With VIRTIO_NET_HDR_F_NEEDS_CSUM the field at csum_start + csum_offset holds
 * the pseudo-header sum; the checksum covers csum_start to the end (also for a
 * TSO frame, taken as one large segment).
 *
 * Return: false if the header does not fit the frame (drop it)
 */
static bool sl_frame_csum(const struct virtio_net_hdr *h, uint8_t *f,
			  size_t len)
{
	size_t start = h->csum_start, off = h->csum_offset;
	uint16_t c;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return true;
	if (start >= len || off + 2 > len - start)
		return false;
	c = (uint16_t)~sl_csum_fold(sl_csum_add(0, f + start, len - start));
	memcpy(f + start + off, &c, 2);
	return true;
}

/**
 * sl_engine_set_capture() - capture every frame crossing the tap from now on
 * @e:		engine
 * @cap:	capture writer (not owned; it must outlive its use here), or
 *		NULL to stop capturing
 */
void sl_engine_set_capture(struct sl_engine *e, struct capture_writer *cap)
{
	e->cap = cap;
}

/**
 * sl_engine_set_dns() - show every frame from the guest to the DNS relay
 * before libslirp; the relay's answers go through sl_engine_send_frame()
 * @e:		engine
 * @r:		relay (not owned; it must outlive its use here), or NULL
 */
void sl_engine_set_dns(struct sl_engine *e, struct dnsrelay *r)
{
	e->dns = r;
}

/**
 * sl_engine_send_frame() - write a frame to the guest, as libslirp's are
 * (counted, captured); a dnsrelay_send_fn
 * @frame:	Ethernet frame
 * @len:	its length
 * @opaque:	the engine
 */
void sl_engine_send_frame(const uint8_t *frame, size_t len, void *opaque)
{
	sl_cb_send_packet(frame, len, opaque);
}

/**
 * sl_engine_flow_stats() - what the tap's frames say: new TCP connections
 * and UDP flows through libslirp, DNS queries and answers (slirp/counters.c)
 * @e:		engine
 *
 * Return: the counters, valid as long as the engine
 */
const struct sl_flow_stats *sl_engine_flow_stats(const struct sl_engine *e)
{
	return sl_flowtab_stats(e->flows);
}

/**
 * sl_engine_sockets() - libslirp's TCP connections and UDP flows open now
 * @e:		engine
 * @tcp:	out: TCP sockets (not the listening ones of slirp-mode rules)
 * @udp:	out: UDP sockets
 *
 * Return: 0, or -EPROTO if libslirp's listing could not be read
 */
int sl_engine_sockets(struct sl_engine *e, int64_t *tcp, int64_t *udp)
{
	g_autofree char *info = slirp_connection_info(e->slirp);

	return sl_counters_sockets(info, tcp, udp);
}

/**
 * sl_engine_drain_tap() - feed up to SL_TAP_BATCH pending frames to libslirp
 * @e:		engine
 *
 * Return: frames read (0 if none was pending), or -errno if the tap failed
 * (-EBADFD once its device is gone)
 */
int sl_engine_drain_tap(struct sl_engine *e)
{
	int i;

	/* One clock read per batch, for the frames of this one and those
	 * libslirp writes until the timers run */
	sl_rst_clock(e->rst, util_now_ms());
	for (i = 0; i < SL_TAP_BATCH; i++) {
		ssize_t n = read(e->tap_fd, e->rxbuf, sizeof(e->rxbuf));

		if (n < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		if (e->vnet) {
			struct virtio_net_hdr h;

			memcpy(&h, e->rxbuf, sizeof(h));
			n -= SL_VNET_LEN;
			if (n <= 0 || !sl_frame_csum(&h, e->frame, (size_t)n)) {
				log_ratelimited(LOG_LVL_DEBUG,
						"dropped a malformed frame from the guest");
				continue;
			}
		}
		e->stats.frames_in++;
		e->stats.bytes_in += (uint64_t)n;
		if (e->cap)
			capture_frame(e->cap, e->frame, (size_t)n);
		if (sl_martian_frame(&e->martian, e->frame, (size_t)n)) {
			e->stats.martians_in++;
			log_ratelimited(LOG_LVL_DEBUG,
					"dropped a frame from the guest to or from a forbidden address (loopback, unspecified, mapped, broadcast)");
			continue;
		}
		sl_flowtab_frame(e->flows, e->frame, (size_t)n, false);
		sl_rst_frame(e->rst, e->frame, (size_t)n, false);
		if (e->dns && dnsrelay_frame(e->dns, e->frame, (size_t)n))
			continue;
		if (e->gmap && !sl_guestmap_out(e->gmap, e->frame, (size_t)n))
			continue;
		slirp_input(e->slirp, e->frame, (int)n);
	}
	return i;
}

static int sl_add_poll(int fd, int events, void *opaque)
{
	struct sl_engine *e = opaque;
	struct pollfd p = { .fd = fd };

	if (events & SLIRP_POLL_IN)
		p.events |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		p.events |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		p.events |= POLLPRI;
	g_array_append_val(e->pollfds, p);
	return (int)(e->pollfds->len - 1 - e->pollfds_first);
}

static int sl_get_revents(int idx, void *opaque)
{
	struct sl_engine *e = opaque;
	struct pollfd *p;
	int ev = 0;

	if (idx < 0 || (guint)idx + e->pollfds_first >= e->pollfds->len)
		return 0;
	p = &g_array_index(e->pollfds, struct pollfd,
			   e->pollfds_first + (guint)idx);
	if (p->revents & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (p->revents & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (p->revents & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (p->revents & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (p->revents & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/**
 * sl_engine_poll_fill() - append libslirp's fds to @pollfds and shorten
 * @timeout_ms to libslirp's and the timers' next deadline
 * @e:		engine
 * @pollfds:	array of struct pollfd; libslirp's entries go at its end
 * @timeout_ms:	in: the caller's timeout (-1: none); out: the shortest
 */
void sl_engine_poll_fill(struct sl_engine *e, GArray *pollfds,
			 int64_t *timeout_ms)
{
	uint32_t slirp_timeout = UINT32_MAX;
	int64_t now_ms = util_now_ns() / 1000000;
	guint i;

	e->pollfds = pollfds;
	e->pollfds_first = pollfds->len;
	slirp_pollfds_fill(e->slirp, &slirp_timeout, sl_add_poll, e);
	if (slirp_timeout != UINT32_MAX &&
	    (*timeout_ms < 0 || slirp_timeout < *timeout_ms))
		*timeout_ms = slirp_timeout;

	for (i = 0; i < e->timers->len; i++) {
		struct sl_timer *t = g_ptr_array_index(e->timers, i);
		int64_t left;

		if (t->expire_ms < 0)
			continue;
		left = MAX(t->expire_ms - now_ms, 0);
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = left;
	}
}

/**
 * sl_engine_poll_dispatch() - let libslirp handle what poll() reported on
 * the entries sl_engine_poll_fill() appended, and run its TCP timers
 * @e:		engine
 * @poll_failed: poll() returned an error
 */
void sl_engine_poll_dispatch(struct sl_engine *e, bool poll_failed)
{
	slirp_pollfds_poll(e->slirp, poll_failed, sl_get_revents, e);
}

/**
 * sl_engine_run_timers() - fire libslirp's expired timers
 * @e:		engine
 */
void sl_engine_run_timers(struct sl_engine *e)
{
	int64_t now_ms = util_now_ns() / 1000000;
	guint i, len;

	/* also the time of the frames until the next batch from the tap */
	sl_rst_clock(e->rst, now_ms);
	for (i = 0; i < e->timers->len; i++) {
		struct sl_timer *t = g_ptr_array_index(e->timers, i);

		if (t->expire_ms < 0 || t->expire_ms > now_ms)
			continue;
		t->expire_ms = -1;
		len = e->timers->len;
		if (t->cb)
			t->cb(t->cb_opaque);
		else
			slirp_handle_timer(e->slirp, t->id, t->cb_opaque);
		/* A callback that adds or frees timers reorders the array:
		 * scan again; fired timers are idle and are skipped */
		if (e->timers->len != len)
			i = (guint)-1;
	}
}
