/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-helper-options.c - the command line of `usernet attach`
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "helper/options.h"
#include "portfwd/spec.h"
#include "slirp/dnsrelay.h"

/* Parse a NULL-terminated argument list; argv[0] is "attach" */
static int parse(struct helper_opts *o, GError **error, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	const char *a;
	va_list ap;

	g_ptr_array_add(args, (char *)"attach");
	va_start(ap, error);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(args, (char *)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	helper_opts_init(o);
	return helper_opts_parse(o, (int)args->len - 1, (char **)args->pdata,
				 error);
}

static void test_defaults(void)
{
	g_autoptr(GError) error = NULL;
	char buf[INET_ADDRSTRLEN];
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "1234", NULL), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(o.target.type, ==, NS_TARGET_PID);
	g_assert_cmpint(o.target.pid, ==, 1234);
	g_assert_cmpstr(o.tapname, ==, "tap0");
	g_assert_false(o.configure);
	g_assert_cmpint(o.ready_fd, ==, -1);
	g_assert_cmpint(o.exit_fd, ==, -1);
	g_assert_cmpuint(o.net.mtu, ==, 1500);
	g_assert_cmpuint(o.net.cidr.prefix, ==, 24);
	g_assert_cmpstr(inet_ntop(AF_INET, &o.net.cidr.net, buf, sizeof(buf)),
			==, "10.0.2.0");
	g_assert_false(o.net.ipv6);
	g_assert_false(o.net.disable_host_loopback);
	g_assert_false(o.net.disable_dns);
	g_assert_cmpuint(o.publish->len, ==, 0);
	g_assert_null(o.autopub);
	helper_opts_clear(&o);
}

/* --publish-auto: the unprivileged ports without RANGE; with one, that range */
static void test_publish_auto(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "--publish-auto", "1", NULL), ==, 0);
	g_assert_no_error(error);
	g_assert_nonnull(o.autopub);
	g_assert_false(autopub_ports_has(o.autopub, 1));
	g_assert_false(autopub_ports_has(o.autopub, 1023));
	g_assert_true(autopub_ports_has(o.autopub, 1024));
	g_assert_true(autopub_ports_has(o.autopub, 65535));
	helper_opts_clear(&o);

	g_assert_cmpint(parse(&o, &error, "--publish-auto=8000-9000,~8080", "1",
			      NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_true(autopub_ports_has(o.autopub, 8000));
	g_assert_false(autopub_ports_has(o.autopub, 8080));
	g_assert_false(autopub_ports_has(o.autopub, 22));
	helper_opts_clear(&o);

	/* The space form is not an optional argument: "22" is the target */
	g_assert_cmpint(parse(&o, &error, "--publish-auto", "22", NULL), ==, 0);
	g_assert_cmpint(o.target.pid, ==, 22);
	g_assert_false(autopub_ports_has(o.autopub, 22));
	g_assert_true(autopub_ports_has(o.autopub, 2222));
	helper_opts_clear(&o);
}

static void test_dns(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;
	const struct sockaddr_in *a;
	const struct sockaddr_in6 *b;

	g_assert_cmpint(parse(&o, &error, "1", NULL), ==, 0);
	g_assert_cmpuint(o.dns->len, ==, 0);
	helper_opts_clear(&o);

	g_assert_cmpint(parse(&o, &error, "--dns", "192.0.2.53",
			      "--dns=[2001:db8::53]", "1", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(o.dns->len, ==, 2);
	a = (const void *)&g_array_index(o.dns, struct sockaddr_storage, 0);
	b = (const void *)&g_array_index(o.dns, struct sockaddr_storage, 1);
	g_assert_cmpint(a->sin_family, ==, AF_INET);
	g_assert_cmpuint(ntohs(a->sin_port), ==, 53);
	g_assert_cmpuint(ntohl(a->sin_addr.s_addr), ==, 0xc0000235);
	g_assert_cmpint(b->sin6_family, ==, AF_INET6);
	g_assert_cmpuint(ntohs(b->sin6_port), ==, 53);
	helper_opts_clear(&o);
}

static void test_everything(void)
{
	g_autoptr(GError) error = NULL;
	char buf[INET_ADDRSTRLEN], rfd[16], efd[16];
	struct helper_opts o;
	int ready = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int ex = open("/dev/null", O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(ready, >, 2);
	g_assert_cmpint(ex, >, 2);
	g_snprintf(rfd, sizeof(rfd), "%d", ready);
	g_snprintf(efd, sizeof(efd), "%d", ex);
	g_assert_cmpint(parse(&o, &error, "-c", "--mtu=65520", "-6", "--cidr",
			      "10.0.7.0/24", "--disable-host-loopback",
			      "--disable-dns", "--macaddress=02:00:00:00:00:01",
			      "-p", "8080:80",
			      "--publish=127.0.0.1:5353:53/udp",
			      "--outbound-addr=127.0.0.1", "--outbound-addr6",
			      "::1", "--debug", "--ready-fd", rfd, "-e", efd,
			      "4321", "tap1", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_true(o.configure);
	g_assert_cmpuint(o.net.mtu, ==, 65520);
	g_assert_true(o.net.ipv6);
	g_assert_cmpstr(inet_ntop(AF_INET, &o.net.cidr.net, buf, sizeof(buf)),
			==, "10.0.7.0");
	g_assert_true(o.net.disable_host_loopback);
	g_assert_true(o.net.disable_dns);
	g_assert_true(o.set_mac);
	g_assert_cmpuint(o.mac[5], ==, 1);
	g_assert_cmpuint(o.publish->len, ==, 2);
	g_assert_cmpint(g_array_index(o.publish, struct pf_spec, 1).proto, ==,
			PF_PROTO_UDP);
	g_assert_true(o.net.has_outbound4);
	g_assert_cmpuint(ntohl(o.net.outbound4.sin_addr.s_addr), ==,
			 INADDR_LOOPBACK);
	g_assert_true(o.net.has_outbound6);
	g_assert_true(o.debug);
	g_assert_cmpint(o.ready_fd, ==, ready);
	g_assert_cmpint(o.exit_fd, ==, ex);
	g_assert_cmpint(o.target.pid, ==, 4321);
	g_assert_cmpstr(o.tapname, ==, "tap1");
	helper_opts_clear(&o);
	close(ready);
	close(ex);
}

static void test_path_target(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "--netns-type=path",
			      "--userns-path=/proc/1/ns/user", "/run/netns/x",
			      NULL),
			==, 0);
	g_assert_cmpint(o.target.type, ==, NS_TARGET_PATH);
	g_assert_cmpstr(o.target.netns_path, ==, "/run/netns/x");
	g_assert_cmpstr(o.target.userns_path, ==, "/proc/1/ns/user");
	helper_opts_clear(&o);
}

static void test_outbound_iface(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "--outbound-addr=lo", "1", NULL), ==,
			0);
	g_assert_cmpuint(ntohl(o.net.outbound4.sin_addr.s_addr), ==,
			 INADDR_LOOPBACK);
	helper_opts_clear(&o);
}

static void test_help(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "--help", NULL), ==, 0);
	g_assert_true(o.help);
	helper_opts_clear(&o);
}

/* Each bad command line fails with UN_EXIT_USAGE and a message naming @what */
static void expect_bad(const char *what, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	struct helper_opts o;
	const char *a;
	va_list ap;

	g_ptr_array_add(args, (char *)"attach");
	va_start(ap, what);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(args, (char *)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	helper_opts_init(&o);
	if (helper_opts_parse(&o, (int)args->len - 1, (char **)args->pdata,
			      &error) == 0)
		g_error("accepted a bad command line (%s)", what);
	g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	if (!strstr(error->message, what))
		g_error("message '%s' does not name '%s'", error->message,
			what);
	helper_opts_clear(&o);
}

static void test_bad(void)
{
	expect_bad("missing PID", NULL);
	expect_bad("missing PID", "-c", NULL);
	expect_bad("is not a PID", "abc", NULL);
	expect_bad("is not a PID", "0", NULL);
	expect_bad("unknown option -5", "-5", NULL);
	expect_bad("unexpected argument", "1", "tap0", "extra", NULL);
	expect_bad("not a valid interface name", "1", "a/b", NULL);
	expect_bad("not a valid interface name", "1", "0123456789abcdefg",
		   NULL);
	expect_bad("--mtu", "--mtu", "67", "1", NULL);
	expect_bad("--mtu", "--mtu", "65522", "1", NULL);
	expect_bad("--mtu", "--mtu=abc", "1", NULL);
	expect_bad("--mtu", "--mtu=", "1", NULL);
	expect_bad("minimum for IPv6", "-6", "--mtu=1279", "1", NULL);
	expect_bad("--cidr", "--cidr", "10.0.2.0/33", "1", NULL);
	expect_bad("--cidr", "--cidr", "foo", "1", NULL);
	expect_bad("--cidr", "--cidr", "10.0.2.5/24", "1", NULL);
	expect_bad("--publish", "-p", "70000:80", "1", NULL);
	expect_bad("--publish", "-p", "80-81", "1", NULL);
	expect_bad("sctp is not supported", "-p", "80/sctp", "1", NULL);
	expect_bad("--publish", "--publish=8080:80/sctp", "1", NULL);
	expect_bad("--netns-type", "--netns-type=tapfd", "1", NULL);
	expect_bad("--ready-fd", "--ready-fd=x", "1", NULL);
	expect_bad("--ready-fd", "--ready-fd=987654", "1", NULL);
	expect_bad("--exit-fd", "-e", "-1", "1", NULL);
	/* the standard streams are open, but never the caller's pipe */
	expect_bad("--ready-fd: fd 0 is standard input", "--ready-fd=0", "1",
		   NULL);
	expect_bad("--ready-fd: fd 1 is standard output", "-r", "1", "1", NULL);
	expect_bad("--exit-fd: fd 2 is standard error", "--exit-fd=2", "1",
		   NULL);
	expect_bad("--exit-fd: fd 0 is standard input", "-e", "0", "1", NULL);
	expect_bad("--macaddress", "-c", "--macaddress=01:00:00:00:00:00", "1",
		   NULL);
	expect_bad("--macaddress needs --configure",
		   "--macaddress=02:00:00:00:00:01", "1", NULL);
	expect_bad("--outbound-addr", "--outbound-addr=::1", "1", NULL);
	expect_bad("--outbound-addr6", "--outbound-addr6=no-such-iface0", "1",
		   NULL);
	expect_bad("unknown option --bogus", "--bogus", "1", NULL);
	expect_bad("unknown option -z", "-z", "1", NULL);
	expect_bad("needs a value", "1", "--mtu", NULL);
	expect_bad("--publish-auto", "--publish-auto=", "1", NULL);
	expect_bad("--publish-auto", "--publish-auto=0", "1", NULL);
	expect_bad("--publish-auto", "--publish-auto=80-", "1", NULL);
	expect_bad("ends before it starts", "--publish-auto=9-8", "1", NULL);
	expect_bad("--log-level", "--log-level=trace", "1", NULL);
	expect_bad("--dns: 'x' is not an IPv4 or IPv6 address", "--dns=x", "1",
		   NULL);
	expect_bad("--dns: '0.0.0.0'", "--dns=0.0.0.0", "1", NULL);
	expect_bad("--pcap needs a file name", "--pcap=", "1", NULL);
	expect_bad("--pcap-max-size", "--pcap=x", "--pcap-max-size=1M1", "1",
		   NULL);
	expect_bad("out of range", "--pcap=x", "--pcap-max-size=1023", "1",
		   NULL);
	expect_bad("--pcap-max-size needs --pcap", "--pcap-max-size=1M", "1",
		   NULL);
}

static void test_debugging(void)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;

	g_assert_cmpint(parse(&o, &error, "1", NULL), ==, 0);
	g_assert_cmpint(o.log_level, ==, LOG_LVL_INFO);
	g_assert_null(o.pcap);
	g_assert_cmpuint(o.pcap_max_size, ==, 0);
	helper_opts_clear(&o);

	g_assert_cmpint(parse(&o, &error, "--pcap", "/tmp/c.pcap",
			      "--pcap-max-size=10M", "--log-level=warn", "1",
			      NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(o.pcap, ==, "/tmp/c.pcap");
	g_assert_cmpuint(o.pcap_max_size, ==, 10 << 20);
	g_assert_cmpint(o.log_level, ==, LOG_LVL_WARN);
	g_assert_false(o.debug);
	helper_opts_clear(&o);

	g_assert_cmpint(parse(&o, &error, "--debug", "1", NULL), ==, 0);
	g_assert_true(o.debug);
	helper_opts_clear(&o);
	g_assert_cmpint(parse(&o, &error, "--log-level=debug", "1", NULL), ==,
			0);
	g_assert_cmpint(o.log_level, ==, LOG_LVL_DEBUG);
	g_assert_true(o.debug);
	helper_opts_clear(&o);
	g_assert_cmpint(parse(&o, &error, "--debug", "--log-level=warn", "1",
			      NULL),
			==, 0);
	g_assert_cmpint(o.log_level, ==, LOG_LVL_WARN);
	g_assert_false(o.debug);
	helper_opts_clear(&o);
	g_assert_cmpint(parse(&o, &error, "--log-level", "error", "1", NULL),
			==, 0);
	g_assert_cmpint(o.log_level, ==, LOG_LVL_ERR);
	helper_opts_clear(&o);
}

/* The parsers `usernet run` shares with attach: one bound, one message */
static void test_shared_parsers(void)
{
	struct addr_cidr4 cidr;
	enum pf_mode mode;
	uint64_t size;
	unsigned mtu;

	g_assert_cmpint(helper_opt_mtu("68", &mtu, NULL), ==, 0);
	g_assert_cmpuint(mtu, ==, SL_MTU_MIN);
	g_assert_cmpint(helper_opt_mtu("65521", &mtu, NULL), ==, 0);
	g_assert_cmpuint(mtu, ==, SL_MTU_MAX);
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(helper_opt_mtu("65522", &mtu, &error), ==,
				-EINVAL);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_cmpstr(error->message, ==,
				"--mtu must be between 68 and 65521, not '65522'");
	}
	g_assert_cmpint(helper_opt_mtu("67", &mtu, NULL), ==, -EINVAL);
	g_assert_cmpint(helper_opt_check_ipv6_mtu(1279, false, NULL), ==, 0);
	g_assert_cmpint(helper_opt_check_ipv6_mtu(1280, true, NULL), ==, 0);
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(helper_opt_check_ipv6_mtu(1279, true, &error),
				==, -EINVAL);
		g_assert_cmpstr(error->message, ==,
				"--mtu 1279 is below 1280, "
				"the minimum for IPv6 (--enable-ipv6)");
	}
	g_assert_cmpint(helper_opt_cidr("10.0.7.0/24", &cidr, NULL), ==, 0);
	g_assert_cmpuint(cidr.prefix, ==, 24);
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(helper_opt_cidr("10.0.0.0/30", &cidr, &error),
				==, -EINVAL);
		g_assert_cmpstr(error->message, ==,
				"--cidr '10.0.0.0/30': the "
				"prefix length must be between /8 and /25");
	}
	g_assert_cmpint(helper_opt_port_mode("direct", &mode, NULL), ==, 0);
	g_assert_cmpint(mode, ==, PF_MODE_DIRECT);
	g_assert_cmpint(helper_opt_port_mode("fast", &mode, NULL), ==, -EINVAL);
	g_assert_cmpint(helper_opt_pcap("", NULL), ==, -EINVAL);
	g_assert_cmpint(helper_opt_pcap_max_size("1k", &size, NULL), ==, 0);
	g_assert_cmpuint(size, ==, 1024);
	g_assert_cmpint(helper_opt_pcap_max_size("10", &size, NULL), ==,
			-EINVAL);
}

/* The parsers added for `usernet run`'s parity options (issue 17) */
static void test_shared_parsers_parity(void)
{
	g_autoptr(GError) error = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	int level;

	g_assert_cmpint(helper_opt_dns("[2001:db8::53]", 0, &ss, NULL), ==, 0);
	g_assert_cmpint(ss.ss_family, ==, AF_INET6);
	g_assert_cmpint(helper_opt_dns("192.0.2.53", DNSRELAY_SERVERS_MAX - 1,
				       &ss, NULL),
			==, 0);
	g_assert_cmpuint(ntohs(((struct sockaddr_in *)&ss)->sin_port), ==, 53);
	g_assert_cmpint(helper_opt_dns("192.0.2.53", DNSRELAY_SERVERS_MAX, &ss,
				       &error),
			==, -EINVAL);
	g_assert_cmpstr(error->message, ==, "--dns: at most 16 nameservers");
	g_assert_cmpint(helper_opt_dns("::", 0, &ss, NULL), ==, -EINVAL);
	g_assert_cmpint(helper_opt_dns("192.0.2.53\n", 0, &ss, NULL), ==,
			-EINVAL);
	g_assert_cmpint(helper_opt_log_level("warn", &level, NULL), ==, 0);
	g_assert_cmpint(level, ==, LOG_LVL_WARN);
	g_assert_cmpint(helper_opt_log_level("Debug", &level, NULL), ==,
			-EINVAL);
	g_assert_cmpint(helper_opt_outbound("--outbound-addr", "127.0.0.1",
					    AF_INET, &sin, NULL),
			==, 0);
	g_assert_cmpuint(ntohl(sin.sin_addr.s_addr), ==, INADDR_LOOPBACK);
	g_assert_cmpint(helper_opt_outbound("--outbound-addr", "::1", AF_INET,
					    &sin, NULL),
			==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/helper-options/defaults", test_defaults);
	g_test_add_func("/helper-options/everything", test_everything);
	g_test_add_func("/helper-options/path-target", test_path_target);
	g_test_add_func("/helper-options/outbound-iface", test_outbound_iface);
	g_test_add_func("/helper-options/help", test_help);
	g_test_add_func("/helper-options/bad", test_bad);
	g_test_add_func("/helper-options/publish-auto", test_publish_auto);
	g_test_add_func("/helper-options/debugging", test_debugging);
	g_test_add_func("/helper-options/dns", test_dns);
	g_test_add_func("/helper-options/shared-parsers", test_shared_parsers);
	g_test_add_func("/helper-options/shared-parsers-parity",
			test_shared_parsers_parity);
	return g_test_run();
}
