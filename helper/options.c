/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/options.c - the command line of the network helper (`usernet
 * attach`, the drop-in slirp4netns): its help, its parser, its version lines,
 * and the parsers of the options `usernet run` passes on (helper_opt_*())
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libslirp.h>
#include <seccomp.h>

#include "config.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "helper/options.h"
#include "helper/slirp4netns.h"
#include "portfwd/autopub.h"
#include "portfwd/fwd.h"
#include "portfwd/spec.h"
#include "slirp/capture.h"
#include "slirp/dnsrelay.h"

enum {
	OPT_CIDR = 0x100,
	OPT_DISABLE_HOST_LOOPBACK,
	OPT_NETNS_TYPE,
	OPT_USERNS_PATH,
	OPT_OUTBOUND_ADDR,
	OPT_OUTBOUND_ADDR6,
	OPT_DISABLE_DNS,
	OPT_MACADDRESS,
	OPT_DEBUG,
	OPT_LOG_LEVEL,
	OPT_PCAP,
	OPT_PCAP_MAX_SIZE,
	OPT_PORT_MODE,
	OPT_MAX_CONNS,
	OPT_ENABLE_SANDBOX,
	OPT_ENABLE_SECCOMP,
	OPT_SANDBOX,
	OPT_TARGET_TYPE,
	OPT_PUBLISH_AUTO,
	OPT_DNS,
	OPT_BYPASS_FD,
};

static const struct option helper_longopts[] = {
	{ "configure", no_argument, NULL, 'c' },
	{ "exit-fd", required_argument, NULL, 'e' },
	{ "ready-fd", required_argument, NULL, 'r' },
	{ "mtu", required_argument, NULL, 'm' },
	{ "enable-ipv6", no_argument, NULL, '6' },
	{ "cidr", required_argument, NULL, OPT_CIDR },
	{ "disable-host-loopback", no_argument, NULL,
	  OPT_DISABLE_HOST_LOOPBACK },
	{ "netns-type", required_argument, NULL, OPT_NETNS_TYPE },
	{ "userns-path", required_argument, NULL, OPT_USERNS_PATH },
	{ "outbound-addr", required_argument, NULL, OPT_OUTBOUND_ADDR },
	{ "outbound-addr6", required_argument, NULL, OPT_OUTBOUND_ADDR6 },
	{ "disable-dns", no_argument, NULL, OPT_DISABLE_DNS },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "macaddress", required_argument, NULL, OPT_MACADDRESS },
	{ "publish", required_argument, NULL, 'p' },
	{ "api-socket", required_argument, NULL, 'a' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "pcap-max-size", required_argument, NULL, OPT_PCAP_MAX_SIZE },
	{ "port-mode", required_argument, NULL, OPT_PORT_MODE },
	{ "port-max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "enable-sandbox", no_argument, NULL, OPT_ENABLE_SANDBOX },
	{ "enable-seccomp", no_argument, NULL, OPT_ENABLE_SECCOMP },
	{ "sandbox", no_argument, NULL, OPT_SANDBOX },
	{ "target-type", required_argument, NULL, OPT_TARGET_TYPE },
	{ "publish-auto", optional_argument, NULL, OPT_PUBLISH_AUTO },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "bypass-fd", required_argument, NULL, OPT_BYPASS_FD },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

/* The options of the guest's network, and of the target */
static void helper_usage_network(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"\n"
		"  -c, --configure             bring up lo and the tap, set address and routes\n"
		"  -e, --exit-fd=FD            exit when FD reports any event\n"
		"  -r, --ready-fd=FD           write 1 to FD and close it when ready\n"
		"      --bypass-fd=FD          usernet run --bypass: the command's seccomp\n"
		"                              listener comes on FD (helper/bypass.c)\n"
		"  -m, --mtu=MTU               MTU, %u to %u (default %u; IPv6 needs %u)\n"
		"  -6, --enable-ipv6           IPv6 too: " ADDR_PLAN_PREFIX6
		"/%u, gateway " ADDR_PLAN_PREFIX6 "2, DNS " ADDR_PLAN_PREFIX6
		"3\n"
		"      --cidr=CIDR             guest network (default " ADDR_PLAN_CIDR4_DEFAULT
		")\n"
		"      --disable-host-loopback the gateway does not reach the host's 127.0.0.1\n"
		"      --netns-type=pid|path   how to read the target (default pid)\n"
		"      --target-type=netns     what the target is (only netns: a network\n"
		"                              namespace; slirp4netns's bess is not supported)\n"
		"      --userns-path=PATH      user namespace to join before the network one\n"
		"      --outbound-addr=IPv4|IFACE   source of outbound IPv4 connections\n"
		"      --outbound-addr6=IPv6|IFACE  source of outbound IPv6 connections\n"
		"      --disable-dns           no built-in DNS relay (nothing answers at DNS)\n"
		"      --dns=ADDR              nameserver the DNS relay asks instead of the\n"
		"                              host's resolv.conf (repeatable, in order)\n"
		"      --macaddress=MAC        MAC address of the tap (with --configure)\n",
		SL_MTU_MIN, SL_MTU_MAX, SL_MTU_DEFAULT, SL_MTU_MIN_IPV6,
		ADDR_PLAN_PREFIX6_LEN);
	/* clang-format on */
}

/* The options of published ports and of the API */
static void helper_usage_ports(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"  -p, --publish=[[HOSTIP:][HOSTPORT[-END]]:]GUESTPORT[-END][/tcp|udp]\n"
		"                              publish a host port to the guest (repeatable);\n"
		"                              without HOSTIP on 0.0.0.0 and [::], without\n"
		"                              HOSTPORT on a free port (printed at start)\n"
		"      --publish-auto[=RANGE]  publish the guest's listening TCP and bound UDP\n"
		"                              ports on the same host ports while they are\n"
		"                              open; RANGE: PORT or LOW-HIGH items, comma-\n"
		"                              separated, '~' before one excludes it (e.g.\n"
		"                              80,8000-9000,~8080); default 1024-65535,\n"
		"                              less the ports published with -p\n"
		"  -a, --api-socket=PATH       JSON API socket (slirp4netns's protocol)\n"
		"      --port-mode=auto|direct|slirp  how published ports are carried (default\n"
		"                              auto: splice, outside clients keep their address)\n"
		"      --port-max-conns=N      open connections per published rule (default %u)\n",
		PF_MAX_CONNS_DEFAULT);
	/* clang-format on */
}

/* Logs, capture, confinement, and the exit codes */
static void helper_usage_debug(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"      --log-level=error|warn|info|debug  what is logged (default info);\n"
		"                              debug (= --debug) adds a line per forwarded\n"
		"                              connection and UDP flow, opened and closed\n"
		"      --pcap=FILE             capture every frame crossing the tap, both\n"
		"                              directions, to FILE (pcap, for tcpdump/tshark);\n"
		"                              SIGUSR1 flushes what is buffered to the file.\n"
		"                              At runtime: the API's start_capture {path,\n"
		"                              max_size} and stop_capture (not with\n"
		"                              --enable-sandbox or --enable-seccomp)\n"
		"      --pcap-max-size=SIZE    cap of one capture file (suffix k, M, G;\n"
		"                              default 64M); when reached FILE becomes FILE.1\n"
		"                              (FILE.1 FILE.2..., " G_STRINGIFY(
			CAPTURE_KEEP_ROTATED) " kept) and a new FILE\n"
					      "                              starts\n"
					      "      --enable-sandbox        once set up, live in an empty read-only root\n"
					      "                              holding only the resolver configuration\n"
					      "      --enable-seccomp        once set up, allow only the system calls the\n"
					      "                              helper needs (applied last)\n"
					      "      --sandbox               both --enable-sandbox and --enable-seccomp\n"
					      "      --debug                 verbose logs\n"
					      "  -h, --help                  this help\n"
					      "  -v, --version               versions of usernet and its libraries\n"
					      "\n"
					      "Exit codes: 0 clean exit, 1 runtime failure, 2 bad command line,\n"
					      "3 target namespace unreachable, 4 tap device, 5 cannot publish a port.\n");
	/* clang-format on */
}

/**
 * helper_usage() - print the help of `usernet attach`
 * @out:		stream
 * @as_slirp4netns:	the program runs as the drop-in slirp4netns
 *
 * Clients of slirp4netns (Podman, RootlessKit) look for the names of the
 * options they use in this text: every slirp4netns option must stay in it.
 */
void helper_usage(FILE *out, bool as_slirp4netns)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		as_slirp4netns ?
			"Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n"
			"User-mode networking for unprivileged network namespaces: usernet running as\n"
			"a drop-in slirp4netns (same options, ready and exit fds, API socket).\n" :
			"Usage: usernet attach [OPTIONS] PID|PATH [TAPNAME]\n"
			"Give the network namespace of PID (or the namespace file PATH) a network\n"
			"through a tap device TAPNAME (default tap0) served by libslirp.\n");
	/* clang-format on */
	helper_usage_network(out);
	helper_usage_ports(out);
	helper_usage_debug(out);
}

/**
 * helper_opts_init() - defaults
 * @o:		options
 */
void helper_opts_init(struct helper_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->target.type = NS_TARGET_PID;
	g_strlcpy(o->tapname, "tap0", sizeof(o->tapname));
	o->ready_fd = -1;
	o->exit_fd = -1;
	o->bypass_fd = -1;
	sl_config_init(&o->net);
	o->publish = g_array_new(FALSE, TRUE, sizeof(struct pf_spec));
	o->dns = g_array_new(FALSE, TRUE, sizeof(struct sockaddr_storage));
	o->port_mode = PF_MODE_AUTO;
	o->max_conns = PF_MAX_CONNS_DEFAULT;
	o->log_level = LOG_LVL_INFO;
}

/**
 * helper_opts_clear() - free what helper_opts_parse() allocated
 * @o:		options
 */
void helper_opts_clear(struct helper_opts *o)
{
	g_clear_pointer(&o->target.netns_path, g_free);
	g_clear_pointer(&o->target.userns_path, g_free);
	g_clear_pointer(&o->api_socket, g_free);
	g_clear_pointer(&o->pcap, g_free);
	g_clear_pointer(&o->autopub, g_free);
	if (o->publish)
		g_array_unref(o->publish);
	o->publish = NULL;
	if (o->dns)
		g_array_unref(o->dns);
	o->dns = NULL;
}

static int usage_error(GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

static int usage_error(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(UN_ERROR, UN_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/**
 * helper_opt_dns() - --dns: an IPv4 or IPv6 nameserver for the DNS relay,
 * port 53; at most DNSRELAY_SERVERS_MAX of them
 * @arg:	the value
 * @have:	how many --dns were already taken
 * @out:	the nameserver's socket address
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_dns(const char *arg, unsigned have, struct sockaddr_storage *out,
		   GError **error)
{
	struct addr_ip ip;

	memset(out, 0, sizeof(*out));
	if (addr_ip_parse(arg, &ip) || addr_ip_is_any(&ip))
		return usage_error(error,
				   "--dns: '%s' is not an IPv4 or IPv6 "
				   "address",
				   arg);
	if (have >= DNSRELAY_SERVERS_MAX)
		return usage_error(error, "--dns: at most %u nameservers",
				   DNSRELAY_SERVERS_MAX);
	if (ip.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(DNSW_PORT);
		sin->sin_addr = ip.v4;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(DNSW_PORT);
		sin6->sin6_addr = ip.v6;
	}
	return 0;
}

/* --dns ADDR (repeatable) */
static int parse_dns(struct helper_opts *o, const char *s, GError **error)
{
	struct sockaddr_storage ss;

	if (helper_opt_dns(s, o->dns->len, &ss, error))
		return -EINVAL;
	g_array_append_val(o->dns, ss);
	return 0;
}

static int parse_fd(const char *opt, const char *s, int *out, GError **error)
{
	unsigned long v;

	if (util_parse_uint(s, INT32_MAX, &v))
		return usage_error(error, "%s: '%s' is not a file descriptor",
				   opt, s);
	/* Standard streams are never the caller's pipe: the helper writes its
	 * summary and log there (and fills them with /dev/null when closed) */
	if (v <= 2)
		return usage_error(error,
				   "%s: fd %lu is standard %s, not a "
				   "pipe of the caller: give a fd of 3 or above",
				   opt, v,
				   v == 0 ? "input" :
				   v == 1 ? "output" :
					    "error");
	if (fcntl((int)v, F_GETFD) < 0)
		return usage_error(error, "%s: fd %lu is not open", opt, v);
	*out = (int)v;
	return 0;
}

/**
 * helper_opt_outbound() - --outbound-addr, --outbound-addr6: an address of
 * @family, or an interface (on the caller's network) that has one
 * @opt:	the option's name, for the message
 * @s:		the value: an IPv4/IPv6 literal, or an interface name
 * @family:	AF_INET or AF_INET6
 * @sa:		a struct sockaddr_in or sockaddr_in6 for @family: the address
 *		(an interface's first one; IPv6: not link-local)
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_outbound(const char *opt, const char *s, int family, void *sa,
			GError **error)
{
	struct ifaddrs *ifa_list, *ifa;
	struct addr_ip ip;
	int found = 0;

	if (!addr_ip_parse(s, &ip)) {
		if (ip.family != family)
			return usage_error(error,
					   "%s: '%s' is not an %s address", opt,
					   s,
					   family == AF_INET ? "IPv4" : "IPv6");
		if (family == AF_INET) {
			struct sockaddr_in *sin = sa;

			sin->sin_family = AF_INET;
			sin->sin_addr = ip.v4;
		} else {
			struct sockaddr_in6 *sin6 = sa;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = ip.v6;
		}
		return 0;
	}
	if (getifaddrs(&ifa_list))
		return usage_error(error, "%s: cannot list interfaces: %s", opt,
				   strerror(errno));
	for (ifa = ifa_list; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, s) ||
		    ifa->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(
			    &((struct sockaddr_in6 *)(void *)ifa->ifa_addr)
				     ->sin6_addr))
			continue;
		memcpy(sa, ifa->ifa_addr,
		       family == AF_INET ? sizeof(struct sockaddr_in) :
					   sizeof(struct sockaddr_in6));
		found = 1;
	}
	freeifaddrs(ifa_list);
	if (!found)
		return usage_error(error,
				   "%s: '%s' is neither an %s address nor an "
				   "interface with one",
				   opt, s, family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/**
 * helper_opt_mtu() - --mtu: SL_MTU_MIN to SL_MTU_MAX (slirp4netns's bounds)
 * @arg:	the value
 * @out:	the MTU
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_mtu(const char *arg, unsigned *out, GError **error)
{
	unsigned long v;

	if (util_parse_uint(arg, SL_MTU_MAX, &v) || v < SL_MTU_MIN)
		return usage_error(error,
				   "--mtu must be between %u and %u, "
				   "not '%s'",
				   SL_MTU_MIN, SL_MTU_MAX, arg);
	*out = (unsigned)v;
	return 0;
}

/**
 * helper_opt_check_ipv6_mtu() - IPv6 needs an MTU of SL_MTU_MIN_IPV6 or more
 * @mtu:	the MTU
 * @ipv6:	--enable-ipv6 was given
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_check_ipv6_mtu(unsigned mtu, bool ipv6, GError **error)
{
	if (ipv6 && mtu < SL_MTU_MIN_IPV6)
		return usage_error(error,
				   "--mtu %u is below %u, the minimum "
				   "for IPv6 (--enable-ipv6)",
				   mtu, SL_MTU_MIN_IPV6);
	return 0;
}

/**
 * helper_opt_cidr() - --cidr: an IPv4 network, prefix ADDR_CIDR4_MIN_PREFIX
 * to ADDR_CIDR4_MAX_PREFIX, host bits clear
 * @arg:	the value
 * @out:	the network
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_cidr(const char *arg, struct addr_cidr4 *out, GError **error)
{
	int r = addr_cidr4_parse(arg, out);

	if (r == -ERANGE)
		return usage_error(error,
				   "--cidr '%s': the prefix length must "
				   "be between /%u and /%u",
				   arg, ADDR_CIDR4_MIN_PREFIX,
				   ADDR_CIDR4_MAX_PREFIX);
	if (r == -EADDRNOTAVAIL)
		return usage_error(error,
				   "--cidr '%s': host bits are set; give "
				   "the network address",
				   arg);
	if (r)
		return usage_error(error,
				   "--cidr '%s' is not an IPv4 network "
				   "such as " ADDR_PLAN_CIDR4_DEFAULT,
				   arg);
	return 0;
}

/**
 * helper_opt_port_mode() - --port-mode: auto, direct or slirp
 * @arg:	the value
 * @out:	the mode
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_port_mode(const char *arg, enum pf_mode *out, GError **error)
{
	if (pf_mode_parse(arg, out))
		return usage_error(error,
				   "--port-mode must be auto, direct or "
				   "slirp, not '%s'",
				   arg);
	return 0;
}

/**
 * helper_opt_pcap() - --pcap: a file name (checked when opened)
 * @arg:	the value
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_pcap(const char *arg, GError **error)
{
	if (!*arg)
		return usage_error(error, "--pcap needs a file name");
	return 0;
}

/**
 * helper_opt_pcap_max_size() - --pcap-max-size: a size of at least
 * CAP_MAX_SIZE_MIN bytes, suffix k, M or G
 * @arg:	the value
 * @out:	the size in bytes
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_pcap_max_size(const char *arg, uint64_t *out, GError **error)
{
	int r = capture_parse_size(arg, out);

	if (r == -ERANGE)
		return usage_error(error,
				   "--pcap-max-size '%s' is out of "
				   "range (at least %u bytes)",
				   arg, CAP_MAX_SIZE_MIN);
	if (r)
		return usage_error(error,
				   "--pcap-max-size '%s' is not a size "
				   "such as 1048576, 512k, 10M or 1G",
				   arg);
	return 0;
}

/**
 * helper_opt_log_level() - --log-level: error, warn, info or debug
 * @arg:	the value
 * @out:	the level (enum log_level)
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_log_level(const char *arg, int *out, GError **error)
{
	static const char *const levels[] = {
		[LOG_LVL_ERR] = "error",
		[LOG_LVL_WARN] = "warn",
		[LOG_LVL_INFO] = "info",
		[LOG_LVL_DEBUG] = "debug",
	};
	int i;

	for (i = 0; i < (int)G_N_ELEMENTS(levels); i++) {
		if (!strcmp(arg, levels[i])) {
			*out = i;
			return 0;
		}
	}
	return usage_error(error,
			   "--log-level must be error, warn, "
			   "info or debug, not '%s'",
			   arg);
}

/* --log-level, --debug, --pcap, --pcap-max-size */
static int parse_debug_option(struct helper_opts *o, int c, const char *arg,
			      GError **error)
{
	switch (c) {
	case OPT_LOG_LEVEL:
		if (helper_opt_log_level(arg, &o->log_level, error))
			return -EINVAL;
		o->debug = o->log_level == LOG_LVL_DEBUG;
		return 0;
	case OPT_DEBUG:
		o->debug = true;
		return 0;
	case OPT_PCAP:
		if (helper_opt_pcap(arg, error))
			return -EINVAL;
		g_free(o->pcap);
		o->pcap = g_strdup(arg);
		return 0;
	case OPT_PCAP_MAX_SIZE:
		return helper_opt_pcap_max_size(arg, &o->pcap_max_size, error);
	}
	return usage_error(error, "unexpected option");
}

/* --mtu, -6, --cidr, --disable-host-loopback, --outbound-addr(6),
 * --disable-dns, --dns, --macaddress: the guest's network */
static int parse_net_option(struct helper_opts *o, int c, const char *arg,
			    GError **error)
{
	switch (c) {
	case 'm':
		return helper_opt_mtu(arg, &o->net.mtu, error);
	case '6':
		o->net.ipv6 = true;
		return 0;
	case OPT_CIDR:
		return helper_opt_cidr(arg, &o->net.cidr, error);
	case OPT_DISABLE_HOST_LOOPBACK:
		o->net.disable_host_loopback = true;
		return 0;
	case OPT_OUTBOUND_ADDR:
		o->net.has_outbound4 = true;
		return helper_opt_outbound("--outbound-addr", arg, AF_INET,
					   &o->net.outbound4, error);
	case OPT_OUTBOUND_ADDR6:
		o->net.has_outbound6 = true;
		return helper_opt_outbound("--outbound-addr6", arg, AF_INET6,
					   &o->net.outbound6, error);
	case OPT_DISABLE_DNS:
		o->net.disable_dns = true;
		return 0;
	case OPT_DNS:
		return parse_dns(o, arg, error);
	case OPT_MACADDRESS:
		if (addr_mac_parse(arg, o->mac))
			return usage_error(error,
					   "--macaddress '%s' is not a unicast "
					   "MAC address such as 02:00:00:00:00:01",
					   arg);
		o->set_mac = true;
		return 0;
	}
	return usage_error(error, "unexpected option");
}

/* -p, --publish-auto, --port-mode, --port-max-conns, --api-socket */
static int parse_port_option(struct helper_opts *o, int c, const char *arg,
			     GError **error)
{
	struct pf_spec spec;
	enum pf_mode mode;
	unsigned long v;

	switch (c) {
	case 'p':
		if (pf_spec_parse(arg, &spec, error))
			return -EINVAL;
		g_array_append_val(o->publish, spec);
		return 0;
	case OPT_PUBLISH_AUTO:
		if (!o->autopub)
			o->autopub = g_new0(struct autopub_ports, 1);
		return autopub_range_parse(arg, o->autopub, error);
	case OPT_PORT_MODE:
		if (helper_opt_port_mode(arg, &mode, error))
			return -EINVAL;
		o->port_mode = mode;
		return 0;
	case OPT_MAX_CONNS:
		if (util_parse_uint(arg, HELPER_MAX_CONNS_MAX, &v) || v == 0)
			return usage_error(error,
					   "--port-max-conns must be "
					   "between 1 and %u, not '%s'",
					   HELPER_MAX_CONNS_MAX, arg);
		o->max_conns = (unsigned)v;
		return 0;
	case 'a':
		if (!*arg)
			return usage_error(error, "--api-socket needs a path");
		g_free(o->api_socket);
		o->api_socket = g_strdup(arg);
		return 0;
	}
	return usage_error(error, "unexpected option");
}

/* --netns-type, --userns-path, --target-type: how to reach the target */
static int parse_target_option(struct helper_opts *o, int c, const char *arg,
			       GError **error)
{
	switch (c) {
	case OPT_NETNS_TYPE:
		if (!strcmp(arg, "pid"))
			o->target.type = NS_TARGET_PID;
		else if (!strcmp(arg, "path"))
			o->target.type = NS_TARGET_PATH;
		else
			return usage_error(error,
					   "--netns-type must be pid or path, "
					   "not '%s'",
					   arg);
		return 0;
	case OPT_USERNS_PATH:
		g_free(o->target.userns_path);
		o->target.userns_path = g_strdup(arg);
		return 0;
	case OPT_TARGET_TYPE:
		if (strcmp(arg, "netns"))
			return usage_error(error,
					   "--target-type must be netns, "
					   "not '%s' (usernet serves network "
					   "namespaces only)",
					   arg);
		return 0;
	}
	return usage_error(error, "unexpected option");
}

/* One option: the simple flags here, the others by group */
static int parse_option(struct helper_opts *o, int c, const char *arg,
			GError **error)
{
	switch (c) {
	case 'c':
		o->configure = true;
		return 0;
	case 'e':
		return parse_fd("--exit-fd", arg, &o->exit_fd, error);
	case 'r':
		return parse_fd("--ready-fd", arg, &o->ready_fd, error);
	case OPT_BYPASS_FD:
		return parse_fd("--bypass-fd", arg, &o->bypass_fd, error);
	case OPT_ENABLE_SANDBOX:
		o->sandbox = true;
		return 0;
	case OPT_ENABLE_SECCOMP:
		o->seccomp = true;
		return 0;
	case OPT_SANDBOX:
		o->sandbox = o->seccomp = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case 'v':
		o->version = true;
		return 0;
	case 'm':
	case '6':
	case OPT_CIDR:
	case OPT_DISABLE_HOST_LOOPBACK:
	case OPT_OUTBOUND_ADDR:
	case OPT_OUTBOUND_ADDR6:
	case OPT_DISABLE_DNS:
	case OPT_DNS:
	case OPT_MACADDRESS:
		return parse_net_option(o, c, arg, error);
	case 'p':
	case OPT_PUBLISH_AUTO:
	case OPT_PORT_MODE:
	case OPT_MAX_CONNS:
	case 'a':
		return parse_port_option(o, c, arg, error);
	case OPT_NETNS_TYPE:
	case OPT_USERNS_PATH:
	case OPT_TARGET_TYPE:
		return parse_target_option(o, c, arg, error);
	case OPT_LOG_LEVEL:
	case OPT_DEBUG:
	case OPT_PCAP:
	case OPT_PCAP_MAX_SIZE:
		return parse_debug_option(o, c, arg, error);
	}
	return usage_error(error, "unexpected option");
}

static int parse_target(struct helper_opts *o, const char *s, GError **error)
{
	unsigned long pid;

	if (o->target.type == NS_TARGET_PATH) {
		o->target.netns_path = g_strdup(s);
		return 0;
	}
	if (util_parse_uint(s, INT32_MAX, &pid) || pid == 0)
		return usage_error(error,
				   "'%s' is not a PID (use --netns-type=path "
				   "for a namespace file)",
				   s);
	o->target.pid = (pid_t)pid;
	return 0;
}

/* The options, up to the first non-option (getopt permutes the rest) */
static int parse_options(struct helper_opts *o, int argc, char **argv,
			 GError **error)
{
	int c;

	optind = 0; /* reset getopt, also between unit tests */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ce:r:m:6p:a:hv", helper_longopts,
				NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				return usage_error(error, "unknown option -%c",
						   optopt);
			return usage_error(error, "unknown option %s",
					   argv[optind - 1]);
		}
		if (c == ':')
			return usage_error(error, "option %s needs a value",
					   argv[optind - 1]);
		if (parse_option(o, c, optarg, error))
			return -EINVAL;
	}
	return 0;
}

/**
 * helper_opt_ifname() - TAPNAME: an interface name, shorter than IFNAMSIZ
 * @arg:	the value
 * @out:	IFNAMSIZ bytes, the name
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int helper_opt_ifname(const char *arg, char *out, GError **error)
{
	if (!*arg || strlen(arg) >= IFNAMSIZ || strpbrk(arg, "/: \t\n"))
		return usage_error(error, "'%s' is not a valid interface name",
				   arg);
	g_strlcpy(out, arg, IFNAMSIZ);
	return 0;
}

/* PID|PATH [TAPNAME] */
static int parse_positional(struct helper_opts *o, int npos, char **pos,
			    GError **error)
{
	if (npos < 1)
		return usage_error(error, "missing PID|PATH of the target "
					  "namespace (see --help)");
	if (npos > 2)
		return usage_error(error, "unexpected argument '%s'", pos[2]);
	if (parse_target(o, pos[0], error))
		return -EINVAL;
	if (npos == 1)
		return 0;
	return helper_opt_ifname(pos[1], o->tapname, error);
}

/* Options that need, or exclude, one another */
static int check_combinations(const struct helper_opts *o, GError **error)
{
	if (helper_opt_check_ipv6_mtu(o->net.mtu, o->net.ipv6, error))
		return -EINVAL;
	if (o->set_mac && !o->configure)
		return usage_error(error, "--macaddress needs --configure");
	if (o->pcap_max_size && !o->pcap)
		return usage_error(error, "--pcap-max-size needs --pcap");
	return 0;
}

/**
 * helper_opts_parse() - parse the arguments after `attach`
 * @o:		options, initialised with helper_opts_init()
 * @argc:	argument count, argv[0] being the command name
 * @argv:	arguments (getopt may permute them)
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL. With --help or --version, 0 and @o->help or
 * @o->version set, the rest unchecked.
 */
int helper_opts_parse(struct helper_opts *o, int argc, char **argv,
		      GError **error)
{
	if (parse_options(o, argc, argv, error))
		return -EINVAL;
	if (o->help || o->version)
		return 0;
	if (parse_positional(o, argc - optind, argv + optind, error))
		return -EINVAL;
	return check_combinations(o, error);
}

/**
 * helper_version_print() - the version lines of usernet and its libraries
 * @out:		stream
 * @as_slirp4netns:	in slirp4netns's shape: the version it is compatible
 *			with first (clients may parse "slirp4netns version X")
 */
void helper_version_print(FILE *out, bool as_slirp4netns)
{
	const struct scmp_version *sv = seccomp_version();

	if (as_slirp4netns) {
		fprintf(out, "slirp4netns version %s (usernet %s)\n",
			SLIRP4NETNS_COMPAT_VERSION, USERNET_VERSION);
		fprintf(out, "commit: usernet-%s\n", USERNET_VERSION);
	} else {
		fprintf(out, "usernet version %s\n", USERNET_VERSION);
	}
	fprintf(out, "libslirp: %s\n", slirp_version_string());
	fprintf(out, "SLIRP_CONFIG_VERSION_MAX: %d\n",
		SLIRP_CONFIG_VERSION_MAX);
	fprintf(out, "libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}
