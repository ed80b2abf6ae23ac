/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/pasta.c - usernet as a drop-in pasta: pasta's command line (the
 * options the engines pass, its port spec grammar) mapped onto the helper's
 * plan (struct helper_opts), with attach's own option parsers and bounds
 *
 * DOC: Theory of operation
 *
 * Podman 4.4 and later (pasta is its default rootless network from 5.0)
 * and RootlessKit 2 (--net=pasta) run a binary named pasta, wait for it to
 * exit 0 once the namespace is configured, and leave it running until the
 * namespace goes. Run under that name (a symlink, installed as
 * <libexecdir>/usernet/pasta), usernet reads pasta's options here, into the
 * same plan `usernet attach` builds, and helper/pasta_main.c runs it as a
 * daemon. The guest keeps usernet's address plan unless the engine names
 * the same addresses (docs/COMPAT.md, section "pasta"); pasta's -t/-u specs
 * become our published ports, "auto" and exclusion-only specs our
 * auto-publishing. What we cannot do gets an error naming the option.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "helper/pasta.h"
#include "portfwd/autopub.h"

enum {
	PASTA_OPT_CONFIG_NET = 0x100,
	PASTA_OPT_NETNS,
	PASTA_OPT_NETNS_ONLY,
	PASTA_OPT_USERNS,
	PASTA_OPT_DNS_FORWARD,
	PASTA_OPT_MAP_GUEST_ADDR,
	PASTA_OPT_MAP_GW,
	PASTA_OPT_NO_MAP_GW,
	PASTA_OPT_OUTBOUND_IF4,
	PASTA_OPT_OUTBOUND_IF6,
	PASTA_OPT_IGNORED,
	PASTA_OPT_VERSION,
};

static const struct option pasta_longopts[] = {
	{ "config-net", no_argument, NULL, PASTA_OPT_CONFIG_NET },
	{ "netns", required_argument, NULL, PASTA_OPT_NETNS },
	{ "netns-only", no_argument, NULL, PASTA_OPT_NETNS_ONLY },
	{ "userns", required_argument, NULL, PASTA_OPT_USERNS },
	{ "tcp-ports", required_argument, NULL, 't' },
	{ "udp-ports", required_argument, NULL, 'u' },
	{ "tcp-ns", required_argument, NULL, 'T' },
	{ "udp-ns", required_argument, NULL, 'U' },
	{ "dns-forward", required_argument, NULL, PASTA_OPT_DNS_FORWARD },
	{ "map-guest-addr", required_argument, NULL, PASTA_OPT_MAP_GUEST_ADDR },
	{ "map-gw", no_argument, NULL, PASTA_OPT_MAP_GW },
	{ "no-map-gw", no_argument, NULL, PASTA_OPT_NO_MAP_GW },
	{ "address", required_argument, NULL, 'a' },
	{ "netmask", required_argument, NULL, 'n' },
	{ "gateway", required_argument, NULL, 'g' },
	{ "mtu", required_argument, NULL, 'm' },
	{ "ns-ifname", required_argument, NULL, 'I' },
	{ "ipv4-only", no_argument, NULL, '4' },
	{ "ipv6-only", no_argument, NULL, '6' },
	{ "outbound", required_argument, NULL, 'o' },
	{ "outbound-if4", required_argument, NULL, PASTA_OPT_OUTBOUND_IF4 },
	{ "outbound-if6", required_argument, NULL, PASTA_OPT_OUTBOUND_IF6 },
	{ "dns", required_argument, NULL, 'D' },
	{ "search", required_argument, NULL, 'S' },
	{ "no-dhcp", no_argument, NULL, PASTA_OPT_IGNORED },
	{ "no-dhcpv6", no_argument, NULL, PASTA_OPT_IGNORED },
	{ "no-ndp", no_argument, NULL, PASTA_OPT_IGNORED },
	{ "no-ra", no_argument, NULL, PASTA_OPT_IGNORED },
	{ "quiet", no_argument, NULL, 'q' },
	{ "debug", no_argument, NULL, 'd' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "pid", required_argument, NULL, 'P' },
	{ "stderr", no_argument, NULL, 'e' },
	{ "log-file", required_argument, NULL, 'l' },
	{ "version", no_argument, NULL, PASTA_OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* '+': the first non-option ends the options (pasta [OPTION]... CMD) */
#define PASTA_SHORTOPTS "+:t:u:T:U:a:n:g:m:I:46o:D:S:qdfP:el:h"

/**
 * pasta_is_argv0() - whether the program was run as pasta
 * @argv0:	argv[0]
 *
 * Return: true when the last path component of @argv0 is "pasta"
 */
bool pasta_is_argv0(const char *argv0)
{
	return util_basename_is(argv0, "pasta");
}

/**
 * pasta_usage() - pasta's help, as usernet implements it
 * @out:	stream
 */
void pasta_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: pasta [OPTION]... [COMMAND [ARG]...]\n"
		"       pasta [OPTION]... PID\n"
		"       pasta [OPTION]... --netns PATH\n"
		"usernet running as a drop-in pasta: gives the network namespace a network\n"
		"served by libslirp, detaches once it is configured, exits when it goes.\n"
		"\n"
		"  -t, --tcp-ports SPEC     TCP ports to forward to the namespace\n"
		"  -u, --udp-ports SPEC     UDP ports to forward to the namespace\n"
		"        SPEC: none, auto, all, or [ADDR/]PORT[-PORT][:PORT[-PORT]] items,\n"
		"        comma-separated, '~PORT[-PORT]' excluding ports; auto, all and\n"
		"        exclusions alone publish the ports the namespace listens on\n"
		"  -T, --tcp-ns none        -U, --udp-ns none   (namespace to host: none only)\n"
		"      --config-net         configure the interface, addresses and routes\n"
		"      --netns PATH|NAME    target network namespace; or give a PID\n"
		"      --userns PATH        user namespace to join first\n"
		"      --netns-only         accepted (a user namespace is joined only if needed)\n"
		"      --dns-forward ADDR   the guest's DNS queries to ADDR are answered\n"
		"      --map-guest-addr ADDR  ADDR (IPv4) reaches the host's first address\n"
		"      --map-gw, --no-map-gw  the gateway reaches the host's loopback (or not)\n"
		"  -a, --address ADDR  -n, --netmask MASK  -g, --gateway ADDR\n"
		"                           only usernet's plan: host 100, gateway host 2\n"
		"  -m, --mtu MTU            (default %u)\n"
		"  -I, --ns-ifname NAME     interface in the namespace (default tap0)\n"
		"  -4, --ipv4-only          no IPv6 (-6, IPv6 only, is not supported)\n"
		"  -o, --outbound ADDR      --outbound-if4 IF  --outbound-if6 IF\n"
		"  -D, --dns ADDR           nameserver the DNS relay asks (none: resolv.conf)\n"
		"  -S, --search, --no-dhcp, --no-dhcpv6, --no-ndp, --no-ra: accepted, ignored\n"
		"  -q, --quiet  -d, --debug  -f, --foreground  -P, --pid FILE\n"
		"  -e, --stderr  -l, --log-file FILE  --version  -h, --help\n",
		PASTA_MTU_DEFAULT);
	/* clang-format on */
}

/**
 * pasta_opts_init() - pasta's defaults on the helper's plan, the helper
 * confined as attach --sandbox confines it
 * @o:		options
 */
void pasta_opts_init(struct pasta_opts *o)
{
	memset(o, 0, sizeof(*o));
	helper_opts_init(&o->h);
	o->h.net.mtu = PASTA_MTU_DEFAULT;
	o->h.net.ipv6 = true;
	o->h.target.type = NS_TARGET_PATH;
	/* pasta always isolates itself, and engines pass nothing for it:
	 * attach's --sandbox (empty root, no capability, seccomp allowlist) */
	o->h.sandbox = true;
	o->h.seccomp = true;
}

/**
 * pasta_opts_clear() - free what pasta_opts_parse() allocated
 * @o:		options
 */
void pasta_opts_clear(struct pasta_opts *o)
{
	helper_opts_clear(&o->h);
	g_clear_pointer(&o->pid_file, g_free);
	g_clear_pointer(&o->log_file, g_free);
	g_clear_pointer(&o->address, g_free);
	g_clear_pointer(&o->netmask, g_free);
	g_clear_pointer(&o->gateway, g_free);
	g_clear_pointer(&o->dns_forward, g_free);
	g_clear_pointer(&o->map_guest_addr, g_free);
}

static int pasta_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int pasta_fail(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(UN_ERROR, UN_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/**
 * struct pasta_fwd - one forwarding item of a spec: ports @lo to @hi to
 * @to onwards
 * @lo:		first host port
 * @hi:		last host port
 * @to:		first namespace port
 */
struct pasta_fwd {
	unsigned lo;
	unsigned hi;
	unsigned to;
};

/* "PORT[-PORT]", ports 1 to 65535, in order */
static int pasta_range_parse(const char *s, unsigned *lo, unsigned *hi)
{
	g_auto(GStrv) p = s && *s ? g_strsplit(s, "-", 2) : NULL;
	unsigned long a, b;

	if (!p || util_parse_uint(p[0], 65535, &a) || a == 0)
		return -EINVAL;
	b = a;
	if (p[1] && (util_parse_uint(p[1], 65535, &b) || b < a))
		return -EINVAL;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

/* "PORT[-PORT][:PORT[-PORT]]": the target range as long as the source */
static int pasta_fwd_parse(const char *s, struct pasta_fwd *f)
{
	g_auto(GStrv) p = g_strsplit(s, ":", 2);
	unsigned tlo, thi;

	if (!p[0] || pasta_range_parse(p[0], &f->lo, &f->hi))
		return -EINVAL;
	f->to = f->lo;
	if (!p[1])
		return 0;
	if (pasta_range_parse(p[1], &tlo, &thi))
		return -EINVAL;
	if (thi != tlo && thi - tlo != f->hi - f->lo)
		return -EINVAL;
	if (tlo + (f->hi - f->lo) > 65535)
		return -EINVAL;
	f->to = tlo;
	return 0;
}

/* Maximal runs of @f's ports not in @excl, one rule each */
static void pasta_fwd_emit(const struct pasta_fwd *f, const uint8_t *excl,
			   const struct pf_spec *tmpl, GArray *out)
{
	unsigned p = f->lo, start;
	struct pf_spec spec;

	while (p <= f->hi) {
		if (excl[p / 8] & (1U << (p % 8))) {
			p++;
			continue;
		}
		start = p;
		while (p <= f->hi && !(excl[p / 8] & (1U << (p % 8))))
			p++;
		spec = *tmpl;
		spec.host_port = (uint16_t)start;
		spec.guest_port = (uint16_t)(f->to + (start - f->lo));
		spec.count = (uint16_t)(p - start);
		g_array_append_val(out, spec);
	}
}

/* "auto", "all", or exclusions only: the ports the guest listens on */
static int pasta_spec_auto(const char *range, struct autopub_ports **autopub,
			   GError **error)
{
	if (!*autopub)
		*autopub = g_new0(struct autopub_ports, 1);
	return autopub_range_parse(range, *autopub, error);
}

/* The "ADDR[%IF]" before '/' into @tmpl */
static int pasta_spec_addr(const char *opt, const char *spec, const char *s,
			   struct pf_spec *tmpl, GError **error)
{
	g_auto(GStrv) p = g_strsplit(s, "%", 2);

	if (!p[0])
		return 0; /* "/PORT": no address */
	if (p[1] && *p[1])
		return pasta_fail(error,
				  "%s %s: binding to an interface (%%%s) is "
				  "not supported by usernet",
				  opt, spec, p[1]);
	if (!*p[0])
		return 0;
	if (addr_ip_parse(p[0], &tmpl->host_addr))
		return pasta_fail(error, "%s %s: '%s' is not an address", opt,
				  spec, p[0]);
	tmpl->host_addr_set = true;
	return 0;
}

/* The comma-separated items after the address */
static int pasta_spec_items(const char *opt, const char *spec,
			    const char *items_s, const struct pf_spec *tmpl,
			    GArray *out, struct autopub_ports **autopub,
			    GError **error)
{
	g_auto(GStrv) items = g_strsplit(items_s, ",", -1);
	g_autoptr(GArray) fwds = g_array_new(FALSE, FALSE,
					     sizeof(struct pasta_fwd));
	uint8_t excl[65536 / 8] = { 0 }; /* bit N: port N excluded */
	struct pasta_fwd f;
	unsigned lo, hi, p;
	guint i;

	for (i = 0; items[i]; i++) {
		if (items[i][0] == '~') {
			if (pasta_range_parse(items[i] + 1, &lo, &hi))
				return pasta_fail(error,
						  "%s %s: bad exclusion '%s'",
						  opt, spec, items[i]);
			for (p = lo; p <= hi; p++)
				excl[p / 8] |= (uint8_t)(1U << (p % 8));
			continue;
		}
		if (pasta_fwd_parse(items[i], &f))
			return pasta_fail(error,
					  "%s %s: '%s' is not "
					  "PORT[-PORT][:PORT[-PORT]] (ports 1 "
					  "to 65535, ranges of one length)",
					  opt, spec, items[i]);
		g_array_append_val(fwds, f);
	}
	if (!fwds->len && tmpl->host_addr_set)
		return pasta_fail(error,
				  "%s %s: an address with exclusions only is "
				  "not supported",
				  opt, spec);
	if (!fwds->len)
		return pasta_spec_auto(items_s, autopub, error);
	for (i = 0; i < fwds->len; i++)
		pasta_fwd_emit(&g_array_index(fwds, struct pasta_fwd, i), excl,
			       tmpl, out);
	return 0;
}

/**
 * pasta_spec_parse() - one -t/-u SPEC of pasta into published rules
 * @opt:	the option, for messages ("-t")
 * @spec:	none, auto, all, or [ADDR[%IF]/]ITEM[,ITEM]... where ITEM is
 *		PORT[-PORT][:PORT[-PORT]] or ~PORT[-PORT] (excluded)
 * @proto:	TCP for -t, UDP for -u
 * @out:	GArray of struct pf_spec, appended to: each run of forwarded
 *		ports not excluded, host port to namespace port
 * @autopub:	auto, all, and exclusions alone: allocated if NULL, set to
 *		the ports the namespace's listening sockets may publish
 * @error:	UN_EXIT_USAGE with the reason
 *
 * An interface (%IF) is refused: our listeners bind addresses only.
 *
 * Return: 0 or -EINVAL
 */
int pasta_spec_parse(const char *opt, const char *spec, enum pf_proto proto,
		     GArray *out, struct autopub_ports **autopub,
		     GError **error)
{
	struct pf_spec tmpl = { .proto = proto };
	g_autofree char *addr = NULL;
	const char *slash;

	if (!strcmp(spec, "none"))
		return 0;
	if (!strcmp(spec, "auto") || !strcmp(spec, "all"))
		return pasta_spec_auto(NULL, autopub, error);
	slash = strchr(spec, '/');
	if (slash) {
		addr = g_strndup(spec, (gsize)(slash - spec));
		if (pasta_spec_addr(opt, spec, addr, &tmpl, error))
			return -EINVAL;
	}
	if (!*(slash ? slash + 1 : spec))
		return pasta_fail(error, "%s %s: no port", opt, spec);
	return pasta_spec_items(opt, spec, slash ? slash + 1 : spec, &tmpl, out,
				autopub, error);
}

/* Keep the last value of a repeated option */
static void pasta_set(char **dst, const char *v)
{
	g_free(*dst);
	*dst = g_strdup(v);
}

/* -t, -u, -T, -U: host to namespace ports; namespace to host, none only */
static int pasta_opt_ports(struct pasta_opts *o, int c, const char *arg,
			   GError **error)
{
	switch (c) {
	case 't':
		return pasta_spec_parse("-t", arg, PF_PROTO_TCP, o->h.publish,
					&o->h.autopub, error);
	case 'u':
		return pasta_spec_parse("-u", arg, PF_PROTO_UDP, o->h.publish,
					&o->h.autopub, error);
	}
	if (strcmp(arg, "none"))
		return pasta_fail(error,
				  "-%c %s: forwarding from the namespace to "
				  "the host is not supported by usernet (only "
				  "-%c none); with --map-gw the gateway "
				  "reaches the host's loopback",
				  c, arg, c);
	return 0;
}

/* -o ADDR: the outbound source of the address's family */
static int pasta_opt_outbound(struct pasta_opts *o, const char *arg,
			      GError **error)
{
	struct addr_ip ip;

	if (addr_ip_parse(arg, &ip))
		return pasta_fail(error, "-o %s: not an address", arg);
	if (ip.family == AF_INET) {
		o->h.net.has_outbound4 = true;
		return helper_opt_outbound("-o", arg, AF_INET,
					   &o->h.net.outbound4, error);
	}
	o->h.net.has_outbound6 = true;
	return helper_opt_outbound("-o", arg, AF_INET6, &o->h.net.outbound6,
				   error);
}

/* -D ADDR: a nameserver the DNS relay asks (none: resolv.conf's) */
static int pasta_opt_dns(struct pasta_opts *o, const char *arg, GError **error)
{
	struct sockaddr_storage ss;

	if (!strcmp(arg, "none"))
		return 0;
	if (helper_opt_dns(arg, o->h.dns->len, &ss, error))
		return -EINVAL;
	g_array_append_val(o->h.dns, ss);
	return 0;
}

/* The guest's addresses, kept as given until all options are read */
static int pasta_opt_addrs(struct pasta_opts *o, int c, const char *arg,
			   GError **error)
{
	switch (c) {
	case 'a':
		pasta_set(&o->address, arg);
		return 0;
	case 'n':
		pasta_set(&o->netmask, arg);
		return 0;
	case 'g':
		pasta_set(&o->gateway, arg);
		return 0;
	case PASTA_OPT_DNS_FORWARD:
		pasta_set(&o->dns_forward, arg);
		return 0;
	case PASTA_OPT_MAP_GUEST_ADDR:
		pasta_set(&o->map_guest_addr, arg);
		return 0;
	case 'D':
		return pasta_opt_dns(o, arg, error);
	}
	return pasta_fail(error, "unexpected option");
}

/* The guest's network: MTU, interface, families, outbound, gateway */
static int pasta_opt_net(struct pasta_opts *o, int c, const char *arg,
			 GError **error)
{
	switch (c) {
	case 'm':
		return helper_opt_mtu(arg, &o->h.net.mtu, error);
	case 'I':
		return helper_opt_ifname(arg, o->h.tapname, error);
	case '4':
		o->h.net.ipv6 = false;
		return 0;
	case '6':
		return pasta_fail(error, "-6 (--ipv6-only) is not supported: "
					 "usernet's guest always has IPv4");
	case 'o':
		return pasta_opt_outbound(o, arg, error);
	case PASTA_OPT_OUTBOUND_IF4:
		o->h.net.has_outbound4 = true;
		return helper_opt_outbound("--outbound-if4", arg, AF_INET,
					   &o->h.net.outbound4, error);
	case PASTA_OPT_OUTBOUND_IF6:
		o->h.net.has_outbound6 = true;
		return helper_opt_outbound("--outbound-if6", arg, AF_INET6,
					   &o->h.net.outbound6, error);
	case PASTA_OPT_MAP_GW:
		o->h.net.disable_host_loopback = false;
		return 0;
	case PASTA_OPT_NO_MAP_GW:
		o->h.net.disable_host_loopback = true;
		return 0;
	}
	return pasta_opt_addrs(o, c, arg, error);
}

/*
 * --netns PATH|NAME: a NAME is one of ip-netns(8)'s, under /run/netns. A
 * /proc/PID/ns/net path is the process PID: followed by its pidfd, as a PID
 * given alone, since the path itself may not be looked at once we dropped
 * our capabilities (PID, root in its user namespace, holds more), nor tells
 * a zombie from a live process
 */
static int pasta_opt_netns(struct pasta_opts *o, const char *arg,
			   GError **error)
{
	unsigned long pid;
	char *end;

	if (!*arg)
		return pasta_fail(error, "--netns needs a path or a name");
	o->has_target = true;
	g_clear_pointer(&o->h.target.netns_path, g_free);
	if (g_str_has_prefix(arg, "/proc/") &&
	    g_ascii_isdigit(arg[strlen("/proc/")])) {
		pid = strtoul(arg + strlen("/proc/"), &end, 10);
		if (!strcmp(end, "/ns/net") && pid && pid <= INT32_MAX) {
			o->h.target.type = NS_TARGET_PID;
			o->h.target.pid = (pid_t)pid;
			return 0;
		}
	}
	o->h.target.netns_path = strchr(arg, '/') ?
					 g_strdup(arg) :
					 g_build_filename("/run/netns", arg,
							  NULL);
	o->h.target.type = NS_TARGET_PATH;
	return 0;
}

/* The target, the process: daemon, logs, pid file, help */
static int pasta_opt_run(struct pasta_opts *o, int c, const char *arg,
			 GError **error)
{
	switch (c) {
	case PASTA_OPT_CONFIG_NET:
		o->h.configure = true;
		return 0;
	case PASTA_OPT_NETNS:
		return pasta_opt_netns(o, arg, error);
	case PASTA_OPT_USERNS:
		pasta_set(&o->h.target.userns_path, arg);
		return 0;
	case 'q':
		o->h.log_level = LOG_LVL_WARN;
		return 0;
	case 'd':
		o->h.debug = true;
		o->h.log_level = LOG_LVL_DEBUG;
		return 0;
	case 'f':
		o->foreground = true;
		return 0;
	case 'P':
		pasta_set(&o->pid_file, arg);
		return 0;
	case 'e':
		o->stderr_log = true;
		return 0;
	case 'l':
		pasta_set(&o->log_file, arg);
		return 0;
	case PASTA_OPT_VERSION:
		o->version = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	}
	return pasta_opt_net(o, c, arg, error);
}

/* One option; those accepted without effect are documented in COMPAT.md */
static int pasta_option(struct pasta_opts *o, int c, const char *arg,
			GError **error)
{
	switch (c) {
	case 't':
	case 'u':
	case 'T':
	case 'U':
		return pasta_opt_ports(o, c, arg, error);
	case 'S':
	case PASTA_OPT_IGNORED:
	case PASTA_OPT_NETNS_ONLY:
		return 0;
	}
	return pasta_opt_run(o, c, arg, error);
}

/* The options, up to the first non-option */
static int pasta_parse_options(struct pasta_opts *o, int argc, char **argv,
			       GError **error)
{
	int c;

	optind = 0; /* reset getopt, also between unit tests */
	opterr = 0;
	while ((c = getopt_long(argc, argv, PASTA_SHORTOPTS, pasta_longopts,
				NULL)) != -1) {
		if (c == '?' && optopt)
			return pasta_fail(error,
					  "unknown option -%c (not supported "
					  "by usernet as pasta)",
					  optopt);
		if (c == '?')
			return pasta_fail(error,
					  "unknown option %s (not supported "
					  "by usernet as pasta)",
					  argv[optind - 1]);
		if (c == ':')
			return pasta_fail(error, "option %s needs a value",
					  argv[optind - 1]);
		if (pasta_option(o, c, optarg, error))
			return -EINVAL;
	}
	return 0;
}

/* PID, or COMMAND [ARG]... */
static int pasta_parse_positional(struct pasta_opts *o, int npos, char **pos,
				  GError **error)
{
	unsigned long pid;

	if (npos == 1 && !o->has_target &&
	    !util_parse_uint(pos[0], INT32_MAX, &pid) && pid) {
		o->h.target.type = NS_TARGET_PID;
		o->h.target.pid = (pid_t)pid;
		o->has_target = true;
		return 0;
	}
	if (npos && o->has_target)
		return pasta_fail(error,
				  "unexpected argument '%s' after the "
				  "target namespace",
				  pos[0]);
	o->cmd = npos ? pos : NULL;
	return 0;
}

/* -n: a prefix length, or a dotted mask of contiguous bits */
static int pasta_prefix_parse(const char *s, unsigned *out)
{
	struct in_addr m;
	unsigned long v;
	uint32_t inv;

	if (!util_parse_uint(s, 32, &v)) {
		*out = (unsigned)v;
		return 0;
	}
	if (inet_pton(AF_INET, s, &m) != 1)
		return -EINVAL;
	inv = ~ntohl(m.s_addr);
	if (inv & (inv + 1))
		return -EINVAL;
	*out = (unsigned)__builtin_popcount(~inv);
	return 0;
}

/* -a and -n: the guest's IPv4 network, the guest being its host 100 */
static int pasta_plan_network(struct pasta_opts *o, GError **error)
{
	struct in_addr net = o->h.net.cidr.net, guest;
	unsigned prefix = o->h.net.cidr.prefix;
	g_autofree char *cidr = NULL;
	char buf[INET_ADDRSTRLEN];
	struct addr_ip a = { 0 };

	if (o->netmask && pasta_prefix_parse(o->netmask, &prefix))
		return pasta_fail(error, "-n %s: not a netmask", o->netmask);
	if (o->address && addr_ip_parse(o->address, &a))
		return pasta_fail(error, "-a %s: not an address", o->address);
	if (a.family == AF_INET6) {
		struct in6_addr g6 = addr_plan_guest6();

		if (memcmp(&a.v6, &g6, sizeof(g6)))
			return pasta_fail(error,
					  "-a %s: usernet's IPv6 guest "
					  "address is " ADDR_PLAN_PREFIX6 "100",
					  o->address);
	} else if (a.family == AF_INET) {
		net.s_addr = a.v4.s_addr &
			     htonl(prefix ? ~0U << (32 - prefix) : 0);
	}
	if (!o->netmask && a.family != AF_INET)
		return 0;
	inet_ntop(AF_INET, &net, buf, sizeof(buf));
	cidr = g_strdup_printf("%s/%u", buf, prefix);
	if (helper_opt_cidr(cidr, &o->h.net.cidr, error))
		return -EINVAL;
	guest = addr_plan_guest4(&o->h.net.cidr);
	if (a.family == AF_INET && a.v4.s_addr != guest.s_addr)
		return pasta_fail(error,
				  "-a %s: usernet's guest is host %u of its "
				  "network (%s here); leave -a out or give that",
				  o->address, ADDR_HOST_GUEST,
				  inet_ntop(AF_INET, &guest, buf, sizeof(buf)));
	return 0;
}

/* Whether @s is @v4 (IPv4) or @v6 (IPv6); -EINVAL if not an address */
static int pasta_addr_is(const char *s, struct in_addr v4,
			 const struct in6_addr *v6, struct addr_ip *out)
{
	if (addr_ip_parse(s, out))
		return -EINVAL;
	if (out->family == AF_INET)
		return out->v4.s_addr == v4.s_addr;
	return !memcmp(&out->v6, v6, sizeof(*v6));
}

/* -g, --dns-forward, --map-guest-addr against the plan */
static int pasta_plan_hosts(struct pasta_opts *o, GError **error)
{
	const struct addr_cidr4 *c = &o->h.net.cidr;
	struct in6_addr gw6 = addr_plan_gateway6(), dns6 = addr_plan_dns6();
	struct addr_ip a;
	int r;

	if (o->gateway &&
	    pasta_addr_is(o->gateway, addr_plan_gateway4(c), &gw6, &a) != 1)
		return pasta_fail(error,
				  "-g %s: usernet's gateway is host %u of "
				  "the guest's network",
				  o->gateway, ADDR_HOST_GATEWAY);
	if (o->map_guest_addr && addr_ip_parse(o->map_guest_addr, &a))
		return pasta_fail(error, "--map-guest-addr %s: not an address",
				  o->map_guest_addr);
	/* IPv4 only: an IPv6 one is left unmapped (pasta_main.c warns) */
	if (o->map_guest_addr && a.family == AF_INET) {
		o->h.net.map4_on = true;
		o->h.net.map4_alias = a.v4;
	}
	if (!o->dns_forward)
		return 0;
	r = pasta_addr_is(o->dns_forward, addr_plan_dns4(c), &dns6, &a);
	if (r < 0 || (r == 0 && a.family == AF_INET6))
		return pasta_fail(error,
				  "--dns-forward %s: an IPv4 address, or "
				  "usernet's IPv6 DNS " ADDR_PLAN_PREFIX6 "3",
				  o->dns_forward);
	o->h.dns_alias4_on = r == 0;
	o->h.dns_alias4 = a.v4;
	return 0;
}

/**
 * pasta_opts_parse() - parse pasta's command line
 * @o:		options, initialised with pasta_opts_init()
 * @argc:	argument count, argv[0] being the program
 * @argv:	arguments
 * @error:	UN_EXIT_USAGE with the reason, naming the option
 *
 * Return: 0 or -EINVAL. With -h or --version, 0 and @o->help or
 * @o->version set, the rest unchecked.
 */
int pasta_opts_parse(struct pasta_opts *o, int argc, char **argv,
		     GError **error)
{
	if (pasta_parse_options(o, argc, argv, error))
		return -EINVAL;
	if (o->help || o->version)
		return 0;
	if (pasta_parse_positional(o, argc - optind, argv + optind, error) ||
	    pasta_plan_network(o, error) || pasta_plan_hosts(o, error))
		return -EINVAL;
	/* As pasta: IPv6 needs an MTU of 1280, below it the guest has none */
	if (o->h.net.mtu < SL_MTU_MIN_IPV6)
		o->h.net.ipv6 = false;
	return 0;
}

/* A rule in `usernet run -p`'s form: [ADDR:]HOST[-END]:GUEST[-END]/PROTO */
static char *pasta_spec_run_form(const struct pf_spec *s)
{
	g_autofree char *host = NULL, *guest = NULL;
	char addr[ADDR_STRLEN];
	unsigned n = s->count - 1U;

	host = n ? g_strdup_printf("%u-%u", s->host_port, s->host_port + n) :
		   g_strdup_printf("%u", s->host_port);
	guest = n ? g_strdup_printf("%u-%u", s->guest_port, s->guest_port + n) :
		    g_strdup_printf("%u", s->guest_port);
	if (!s->host_addr_set)
		return g_strdup_printf("%s:%s/%s", host, guest,
				       pf_proto_name(s->proto));
	return g_strdup_printf("%s:%s:%s/%s",
			       addr_ip_str(&s->host_addr, addr, sizeof(addr)),
			       host, guest, pf_proto_name(s->proto));
}

/**
 * pasta_run_argv() - `pasta [OPTION]... [COMMAND]` as `usernet run`'s
 * arguments: the same network (MTU, IPv6, gateway, ports), the command or
 * the user's shell
 * @o:		parsed options, without a target
 *
 * Return: NULL-terminated vector, argv[0] "run", for g_strfreev()
 */
char **pasta_run_argv(const struct pasta_opts *o)
{
	GPtrArray *v = g_ptr_array_new();
	const char *shell = g_getenv("SHELL");
	guint i;

	g_ptr_array_add(v, g_strdup("run"));
	g_ptr_array_add(v, g_strdup_printf("--mtu=%u", o->h.net.mtu));
	if (o->h.net.ipv6)
		g_ptr_array_add(v, g_strdup("--enable-ipv6"));
	if (!o->h.net.disable_host_loopback)
		g_ptr_array_add(v, g_strdup("--allow-host-loopback"));
	for (i = 0; i < o->h.publish->len; i++) {
		g_autofree char *spec = pasta_spec_run_form(
			&g_array_index(o->h.publish, struct pf_spec, i));

		g_ptr_array_add(v, g_strdup_printf("--publish=%s", spec));
	}
	if (o->h.autopub)
		g_ptr_array_add(v, g_strdup("--publish-auto"));
	g_ptr_array_add(v, g_strdup("--"));
	if (!o->cmd)
		g_ptr_array_add(v,
				g_strdup(shell && *shell ? shell : "/bin/sh"));
	for (i = 0; o->cmd && o->cmd[i]; i++)
		g_ptr_array_add(v, g_strdup(o->cmd[i]));
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}
