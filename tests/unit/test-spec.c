/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-spec.c - parsing of --publish specs, good and malformed
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/errors.h"
#include "common/util.h"
#include "portfwd/spec.h"

static void test_simple(void)
{
	g_autoptr(GError) error = NULL;
	struct pf_spec s;

	g_assert_cmpint(pf_spec_parse("8080:80", &s, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_false(s.host_addr_set);
	g_assert_cmpuint(s.host_port, ==, 8080);
	g_assert_cmpuint(s.guest_port, ==, 80);
	g_assert_cmpuint(s.count, ==, 1);
	g_assert_cmpint(s.proto, ==, PF_PROTO_TCP);
	g_assert_false(s.guest_addr_set);
}

static void test_addresses(void)
{
	g_autoptr(GError) error = NULL;
	char buf[ADDR_STRLEN];
	struct pf_spec s;

	g_assert_cmpint(pf_spec_parse("127.0.0.1:8080:80/udp", &s, &error), ==,
			0);
	g_assert_true(s.host_addr_set);
	g_assert_cmpstr(addr_ip_str(&s.host_addr, buf, sizeof(buf)), ==,
			"127.0.0.1");
	g_assert_cmpint(s.proto, ==, PF_PROTO_UDP);

	g_assert_cmpint(pf_spec_parse("[::1]:8080:80", &s, &error), ==, 0);
	g_assert_cmpint(s.host_addr.family, ==, AF_INET6);
	g_assert_cmpstr(addr_ip_str(&s.host_addr, buf, sizeof(buf)), ==,
			"[::1]");

	g_assert_cmpint(pf_spec_parse("[::]:53:53/udp", &s, &error), ==, 0);
	g_assert_true(addr_ip_is_any(&s.host_addr));
	g_assert_cmpint(pf_spec_parse("[fd00::1:2]:1:65535/tcp", &s, &error),
			==, 0);
	g_assert_cmpuint(s.host_port, ==, 1);
	g_assert_cmpuint(s.guest_port, ==, 65535);
}

static void test_ranges(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	struct pf_spec s;

	g_assert_cmpint(pf_spec_parse("8000-8009:80-89", &s, &error), ==, 0);
	g_assert_cmpuint(s.host_port, ==, 8000);
	g_assert_cmpuint(s.guest_port, ==, 80);
	g_assert_cmpuint(s.count, ==, 10);
	text = pf_spec_to_string(&s);
	g_assert_cmpstr(text, ==, "*:8000-8009 -> 80-89/tcp");
	g_assert_cmpint(pf_spec_parse("65535-65535:1-1", &s, &error), ==, 0);
	g_assert_cmpuint(s.count, ==, 1);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"80:",
		"80:0",
		"0",
		"70000:80",
		"80:70000",
		"abc:80",
		"80:abc",
		"8080:80/",
		"8080:80/TCP ",
		"[::1:8080:80",
		"[::1]8080:80",
		"::1:8080:80",
		"[1.2.3.4]:80:80",
		"1.2.3:80:80",
		"localhost:80:80",
		"1.2.3.4:",
		"-1:80",
		"8000-7999:80-79",
		"8000-8009:80-85",
		"8000-:80-",
		"80-81:80",
		" 80:80",
		"80:80 ",
		"+80:80",
		"1.2.3.4:5:6:7",
		"8080:80/udp/tcp",
		"[]:80:80",
		"[::1]:",
		"[::1]:80",
		"[::1]:80:80:80",
		"65536-65537:1-2",
		"1.2.3.4::",
		"80-81",
		":80-81",
		"0:80-81",
		"0-1:80-81",
		"00:80",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		g_autoptr(GError) error = NULL;
		struct pf_spec s;

		if (pf_spec_parse(bad[i], &s, &error) == 0)
			g_error("'%s' was accepted", bad[i]);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_nonnull(
			strstr(error->message, "invalid --publish spec"));
	}
}

/* Each malformed spec is refused for its own reason */
static void test_reasons(void)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "8080:80/sctp", "sctp is not supported" },
		{ "80/sctp", "sctp is not supported" },
		{ "8080:80/icmp", "protocol must be tcp or udp" },
		{ "0:80-81", "a free host port" },
		{ "80-81", "a free host port" },
		{ "[::1]0:80", "bad IPv6 host address" },
		{ "[::1]:80", "[IPv6]::GUESTPORT" },
		{ "1.2.3.4:5:6:7", "too many colons" },
		{ "300.1.1.1:80:80", "bad host address" },
		{ "00:80", "bad host port" },
		{ "0:0", "bad guest port" },
		{ "8080:", "missing guest port" },
		{ "8000-8009:80-85", "host and guest ranges differ in length" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) e = NULL;
		struct pf_spec s;

		if (pf_spec_parse(cases[i].spec, &s, &e) == 0)
			g_error("'%s' was accepted", cases[i].spec);
		g_assert_error(e, UN_ERROR, UN_EXIT_USAGE);
		if (!strstr(e->message, cases[i].why))
			g_error("'%s': '%s' does not say '%s'", cases[i].spec,
				e->message, cases[i].why);
	}
}

/* A free host port chosen by the kernel: host port 0, none, or none after
 * an address; a single port only */
static void test_free_port(void)
{
	static const char *const free_forms[] = {
		"80",	      ":80", "0:80", "127.0.0.1::80", "[::1]::80/udp",
		"[::1]:0:80",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(free_forms); i++) {
		g_autoptr(GError) e = NULL;
		struct pf_spec s;

		if (pf_spec_parse(free_forms[i], &s, &e))
			g_error("'%s': %s", free_forms[i], e->message);
		g_assert_cmpuint(s.host_port, ==, 0);
		g_assert_cmpuint(s.guest_port, ==, 80);
		g_assert_cmpuint(s.count, ==, 1);
	}
}

/* The examples of Podman's --publish documentation (podman-run(1)) */
static void test_podman_examples(void)
{
	g_autoptr(GError) error = NULL;
	char buf[ADDR_STRLEN];
	struct pf_spec s;

	/* --publish 23:23/udp */
	g_assert_cmpint(pf_spec_parse("23:23/udp", &s, &error), ==, 0);
	g_assert_cmpint(s.proto, ==, PF_PROTO_UDP);
	g_assert_cmpuint(s.host_port, ==, 23);
	g_assert_false(s.host_addr_set);
	/* podman run -p 127.0.0.1::80: a random host port on 127.0.0.1 */
	g_assert_cmpint(pf_spec_parse("127.0.0.1::80", &s, &error), ==, 0);
	g_assert_cmpstr(addr_ip_str(&s.host_addr, buf, sizeof(buf)), ==,
			"127.0.0.1");
	g_assert_cmpuint(s.host_port, ==, 0);
	/* ip:hostPort:containerPort, hostPort:containerPort, containerPort */
	g_assert_cmpint(pf_spec_parse("10.0.0.1:8080:80", &s, &error), ==, 0);
	g_assert_cmpuint(s.host_port, ==, 8080);
	g_assert_cmpint(pf_spec_parse("8080:80/tcp", &s, &error), ==, 0);
	g_assert_cmpint(s.proto, ==, PF_PROTO_TCP);
	g_assert_cmpint(pf_spec_parse("80", &s, &error), ==, 0);
	g_assert_false(s.host_addr_set);
	/* ranges of the same length on both sides */
	g_assert_cmpint(pf_spec_parse("8080-8090:80-90", &s, &error), ==, 0);
	g_assert_cmpuint(s.count, ==, 11);
	g_assert_cmpuint(s.guest_port, ==, 80);
	/* an explicit 0.0.0.0 is an address: IPv4 only */
	g_assert_cmpint(pf_spec_parse("0.0.0.0:8080:80", &s, &error), ==, 0);
	g_assert_true(s.host_addr_set);
	g_assert_cmpint(s.host_addr.family, ==, AF_INET);
	g_assert_no_error(error);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/spec/simple", test_simple);
	g_test_add_func("/spec/addresses", test_addresses);
	g_test_add_func("/spec/ranges", test_ranges);
	g_test_add_func("/spec/malformed", test_malformed);
	g_test_add_func("/spec/reasons", test_reasons);
	g_test_add_func("/spec/free-port", test_free_port);
	g_test_add_func("/spec/podman-examples", test_podman_examples);
	return g_test_run();
}
