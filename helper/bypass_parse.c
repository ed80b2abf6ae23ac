/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/bypass_parse.c - socket bypass: the arguments of a trapped call, the
 * sockaddr read from the command, and the policy that says where a connect()
 * goes; pure functions over untrusted bytes (tests/fuzz/fuzz-bypass.c)
 *
 * DOC: The policy, as the libslirp path's
 *
 * The command's connect() of a TCP socket goes to a host socket only where
 * the libslirp path would have left the namespace too:
 *  - its own loopback (127/8, ::1, ::), addresses of the guest's networks
 *    (the IPv4 subnet, the IPv6 /64, link-local) and the built-in DNS stay
 *    the namespace's (BYPASS_CONTINUE): the kernel carries them as today;
 *  - the gateway is the host's loopback, and only with --allow-host-loopback
 *    (else BYPASS_REFUSE);
 *  - martians, as slirp/martian.c drops them (0/8, multicast, broadcast, the
 *    limited broadcast, the IPv6 multicast and IPv4-compatible ranges):
 *    BYPASS_REFUSE;
 *  - IPv6 outside when the guest has no IPv6: BYPASS_CONTINUE (the namespace
 *    has no route: the kernel answers ENETUNREACH, as without bypass);
 *  - everything else: BYPASS_TRANSLATE to the same address.
 * An IPv4-mapped IPv6 address is judged as its IPv4 address.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "helper/bypass_parse.h"

/**
 * bypass_plan_init() - the policy's view of the guest network
 * @p:		out
 * @cidr:	the guest's IPv4 network
 * @ipv6:	the guest has IPv6
 * @allow_loopback: --allow-host-loopback
 */
void bypass_plan_init(struct bypass_plan *p, const struct addr_cidr4 *cidr,
		      bool ipv6, bool allow_loopback)
{
	memset(p, 0, sizeof(*p));
	p->net4 = cidr->net;
	p->mask4 = addr_cidr4_mask(cidr);
	p->gateway4 = addr_plan_gateway4(cidr);
	p->dns4 = addr_plan_dns4(cidr);
	p->ipv6 = ipv6;
	p->prefix6 = addr_plan_prefix6();
	p->gateway6 = addr_plan_gateway6();
	p->dns6 = addr_plan_dns6();
	p->allow_loopback = allow_loopback;
	p->guest4 = addr_plan_guest4(cidr);
	p->guest6 = addr_plan_guest6();
}

/**
 * bypass_parse_call() - which trapped call a notification is, and its
 * arguments
 * @n:		the notification, as SECCOMP_IOCTL_NOTIF_RECV filled it
 * @native_arch: AUDIT_ARCH_* of this build: other ABIs are not ours
 * @out:	the call
 *
 * The fd is checked to be a non-negative int (the kernel reads 32 bits);
 * the address is not read here (the caller does it once, bounded).
 *
 * Return: 0 (@out->op BYPASS_OP_OTHER for a call that is not ours), or
 * -EINVAL for arguments no kernel would accept
 */
int bypass_parse_call(const struct seccomp_notif *n, uint32_t native_arch,
		      struct bypass_call *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (n->data.arch != native_arch)
		return 0;
	if (n->data.nr != SYS_connect && n->data.nr != SYS_listen &&
	    n->data.nr != SYS_getsockname && n->data.nr != SYS_getpeername)
		return 0;
	if ((uint32_t)n->data.args[0] > INT32_MAX)
		return -EINVAL;
	out->fd = (int)(uint32_t)n->data.args[0];
	out->addr = n->data.args[1];
	if (n->data.nr == SYS_listen) {
		out->op = BYPASS_OP_LISTEN;
	} else if (n->data.nr == SYS_connect) {
		out->op = BYPASS_OP_CONNECT;
		out->len = (uint32_t)n->data.args[2];
	} else {
		out->op = n->data.nr == SYS_getsockname ? BYPASS_OP_SOCKNAME :
							  BYPASS_OP_PEERNAME;
		out->lenp = n->data.args[2];
	}
	return 0;
}

/**
 * bypass_parse_sockaddr() - check the sockaddr read from the command
 * @buf:	the bytes read (at most BYPASS_SOCKADDR_MAX are looked at)
 * @len:	how many were read
 * @out:	a copy, zero-padded
 * @outlen:	its length (sizeof sockaddr_in or sockaddr_in6)
 *
 * Return: 0 for a complete sockaddr_in or sockaddr_in6; -EAFNOSUPPORT for
 * another family (AF_UNSPEC included); -EINVAL if too short
 */
int bypass_parse_sockaddr(const void *buf, size_t len,
			  struct sockaddr_storage *out, socklen_t *outlen)
{
	sa_family_t family;

	memset(out, 0, sizeof(*out));
	*outlen = 0;
	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, buf, sizeof(family));
	if (family == AF_INET && len >= sizeof(struct sockaddr_in))
		*outlen = sizeof(struct sockaddr_in);
	else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		*outlen = sizeof(struct sockaddr_in6);
	else if (family == AF_INET || family == AF_INET6)
		return -EINVAL;
	else
		return -EAFNOSUPPORT;
	memcpy(out, buf, *outlen);
	return 0;
}

static bool bypass_v4_martian(const uint8_t *a)
{
	return a[0] == 0 || (a[0] & 0xf0) == 0xe0 || (a[0] & 0xf0) == 0xf0;
}

/* IPv4 destination @a (network order); @host is set for BYPASS_TRANSLATE */
static enum bypass_verdict bypass_decide4(const struct bypass_plan *p,
					  struct in_addr a,
					  struct in_addr *host)
{
	uint32_t bcast = p->net4.s_addr | ~p->mask4.s_addr;

	*host = a;
	if (((const uint8_t *)&a)[0] == 127)
		return BYPASS_CONTINUE;
	if (a.s_addr == p->gateway4.s_addr) {
		host->s_addr = htonl(INADDR_LOOPBACK);
		return p->allow_loopback ? BYPASS_TRANSLATE : BYPASS_REFUSE;
	}
	if (a.s_addr == bcast || bypass_v4_martian((const uint8_t *)&a))
		return BYPASS_REFUSE;
	if ((a.s_addr & p->mask4.s_addr) == p->net4.s_addr)
		return BYPASS_CONTINUE;
	return BYPASS_TRANSLATE;
}

/* IPv6 destination @a; @host is set for BYPASS_TRANSLATE */
static enum bypass_verdict bypass_decide6(const struct bypass_plan *p,
					  const struct in6_addr *a,
					  struct in6_addr *host)
{
	*host = *a;
	if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
	    IN6_IS_ADDR_LINKLOCAL(a))
		return BYPASS_CONTINUE;
	if (IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4COMPAT(a))
		return BYPASS_REFUSE;
	if (!p->ipv6)
		return BYPASS_CONTINUE;
	if (IN6_ARE_ADDR_EQUAL(a, &p->gateway6)) {
		*host = in6addr_loopback;
		return p->allow_loopback ? BYPASS_TRANSLATE : BYPASS_REFUSE;
	}
	if (!memcmp(a->s6_addr, p->prefix6.s6_addr, 8))
		return BYPASS_CONTINUE;
	return BYPASS_TRANSLATE;
}

/* An IPv4-mapped IPv6 address, judged as IPv4 */
static enum bypass_verdict bypass_decide_mapped(const struct bypass_plan *p,
						const struct in6_addr *a,
						struct in6_addr *host)
{
	struct in_addr a4, h4;
	enum bypass_verdict v;

	memcpy(&a4, a->s6_addr + 12, 4);
	v = bypass_decide4(p, a4, &h4);
	*host = *a;
	memcpy(host->s6_addr + 12, &h4, 4);
	return v;
}

/**
 * bypass_decide() - where the command's connect() to @dst goes
 * @p:		the guest network
 * @dst:	destination, checked by bypass_parse_sockaddr()
 * @host:	out, for BYPASS_TRANSLATE: the host socket's destination (the
 *		same port; the host's loopback for the gateway)
 *
 * Return: the verdict (DOC above)
 */
enum bypass_verdict bypass_decide(const struct bypass_plan *p,
				  const struct sockaddr_storage *dst,
				  struct sockaddr_storage *host)
{
	*host = *dst;
	if (dst->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)dst;

		return bypass_decide4(p, s->sin_addr,
				      &((struct sockaddr_in *)host)->sin_addr);
	}
	if (dst->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)dst;
		struct sockaddr_in6 *h = (void *)host;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			return bypass_decide_mapped(p, &s->sin6_addr,
						    &h->sin6_addr);
		return bypass_decide6(p, &s->sin6_addr, &h->sin6_addr);
	}
	return BYPASS_CONTINUE;
}

static bool bypass_is_loopback(const struct sockaddr_storage *s)
{
	const struct sockaddr_in6 *s6 = (const void *)s;

	if (s->ss_family == AF_INET)
		return ((const uint8_t *)&((const struct sockaddr_in *)s)
				->sin_addr)[0] == 127;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return s6->sin6_addr.s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

/* @a, an address of @family (IPv6: mapped if @mapped), set to @v4 or @v6 */
static void bypass_set_addr(struct sockaddr_storage *a, bool mapped,
			    struct in_addr v4, const struct in6_addr *v6)
{
	struct sockaddr_in6 *a6 = (void *)a;

	if (a->ss_family == AF_INET) {
		((struct sockaddr_in *)a)->sin_addr = v4;
	} else if (mapped) {
		memcpy(a6->sin6_addr.s6_addr + 12, &v4, 4);
	} else {
		a6->sin6_addr = *v6;
	}
}

/**
 * bypass_view() - the namespace's view of a host socket's address, for
 * getsockname() (@local) or getpeername()
 * @p:		the guest network
 * @local:	the socket's own address: the guest's (the port stays)
 * @host:	the address the host socket has (AF_INET or AF_INET6)
 * @view:	out: what the command sees; the peer is unchanged but for the
 *		host's loopback, which the command reached as the gateway
 *
 * Return: the length of @view (0 for another family: @view is @host)
 */
socklen_t bypass_view(const struct bypass_plan *p, bool local,
		      const struct sockaddr_storage *host,
		      struct sockaddr_storage *view)
{
	const struct sockaddr_in6 *h6 = (const void *)host;
	bool mapped = host->ss_family == AF_INET6 &&
		      IN6_IS_ADDR_V4MAPPED(&h6->sin6_addr);

	*view = *host;
	if (host->ss_family != AF_INET && host->ss_family != AF_INET6)
		return 0;
	if (local)
		bypass_set_addr(view, mapped, p->guest4, &p->guest6);
	else if (bypass_is_loopback(host))
		bypass_set_addr(view, mapped, p->gateway4, &p->gateway6);
	return host->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);
}
