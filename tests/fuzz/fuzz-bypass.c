/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/fuzz/fuzz-bypass.c - libFuzzer target: what the bypass handler
 * parses of the command (helper/bypass_parse.c)
 *
 * The input is a struct seccomp_notif followed by the bytes the handler
 * would read from the command's memory (process_vm_readv). Checks that
 * bypass_parse_call() takes only connect(), listen(), getsockname() and
 * getpeername() of the native ABI with a non-negative fd, that bypass_parse_sockaddr() accepts only whole
 * sockaddr_in/in6 and never reports more than it was given, and that a
 * translated destination keeps the family and the port and is never the
 * host's loopback unless it was the gateway with host loopback allowed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/syscall.h>

#include "helper/bypass_parse.h"

#define ARCH 0xc000003eU

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_host_loopback(const struct sockaddr_storage *s)
{
	if (s->ss_family == AF_INET)
		return ((const struct sockaddr_in *)s)->sin_addr.s_addr ==
		       htonl(INADDR_LOOPBACK);
	return IN6_IS_ADDR_LOOPBACK(
		&((const struct sockaddr_in6 *)s)->sin6_addr);
}

/* the call number and what the parser made of it agree */
static bool is_ours(int nr, enum bypass_op op)
{
	switch (nr) {
	case SYS_connect:
		return op == BYPASS_OP_CONNECT;
	case SYS_listen:
		return op == BYPASS_OP_LISTEN;
	case SYS_getsockname:
		return op == BYPASS_OP_SOCKNAME;
	case SYS_getpeername:
		return op == BYPASS_OP_PEERNAME;
	default:
		return false;
	}
}

static void check_decide(const struct bypass_plan *p,
			 const struct sockaddr_storage *dst)
{
	struct sockaddr_storage host;
	enum bypass_verdict v = bypass_decide(p, dst, &host);

	if (v != BYPASS_TRANSLATE)
		return;
	if (host.ss_family != dst->ss_family)
		abort();
	if (((const struct sockaddr_in *)&host)->sin_port !=
	    ((const struct sockaddr_in *)dst)->sin_port)
		abort();
	if (is_host_loopback(&host) && !p->allow_loopback)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seccomp_notif n;
	struct bypass_call call;
	struct sockaddr_storage dst;
	struct bypass_plan p;
	struct addr_cidr4 c = { .net = { htonl(0x0a000200) }, .prefix = 24 };
	socklen_t len;
	int r;

	if (size < sizeof(n) + 1)
		return 0;
	memcpy(&n, data, sizeof(n));
	data += sizeof(n);
	size -= sizeof(n);
	bypass_plan_init(&p, &c, data[0] & 1, data[0] & 2);
	data++;
	size--;
	r = bypass_parse_call(&n, ARCH, &call);
	if (r == 0 && call.op != BYPASS_OP_OTHER &&
	    (n.data.arch != ARCH || call.fd < 0 ||
	     !is_ours(n.data.nr, call.op)))
		abort();
	r = bypass_parse_sockaddr(data, MIN(size, BYPASS_SOCKADDR_MAX), &dst,
				  &len);
	if (r == 0) {
		if (len > size ||
		    (dst.ss_family != AF_INET && dst.ss_family != AF_INET6))
			abort();
		check_decide(&p, &dst);
	}
	return 0;
}
