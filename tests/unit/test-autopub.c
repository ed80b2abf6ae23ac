/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-autopub.c - the RANGE grammar of --publish-auto, and the
 * frame counters and socket listing parser of `stats` (slirp/counters.c)
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "common/errors.h"
#include "portfwd/autopub.h"
#include "slirp/counters.h"

static unsigned count(const struct autopub_ports *p)
{
	unsigned n = 0, i;

	for (i = 0; i < 65536; i++)
		n += autopub_ports_has(p, (uint16_t)i);
	return n;
}

static void test_all(void)
{
	struct autopub_ports p;

	/* No RANGE: the unprivileged ports only */
	g_assert_cmpint(autopub_range_parse(NULL, &p, NULL), ==, 0);
	g_assert_cmpuint(count(&p), ==, 65535 - 1023);
	g_assert_false(autopub_ports_has(&p, 0));
	g_assert_false(autopub_ports_has(&p, 1));
	g_assert_false(autopub_ports_has(&p, 80));
	g_assert_false(autopub_ports_has(&p, 1023));
	g_assert_true(autopub_ports_has(&p, 1024));
	g_assert_true(autopub_ports_has(&p, 65535));

	/* Privileged ports when RANGE asks for them */
	g_assert_cmpint(autopub_range_parse("1-65535", &p, NULL), ==, 0);
	g_assert_cmpuint(count(&p), ==, 65535);
	g_assert_true(autopub_ports_has(&p, 1));
}

static void test_ranges(void)
{
	struct autopub_ports p;

	g_assert_cmpint(autopub_range_parse("1024-65535", &p, NULL), ==, 0);
	g_assert_cmpuint(count(&p), ==, 65535 - 1023);
	g_assert_false(autopub_ports_has(&p, 1023));
	g_assert_true(autopub_ports_has(&p, 1024));

	g_assert_cmpint(autopub_range_parse("80", &p, NULL), ==, 0);
	g_assert_cmpuint(count(&p), ==, 1);
	g_assert_true(autopub_ports_has(&p, 80));

	g_assert_cmpint(autopub_range_parse("80,443,8000-8002", &p, NULL), ==,
			0);
	g_assert_cmpuint(count(&p), ==, 5);
	g_assert_true(autopub_ports_has(&p, 8001));
}

static void test_exclusions(void)
{
	struct autopub_ports p;

	/* Only exclusions: the rest of the default range */
	g_assert_cmpint(autopub_range_parse("~22,~5353", &p, NULL), ==, 0);
	g_assert_cmpuint(count(&p), ==, 65535 - 1023 - 1);
	g_assert_false(autopub_ports_has(&p, 22));
	g_assert_false(autopub_ports_has(&p, 23));
	g_assert_false(autopub_ports_has(&p, 5353));
	g_assert_true(autopub_ports_has(&p, 5354));

	/* Exclusions win whatever the order */
	g_assert_cmpint(autopub_range_parse("~8080,8000-9000", &p, NULL), ==,
			0);
	g_assert_cmpuint(count(&p), ==, 1000);
	g_assert_false(autopub_ports_has(&p, 8080));
	g_assert_true(autopub_ports_has(&p, 9000));
	g_assert_false(autopub_ports_has(&p, 9001));

	g_assert_cmpint(autopub_range_parse("8000-9000,~8080-8089", &p, NULL),
			==, 0);
	g_assert_cmpuint(count(&p), ==, 991);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",	  ",",
		"80,",	  ",80",
		"0",	  "65536",
		"1-0",	  "9-8",
		"~",	  "~0",
		"a",	  "80-",
		"-80",	  "80--90",
		"1-2-3",  "~~80",
		" 80",	  "80 ",
		"+80",	  "0x50",
		"80/tcp", "99999999999999999999",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		struct autopub_ports p;

		g_assert_cmpint(autopub_range_parse(bad[i], &p, &error), ==,
				-EINVAL);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_nonnull(strstr(error->message, "--publish-auto"));
	}
}

static void test_sockets(void)
{
	const char *info =
		"  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\n"
		"  TCP[HOST_FORWARD]  12               *  8080       10.0.2.100    80     0     0\n"
		"  TCP[ESTABLISHED]   13      10.0.2.100 41234         1.2.3.4    80     0     0\n"
		"  TCP[SYN_SENT]      14      10.0.2.100 41236         1.2.3.4    80     0     0\n"
		"  UDP[236 sec]       15      10.0.2.100 5353          1.2.3.4    53     0     0\n"
		"  UDP[HOST_FORWARD]  16               *  5353       10.0.2.100    53     0     0\n"
		"  ICMP[20 sec]       17      10.0.2.100    0         1.2.3.4     0     0     0\n";
	int64_t tcp, udp;

	g_assert_cmpint(sl_counters_sockets(info, &tcp, &udp), ==, 0);
	g_assert_cmpint(tcp, ==, 2);
	g_assert_cmpint(udp, ==, 1);
	g_assert_cmpint(sl_counters_sockets("junk", &tcp, &udp), <, 0);
	g_assert_cmpint(sl_counters_sockets(NULL, &tcp, &udp), <, 0);
}

/* An Ethernet + IPv4 + TCP/UDP frame */
static size_t frame4(uint8_t *f, uint8_t proto, const char *src,
		     const char *dst, uint16_t sport, uint16_t dport,
		     uint8_t tcpflags)
{
	size_t len = 14 + 20 + (proto == 6 ? 20 : 8);

	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = proto;
	inet_pton(AF_INET, src, f + 14 + 12);
	inet_pton(AF_INET, dst, f + 14 + 16);
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	if (proto == 6)
		f[34 + 13] = tcpflags;
	return len;
}

static void test_frames(void)
{
	struct in_addr dns;
	struct sl_flowtab *ft;
	const struct sl_flow_stats *st;
	uint8_t f[128];
	size_t n;

	inet_pton(AF_INET, "10.0.2.3", &dns);
	ft = sl_flowtab_new(dns, false, NULL);
	st = sl_flowtab_stats(ft);

	/* SYN, its retransmission, SYN-ACK from outside, a second SYN */
	n = frame4(f, 6, "10.0.2.100", "10.0.2.2", 40000, 80, 0x02);
	sl_flowtab_frame(ft, f, n, false);
	sl_flowtab_frame(ft, f, n, false);
	n = frame4(f, 6, "10.0.2.2", "10.0.2.100", 80, 40000, 0x12);
	sl_flowtab_frame(ft, f, n, true);
	n = frame4(f, 6, "10.0.2.100", "10.0.2.2", 40001, 80, 0x02);
	sl_flowtab_frame(ft, f, n, false);
	/* ACK only: not a connection */
	n = frame4(f, 6, "10.0.2.100", "10.0.2.2", 40002, 80, 0x10);
	sl_flowtab_frame(ft, f, n, false);
	g_assert_cmpuint(st->tcp_total, ==, 2);

	/* DNS: two queries from one source port (one flow), one answer */
	n = frame4(f, 17, "10.0.2.100", "10.0.2.3", 5000, 53, 0);
	sl_flowtab_frame(ft, f, n, false);
	sl_flowtab_frame(ft, f, n, false);
	n = frame4(f, 17, "10.0.2.3", "10.0.2.100", 53, 5000, 0);
	sl_flowtab_frame(ft, f, n, true);
	/* DHCP is not a flow */
	n = frame4(f, 17, "0.0.0.0", "255.255.255.255", 68, 67, 0);
	sl_flowtab_frame(ft, f, n, false);
	/* UDP elsewhere, from another port */
	n = frame4(f, 17, "10.0.2.100", "192.0.2.1", 5001, 53, 0);
	sl_flowtab_frame(ft, f, n, false);
	g_assert_cmpuint(st->dns_queries, ==, 2);
	g_assert_cmpuint(st->dns_answers, ==, 1);
	g_assert_cmpuint(st->udp_total, ==, 2);

	/* Truncated frames are ignored */
	sl_flowtab_frame(ft, f, 20, false);
	sl_flowtab_frame(ft, f, 0, false);
	sl_flowtab_free(ft);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/autopub/all", test_all);
	g_test_add_func("/autopub/ranges", test_ranges);
	g_test_add_func("/autopub/exclusions", test_exclusions);
	g_test_add_func("/autopub/malformed", test_malformed);
	g_test_add_func("/stats/sockets", test_sockets);
	g_test_add_func("/stats/frames", test_frames);
	return g_test_run();
}
