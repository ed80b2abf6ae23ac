/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/autopub.c - auto-publish (--publish-auto): publish the guest's
 * listening TCP and bound UDP ports on the same host ports while they are open
 *
 * DOC: Theory of operation
 *
 * Every AUTOPUB_SCAN_MS the helper lists the namespace's sockets with a
 * sock_diag dump (NETLINK_SOCK_DIAG, inet_diag_req_v2): TCP sockets in state
 * LISTEN and unconnected UDP sockets (state CLOSE with a local port), IPv4
 * and IPv6. The netlink socket was made inside the namespace by the
 * namespace agent at start-up (a netlink socket lists the namespace it was
 * created in), so the helper itself never changes namespace, and the dump is
 * a sendto() and a few recvfrom() on an fd it already holds, which the
 * seccomp allowlist permits.
 *
 * Each (protocol, port) found is published once, on the same port of the
 * host's 0.0.0.0, through the forwarding table like any rule (so with the
 * same forwarders and --port-mode), marked automatic. A port no longer found
 * is unpublished. A port whose host side cannot be bound (in use, privileged)
 * is logged once and not retried while it stays open inside; once it closes
 * and opens again it is tried again. A rule the user removes through the API
 * stays removed until the port closes and opens again.
 *
 * Skipped: ports outside the --publish-auto range; guest ports (or host
 * ports) an explicit rule of the same protocol already covers; sockets bound
 * to the guest's loopback (127.0.0.0/8, ::1), which the tap cannot reach;
 * IPv6-only sockets when the guest has no IPv6 (--enable-ipv6).
 *
 * If a dump fails, nothing changes until one succeeds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/nl.h"
#include "portfwd/autopub.h"
#include "slirp/loop.h"

/* Socket states in inet_diag (include/net/tcp_states.h) */
#define AUTOPUB_TCP_LISTEN 10
#define AUTOPUB_TCP_CLOSE 7

/* Receive buffer: the kernel sizes a dump's parts after the reader's
 * buffer, up to 32 KiB */
#define AUTOPUB_BUF 32768
/* Bounds on what a guest can make the helper do: automatic rules at once
 * (each a host port, and in auto mode a policy rule inside), and new ones per
 * scan (each a bind and a round trip to the agent, in the loop) */
#define AUTOPUB_RULES_MAX 256
#define AUTOPUB_NEW_PER_SCAN 32
/* Without a port item in RANGE: the unprivileged ports only. A privileged
 * port (a guest's ssh, a DNS server) is published only when RANGE names it,
 * even where net.ipv4.ip_unprivileged_port_start would let the bind succeed */
#define AUTOPUB_DEFAULT_LO 1024
#define AUTOPUB_DEFAULT_HI 65535

/* Range grammar */

static void autopub_set(struct autopub_ports *p, unsigned lo, unsigned hi,
			bool on)
{
	unsigned i;

	for (i = lo; i <= hi; i++) {
		if (on)
			p->bits[i / 8] |= (uint8_t)(1U << (i % 8));
		else
			p->bits[i / 8] &= (uint8_t) ~(1U << (i % 8));
	}
}

/**
 * autopub_ports_has() - whether auto-publish may publish @port
 * @p:		ports
 * @port:	port
 *
 * Return: true if it may
 */
bool autopub_ports_has(const struct autopub_ports *p, uint16_t port)
{
	return p->bits[port / 8] & (1U << (port % 8));
}

static int autopub_port_parse(const char *s, unsigned *out)
{
	unsigned long v;

	if (!*s || util_parse_uint(s, 65535, &v) || v == 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/**
 * autopub_range_parse() - parse the RANGE of --publish-auto[=RANGE]
 * @s:		RANGE, or NULL for the default range (1024-65535)
 * @out:	the ports it allows
 * @error:	UN_EXIT_USAGE with the reason
 *
 * RANGE is a comma-separated list of items, each PORT or LOW-HIGH (ports 1
 * to 65535, LOW <= HIGH), or one of them preceded by '~' to exclude it. The
 * ports allowed are those of the items without '~' (1024 to 65535 if there
 * is none), less those of the items with '~', whatever their order:
 * "1024-65535", "~22,~5353", "8000-9000,~8080".
 *
 * Return: 0 or -EINVAL
 */
int autopub_range_parse(const char *s, struct autopub_ports *out,
			GError **error)
{
	g_auto(GStrv) items = NULL;
	g_autoptr(GArray) excl = g_array_new(FALSE, FALSE, sizeof(unsigned));
	bool any_positive = false;
	guint i;

	memset(out, 0, sizeof(*out));
	if (!s) {
		autopub_set(out, AUTOPUB_DEFAULT_LO, AUTOPUB_DEFAULT_HI, true);
		return 0;
	}
	if (!*s) {
		g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
			    "--publish-auto= needs a RANGE such as 1024-65535 "
			    "or ~22,~5353 (or no '=' for ports 1024-65535)");
		return -EINVAL;
	}
	items = g_strsplit(s, ",", -1);
	for (i = 0; items[i]; i++) {
		const char *it = items[i];
		bool neg = it[0] == '~';
		g_autofree char *lo_s = NULL;
		const char *dash;
		unsigned lo, hi;

		if (neg)
			it++;
		dash = strchr(it, '-');
		lo_s = dash ? g_strndup(it, (gsize)(dash - it)) : g_strdup(it);
		if (autopub_port_parse(lo_s, &lo) ||
		    (dash && autopub_port_parse(dash + 1, &hi))) {
			g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
				    "--publish-auto: '%s' in '%s' is not a port "
				    "(1 to 65535) or LOW-HIGH range, optionally "
				    "preceded by '~' to exclude it",
				    items[i], s);
			return -EINVAL;
		}
		if (!dash)
			hi = lo;
		if (lo > hi) {
			g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
				    "--publish-auto: the range '%s' in '%s' "
				    "ends before it starts",
				    items[i], s);
			return -EINVAL;
		}
		if (neg) {
			g_array_append_val(excl, lo);
			g_array_append_val(excl, hi);
		} else {
			autopub_set(out, lo, hi, true);
			any_positive = true;
		}
	}
	if (!any_positive)
		autopub_set(out, AUTOPUB_DEFAULT_LO, AUTOPUB_DEFAULT_HI, true);
	for (i = 0; i + 1 < excl->len; i += 2)
		autopub_set(out, g_array_index(excl, unsigned, i),
			    g_array_index(excl, unsigned, i + 1), false);
	return 0;
}

/* The watcher */

enum autopub_state {
	AUTOPUB_PUBLISHED, /* rule @id carries it */
	AUTOPUB_REFUSED, /* the host port could not be bound: logged */
	AUTOPUB_IGNORED, /* out of range, explicit rule, loopback... */
};

/**
 * struct autopub_port - a (protocol, port) open inside
 * @state:	enum autopub_state
 * @id:		rule ID when published
 * @gen:	scan that last saw it
 */
struct autopub_port {
	enum autopub_state state;
	unsigned id;
	unsigned gen;
};

/**
 * struct autopub - the watcher
 * @t:		forwarding table the rules go to
 * @fd:		NETLINK_SOCK_DIAG socket made inside the namespace, owned
 * @ports:	ports that may be published
 * @ipv6:	the guest has IPv6 (fd00::100)
 * @open:	key (proto << 16 | port) -> struct autopub_port *
 * @gen:	number of the current scan
 * @seq:	netlink sequence number
 * @failing:	the last scan failed (logged once until one succeeds)
 * @buf:	receive buffer
 */
struct autopub {
	struct pf_table *t;
	int fd;
	struct autopub_ports ports;
	bool ipv6;
	GHashTable *open;
	unsigned gen;
	unsigned seq;
	bool failing;
	unsigned published;
	unsigned budget;
	bool at_limit;
	uint8_t buf[AUTOPUB_BUF] __attribute__((aligned(8)));
};

/**
 * struct autopub_dump - one dump in progress
 * @a:		watcher
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 */
struct autopub_dump {
	struct autopub *a;
	int proto;
};

/* Whether an explicit rule of @proto already covers guest or host @port */
static bool autopub_explicit(struct autopub *a, enum pf_proto proto,
			     uint16_t port)
{
	GPtrArray *rules = pf_table_rules(a->t);
	guint i;

	for (i = 0; i < rules->len; i++) {
		const struct pf_rule *r = g_ptr_array_index(rules, i);
		const struct pf_spec *s = &r->spec;

		if (r->automatic || s->proto != proto)
			continue;
		if ((port >= s->guest_port &&
		     port < s->guest_port + s->count) ||
		    (port >= s->host_port && port < s->host_port + s->count))
			return true;
	}
	return false;
}

static bool autopub_is_loopback(int family, const uint32_t *addr)
{
	const uint8_t *b = (const uint8_t *)addr;
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return b[0] == 127;
	return !memcmp(b, v6lo, 16) ||
	       (!memcmp(b, v4mapped, 12) && b[12] == 127);
}

static bool autopub_is_any(int family, const uint32_t *addr)
{
	return family == AF_INET ? !addr[0] :
				   !(addr[0] | addr[1] | addr[2] | addr[3]);
}

/* Decide and act on a socket seen for the first time. Return: false if it
 * was left for a later scan (the bounds above), to be forgotten until then */
static bool autopub_open(struct autopub *a, struct autopub_port *p,
			 enum pf_proto proto, uint16_t port, int family,
			 const uint32_t *addr, bool v6only)
{
	g_autoptr(GError) error = NULL;
	struct pf_spec spec = { .count = 1 };
	const char *pn = pf_proto_name(proto);
	int r;

	p->state = AUTOPUB_IGNORED;
	if (!autopub_ports_has(&a->ports, port) ||
	    autopub_explicit(a, proto, port))
		return true;
	if (autopub_is_loopback(family, addr)) {
		log_debug("auto-publish: %s port %u is bound to the guest's "
			  "loopback only: not reachable, skipped",
			  pn, port);
		return true;
	}
	spec.proto = proto;
	spec.host_port = port;
	spec.guest_port = port;
	/* no host address: 0.0.0.0 and [::], as `-p PORT:PORT` (the table
	 * narrows it to 0.0.0.0 on a host without IPv6) */
	spec.host_addr_set = false;
	if (family == AF_INET6 && (v6only || !autopub_is_any(family, addr))) {
		if (!a->ipv6) {
			log_debug("auto-publish: %s port %u is IPv6 only and "
				  "the guest has no IPv6: skipped",
				  pn, port);
			return true;
		}
		spec.guest_addr_set = true;
		spec.guest_addr.family = AF_INET6;
		if (autopub_is_any(family, addr))
			spec.guest_addr.v6 = addr_plan_guest6();
		else
			memcpy(&spec.guest_addr.v6, addr, 16);
	} else if (family == AF_INET && !autopub_is_any(family, addr)) {
		spec.guest_addr_set = true;
		spec.guest_addr.family = AF_INET;
		memcpy(&spec.guest_addr.v4, addr, 4);
	}

	if (a->published >= AUTOPUB_RULES_MAX) {
		if (!a->at_limit)
			log_warn("auto-publish: %u ports published already, "
				 "the most at once: more wait until some "
				 "close",
				 AUTOPUB_RULES_MAX);
		a->at_limit = true;
		return false;
	}
	if (!a->budget)
		return false;
	a->budget--;
	r = pf_table_add(a->t, &spec, &p->id, &error);
	if (r < 0) {
		p->state = AUTOPUB_REFUSED;
		log_ratelimited(LOG_LVL_WARN,
				"auto-publish: %s port %u not "
				"published (not retried while it stays open "
				"inside): %s",
				pn, port,
				error ? error->message : g_strerror(-r));
		return true;
	}
	pf_table_set_automatic(a->t, p->id);
	p->state = AUTOPUB_PUBLISHED;
	a->published++;
	log_ratelimited(LOG_LVL_INFO,
			"auto-publish: published %s port %u "
			"(rule %u)",
			pn, port, p->id);
	return true;
}

struct autopub_attrs {
	bool v6only;
};

static int autopub_attr_cb(const struct nlattr *attr, void *data)
{
	struct autopub_attrs *at = data;

	if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY &&
	    mnl_attr_get_payload_len(attr) >= 1)
		at->v6only = *(const uint8_t *)mnl_attr_get_payload(attr);
	return MNL_CB_OK;
}

static int autopub_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct autopub_dump *d = data;
	struct autopub *a = d->a;
	const struct inet_diag_msg *m;
	struct autopub_attrs at = { 0 };
	enum pf_proto proto = d->proto == IPPROTO_UDP ? PF_PROTO_UDP :
							PF_PROTO_TCP;
	struct autopub_port *p;
	uint16_t port;
	guint key;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	m = mnl_nlmsg_get_payload(nlh);
	port = ntohs(m->id.idiag_sport);
	if (!port)
		return MNL_CB_OK;
	if (d->proto == IPPROTO_TCP && m->idiag_state != AUTOPUB_TCP_LISTEN)
		return MNL_CB_OK;
	/* UDP: unconnected sockets only (a connected one is a client) */
	if (d->proto == IPPROTO_UDP &&
	    (m->idiag_state != AUTOPUB_TCP_CLOSE || m->id.idiag_dport))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*m), autopub_attr_cb, &at);

	key = (guint)proto << 16 | port;
	p = g_hash_table_lookup(a->open, GUINT_TO_POINTER(key));
	if (p) {
		/* Already handled, maybe through another socket (IPv4 and
		 * IPv6, SO_REUSEPORT) */
		p->gen = a->gen;
		return MNL_CB_OK;
	}
	p = g_new0(struct autopub_port, 1);
	p->gen = a->gen;
	g_hash_table_insert(a->open, GUINT_TO_POINTER(key), p);
	if (!autopub_open(a, p, proto, port, m->idiag_family, m->id.idiag_src,
			  at.v6only))
		g_hash_table_remove(a->open, GUINT_TO_POINTER(key));
	return MNL_CB_OK;
}

/* Discard what an earlier, interrupted dump left */
static void autopub_drain(struct autopub *a)
{
	int i;

	for (i = 0; i < 64; i++)
		if (recv(a->fd, a->buf, sizeof(a->buf), MSG_DONTWAIT) <= 0)
			break;
}

/* One dump: sockets of @family and @proto; 0 or -errno */
static int autopub_dump(struct autopub *a, int family, int proto)
{
	struct autopub_dump d = { .a = a, .proto = proto };
	char req[256] __attribute__((aligned(8)));
	struct inet_diag_req_v2 *r;
	struct nlmsghdr *nlh;
	unsigned seq = ++a->seq;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = (uint8_t)family;
	r->sdiag_protocol = (uint8_t)proto;
	r->idiag_states = proto == IPPROTO_TCP ? 1U << AUTOPUB_TCP_LISTEN :
						 1U << AUTOPUB_TCP_CLOSE;
	if (send(a->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;

	/* The kernel fills the next part of a dump as the previous one is
	 * read: the data is there without waiting */
	return nl_recv_answer(a->fd, a->buf, sizeof(a->buf), MSG_DONTWAIT, seq,
			      0, autopub_msg_cb, &d);
}

static gboolean autopub_gone(gpointer k, gpointer v, gpointer data)
{
	struct autopub *a = data;
	struct autopub_port *p = v;
	guint key = GPOINTER_TO_UINT(k);
	const char *pn = pf_proto_name((enum pf_proto)(key >> 16));

	if (p->gen == a->gen)
		return FALSE;
	if (p->state == AUTOPUB_PUBLISHED) {
		a->published--;
		a->at_limit = false;
		/* -ENOENT: removed through the API meanwhile */
		if (!pf_table_remove(a->t, p->id))
			log_ratelimited(LOG_LVL_INFO,
					"auto-publish: %s port "
					"%u closed inside: unpublished (rule "
					"%u)",
					pn, key & 0xffff, p->id);
	}
	return TRUE;
}

/**
 * autopub_scan() - list the namespace's sockets once; publish the new ones,
 * unpublish those gone
 * @a:		watcher
 *
 * Return: 0, or -errno if a dump failed (then nothing was unpublished)
 */
int autopub_scan(struct autopub *a)
{
	static const int dumps[][2] = {
		{ AF_INET, IPPROTO_TCP },
		{ AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_UDP },
	};
	size_t i;
	int r;

	a->gen++;
	a->budget = AUTOPUB_NEW_PER_SCAN;
	autopub_drain(a);
	for (i = 0; i < ARRAY_SIZE(dumps); i++) {
		r = autopub_dump(a, dumps[i][0], dumps[i][1]);
		/* No IPv6 in the namespace's kernel: nothing to list */
		if (r == -ENOENT || r == -EAFNOSUPPORT)
			continue;
		if (r < 0) {
			if (!a->failing)
				log_msg(LOG_LVL_WARN, -r,
					"auto-publish: "
					"cannot list the namespace's sockets");
			a->failing = true;
			return r;
		}
	}
	if (a->failing)
		log_info("auto-publish: listing the namespace's sockets works "
			 "again");
	a->failing = false;
	g_hash_table_foreach_remove(a->open, autopub_gone, a);
	return 0;
}

static void autopub_tick(struct sl_loop *l, void *opaque)
{
	autopub_scan(opaque);
}

/**
 * autopub_new() - watch the namespace's sockets and publish them
 * @t:		forwarding table
 * @loop:	event loop that runs the scans (every AUTOPUB_SCAN_MS)
 * @diag_fd:	NETLINK_SOCK_DIAG socket made inside the namespace
 *		(nsagent_socket()); owned from now on, even on failure
 * @ports:	ports that may be published
 * @ipv6:	the guest has IPv6
 * @out:	the watcher
 *
 * Scans once before returning, so that ports already open are published.
 * The loop offers no way to cancel the tick: autopub_free() only once
 * sl_loop_run() has returned for good.
 *
 * Return: 0, or -errno if the first scan failed
 */
int autopub_new(struct pf_table *t, struct sl_loop *loop, int diag_fd,
		const struct autopub_ports *ports, bool ipv6,
		struct autopub **out)
{
	struct autopub *a = g_new0(struct autopub, 1);
	int r;

	a->t = t;
	a->fd = diag_fd;
	a->ports = *ports;
	a->ipv6 = ipv6;
	a->open = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					g_free);
	r = autopub_scan(a);
	if (r < 0) {
		autopub_free(a);
		return r;
	}
	sl_loop_every(loop, AUTOPUB_SCAN_MS, autopub_tick, a);
	*out = a;
	return 0;
}

/**
 * autopub_free() - stop watching (the rules stay in the table, which frees
 * them)
 * @a:		watcher, may be NULL
 */
void autopub_free(struct autopub *a)
{
	if (!a)
		return;
	g_hash_table_unref(a->open);
	close(a->fd);
	g_free(a);
}
