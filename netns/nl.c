/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/nl.c - rtnetlink (libmnl) configuration of lo and the tap, the
 * policy rules of replies, and reading a netlink answer (rtnetlink here,
 * sock_diag for portfwd/autopub.c)
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netns/nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

/* Requests are small; acks carry the request back only without CAP_ACK */
#define NL_BUF_SIZE 8192
/* Reads of one answer at most (a dump comes in parts, each read) */
#define NL_ANSWER_READS_MAX 4096

/**
 * struct nl_ctx - an rtnetlink socket and its sequence numbers
 * @nl:		libmnl socket
 * @portid:	our port id, checked on every reply
 * @seq:	sequence number of the last request
 */
struct nl_ctx {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned seq;
};

/* Close the socket of @c, if open */
static void nl_close(struct nl_ctx *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	c->nl = NULL;
}

/* Open and bind the rtnetlink socket of @c. Return: 0 or -errno */
static int nl_open(struct nl_ctx *c)
{
	int on = 1;

	c->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!c->nl)
		return -errno;
	/* Both are best effort: older kernels lack them */
	mnl_socket_setsockopt(c->nl, NETLINK_GET_STRICT_CHK, &on, sizeof(on));
	mnl_socket_setsockopt(c->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		nl_close(c);
		return r;
	}
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (unsigned)time(NULL);
	return 0;
}

/**
 * nl_start() - begin a request in @buf
 * @c:		socket context, its sequence number is advanced
 * @buf:	NL_BUF_SIZE bytes
 * @type:	RTM_* message type
 * @flags:	NLM_F_* flags besides NLM_F_REQUEST|NLM_F_ACK
 *
 * Return: the message header
 */
static struct nlmsghdr *nl_start(struct nl_ctx *c, char *buf, uint16_t type,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++c->seq;
	return nlh;
}

/**
 * nl_recv_answer() - read the kernel's answer to a netlink request and run
 * libmnl's callbacks on it, to its end (the ack, or NLMSG_DONE of a dump)
 * @fd:		netlink socket
 * @buf:	receive buffer (aligned for struct nlmsghdr)
 * @size:	its size
 * @flags:	recvfrom() flags (MSG_DONTWAIT where the data is known to be
 *		there)
 * @seq:	sequence number of the request
 * @portid:	our port id, or 0 to take any
 * @cb:		callback of each data message (a dump's), or NULL
 * @data:	its argument
 *
 * Only the kernel's messages are taken: a process that can send netlink
 * unicasts to our socket (inside the namespace) must not feed or stall us.
 *
 * Return: 0, or -errno from the kernel's NLMSG_ERROR, from the socket or
 * from @cb (-EPROTO for a reply with another sequence number or port id, or
 * end of file; -E2BIG after NL_ANSWER_READS_MAX reads)
 */
int nl_recv_answer(int fd, void *buf, size_t size, int flags, unsigned seq,
		   unsigned portid, mnl_cb_t cb, void *data)
{
	int i, r;

	for (i = 0; i < NL_ANSWER_READS_MAX; i++) {
		struct sockaddr_nl from = { 0 };
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, size, flags,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		if (fromlen < sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0)
			continue;
		errno = 0;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EPROTO;
		if (r == MNL_CB_STOP)
			return 0;
	}
	return -E2BIG;
}

/**
 * nl_do() - send a request and wait for its acknowledgement
 * @c:		socket context
 * @nlh:	request, built by nl_start()
 *
 * Return: 0, or -errno from the kernel's NLMSG_ERROR or from the socket
 * (-EPROTO for a reply with another sequence number or port id)
 */
static int nl_do(struct nl_ctx *c, const struct nlmsghdr *nlh)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];

	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nl_recv_answer(mnl_socket_get_fd(c->nl), buf, sizeof(buf), 0,
			      nlh->nlmsg_seq, c->portid, NULL, NULL);
}

/* Length of an address of @family: struct in6_addr or struct in_addr */
static size_t nl_addr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) :
				    sizeof(struct in_addr);
}

/**
 * nl_link_set() - set the MTU and MAC address of a link and bring it up
 * @c:		socket context
 * @ifindex:	link
 * @mtu:	MTU, 0 to leave it
 * @mac:	MAC address, NULL to leave it
 *
 * Return: 0 or -errno
 */
static int nl_link_set(struct nl_ctx *c, unsigned ifindex, unsigned mtu,
		       const uint8_t *mac)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = nl_start(c, buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nl_do(c, nlh);
}

/**
 * nl_addr_add() - add an address to a link
 * @c:		socket context
 * @family:	AF_INET or AF_INET6
 * @ifindex:	link
 * @addr:	struct in_addr or struct in6_addr
 * @prefix:	prefix length
 *
 * IPv4 addresses get the broadcast address of their network, IPv6 ones skip
 * duplicate address detection. An address already there is not an error.
 *
 * Return: 0 or -errno
 */
static int nl_addr_add(struct nl_ctx *c, int family, unsigned ifindex,
		       const void *addr, unsigned prefix)
{
	size_t alen = nl_addr_len(family);
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = nl_start(c, buf, RTM_NEWADDR,
					NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	int r;

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (family == AF_INET && prefix < 31) {
		struct in_addr brd;

		memcpy(&brd, addr, sizeof(brd));
		brd.s_addr |= htonl(prefix ? ~0U >> prefix : ~0U);
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	}
	if (family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	r = nl_do(c, nlh);
	return r == -EEXIST ? 0 : r;
}

/**
 * nl_route_add() - add a default route ("default via GW dev IF", or "local
 * default dev IF table T src PREFSRC")
 * @c:		socket context
 * @family:	AF_INET or AF_INET6
 * @table:	routing table (RT_TABLE_MAIN, or our own)
 * @type:	RTN_UNICAST (with @gw) or RTN_LOCAL
 * @ifindex:	output link
 * @gw:		struct in_addr or struct in6_addr, or NULL
 * @prefsrc4:	IPv4 preferred source, or NULL
 *
 * Return: 0 or -errno (-EEXIST if a default route is there already)
 */
static int nl_route_add(struct nl_ctx *c, int family, uint32_t table,
			uint8_t type, unsigned ifindex, const void *gw,
			const struct in_addr *prefsrc4)
{
	size_t alen = nl_addr_len(family);
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = nl_start(c, buf, RTM_NEWROUTE,
					NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = type == RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = type;
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (family == AF_INET && prefsrc4)
		mnl_attr_put(nlh, RTA_PREFSRC, sizeof(*prefsrc4), prefsrc4);
	return nl_do(c, nlh);
}

/* Index of link @ifname into *@out. Return: 0 or -errno (-ENODEV) */
static int nl_ifindex(const char *ifname, unsigned *out)
{
	errno = 0;
	*out = if_nametoindex(ifname);
	return *out ? 0 : (errno ? -errno : -ENODEV);
}

/**
 * nl_configure() - bring up lo and the tap, and give the tap its addresses
 * and default routes
 * @cfg:	what to set
 *
 * In order: lo up; tap MTU, MAC address (if @cfg->set_mac) and up; IPv4
 * address and default route; with @cfg->ipv6, IPv6 address (no DAD) and
 * default route. Addresses and routes already present are kept, so that
 * re-attaching to a configured tap works.
 *
 * Return: 0 or -errno of the first step that failed
 */
int nl_configure(const struct nl_config *cfg)
{
	struct nl_ctx c = { 0 };
	unsigned lo = 0, tap = 0;
	int r;

	r = nl_ifindex("lo", &lo);
	if (!r)
		r = nl_ifindex(cfg->ifname, &tap);
	if (!r)
		r = nl_open(&c);
	if (r < 0)
		return r;

	r = nl_link_set(&c, lo, 0, NULL);
	if (!r)
		r = nl_link_set(&c, tap, cfg->mtu,
				cfg->set_mac ? cfg->mac : NULL);
	if (!r)
		r = nl_addr_add(&c, AF_INET, tap, &cfg->addr4, cfg->prefix4);
	/* the tap's own default route, kept from an earlier attach */
	if (!r)
		r = nl_route_add(&c, AF_INET, RT_TABLE_MAIN, RTN_UNICAST, tap,
				 &cfg->gw4, NULL);
	if (r == -EEXIST)
		r = 0;
	if (!r && cfg->ipv6)
		r = nl_addr_add(&c, AF_INET6, tap, &cfg->addr6, cfg->prefix6);
	if (!r && cfg->ipv6)
		r = nl_route_add(&c, AF_INET6, RT_TABLE_MAIN, RTN_UNICAST, tap,
				 &cfg->gw6, NULL);
	if (r == -EEXIST)
		r = 0;
	nl_close(&c);
	return r;
}

/**
 * nl_link_up() - bring a link up
 * @ifname:	link name
 *
 * Return: 0 or -errno
 */
int nl_link_up(const char *ifname)
{
	struct nl_ctx c = { 0 };
	unsigned idx = 0;
	int r;

	r = nl_ifindex(ifname, &idx);
	if (!r)
		r = nl_open(&c);
	if (r < 0)
		return r;
	r = nl_link_set(&c, idx, 0, NULL);
	nl_close(&c);
	return r;
}

/* Local-delivery routes for the replies to our sockets live in this table */
#define NL_RETURN_TABLE 0x756e /* "un" */
/* and are looked up by rules of these priorities, before the main table */
#define NL_RETURN_PRIO_MARK 100
#define NL_RETURN_PRIO_FLOW 101

/* Start a rule request of ours: "lookup NL_RETURN_TABLE", priority @prio */
static struct nlmsghdr *nl_rule_start(struct nl_ctx *c, char *buf, int family,
				      uint16_t type, uint32_t prio)
{
	struct nlmsghdr *nlh = nl_start(c, buf, type,
					type == RTM_NEWRULE ?
						NLM_F_CREATE | NLM_F_EXCL :
						0);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh,
							      sizeof(*frh));

	frh->family = (uint8_t)family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_UNSPEC;
	if (prio)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, NL_RETURN_TABLE);
	return nlh;
}

/*
 * nl_return_sweep() - remove what an earlier helper (killed before it could
 * clean up) left of ours in family @family: every rule that looks up
 * NL_RETURN_TABLE, and every default route of that table, whatever its type
 * (one the guest put there would keep ours out). Return: 0 or -errno
 */
static int nl_return_sweep(struct nl_ctx *c, int family)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r;

	/* A deletion names the attributes to match; the table alone matches
	 * every rule of ours, one per request */
	do {
		nlh = nl_rule_start(c, buf, family, RTM_DELRULE, 0);
		r = nl_do(c, nlh);
	} while (!r);
	if (r != -ENOENT)
		return r;
	/* Type RTN_UNSPEC and scope RT_SCOPE_NOWHERE match any route */
	do {
		nlh = nl_start(c, buf, RTM_DELROUTE, 0);
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = (uint8_t)family;
		rtm->rtm_table = RT_TABLE_UNSPEC;
		rtm->rtm_type = RTN_UNSPEC;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		mnl_attr_put_u32(nlh, RTA_TABLE, NL_RETURN_TABLE);
		r = nl_do(c, nlh);
	} while (!r);
	return r == -ESRCH || r == -ENOENT ? 0 : r;
}

/**
 * nl_return_teardown() - remove what nl_return_setup() and nl_return_flow()
 * added in family @family (clean exit)
 * @family:	AF_INET or AF_INET6
 *
 * Run inside the target network namespace.
 *
 * Return: 0 or -errno
 */
int nl_return_teardown(int family)
{
	struct nl_ctx c = { 0 };
	int r;

	r = nl_open(&c);
	if (r < 0)
		return r;
	r = nl_return_sweep(&c, family);
	nl_close(&c);
	return r;
}

/**
 * nl_return_setup() - sweep what a killed helper left, then add the table
 * and the rule that deliver locally what the namespace sends with mark
 * NL_RETURN_MARK
 * @family:	AF_INET or AF_INET6
 * @prefsrc4:	IPv4 source for replies of unbound guest sockets (the guest's
 *		address), or NULL
 *
 * Our sockets in the namespace are bound to addresses it does not own (the
 * gateway's for local clients, an outside client's own), with IP_TRANSPARENT.
 * The guest's replies to them would follow the default route out of the tap;
 *   fwmark NL_RETURN_MARK lookup NL_RETURN_TABLE
 * with "local default dev lo" in that table hands them back. Our sockets
 * carry the mark (SO_MARK), and with net.ipv4.tcp_fwmark_accept the guest's
 * accepted TCP sockets take it from our SYN, so only the replies of our own
 * connections are caught, never a connection the guest makes itself. UDP
 * flows get a rule of their own (nl_return_flow()).
 * Run inside the target network namespace, with CAP_NET_ADMIN there.
 *
 * Return: 0 or -errno
 */
int nl_return_setup(int family, const struct in_addr *prefsrc4)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nl_ctx c = { 0 };
	struct nlmsghdr *nlh;
	unsigned lo = 0;
	int r;

	r = nl_ifindex("lo", &lo);
	if (!r)
		r = nl_open(&c);
	if (r < 0)
		return r;
	r = nl_return_sweep(&c, family);
	/* The route needs lo up; a runtime that configures the namespace
	 * after we publish (rootlesskit) has not brought it up yet */
	if (!r)
		r = nl_link_set(&c, lo, 0, NULL);
	/* Without a preferred source, an IPv4 reply from an unbound socket
	 * would take the destination itself as its source (as for any local
	 * route) and miss our socket */
	if (!r)
		r = nl_route_add(&c, family, NL_RETURN_TABLE, RTN_LOCAL, lo,
				 NULL, prefsrc4);
	/* The kernel refuses a preferred source that is not a local address
	 * yet: a runtime (rootlesskit) may configure the tap after we publish.
	 * Then only replies of UDP servers bound to a wildcard address miss
	 * our socket; TCP and every client's address are unaffected */
	if (r == -EINVAL && prefsrc4)
		r = nl_route_add(&c, family, NL_RETURN_TABLE, RTN_LOCAL, lo,
				 NULL, NULL);
	if (!r) {
		nlh = nl_rule_start(&c, buf, family, RTM_NEWRULE,
				    NL_RETURN_PRIO_MARK);
		mnl_attr_put_u32(nlh, FRA_FWMARK, NL_RETURN_MARK);
		r = nl_do(&c, nlh);
		if (r == -EEXIST)
			r = 0;
	}
	nl_close(&c);
	return r;
}

/**
 * nl_return_flow() - add or remove the rule that delivers locally the
 * guest's replies of one UDP flow
 * @f:		the flow: guest port, and our socket's address and port
 * @add:	true to add, false to remove (a missing rule is fine)
 *
 * A guest's UDP server replies from an unconnected socket, which carries no
 * mark; the rule names the flow instead:
 *   iif lo ipproto udp sport GUESTPORT to OURADDR dport OURPORT lookup T
 * (no source address: an unbound socket has none yet when the rule is
 * matched). Run inside the target network namespace.
 *
 * Return: 0 or -errno
 */
int nl_return_flow(const struct nl_flow *f, bool add)
{
	struct fib_rule_port_range sport = { f->sport, f->sport };
	struct fib_rule_port_range dport = { f->dport, f->dport };
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nl_ctx c = { 0 };
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	int r;

	r = nl_open(&c);
	if (r < 0)
		return r;
	nlh = nl_rule_start(&c, buf, f->family, add ? RTM_NEWRULE : RTM_DELRULE,
			    NL_RETURN_PRIO_FLOW);
	frh = mnl_nlmsg_get_payload(nlh);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "lo");
	mnl_attr_put_u8(nlh, FRA_IP_PROTO, IPPROTO_UDP);
	mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof(sport), &sport);
	mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof(dport), &dport);
	if (f->family == AF_INET6) {
		frh->dst_len = 128;
		mnl_attr_put(nlh, FRA_DST, sizeof(f->dst6), &f->dst6);
	} else {
		frh->dst_len = 32;
		mnl_attr_put(nlh, FRA_DST, sizeof(f->dst4), &f->dst4);
	}
	r = nl_do(&c, nlh);
	nl_close(&c);
	if (add && r == -EEXIST)
		return 0;
	if (!add && r == -ENOENT)
		return 0;
	return r;
}
