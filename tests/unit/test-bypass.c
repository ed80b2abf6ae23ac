/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-bypass.c - helper/bypass_parse.c: which trapped calls are
 * ours, the sockaddr checks, where a connect() goes (the policy), and the
 * namespace's view of a host socket's addresses
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <glib.h>

#include "helper/bypass_parse.h"

#define ARCH 0xc000003eU /* any value: the test's "native" ABI */

static struct bypass_plan plan;

static void plan_setup(bool ipv6, bool loopback)
{
	struct addr_cidr4 c;

	g_assert_cmpint(addr_cidr4_parse("10.0.2.0/24", &c), ==, 0);
	bypass_plan_init(&plan, &c, ipv6, loopback);
}

/* The verdict for @addr (IPv4 or IPv6 text) port 80; @to: the translated
 * address's text, checked when not NULL */
static enum bypass_verdict verdict(const char *addr, const char *to)
{
	struct sockaddr_storage dst = { 0 }, host;
	char text[INET6_ADDRSTRLEN];
	enum bypass_verdict v;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s = (void *)&dst;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(80);
		g_assert_cmpint(inet_pton(AF_INET6, addr, &s->sin6_addr), ==,
				1);
	} else {
		struct sockaddr_in *s = (void *)&dst;

		s->sin_family = AF_INET;
		s->sin_port = htons(80);
		g_assert_cmpint(inet_pton(AF_INET, addr, &s->sin_addr), ==, 1);
	}
	v = bypass_decide(&plan, &dst, &host);
	if (v == BYPASS_TRANSLATE && to) {
		if (host.ss_family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&host)->sin_addr,
				  text, sizeof(text));
		else
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&host)->sin6_addr,
				  text, sizeof(text));
		g_assert_cmpstr(text, ==, to);
		g_assert_cmpint(((struct sockaddr_in *)&host)->sin_port, ==,
				htons(80));
	}
	return v;
}

static void test_policy4(void)
{
	plan_setup(false, false);
	g_assert_cmpint(verdict("127.0.0.1", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("127.5.5.5", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("10.0.2.100", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("10.0.2.3", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("10.0.2.2", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("10.0.2.255", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("0.0.0.0", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("224.0.0.1", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("255.255.255.255", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("240.0.0.1", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("192.0.2.1", "192.0.2.1"), ==,
			BYPASS_TRANSLATE);
	g_assert_cmpint(verdict("10.0.3.1", "10.0.3.1"), ==, BYPASS_TRANSLATE);
	plan_setup(false, true);
	g_assert_cmpint(verdict("10.0.2.2", "127.0.0.1"), ==, BYPASS_TRANSLATE);
}

static void test_policy6(void)
{
	plan_setup(false, true);
	/* no IPv6 in the guest: the namespace answers (no route) */
	g_assert_cmpint(verdict("2001:db8::1", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("::1", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("::", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("fe80::1", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("ff02::1", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("::1.2.3.4", NULL), ==, BYPASS_REFUSE);
	/* mapped: as IPv4 */
	g_assert_cmpint(verdict("::ffff:10.0.2.2", "::ffff:127.0.0.1"), ==,
			BYPASS_TRANSLATE);
	g_assert_cmpint(verdict("::ffff:127.0.0.1", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ==,
			BYPASS_TRANSLATE);
	plan_setup(true, false);
	g_assert_cmpint(verdict("fd00::2", NULL), ==, BYPASS_REFUSE);
	g_assert_cmpint(verdict("fd00::3", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("fd00::100", NULL), ==, BYPASS_CONTINUE);
	g_assert_cmpint(verdict("2001:db8::1", "2001:db8::1"), ==,
			BYPASS_TRANSLATE);
	plan_setup(true, true);
	g_assert_cmpint(verdict("fd00::2", "::1"), ==, BYPASS_TRANSLATE);
}

static void test_sockaddr(void)
{
	struct sockaddr_storage out;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	sa_family_t unspec = AF_UNSPEC;
	socklen_t len;

	g_assert_cmpint(bypass_parse_sockaddr(&s4, sizeof(s4), &out, &len), ==,
			0);
	g_assert_cmpint(len, ==, sizeof(s4));
	g_assert_cmpint(bypass_parse_sockaddr(&s6, sizeof(s6), &out, &len), ==,
			0);
	g_assert_cmpint(len, ==, sizeof(s6));
	g_assert_cmpint(bypass_parse_sockaddr(&s4, sizeof(s4) - 1, &out, &len),
			==, -EINVAL);
	g_assert_cmpint(bypass_parse_sockaddr(&s6, sizeof(s4), &out, &len), ==,
			-EINVAL);
	g_assert_cmpint(bypass_parse_sockaddr(&unspec, sizeof(unspec), &out,
					      &len),
			==, -EAFNOSUPPORT);
	g_assert_cmpint(bypass_parse_sockaddr(&s4, 1, &out, &len), ==, -EINVAL);
	g_assert_cmpint(bypass_parse_sockaddr(&s4, 0, &out, &len), ==, -EINVAL);
}

static void test_call(void)
{
	struct seccomp_notif n = { 0 };
	struct bypass_call c;

	n.data.arch = ARCH;
	n.data.nr = SYS_connect;
	n.data.args[0] = 5;
	n.data.args[1] = 0x1000;
	n.data.args[2] = 16;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, 0);
	g_assert_cmpint(c.op, ==, BYPASS_OP_CONNECT);
	g_assert_cmpint(c.fd, ==, 5);
	g_assert_cmpuint(c.addr, ==, 0x1000);
	g_assert_cmpuint(c.len, ==, 16);
	/* the kernel reads an int: high bits ignored, negative refused */
	n.data.args[0] = 0x100000005ULL;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, 0);
	g_assert_cmpint(c.fd, ==, 5);
	n.data.args[0] = 0xffffffffULL;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, -EINVAL);
	n.data.args[0] = 3;
	n.data.nr = SYS_listen;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, 0);
	g_assert_cmpint(c.op, ==, BYPASS_OP_LISTEN);
	/* another ABI, another call: not ours */
	n.data.arch = ARCH + 1;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, 0);
	g_assert_cmpint(c.op, ==, BYPASS_OP_OTHER);
	n.data.arch = ARCH;
	n.data.nr = SYS_getpid;
	g_assert_cmpint(bypass_parse_call(&n, ARCH, &c), ==, 0);
	g_assert_cmpint(c.op, ==, BYPASS_OP_OTHER);
}

/* The view of @addr (text) port 4000, as getsockname (@local) or
 * getpeername shows it */
static const char *view(bool local, const char *addr)
{
	static char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage host = { 0 }, v;
	socklen_t len;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s = (void *)&host;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(4000);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		len = bypass_view(&plan, local, &host, &v);
		g_assert_cmpint(len, ==, sizeof(*s));
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&v)->sin6_addr,
			  text, sizeof(text));
	} else {
		struct sockaddr_in *s = (void *)&host;

		s->sin_family = AF_INET;
		s->sin_port = htons(4000);
		inet_pton(AF_INET, addr, &s->sin_addr);
		len = bypass_view(&plan, local, &host, &v);
		g_assert_cmpint(len, ==, sizeof(*s));
		inet_ntop(AF_INET, &((struct sockaddr_in *)&v)->sin_addr, text,
			  sizeof(text));
	}
	g_assert_cmpint(((struct sockaddr_in *)&v)->sin_port, ==, htons(4000));
	return text;
}

static void test_view(void)
{
	struct sockaddr_storage unix_addr = { .ss_family = AF_UNIX }, v;

	plan_setup(true, true);
	g_assert_cmpstr(view(true, "192.0.2.2"), ==, "10.0.2.100");
	g_assert_cmpstr(view(true, "127.0.0.1"), ==, "10.0.2.100");
	g_assert_cmpstr(view(false, "127.0.0.1"), ==, "10.0.2.2");
	g_assert_cmpstr(view(false, "192.0.2.1"), ==, "192.0.2.1");
	g_assert_cmpstr(view(true, "::ffff:127.0.0.1"), ==,
			"::ffff:10.0.2.100");
	g_assert_cmpstr(view(false, "::ffff:127.0.0.1"), ==, "::ffff:10.0.2.2");
	g_assert_cmpstr(view(false, "::1"), ==, "fd00::2");
	g_assert_cmpstr(view(true, "2001:db8::7"), ==, "fd00::100");
	g_assert_cmpstr(view(false, "2001:db8::1"), ==, "2001:db8::1");
	g_assert_cmpint(bypass_view(&plan, true, &unix_addr, &v), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bypass/policy4", test_policy4);
	g_test_add_func("/bypass/policy6", test_policy6);
	g_test_add_func("/bypass/sockaddr", test_sockaddr);
	g_test_add_func("/bypass/call", test_call);
	g_test_add_func("/bypass/view", test_view);
	return g_test_run();
}
