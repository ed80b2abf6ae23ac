/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnsrelay.c - the guest's DNS server: queries to the DNS address
 * relayed to every nameserver of the host's resolv.conf (or --dns), in order
 *
 * DOC: Theory of operation
 *
 * The engine shows every frame read from the tap to dnsrelay_frame() before
 * libslirp; a UDP datagram to port 53 of the DNS address (network + 3, and
 * fd00::3 with IPv6) is taken here and never reaches libslirp, whose own
 * forwarder asks only the first nameserver of the same family, as the file
 * said when it last looked.
 *
 * Each query gets a slot in a fixed table (DNSRELAY_PENDING_MAX; when full,
 * the oldest query is dropped) and a socket of its own, connected to the
 * server asked: the kernel picks a random source port, and only datagrams
 * from that server's address and port arrive on it. The query goes out with
 * a random id, and an answer is taken only with that id and the query's
 * question (dnsw_answer_ok()); the guest's id is put back, and an answer
 * larger than the MTU goes in IP fragments, as the kernel would send it. A
 * server that refuses (ICMP unreachable: ECONNREFUSED) or stays silent for
 * DNSRELAY_TIMEOUT_MS is followed by the next one; after the last, the
 * query is dropped (the guest's resolver retries). A query the guest sends
 * again while its first copy waits is dropped: it is answered once.
 *
 * The servers are the nameserver lines of the resolver file, both families,
 * in order (none: 127.0.0.1 and ::1, as the C library does). The helper
 * asks them from the host's network namespace itself, so a resolver on the
 * host's loopback (systemd-resolved's 127.0.0.53) works whatever
 * --disable-host-loopback says: that option is about the guest reaching the
 * host's loopback services, not about the host's own resolver. The file is
 * read again before a query when stat() (symbolic links followed) says it
 * changed: another inode (resolver managers replace it by rename()), another
 * size, modification or change time, or it appeared or went away. The look
 * costs one stat() at most every DNSRELAY_RESOLV_CHECK_MS, however many
 * queries come, and no fd: an inotify instance per helper would meet the
 * per-user limit (fs.inotify.max_user_instances, 128 by default) on a host
 * with many containers. The sandbox keeps the resolver's directory in the
 * helper's empty root at the same path (confine/isolate.c), so the same
 * stat() works there.
 *
 * TCP to port 53 of the DNS address is answered too (slirp/dnstcp.c: a
 * small TCP responder below libslirp); each query of such a connection goes
 * upstream over TCP, to the same servers in the same order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "slirp/dnsrelay.h"
#include "slirp/dnsrelay_internal.h"

/* The resolver file is read up to this size */
#define DNSRELAY_RESOLV_MAX 65536

/**
 * dnsrelay_random16() - 16 random bits, from a pool filled by getrandom()
 * @r:		relay
 *
 * Return: the bits
 */
uint16_t dnsrelay_random16(struct dnsrelay *r)
{
	uint16_t v;

	if (r->rnd_left < 2) {
		ssize_t n = getrandom(r->rnd, sizeof(r->rnd), GRND_NONBLOCK);

		if (n < (ssize_t)sizeof(r->rnd)) {
			/* No entropy yet (early boot): glib's generator */
			guint32 i;

			for (i = 0; i < sizeof(r->rnd); i += 4) {
				guint32 x = g_random_int();

				memcpy(r->rnd + i, &x, 4);
			}
		}
		r->rnd_left = sizeof(r->rnd);
	}
	r->rnd_left -= 2;
	memcpy(&v, r->rnd + r->rnd_left, 2);
	return v;
}

/* Read the resolver file again (a missing one, as the C library takes it,
 * names no server); keep the old list when a read fails */
static void dnsrelay_reload(struct dnsrelay *r)
{
	g_autofree char *text = g_malloc(DNSRELAY_RESOLV_MAX);
	cleanup_fd int fd = -1;
	size_t len = 0;
	ssize_t n;

	fd = open(r->resolv_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		log_debug("DNS: cannot read %s: %s", r->resolv_path,
			  strerror(errno));
	while (fd >= 0 && len < DNSRELAY_RESOLV_MAX &&
	       (n = read(fd, text + len, DNSRELAY_RESOLV_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		len += (size_t)n;
	}
	/* text is g_autofree, which clang 14's analyser does not follow */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	r->nservers = dnsw_parse_resolv(text, len, r->servers,
					DNSRELAY_SERVERS_MAX);
	if (!r->nservers) {
		/* resolv.conf(5): the local machine's server by default */
		static const char deflt[] = "nameserver 127.0.0.1\n"
					    "nameserver ::1\n";

		r->nservers = dnsw_parse_resolv(deflt, sizeof(deflt) - 1,
						r->servers,
						DNSRELAY_SERVERS_MAX);
	}
	log_debug("DNS: %u nameservers from %s", r->nservers, r->resolv_path);
}

/* Identity and version of the resolver file as stat() sees it (symbolic
 * links followed): a rename over it, an edit, a retargeted link or a removal
 * all change it */
static void dnsrelay_resolv_stamp(const char *path, struct dnsrelay_stamp *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st))
		return;
	out->present = true;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
	out->ctime = st.st_ctim;
}

static bool dnsrelay_stamp_equal(const struct dnsrelay_stamp *a,
				 const struct dnsrelay_stamp *b)
{
	return a->present == b->present && a->dev == b->dev &&
	       a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Before a query: read the resolver file again if it changed since the last
 * look, looking at most once every DNSRELAY_RESOLV_CHECK_MS (see "Theory of
 * operation") */
static void dnsrelay_resolv_check(struct dnsrelay *r)
{
	struct dnsrelay_stamp now;
	int64_t ms = util_now_ms();

	if (!r->resolv_path ||
	    ms - r->resolv_checked_ms < DNSRELAY_RESOLV_CHECK_MS)
		return;
	r->resolv_checked_ms = ms;
	dnsrelay_resolv_stamp(r->resolv_path, &now);
	if (dnsrelay_stamp_equal(&now, &r->resolv_seen))
		return;
	r->resolv_seen = now;
	dnsrelay_reload(r);
}

/* Close the socket of @p's current try */
static void dnsrelay_close(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	if (p->fd < 0)
		return;
	sl_loop_unwatch_fd(r->loop, p->fd);
	close(p->fd);
	p->fd = -1;
}

/**
 * dnsrelay_release() - forget a query: its socket closed, its slot free (its
 * TCP connection, if any, is told nothing)
 * @r:		relay
 * @p:		the query, may be unused
 */
void dnsrelay_release(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	dnsrelay_close(r, p);
	g_clear_pointer(&p->abuf, g_free);
	if (p->conn)
		p->conn->pend = NULL;
	p->conn = NULL;
	p->used = false;
}

/* A query no server answered, or evicted: dropped; a TCP connection waiting
 * for it is reset (its resolver tries the next server at once) */
static void dnsrelay_fail(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	struct dnstcp_conn *c = p->conn;

	r->st.dropped++;
	dnsrelay_release(r, p);
	if (c)
		dnstcp_failed(r, c);
}

static void dnsrelay_on_answer(struct sl_loop *l, int fd, short revents,
			       void *opaque);

/* A socket connected (UDP) or connecting (TCP) to server @ss, the query
 * written (UDP); -1 if the server cannot be tried */
static int dnsrelay_socket(struct dnsrelay_pending *p,
			   const struct sockaddr_storage *ss)
{
	socklen_t sl = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						  sizeof(struct sockaddr_in6);
	int fd;

	fd = socket(ss->ss_family,
		    (p->conn ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
			    SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sl) &&
	    !(p->conn && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	if (!p->conn && send(fd, p->q, p->qlen, 0) != (ssize_t)p->qlen) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @p to its server, or the next ones that take it; false when none
 * is left (the query is then dropped) */
static bool dnsrelay_try(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	for (; p->server < r->nservers; p->server++) {
		int fd;

		dnsrelay_close(r, p);
		p->up_id = dnsrelay_random16(r);
		p->q[0] = (uint8_t)(p->up_id >> 8);
		p->q[1] = (uint8_t)p->up_id;
		p->sent = false;
		p->alen = 0;
		fd = dnsrelay_socket(p, &r->servers[p->server]);
		if (fd < 0)
			continue;
		p->fd = fd;
		p->deadline_ms = util_now_ms() + DNSRELAY_TIMEOUT_MS;
		sl_loop_watch_fd(r->loop, fd, p->conn ? POLLOUT : POLLIN,
				 dnsrelay_on_answer, p);
		r->st.relayed++;
		return true;
	}
	dnsrelay_fail(r, p);
	return false;
}

/* Server @p asked has failed or timed out: the next one */
static void dnsrelay_next(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	p->server++;
	dnsrelay_try(r, p);
}

/* An answer that passed dnsw_answer_ok(): to the guest, by UDP (in IP
 * fragments when larger than the MTU) or on its TCP connection */
static void dnsrelay_deliver(struct dnsrelay *r, struct dnsrelay_pending *p,
			     const uint8_t *ans, size_t alen)
{
	struct dnstcp_conn *c = p->conn;
	size_t len, ulen, off = 0;
	uint32_t id;

	r->st.answered++;
	if (c) {
		/* The slot is free before the connection may ask again */
		memmove(r->buf, ans, alen);
		dnsrelay_release(r, p);
		dnstcp_answer(r, c, r->buf, alen);
		return;
	}
	ulen = dnsw_build_udp(&p->g, ans, alen, r->udp, sizeof(r->udp));
	id = (uint32_t)dnsrelay_random16(r) << 16 | dnsrelay_random16(r);
	while (off < ulen) {
		len = dnsw_build_fragment(&p->g, r->udp, ulen, &off, r->mtu, id,
					  r->frame, sizeof(r->frame));
		if (!len)
			break;
		r->send(r->frame, len, r->send_opaque);
	}
	dnsrelay_release(r, p);
}

/* UDP upstream: a few datagrams per wakeup (a server's junk cannot keep us
 * here); false when the server failed */
static bool dnsrelay_read_udp(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		ssize_t n = recv(p->fd, r->buf, sizeof(r->buf), 0);

		if (n < 0)
			/* Refused (ICMP unreachable) or another error */
			return errno == EAGAIN || errno == EINTR;
		if (dnsw_answer_ok(r->buf, (size_t)n, p->up_id, p->q,
				   p->qlen)) {
			dnsrelay_deliver(r, p, r->buf, (size_t)n);
			return true;
		}
	}
	return true;
}

/* TCP upstream, connected: the query with its length prefix, then read
 * the answer; false when the server failed */
static bool dnsrelay_tcp_send(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	uint8_t msg[2 + DNSW_QUERY_MAX];
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		return false;
	msg[0] = (uint8_t)(p->qlen >> 8);
	msg[1] = (uint8_t)p->qlen;
	memcpy(msg + 2, p->q, p->qlen);
	if (send(p->fd, msg, p->qlen + 2, MSG_NOSIGNAL) !=
	    (ssize_t)(p->qlen + 2))
		return false;
	p->sent = true;
	if (!p->abuf) /* kept from a failed try, freed with the query */
		p->abuf = g_malloc(2 + DNSW_ANSWER_MAX);
	/* From now on: readable */
	sl_loop_unwatch_fd(r->loop, p->fd);
	sl_loop_watch_fd(r->loop, p->fd, POLLIN, dnsrelay_on_answer, p);
	return true;
}

static bool dnsrelay_read_tcp(struct dnsrelay *r, struct dnsrelay_pending *p)
{
	size_t want;
	ssize_t n;

	if (!p->sent)
		return dnsrelay_tcp_send(r, p);
	want = p->alen < 2 ? 2 : 2 + (size_t)(p->abuf[0] << 8 | p->abuf[1]);
	n = recv(p->fd, p->abuf + p->alen, want - p->alen, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	p->alen += (size_t)n;
	if (p->alen == 2)
		return true;
	if (p->alen < want)
		return true;
	if (!dnsw_answer_ok(p->abuf + 2, p->alen - 2, p->up_id, p->q, p->qlen))
		return false;
	dnsrelay_deliver(r, p, p->abuf + 2, p->alen - 2);
	return true;
}

static void dnsrelay_on_answer(struct sl_loop *l, int fd, short revents,
			       void *opaque)
{
	struct dnsrelay_pending *p = opaque;
	struct dnsrelay *r = p->r;
	bool ok;

	ok = p->conn ? dnsrelay_read_tcp(r, p) : dnsrelay_read_udp(r, p);
	if (!ok)
		dnsrelay_next(r, p);
}

static void dnsrelay_tick(struct sl_loop *l, void *opaque)
{
	struct dnsrelay *r = opaque;
	int64_t now = util_now_ms();
	unsigned i;

	for (i = 0; i < DNSRELAY_PENDING_MAX; i++) {
		struct dnsrelay_pending *p = &r->pend[i];

		if (p->used && p->deadline_ms <= now)
			dnsrelay_next(r, p);
	}
	dnstcp_tick(r, now);
}

/* A free slot for a new query: the oldest one is evicted when none is;
 * NULL for a UDP query the guest sent again while the first one waits */
static struct dnsrelay_pending *dnsrelay_slot(struct dnsrelay *r,
					      const struct dnsw_guest *g,
					      bool tcp)
{
	struct dnsrelay_pending *oldest = NULL;
	unsigned i;

	for (i = 0; i < DNSRELAY_PENDING_MAX; i++) {
		struct dnsrelay_pending *p = &r->pend[i];

		if (!p->used)
			return p;
		if (!tcp && !p->conn && p->g.id == g->id &&
		    p->g.guest_port == g->guest_port &&
		    p->g.family == g->family &&
		    !memcmp(p->g.guest_ip, g->guest_ip, 16))
			return NULL;
		if (!oldest || p->born_ms < oldest->born_ms)
			oldest = p;
	}
	log_ratelimited(LOG_LVL_DEBUG,
			"DNS: %u queries wait already, the "
			"oldest is dropped",
			DNSRELAY_PENDING_MAX);
	dnsrelay_fail(r, oldest);
	return oldest;
}

/**
 * dnsrelay_start() - relay a query: a slot, then the first server
 * @r:		relay
 * @g:		who asked (the guest's id in @g->id)
 * @q:		the query (dnsw_query_ok())
 * @qlen:	its length
 * @conn:	the guest's TCP connection it came on, or NULL (UDP)
 *
 * Return: the query waiting, or NULL if it was dropped (sent again while
 * waiting, or no server could be tried: @conn is then reset)
 */
struct dnsrelay_pending *dnsrelay_start(struct dnsrelay *r,
					const struct dnsw_guest *g,
					const uint8_t *q, size_t qlen,
					struct dnstcp_conn *conn)
{
	struct dnsrelay_pending *p;

	dnsrelay_resolv_check(r);
	p = dnsrelay_slot(r, g, conn != NULL);
	if (!p) {
		r->st.dropped++;
		return NULL;
	}
	p->r = r;
	p->used = true;
	p->fd = -1;
	p->server = 0;
	p->born_ms = util_now_ms();
	p->g = *g;
	p->conn = conn;
	p->qlen = qlen;
	memcpy(p->q, q, qlen);
	if (conn)
		conn->pend = p;
	return dnsrelay_try(r, p) ? p : NULL;
}

/**
 * dnsrelay_frame() - take a frame from the guest if it is DNS to the relay
 * (a UDP query, or a TCP segment to port 53), and relay it
 * @r:		relay
 * @frame:	Ethernet frame read from the tap
 * @len:	its length
 *
 * Return: true if the frame was the relay's (relayed or dropped), false if
 * it is libslirp's
 */
bool dnsrelay_frame(struct dnsrelay *r, const uint8_t *frame, size_t len)
{
	struct dnsw_guest g = { 0 };
	const uint8_t *msg = NULL;
	size_t mlen = 0;

	switch (dnsw_proto_to(frame, len, &r->addrs)) {
	case DNSW_PROTO_UDP:
		break;
	case DNSW_PROTO_TCP:
		return dnstcp_frame(r, frame, len);
	default:
		return false;
	}
	switch (dnsw_parse_query(frame, len, &r->addrs, &g, &msg, &mlen)) {
	case DNSW_PASS:
		return false;
	case DNSW_DROP:
		r->st.dropped++;
		log_ratelimited(LOG_LVL_DEBUG, "DNS: dropped a malformed "
					       "query from the guest");
		return true;
	case DNSW_QUERY:
		break;
	}
	dnsrelay_start(r, &g, msg, mlen, NULL);
	return true;
}

/**
 * dnsrelay_new() - a relay answering at @cfg's addresses
 * @cfg:	addresses, MTU, servers or the resolver file to follow
 * @loop:	event loop for the upstream sockets and the timeouts
 * @send:	writes an answer frame to the guest
 * @send_opaque: its argument
 * @out:	the relay
 *
 * The resolver file is read now, before the sandbox.
 *
 * Return: 0
 */
int dnsrelay_new(const struct dnsrelay_cfg *cfg, struct sl_loop *loop,
		 dnsrelay_send_fn send, void *send_opaque,
		 struct dnsrelay **out)
{
	struct dnsrelay *r = g_new0(struct dnsrelay, 1);

	r->loop = loop;
	r->send = send;
	r->send_opaque = send_opaque;
	r->addrs = cfg->addrs;
	r->mtu = cfg->mtu;
	/* The slots (about 170 KiB) stay untouched, so not resident, until
	 * queries use them: dnsrelay_start() fills in a slot it takes */
	if (cfg->nservers) {
		r->nservers = MIN(cfg->nservers, DNSRELAY_SERVERS_MAX);
		memcpy(r->servers, cfg->servers,
		       r->nservers * sizeof(r->servers[0]));
	} else {
		r->resolv_path = g_strdup(cfg->resolv_path);
		dnsrelay_resolv_stamp(r->resolv_path, &r->resolv_seen);
		r->resolv_checked_ms = util_now_ms();
		dnsrelay_reload(r);
	}
	sl_loop_every(loop, DNSRELAY_TICK_MS, dnsrelay_tick, r);
	*out = r;
	return 0;
}

/**
 * dnsrelay_free() - close the relay's sockets and free it (before the loop)
 * @r:		relay, may be NULL
 */
void dnsrelay_free(struct dnsrelay *r)
{
	unsigned i;

	if (!r)
		return;
	log_debug("DNS: %" PRIu64 " queries relayed, %" PRIu64
		  " answered, %" PRIu64 " dropped",
		  r->st.relayed, r->st.answered, r->st.dropped);
	dnstcp_free_all(r);
	for (i = 0; i < DNSRELAY_PENDING_MAX; i++) {
		if (r->pend[i].used)
			dnsrelay_release(r, &r->pend[i]);
	}
	g_free(r->resolv_path);
	g_free(r);
}
