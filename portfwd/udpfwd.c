/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/udpfwd.c - UDP forwarding: one flow per client address, each with
 * its own socket in the target namespace, connected to the guest
 *
 * Datagrams from clients are read from the rule's host socket in batches
 * (recvmmsg) and sent on the client's flow socket; the guest's replies are
 * read from the flow socket in batches and sent back from the host socket to
 * the client (sendmmsg). A flow idle for PF_UDP_FLOW_TIMEOUT_MS is closed.
 *
 * A rule holds at most --port-max-conns flows, and the flows of all rules at
 * most 1/PF_UDP_SHARE_DIV of the global bound of connections (a rule's own
 * bound is the smaller of the two), so that UDP clients never take every fd
 * from TCP connections and the API. The rule's list of connections is kept
 * in order of use (a flow moves to its tail with each datagram), and a new
 * client at a bound evicts the least recently used flow at its head (once
 * the new flow's socket exists), so that datagrams from many (spoofed)
 * sources cannot lock the rule; a rule with no flow to evict drops the
 * datagram. A rule makes at most PF_UDP_NEW_PER_TICK flows a second. The
 * same order makes expiry a walk from the head.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "portfwd/fwd_internal.h"

#define PF_UDP_BATCH 32
#define PF_UDP_DGRAM_MAX 65536

/**
 * struct pf_udp_flow - datagrams between one client and the guest
 * @cl:		membership in the rule's connections
 * @l:		listener (host socket) the client talks to
 * @ep:		epoll registration of the namespace-side socket
 * @key:	client address as hash key
 * @client:	client address
 * @client_len:	its length
 * @last_ms:	last datagram either way, CLOCK_MONOTONIC milliseconds
 * @start_ms:	when the flow was made
 * @to_guest:	bytes sent to the guest
 * @from_guest:	bytes of the guest's replies
 * @ret:	the flow's return rule in the namespace (nl_return_flow()),
 *		family 0 if it has none
 */
struct pf_udp_flow {
	struct pf_conn_link cl;
	struct pf_listener *l;
	struct pf_ep ep;
	GBytes *key;
	struct sockaddr_storage client;
	socklen_t client_len;
	int64_t last_ms;
	int64_t start_ms;
	uint64_t to_guest;
	uint64_t from_guest;
	struct nl_flow ret;
};

/* One batch of datagrams: shared, the loop is single-threaded */
static struct {
	struct mmsghdr msg[PF_UDP_BATCH];
	struct iovec iov[PF_UDP_BATCH];
	struct sockaddr_storage addr[PF_UDP_BATCH];
	uint8_t buf[PF_UDP_BATCH][PF_UDP_DGRAM_MAX];
} pf_udp_batch;

static void pf_udp_batch_prepare(bool with_addr)
{
	int i;

	for (i = 0; i < PF_UDP_BATCH; i++) {
		pf_udp_batch.iov[i].iov_base = pf_udp_batch.buf[i];
		pf_udp_batch.iov[i].iov_len = PF_UDP_DGRAM_MAX;
		memset(&pf_udp_batch.msg[i], 0, sizeof(pf_udp_batch.msg[i]));
		pf_udp_batch.msg[i].msg_hdr.msg_iov = &pf_udp_batch.iov[i];
		pf_udp_batch.msg[i].msg_hdr.msg_iovlen = 1;
		if (with_addr) {
			pf_udp_batch.msg[i].msg_hdr.msg_name =
				&pf_udp_batch.addr[i];
			pf_udp_batch.msg[i].msg_hdr.msg_namelen = sizeof(
				pf_udp_batch.addr[i]);
		}
	}
}

static void pf_udp_flow_free(struct pf_udp_flow *f, const char *why)
{
	struct pf_table *t = f->l->rs->t;
	char peer[PF_PEER_STRLEN];

	log_ratelimited(LOG_LVL_DEBUG,
			"rule %u: close: udp flow from %s (%s) "
			"after %.3f s: %" PRIu64 " bytes to the guest, %" PRIu64
			" bytes from the guest",
			f->l->rs->pub.id,
			pf_peer_str(&f->client, peer, sizeof(peer)), why,
			(double)(util_now_ms() - f->start_ms) / 1000,
			f->to_guest, f->from_guest);

	pf_ep_del(t, &f->ep);
	close(f->ep.fd);
	f->ep.fd = -1;
	t->udp_flows--;
	/* Closing the table: nsagent_return_teardown() removes them all */
	if (f->ret.family && !t->closing) {
		int r = nsagent_return_flow(t->agent, &f->ret, false);

		if (r < 0)
			log_ratelimited(LOG_LVL_WARN,
					"rule %u: cannot remove "
					"the return rule of a udp flow: %s",
					f->l->rs->pub.id, strerror(-r));
	}
	g_hash_table_remove(f->l->flows, f->key);
	g_bytes_unref(f->key);
	pf_conn_remove(f->l->rs, &f->cl);
	pf_free_later(t, f);
}

static void pf_udp_close_cb(struct pf_conn_link *cl)
{
	pf_udp_flow_free((struct pf_udp_flow *)cl, "closed");
}

/* @f was just used: the most recently used flow of its rule */
static void pf_udp_touch(struct pf_udp_flow *f, int64_t now_ms)
{
	GQueue *q = &f->l->rs->conns;

	f->last_ms = now_ms;
	if (q->tail != &f->cl.link) {
		g_queue_unlink(q, &f->cl.link);
		g_queue_push_tail_link(q, &f->cl.link);
	}
}

/* The most UDP flows all rules of @t may have together */
static unsigned pf_udp_share(const struct pf_table *t)
{
	return MAX(t->max_total / PF_UDP_SHARE_DIV, 1U);
}

/* Whether rule @rs is at a bound of UDP flows: its own (--port-max-conns,
 * at most the share), the share of all rules, or the global bound */
static bool pf_udp_full(const struct pf_rule_state *rs)
{
	const struct pf_table *t = rs->t;
	unsigned share = pf_udp_share(t);

	return rs->conns.length >= MIN(t->max_conns, share) ||
	       t->udp_flows >= share || t->conns >= t->max_total;
}

/* Whether a new client of rule @rs may have a flow: under the bounds, or
 * by evicting one of the rule's (pf_udp_make_room()); counts it in the
 * rule's new flows of this tick */
static bool pf_udp_admit(struct pf_rule_state *rs)
{
	if (rs->udp_new >= PF_UDP_NEW_PER_TICK) {
		rs->pub.stats.refused++;
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: %u new udp flows in "
				"a second, the most a rule may make: dropping "
				"datagrams of new clients",
				rs->pub.id, PF_UDP_NEW_PER_TICK);
		return false;
	}
	if (pf_udp_full(rs) && !rs->conns.length) {
		rs->pub.stats.refused++;
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: udp flows of all rules "
				"at their bound (%u, half of the connections "
				"the limit of open files allows): dropping "
				"datagrams of new clients",
				rs->pub.id, pf_udp_share(rs->t));
		return false;
	}
	rs->udp_new++;
	return true;
}

/* Make room for a new flow of rule @rs, whose socket exists: evict its
 * least recently used */
static void pf_udp_make_room(struct pf_rule_state *rs)
{
	if (!pf_udp_full(rs))
		return;
	log_ratelimited(LOG_LVL_WARN,
			"rule %u: udp flows at their bound (%u "
			"in the rule, %u in all rules): closing the least "
			"recently used",
			rs->pub.id, MIN(rs->t->max_conns, pf_udp_share(rs->t)),
			pf_udp_share(rs->t));
	while (rs->conns.head && pf_udp_full(rs))
		pf_udp_flow_free(rs->conns.head->data, "evicted");
}

/* Guest -> client: replies on the flow socket go out of the host socket */
static void pf_udp_reply(struct pf_ep *ep, uint32_t events)
{
	struct pf_udp_flow *f = container_of(ep, struct pf_udp_flow, ep);
	struct pf_rule_stats *st = &f->l->rs->pub.stats;
	int n, i, sent;

	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);

		/* e.g. ICMP port unreachable from the guest: not fatal */
		getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	}
	pf_udp_batch_prepare(false);
	n = recvmmsg(ep->fd, pf_udp_batch.msg, PF_UDP_BATCH, MSG_DONTWAIT,
		     NULL);
	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		struct msghdr *h = &pf_udp_batch.msg[i].msg_hdr;

		pf_udp_batch.iov[i].iov_len = pf_udp_batch.msg[i].msg_len;
		h->msg_name = &f->client;
		h->msg_namelen = f->client_len;
		st->bytes_from_guest += pf_udp_batch.msg[i].msg_len;
		f->from_guest += pf_udp_batch.msg[i].msg_len;
	}
	sent = sendmmsg(f->l->ep.fd, pf_udp_batch.msg, (unsigned)n,
			MSG_DONTWAIT);
	if (sent < n)
		log_ratelimited(LOG_LVL_DEBUG, "rule %u: dropped %d replies",
				f->l->rs->pub.id, n - MAX(sent, 0));
	pf_udp_touch(f, util_now_ms());
}

static struct pf_udp_flow *pf_udp_flow_new(struct pf_listener *l,
					   const struct sockaddr_storage *peer,
					   socklen_t peer_len, GBytes *key)
{
	struct pf_rule_state *rs = l->rs;
	struct pf_udp_flow *f;
	bool local = pf_client_is_local(l->ep.fd, peer);
	char peer_str[PF_PEER_STRLEN];
	struct nl_flow ret;
	int fd;

	if (!pf_udp_admit(rs))
		return NULL;
	fd = pf_ns_socket(l, SOCK_DGRAM, peer, peer_len, local, &ret);
	if (fd < 0) {
		log_ratelimited(LOG_LVL_WARN,
				"rule %u: no socket in the "
				"namespace connected to the guest: %s",
				rs->pub.id, strerror(-fd));
		return NULL;
	}
	pf_udp_make_room(rs);
	f = g_new0(struct pf_udp_flow, 1);
	f->ret = ret;
	f->l = l;
	f->cl.link.data = f;
	f->cl.close = pf_udp_close_cb;
	f->ep.fd = fd;
	f->ep.cb = pf_udp_reply;
	f->key = g_bytes_ref(key);
	memcpy(&f->client, peer, peer_len);
	f->client_len = peer_len;
	f->start_ms = f->last_ms = util_now_ms();
	pf_conn_add(rs, &f->cl);
	rs->t->udp_flows++;
	g_hash_table_insert(l->flows, f->key, f);
	if (pf_ep_set(rs->t, &f->ep, EPOLLIN) < 0) {
		pf_udp_flow_free(f, "failed");
		return NULL;
	}
	log_ratelimited(LOG_LVL_DEBUG,
			"rule %u: open: udp flow from %s (%s "
			"client)",
			rs->pub.id,
			pf_peer_str(peer, peer_str, sizeof(peer_str)),
			local ? "local" : "outside");
	return f;
}

/**
 * pf_udp_input() - epoll callback of a UDP host socket: client datagrams
 * @ep:		the listener's registration
 * @events:	epoll events
 */
void pf_udp_input(struct pf_ep *ep, uint32_t events)
{
	struct pf_listener *l = container_of(ep, struct pf_listener, ep);
	int64_t now = util_now_ms();
	int n, i;

	pf_udp_batch_prepare(true);
	n = recvmmsg(ep->fd, pf_udp_batch.msg, PF_UDP_BATCH, MSG_DONTWAIT,
		     NULL);
	for (i = 0; i < n; i++) {
		struct msghdr *h = &pf_udp_batch.msg[i].msg_hdr;
		g_autoptr(GBytes) key = g_bytes_new(h->msg_name,
						    h->msg_namelen);
		struct pf_udp_flow *f = g_hash_table_lookup(l->flows, key);

		if (!f)
			f = pf_udp_flow_new(l, h->msg_name, h->msg_namelen,
					    key);
		if (!f)
			continue;
		pf_udp_touch(f, now);
		if (send(f->ep.fd, pf_udp_batch.buf[i],
			 pf_udp_batch.msg[i].msg_len, MSG_DONTWAIT) >= 0) {
			l->rs->pub.stats.bytes_to_guest +=
				pf_udp_batch.msg[i].msg_len;
			f->to_guest += pf_udp_batch.msg[i].msg_len;
		}
	}
}

/**
 * pf_udp_expire() - close the flows of rule @rs idle for
 * PF_UDP_FLOW_TIMEOUT_MS: the first ones of its list, kept in order of use
 * @rs:		UDP rule
 * @now_ms:	current CLOCK_MONOTONIC milliseconds
 */
void pf_udp_expire(struct pf_rule_state *rs, int64_t now_ms)
{
	while (rs->conns.head) {
		struct pf_udp_flow *f = rs->conns.head->data;

		if (now_ms - f->last_ms < PF_UDP_FLOW_TIMEOUT_MS)
			return;
		pf_udp_flow_free(f, "expired");
	}
}

/**
 * pf_udp_listener_free() - free the flow table of a UDP listener (its flows
 * are already closed with the rule's connections)
 * @l:		UDP listener
 */
void pf_udp_listener_free(struct pf_listener *l)
{
	g_hash_table_unref(l->flows);
	l->flows = NULL;
}
