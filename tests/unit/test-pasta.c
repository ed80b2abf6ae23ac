/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-pasta.c - the drop-in pasta's command line: its -t/-u
 * spec grammar, and its options mapped onto the helper's plan
 */
#include <arpa/inet.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "common/errors.h"
#include "helper/pasta.h"
#include "portfwd/autopub.h"

/* Parse a NULL-terminated argument list; argv[0] is "pasta" */
static int parse(struct pasta_opts *o, GError **error, ...)
{
	static GPtrArray *args; /* o->cmd points into it: kept until next */
	const char *a;
	va_list ap;

	g_clear_pointer(&args, g_ptr_array_unref);
	args = g_ptr_array_new();
	g_ptr_array_add(args, (char *)"pasta");
	va_start(ap, error);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(args, (char *)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	pasta_opts_init(o);
	return pasta_opts_parse(o, (int)args->len - 1, (char **)args->pdata,
				error);
}

/* The rules of one spec, as "HOST+COUNT>GUEST" words */
static char *specs(const char *spec, struct autopub_ports **autopub,
		   GError **error)
{
	g_autoptr(GArray) out = g_array_new(FALSE, TRUE,
					    sizeof(struct pf_spec));
	GString *s = g_string_new(NULL);
	guint i;

	if (pasta_spec_parse("-t", spec, PF_PROTO_TCP, out, autopub, error)) {
		g_string_free(s, TRUE);
		return NULL;
	}
	for (i = 0; i < out->len; i++) {
		const struct pf_spec *p = &g_array_index(out, struct pf_spec,
							 i);

		g_string_append_printf(s, "%s%u+%u>%u", i ? " " : "",
				       p->host_port, p->count, p->guest_port);
	}
	return g_string_free(s, FALSE);
}

static void check_spec(const char *spec, const char *want)
{
	g_autoptr(GError) error = NULL;
	struct autopub_ports *autopub = NULL;
	g_autofree char *got = specs(spec, &autopub, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(got, ==, want);
	g_assert_null(autopub);
}

static void test_spec_forms(void)
{
	check_spec("none", "");
	check_spec("22", "22+1>22");
	check_spec("22:23", "22+1>23");
	check_spec("22,25", "22+1>22 25+1>25");
	check_spec("22-80", "22+59>22");
	check_spec("22-80:32-90", "22+59>32");
	check_spec("22-80:32", "22+59>32");
	/* Podman's form */
	check_spec("18500-18500:80-80", "18500+1>80");
	check_spec("2000-5000,~3000-3010", "2000+1000>2000 3011+1990>3011");
	check_spec("20-30,~25", "20+5>20 26+5>26");
	check_spec("~25,20-30", "20+5>20 26+5>26");
	check_spec("1-65535:1-65535", "1+65535>1");
}

static void test_spec_addr(void)
{
	g_autoptr(GArray) out = g_array_new(FALSE, TRUE,
					    sizeof(struct pf_spec));
	g_autoptr(GError) error = NULL;
	struct autopub_ports *autopub = NULL;
	const struct pf_spec *p;
	char buf[INET6_ADDRSTRLEN];

	g_assert_cmpint(pasta_spec_parse("-u", "127.0.0.1/53", PF_PROTO_UDP,
					 out, &autopub, &error),
			==, 0);
	g_assert_cmpint(pasta_spec_parse("-t", "::1/8080-8081:80-81",
					 PF_PROTO_TCP, out, &autopub, &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(out->len, ==, 2);
	p = &g_array_index(out, struct pf_spec, 0);
	g_assert_true(p->host_addr_set);
	g_assert_cmpint(p->proto, ==, PF_PROTO_UDP);
	g_assert_cmpstr(inet_ntop(AF_INET, &p->host_addr.v4, buf, sizeof(buf)),
			==, "127.0.0.1");
	p = &g_array_index(out, struct pf_spec, 1);
	g_assert_cmpint(p->host_addr.family, ==, AF_INET6);
	g_assert_cmpuint(p->host_port, ==, 8080);
	g_assert_cmpuint(p->guest_port, ==, 80);
	g_assert_cmpuint(p->count, ==, 2);
	/* "%IF" empty: no interface, no address */
	g_assert_cmpint(pasta_spec_parse("-t", "%/90", PF_PROTO_TCP, out,
					 &autopub, &error),
			==, 0);
	g_assert_false(g_array_index(out, struct pf_spec, 2).host_addr_set);
}

static void test_spec_auto(void)
{
	const char *const forms[] = { "auto", "all", "~22",
				      "~20000-20010,~5353" };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree struct autopub_ports *autopub = NULL;
		g_autofree char *got = specs(forms[i], &autopub, &error);

		g_assert_no_error(error);
		g_assert_cmpstr(got, ==, "");
		g_assert_nonnull(autopub);
		g_assert_true(autopub_ports_has(autopub, 8080));
		g_assert_false(autopub_ports_has(autopub, 22));
		if (i == 3) {
			g_assert_false(autopub_ports_has(autopub, 20005));
			g_assert_false(autopub_ports_has(autopub, 5353));
		}
	}
}

static void test_spec_bad(void)
{
	const char *const bad[] = {
		"",
		"0",
		"65536",
		"80x",
		"x",
		"80-70",
		"22-80:32-33",
		"65535:2-3",
		"1-2:65535",
		"~",
		"~0",
		"22,",
		"/",
		"bogus/80",
		"1.2.3.4%eth0/80",
		"1.2.3.4/~80",
		"-5",
		"5-",
		"5:",
		":5",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree struct autopub_ports *autopub = NULL;
		g_autofree char *got = specs(bad[i], &autopub, &error);

		if (got)
			g_error("'%s' was accepted: %s", bad[i], got);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_nonnull(strstr(error->message, "-t"));
	}
}

/* Podman 5.4.2's command line (tests/fixtures/pasta-argv/) */
static void test_podman(void)
{
	g_autoptr(GError) error = NULL;
	struct pasta_opts o;

	g_assert_cmpint(parse(&o, &error, "--config-net", "-t",
			      "18500-18500:80-80", "--dns-forward",
			      "169.254.1.1", "-u", "none", "-T", "none", "-U",
			      "none", "--no-map-gw", "--quiet", "--netns",
			      "/run/user/1000/netns/netns-x",
			      "--map-guest-addr", "169.254.1.2", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_true(o.has_target);
	g_assert_cmpint(o.h.target.type, ==, NS_TARGET_PATH);
	g_assert_cmpstr(o.h.target.netns_path, ==,
			"/run/user/1000/netns/netns-x");
	g_assert_true(o.h.configure);
	g_assert_true(o.h.net.disable_host_loopback);
	g_assert_true(o.h.net.ipv6);
	g_assert_cmpuint(o.h.net.mtu, ==, PASTA_MTU_DEFAULT);
	g_assert_cmpuint(o.h.publish->len, ==, 1);
	g_assert_true(o.h.dns_alias4_on);
	g_assert_cmpuint(o.h.dns_alias4.s_addr, ==, htonl(0xa9fe0101));
	g_assert_false(o.foreground);
	g_assert_null(o.cmd);
	pasta_opts_clear(&o);
}

/* RootlessKit 2's: our plan's own addresses, by PID */
static void test_rootlesskit(void)
{
	g_autoptr(GError) error = NULL;
	struct pasta_opts o;

	g_assert_cmpint(parse(&o, &error, "--stderr", "--ns-ifname=tap0",
			      "--mtu=65520", "--config-net",
			      "--address=10.0.2.100", "--netmask=24",
			      "--gateway=10.0.2.2", "--dns-forward=10.0.2.3",
			      "--no-map-gw", "--ipv4-only", "--tcp-ports=auto",
			      "--udp-ports=auto", "4242", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(o.h.target.type, ==, NS_TARGET_PID);
	g_assert_cmpint(o.h.target.pid, ==, 4242);
	g_assert_false(o.h.net.ipv6);
	g_assert_false(o.h.dns_alias4_on);
	g_assert_nonnull(o.h.autopub);
	g_assert_cmpuint(o.h.publish->len, ==, 0);
	pasta_opts_clear(&o);
	/* another network, the guest at its host 100 */
	g_assert_cmpint(parse(&o, &error, "-a", "10.0.7.100", "-n",
			      "255.255.255.0", "-g", "10.0.7.2", "7", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(o.h.net.cidr.net.s_addr, ==, htonl(0x0a000700));
	pasta_opts_clear(&o);
}

static void check_refused(const char *word, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	struct pasta_opts o;
	const char *a;
	va_list ap;

	g_ptr_array_add(args, (char *)"pasta");
	va_start(ap, word);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(args, (char *)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	pasta_opts_init(&o);
	g_assert_cmpint(pasta_opts_parse(&o, (int)args->len - 1,
					 (char **)args->pdata, &error),
			==, -EINVAL);
	g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	if (!strstr(error->message, word))
		g_error("'%s' not in: %s", word, error->message);
	pasta_opts_clear(&o);
}

static void test_refused(void)
{
	check_refused("--bogus", "--bogus", "1", NULL);
	check_refused("-x", "-x", "1", NULL);
	check_refused("-T auto", "-T", "auto", "1", NULL);
	check_refused("-U", "-U", "53", "1", NULL);
	check_refused("-6", "-6", "1", NULL);
	check_refused("-a 10.0.2.5", "-a", "10.0.2.5", "1", NULL);
	check_refused("-a fd00::5", "-a", "fd00::5", "1", NULL);
	check_refused("-g", "-g", "10.0.2.1", "1", NULL);
	check_refused("-n", "-n", "255.0.255.0", "1", NULL);
	check_refused("--cidr", "-n", "30", "1", NULL);
	check_refused("--mtu", "-m", "20", "1", NULL);
	check_refused("--dns-forward", "--dns-forward", "fd00::9", "1", NULL);
	check_refused("--dns-forward", "--dns-forward", "x", "1", NULL);
	check_refused("--map-guest-addr", "--map-guest-addr", "x", "1", NULL);
	check_refused("--netns", "--netns", "", NULL);
	check_refused("needs a value", "--netns", NULL);
	check_refused("interface", "-I", "a/b", "1", NULL);
	check_refused("'x'", "--netns", "/a", "x", NULL);
	check_refused("-t", "-t", "99999", "1", NULL);
}

static void test_names_and_cmd(void)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) run = NULL;
	g_autofree char *joined = NULL;
	struct pasta_opts o;

	g_assert_cmpint(parse(&o, &error, "--netns", "ctr1", "-f", "-P", "p",
			      "-l", "l", "--netns-only", "--no-dhcp", "-S",
			      "x.test", NULL),
			==, 0);
	g_assert_cmpstr(o.h.target.netns_path, ==, "/run/netns/ctr1");
	g_assert_true(o.foreground);
	g_assert_cmpstr(o.pid_file, ==, "p");
	pasta_opts_clear(&o);
	/* /proc/PID/ns/net: the process, followed by its pidfd */
	g_assert_cmpint(parse(&o, &error, "--netns", "/proc/77/ns/net", NULL),
			==, 0);
	g_assert_cmpint(o.h.target.type, ==, NS_TARGET_PID);
	g_assert_cmpint(o.h.target.pid, ==, 77);
	g_assert_null(o.h.target.netns_path);
	pasta_opts_clear(&o);
	g_assert_cmpint(parse(&o, &error, "--netns", "/proc/77/ns/net2", NULL),
			==, 0);
	g_assert_cmpint(o.h.target.type, ==, NS_TARGET_PATH);
	pasta_opts_clear(&o);
	g_assert_cmpint(parse(&o, &error, "-t", "8080:80", "-4", "--map-gw",
			      "sh", "-c", "exit 3", NULL),
			==, 0);
	g_assert_no_error(error);
	g_assert_false(o.has_target);
	run = pasta_run_argv(&o);
	joined = g_strjoinv(" ", run);
	g_assert_cmpstr(joined, ==,
			"run --mtu=65520 --allow-host-loopback "
			"--publish=8080:80/tcp -- sh -c exit 3");
	pasta_opts_clear(&o);
	g_assert_true(pasta_is_argv0("/usr/libexec/usernet/pasta"));
	g_assert_true(pasta_is_argv0("pasta"));
	g_assert_false(pasta_is_argv0("pasta.avx2"));
	g_assert_false(pasta_is_argv0(NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pasta/spec/forms", test_spec_forms);
	g_test_add_func("/pasta/spec/addr", test_spec_addr);
	g_test_add_func("/pasta/spec/auto", test_spec_auto);
	g_test_add_func("/pasta/spec/bad", test_spec_bad);
	g_test_add_func("/pasta/opts/podman", test_podman);
	g_test_add_func("/pasta/opts/rootlesskit", test_rootlesskit);
	g_test_add_func("/pasta/opts/refused", test_refused);
	g_test_add_func("/pasta/opts/names-and-cmd", test_names_and_cmd);
	return g_test_run();
}
