/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/bypass_parse.h - socket bypass: what a seccomp notification of the
 * command asks, and where its connect() may go (no system calls here)
 */
#ifndef HELPER_BYPASS_PARSE_H
#define HELPER_BYPASS_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/seccomp.h>

#include "common/addr.h"

/* The most bytes of a sockaddr the handler ever reads from the command */
#define BYPASS_SOCKADDR_MAX ((size_t)sizeof(struct sockaddr_in6))

/**
 * struct bypass_plan - the guest's network, as the policy needs it
 * @net4:	IPv4 network, host bits clear
 * @mask4:	its mask
 * @gateway4:	the gateway (the host's loopback, when allowed)
 * @dns4:	the built-in DNS address
 * @ipv6:	the guest has IPv6
 * @prefix6:	its /64 prefix
 * @gateway6:	the IPv6 gateway
 * @dns6:	the IPv6 DNS address
 * @allow_loopback: the gateway leads to the host's loopback
 * @guest4:	the guest's IPv4 address (what getsockname() shows)
 * @guest6:	the guest's IPv6 address
 */
struct bypass_plan {
	struct in_addr net4;
	struct in_addr mask4;
	struct in_addr gateway4;
	struct in_addr dns4;
	bool ipv6;
	struct in6_addr prefix6;
	struct in6_addr gateway6;
	struct in6_addr dns6;
	bool allow_loopback;
	struct in_addr guest4;
	struct in6_addr guest6;
};

/**
 * enum bypass_op - the trapped calls
 * @BYPASS_OP_OTHER:	not one of ours (another ABI, another call)
 * @BYPASS_OP_CONNECT:	connect(fd, addr, len)
 * @BYPASS_OP_LISTEN:	listen(fd, backlog)
 * @BYPASS_OP_SOCKNAME:	getsockname(fd, addr, lenp)
 * @BYPASS_OP_PEERNAME:	getpeername(fd, addr, lenp)
 */
enum bypass_op {
	BYPASS_OP_OTHER,
	BYPASS_OP_CONNECT,
	BYPASS_OP_LISTEN,
	BYPASS_OP_SOCKNAME,
	BYPASS_OP_PEERNAME,
};

/**
 * struct bypass_call - a trapped call, its arguments checked
 * @op:		which call
 * @fd:		its socket, in the caller's fd table
 * @addr:	connect, get*name: address of the sockaddr in the caller's
 *		memory
 * @len:	connect: its length as given
 * @lenp:	get*name: address of the caller's socklen_t (value-result)
 */
struct bypass_call {
	enum bypass_op op;
	int fd;
	uint64_t addr;
	uint32_t len;
	uint64_t lenp;
};

/**
 * enum bypass_verdict - where a connect() goes
 * @BYPASS_CONTINUE:	as without bypass: the namespace's own socket
 *			(its loopback, an address inside, the built-in DNS)
 * @BYPASS_TRANSLATE:	a host socket, to the address given back
 * @BYPASS_REFUSE:	EPERM (the gateway without host loopback, a martian)
 */
enum bypass_verdict {
	BYPASS_CONTINUE,
	BYPASS_TRANSLATE,
	BYPASS_REFUSE,
};

void bypass_plan_init(struct bypass_plan *p, const struct addr_cidr4 *cidr,
		      bool ipv6, bool allow_loopback);
int bypass_parse_call(const struct seccomp_notif *n, uint32_t native_arch,
		      struct bypass_call *out);
int bypass_parse_sockaddr(const void *buf, size_t len,
			  struct sockaddr_storage *out, socklen_t *outlen);
enum bypass_verdict bypass_decide(const struct bypass_plan *p,
				  const struct sockaddr_storage *dst,
				  struct sockaddr_storage *host);
socklen_t bypass_view(const struct bypass_plan *p, bool local,
		      const struct sockaddr_storage *host,
		      struct sockaddr_storage *view);

#endif /* HELPER_BYPASS_PARSE_H */
