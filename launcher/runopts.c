/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/runopts.c - the command line of `usernet run` and its --display
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "common/addr.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/caps.h"
#include "confine/sysfilter_command.h"
#include "helper/options.h"
#include "launcher/rootfs.h"
#include "launcher/bypass.h"
#include "launcher/run.h"
#include "portfwd/autopub.h"
#include "portfwd/spec.h"

enum {
	OPT_CIDR = 0x100,
	OPT_MTU,
	OPT_ALLOW_HOST_LOOPBACK,
	OPT_NET,
	OPT_MAP_SUBIDS,
	OPT_USER,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_SYSCTL,
	OPT_SECCOMP,
	OPT_DISPLAY,
	OPT_DEBUG,
	OPT_PORT_MODE,
	OPT_PCAP,
	OPT_PCAP_MAX_SIZE,
	OPT_PUBLISH_AUTO,
	/* the sandbox's namespaces */
	OPT_HOSTNAME,
	/* the root (launcher/rootfs.c) */
	OPT_ROOTFS,
	OPT_READ_ONLY,
	/* parity with attach */
	OPT_API_SOCKET,
	OPT_OUTBOUND_ADDR,
	OPT_OUTBOUND_ADDR6,
	OPT_LOG_LEVEL,
	OPT_DISABLE_DNS,
	OPT_DNS,
	/* socket bypass (launcher/bypass.c) */
	OPT_BYPASS,
};

static const struct option run_longopts[] = {
	{ "publish", required_argument, NULL, 'p' },
	{ "cidr", required_argument, NULL, OPT_CIDR },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "enable-ipv6", no_argument, NULL, '6' },
	{ "allow-host-loopback", no_argument, NULL, OPT_ALLOW_HOST_LOOPBACK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "map-subids", no_argument, NULL, OPT_MAP_SUBIDS },
	{ "user", required_argument, NULL, OPT_USER },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "sysctl", required_argument, NULL, OPT_SYSCTL },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "port-mode", required_argument, NULL, OPT_PORT_MODE },
	{ "publish-auto", optional_argument, NULL, OPT_PUBLISH_AUTO },
	{ "display", no_argument, NULL, OPT_DISPLAY },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "pcap-max-size", required_argument, NULL, OPT_PCAP_MAX_SIZE },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	/* parity with attach */
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "outbound-addr", required_argument, NULL, OPT_OUTBOUND_ADDR },
	{ "outbound-addr6", required_argument, NULL, OPT_OUTBOUND_ADDR6 },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "disable-dns", no_argument, NULL, OPT_DISABLE_DNS },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "help", no_argument, NULL, 'h' },
	/* the root (launcher/rootfs.c) */
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "volume", required_argument, NULL, 'v' },
	{ "workdir", required_argument, NULL, 'w' },
	/* socket bypass (launcher/bypass.c) */
	{ "bypass", no_argument, NULL, OPT_BYPASS },
	{ NULL, 0, NULL, 0 },
};

/**
 * run_usage() - print the help of `usernet run`
 * @out:	stream
 */
void run_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet run [OPTIONS] [--] COMMAND [ARG...]\n"
		"Run COMMAND in new user, network and mount namespaces with a working\n"
		"network, least privilege by default.\n"
		"\n"
		"Network:\n"
		"  -p, --publish=[[HOSTIP:][HOSTPORT[-END]]:]GUESTPORT[-END][/tcp|udp]  (repeatable;\n"
		"                              no HOSTIP: 0.0.0.0 and [::]; no HOSTPORT: a free one)\n"
		"      --cidr=CIDR             guest network (default " ADDR_PLAN_CIDR4_DEFAULT
		")\n"
		"      --mtu=MTU               MTU (default " G_STRINGIFY(
			RUN_MTU_DEFAULT) ")\n"
					 "  -6, --enable-ipv6           IPv6 too\n"
					 "      --allow-host-loopback   the gateway reaches the host's 127.0.0.1\n"
					 "      --port-mode=auto|direct|slirp  how published ports are carried\n"
					 "      --publish-auto[=RANGE]  publish the command's listening ports on the\n"
					 "                              same host ports while they are open (see\n"
					 "                              usernet attach --help)\n"
					 "      --net=usernet|none|host network namespace (default usernet)\n"
					 "      --sysctl=net.KEY=VALUE  set a sysctl in the new network namespace\n"
					 "      --disable-dns           no built-in DNS; resolv.conf names the --dns\n"
					 "                              addresses then, or stays the host's\n"
					 "      --dns=ADDR              nameserver the built-in DNS asks instead of the\n"
					 "                              host's resolv.conf (repeatable)\n"
					 "      --outbound-addr=IPv4|IFACE   source of outbound IPv4 connections\n"
					 "      --outbound-addr6=IPv6|IFACE  source of outbound IPv6 connections\n"
					 "      --api-socket=PATH       JSON API socket of the network helper, for\n"
					 "                              usernet port, stats and capture\n"
					 "      --bypass                the command's TCP connections that leave the\n"
					 "                              namespace use host sockets (seccomp user\n"
					 "                              notification; Linux 5.14; not in --pcap)\n"
					 "Identity and privilege:\n"
					 "      --map-subids            map the caller's /etc/subuid, /etc/subgid ranges\n"
					 "      --user=UID|NAME[:GID|GROUP]  run as this user inside (default 0;\n"
					 "                              names from the root's /etc/passwd, /etc/group)\n"
					 "      --cap-add=CAP, --cap-drop=CAP  change the capability set (names with or\n"
					 "                              without CAP_, any case; ALL)\n"
					 "      --seccomp=default|unconfined  seccomp profile (default: default)\n"
					 "Sandbox:\n"
					 "      --hostname=NAME         host name inside (default " RUN_HOSTNAME_DEFAULT
					 ")\n"
					 "Root and files (without --rootfs, the host's files stay visible, UNIX\n"
					 "sockets by path included, even with --net none):\n"
					 "      --rootfs=DIR            DIR as the root (pivot_root): own /dev, /proc,\n"
					 "                              /sys (read-only), /tmp, /etc/hosts, resolv.conf\n"
					 "      --read-only             the root read-only (/dev, /tmp, volumes as they are)\n"
					 "  -v, --volume=HOST:DEST[:ro|rw]  bind HOST on DEST inside --rootfs (repeatable)\n"
					 "  -w, --workdir=DIR           start in DIR (default / with --rootfs, else the\n"
					 "                              current directory)\n"
					 "Other:\n"
					 "      --display               print what would run, create nothing\n"
					 "      --debug                 verbose logs\n"
					 "      --log-level=error|warn|info|debug  what is logged (default info)\n"
					 "      --pcap=FILE             capture the network's frames to FILE (pcap)\n"
					 "      --pcap-max-size=SIZE    rotate FILE at SIZE (k, M, G, default 64M; see\n"
					 "                              usernet attach)\n"
					 "  -h, --help                  this help\n"
					 "\n"
					 "Default capabilities (Podman's): CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,\n"
					 "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.\n"
					 "Always new: user, PID (usernet's init is PID 1, COMMAND PID 2), mount\n"
					 "(own /proc; /sys read-only), IPC and UTS namespaces.\n"
					 "Exit status: the command's (128+N if killed by signal N); 125 if usernet\n"
					 "itself fails (a bad command line, a port that cannot be published, a\n"
					 "namespace that cannot be set up), 126 if COMMAND cannot be run, 127 if\n"
					 "it is not found; 0 after --help.\n");
	/* clang-format on */
}

/**
 * run_opts_init() - defaults
 * @o:		options
 */
void run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->net = RUN_NET_USERNET;
	o->attach_args = g_ptr_array_new_with_free_func(g_free);
	o->publish = g_ptr_array_new_with_free_func(g_free);
	o->sysctls = g_ptr_array_new_with_free_func(g_free);
	o->cidr = g_strdup(ADDR_PLAN_CIDR4_DEFAULT);
	o->hostname = g_strdup(RUN_HOSTNAME_DEFAULT);
	o->mtu = RUN_MTU_DEFAULT;
	o->caps = caps_default_set();
	o->seccomp = true;
	o->groups = g_array_new(FALSE, FALSE, sizeof(gid_t));
	o->bypass_fd[0] = o->bypass_fd[1] = -1;
	o->volumes = g_ptr_array_new_with_free_func(
		(GDestroyNotify)rootfs_volume_free);
	o->log_level = LOG_LVL_INFO;
	o->dns = g_ptr_array_new_with_free_func(g_free);
}

/**
 * run_opts_clear() - free what parsing allocated
 * @o:		options
 */
void run_opts_clear(struct run_opts *o)
{
	g_clear_pointer(&o->attach_args, g_ptr_array_unref);
	g_clear_pointer(&o->publish, g_ptr_array_unref);
	g_clear_pointer(&o->publish_auto, g_free);
	g_clear_pointer(&o->sysctls, g_ptr_array_unref);
	g_clear_pointer(&o->cidr, g_free);
	g_clear_pointer(&o->hostname, g_free);
	g_clear_pointer(&o->rootfs, g_free);
	g_clear_pointer(&o->volumes, g_ptr_array_unref);
	g_clear_pointer(&o->workdir, g_free);
	g_clear_pointer(&o->user, g_free);
	g_clear_pointer(&o->groups, g_array_unref);
	g_clear_pointer(&o->api_socket, g_free);
	g_clear_pointer(&o->outbound4, g_free);
	g_clear_pointer(&o->outbound6, g_free);
	g_clear_pointer(&o->dns, g_ptr_array_unref);
}

static int run_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int run_error(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(UN_ERROR, UN_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void run_attach_arg(struct run_opts *o, const char *opt, const char *val)
{
	g_ptr_array_add(o->attach_args,
			val ? g_strdup_printf("%s=%s", opt, val) :
			      g_strdup(opt));
}

/* Only per-network-namespace sysctls: net.*, no path tricks */
static int parse_sysctl(struct run_opts *o, const char *s, GError **error)
{
	const char *eq = strchr(s, '=');
	g_autofree char *key = NULL;

	if (!eq || eq == s)
		return run_error(error, "--sysctl '%s': expected net.KEY=VALUE",
				 s);
	key = g_strndup(s, (gsize)(eq - s));
	if (!g_str_has_prefix(key, "net.") || strstr(key, "..") ||
	    strchr(key, '/') || key[strlen(key) - 1] == '.')
		return run_error(error,
				 "--sysctl '%s': only net.* sysctls, "
				 "which belong to the new network namespace",
				 s);
	if (!*(eq + 1) || strchr(eq + 1, '\n'))
		return run_error(error, "--sysctl '%s': bad value", s);
	g_ptr_array_add(o->sysctls, g_strdup(s));
	return 0;
}

/* Apply --cap-add/--cap-drop as Podman does: drop ALL, add ALL, adds, drops */
static int resolve_caps(struct run_opts *o, GPtrArray *add, GPtrArray *drop,
			GError **error)
{
	uint64_t a = 0, d = 0;
	bool add_all = false, drop_all = false;
	guint i;

	for (i = 0; i < add->len + drop->len; i++) {
		bool is_add = i < add->len;
		const char *n = g_ptr_array_index(is_add ? add : drop,
						  is_add ? i : i - add->len);
		int cap;

		if (!g_ascii_strcasecmp(n, "ALL") ||
		    !g_ascii_strcasecmp(n, "CAP_ALL")) {
			*(is_add ? &add_all : &drop_all) = true;
			continue;
		}
		if (caps_from_name(n, &cap)) {
			g_autofree char *valid = caps_valid_names();

			return run_error(error,
					 "--cap-%s: unknown capability "
					 "'%s'; valid names (with or without "
					 "CAP_, any case): ALL, %s",
					 is_add ? "add" : "drop", n, valid);
		}
		*(is_add ? &a : &d) |= CAPS_BIT(cap);
	}
	if (drop_all)
		o->caps = 0;
	if (add_all)
		o->caps = caps_all();
	o->caps = (o->caps | a) & ~d;
	return 0;
}

/* --pcap FILE, --pcap-max-size SIZE: checked as the helper checks them,
 * passed on to it, the path made absolute */
static int parse_pcap(struct run_opts *o, int c, const char *arg,
		      GError **error)
{
	g_autofree char *abs = NULL;
	uint64_t size;

	if (c == OPT_PCAP_MAX_SIZE) {
		if (helper_opt_pcap_max_size(arg, &size, error))
			return -EINVAL;
		run_attach_arg(o, "--pcap-max-size", arg);
		return 0;
	}
	if (helper_opt_pcap(arg, error))
		return -EINVAL;
	abs = g_canonicalize_filename(arg, NULL);
	run_attach_arg(o, "--pcap", abs);
	return 0;
}

/* -p, --cidr, --mtu, -6, --allow-host-loopback, --publish-auto,
 * --port-mode: the network, checked with the helper's own parsers
 * (helper/options.h) and passed on to it */
static int parse_net_one(struct run_opts *o, int c, const char *arg,
			 GError **error)
{
	struct autopub_ports ports;
	struct addr_cidr4 cidr;
	struct pf_spec spec;
	enum pf_mode mode;

	switch (c) {
	case 'p':
		if (pf_spec_parse(arg, &spec, error))
			return -EINVAL;
		g_ptr_array_add(o->publish, g_strdup(arg));
		run_attach_arg(o, "--publish", arg);
		return 0;
	case OPT_CIDR:
		if (helper_opt_cidr(arg, &cidr, error))
			return -EINVAL;
		g_free(o->cidr);
		o->cidr = g_strdup(arg);
		return 0;
	case OPT_MTU:
		return helper_opt_mtu(arg, &o->mtu, error);
	case '6':
		o->ipv6 = true;
		return 0;
	case OPT_ALLOW_HOST_LOOPBACK:
		o->allow_host_loopback = true;
		return 0;
	case OPT_PUBLISH_AUTO:
		if (autopub_range_parse(arg, &ports, error))
			return -EINVAL;
		g_free(o->publish_auto);
		o->publish_auto = g_strdup(arg ? arg : "");
		run_attach_arg(o, "--publish-auto", arg);
		return 0;
	case OPT_PORT_MODE:
		if (helper_opt_port_mode(arg, &mode, error))
			return -EINVAL;
		run_attach_arg(o, "--port-mode", arg);
		return 0;
	}
	return run_error(error, "unexpected option");
}

/* --net, --sysctl: which network namespace, and its settings */
static int parse_netns_one(struct run_opts *o, int c, const char *arg,
			   GError **error)
{
	if (c == OPT_SYSCTL)
		return parse_sysctl(o, arg, error);
	if (!strcmp(arg, "usernet"))
		o->net = RUN_NET_USERNET;
	else if (!strcmp(arg, "none"))
		o->net = RUN_NET_NONE;
	else if (!strcmp(arg, "host"))
		o->net = RUN_NET_HOST;
	else
		return run_error(error,
				 "--net must be usernet, none or host, "
				 "not '%s'",
				 arg);
	return 0;
}

/* --map-subids, --user, --cap-add, --cap-drop, --seccomp: who the command
 * runs as, and its privilege (capabilities resolved once all are read) */
static int parse_identity_one(struct run_opts *o, int c, const char *arg,
			      GPtrArray *add, GPtrArray *drop, GError **error)
{
	switch (c) {
	case OPT_MAP_SUBIDS:
		o->map_subids = true;
		return 0;
	case OPT_USER:
		/* resolved once --rootfs is known: run_opts_check_root() */
		g_free(o->user);
		o->user = g_strdup(arg);
		return 0;
	case OPT_CAP_ADD:
		g_ptr_array_add(add, (char *)arg);
		return 0;
	case OPT_CAP_DROP:
		g_ptr_array_add(drop, (char *)arg);
		return 0;
	case OPT_SECCOMP:
		if (!strcmp(arg, "default"))
			o->seccomp = true;
		else if (!strcmp(arg, "unconfined"))
			o->seccomp = false;
		else
			return run_error(error,
					 "--seccomp must be default or "
					 "unconfined, not '%s'",
					 arg);
		return 0;
	}
	return run_error(error, "unexpected option");
}

/* --rootfs, --read-only, --volume, --workdir: the command's root */
static int parse_root_one(struct run_opts *o, int c, const char *arg,
			  GError **error)
{
	struct rootfs_volume *v;

	switch (c) {
	case OPT_ROOTFS:
		g_free(o->rootfs);
		o->rootfs = realpath(arg, NULL);
		if (!o->rootfs || !g_file_test(o->rootfs, G_FILE_TEST_IS_DIR))
			return run_error(error, "--rootfs %s: %s", arg,
					 o->rootfs ? "not a directory" :
						     g_strerror(errno));
		return 0;
	case OPT_READ_ONLY:
		o->read_only = true;
		return 0;
	case 'v':
		if (rootfs_volume_parse(arg, &v, error))
			return -EINVAL;
		g_ptr_array_add(o->volumes, v);
		return 0;
	case 'w':
		if (!*arg)
			return run_error(error, "--workdir needs a directory");
		g_free(o->workdir);
		o->workdir = g_strdup(arg);
		return 0;
	}
	return run_error(error, "unexpected option");
}

/* --- parity with `usernet attach`: --api-socket, --outbound-addr(6),
 * --log-level, --disable-dns, --dns; checked with the helper's own parsers
 * (helper/options.h), passed on to it ------------------------------------ */

/* Drop the helper's arguments that start with @prefix */
static void run_attach_arg_drop(struct run_opts *o, const char *prefix)
{
	guint i = 0;

	while (i < o->attach_args->len) {
		if (g_str_has_prefix(g_ptr_array_index(o->attach_args, i),
				     prefix))
			g_ptr_array_remove_index(o->attach_args, i);
		else
			i++;
	}
}

/* --outbound-addr, --outbound-addr6: kept as given, for --display */
static int parse_outbound(struct run_opts *o, int c, const char *arg,
			  GError **error)
{
	bool v4 = c == OPT_OUTBOUND_ADDR;
	const char *name = v4 ? "--outbound-addr" : "--outbound-addr6";
	struct sockaddr_storage ss;
	char **text = v4 ? &o->outbound4 : &o->outbound6;

	if (helper_opt_outbound(name, arg, v4 ? AF_INET : AF_INET6, &ss, error))
		return -EINVAL;
	g_free(*text);
	*text = g_strdup(arg);
	run_attach_arg(o, name, arg);
	return 0;
}

/* The address of @ss as resolv.conf takes it (no brackets) */
static char *run_sockaddr_text(const struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  text, sizeof(text));
	else
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, text,
			  sizeof(text));
	return g_strdup(text);
}

/* One option of the parity block */
static int parse_parity_one(struct run_opts *o, int c, const char *arg,
			    GError **error)
{
	struct sockaddr_storage ss;

	switch (c) {
	case OPT_API_SOCKET:
		if (!*arg)
			return run_error(error, "--api-socket needs a path");
		g_free(o->api_socket);
		o->api_socket = g_canonicalize_filename(arg, NULL);
		run_attach_arg(o, "--api-socket", o->api_socket);
		return 0;
	case OPT_OUTBOUND_ADDR:
	case OPT_OUTBOUND_ADDR6:
		return parse_outbound(o, c, arg, error);
	case OPT_LOG_LEVEL:
		if (helper_opt_log_level(arg, &o->log_level, error))
			return -EINVAL;
		o->debug = o->log_level == LOG_LVL_DEBUG;
		run_attach_arg_drop(o, "--log-level=");
		run_attach_arg(o, "--log-level", arg);
		return 0;
	case OPT_DISABLE_DNS:
		o->disable_dns = true;
		run_attach_arg(o, "--disable-dns", NULL);
		return 0;
	case OPT_DNS:
		if (helper_opt_dns(arg, o->dns->len, &ss, error))
			return -EINVAL;
		g_ptr_array_add(o->dns, run_sockaddr_text(&ss));
		run_attach_arg(o, "--dns", arg);
		return 0;
	}
	return run_error(error, "unexpected option");
}

/* After all options: what --rootfs changes (what needs it, --user names) */
static int run_opts_check_root(struct run_opts *o, GError **error)
{
	if (!o->rootfs && o->read_only)
		return run_error(error, "--read-only needs --rootfs");
	if (!o->rootfs && o->volumes->len)
		return run_error(error, "--volume needs --rootfs (without it, "
					"the host's files are all visible)");
	if (o->rootfs && o->workdir && o->workdir[0] != '/')
		return run_error(error,
				 "--workdir %s: give an absolute path "
				 "inside --rootfs",
				 o->workdir);
	if (o->user &&
	    rootfs_user_resolve(o->rootfs, o->user, &o->uid, &o->gid, error))
		return -EINVAL;
	if (o->user &&
	    rootfs_user_groups(o->rootfs, o->user, o->gid, o->groups))
		return run_error(error, "--user '%s': cannot read the groups",
				 o->user);
	return 0;
}

/* --hostname NAME: letters, digits, '-' and '.', up to 64 (the kernel's
 * limit), starting with a letter or digit */
static int parse_hostname(struct run_opts *o, const char *s, GError **error)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !g_ascii_isalnum(s[0]) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-.") != n)
		return run_error(error,
				 "--hostname '%s': give 1 to 64 letters, "
				 "digits, '-' or '.', starting with a letter "
				 "or digit",
				 s);
	g_free(o->hostname);
	o->hostname = g_strdup(s);
	return 0;
}

/* Once every option is read: the parity options are the helper's, they
 * need one; the last of --debug and --log-level wins, as in attach, and the
 * helper gets that one only (run_helper_argv() passes --debug) */
static int resolve_parity(struct run_opts *o, GError **error)
{
	const char *given = o->api_socket  ? "--api-socket" :
			    o->outbound4   ? "--outbound-addr" :
			    o->outbound6   ? "--outbound-addr6" :
			    o->disable_dns ? "--disable-dns" :
			    o->dns->len	   ? "--dns" :
					     NULL;

	if (o->net != RUN_NET_USERNET && given)
		return run_error(error, "%s needs --net usernet", given);
	if (o->debug)
		run_attach_arg_drop(o, "--log-level=");
	return 0;
}

/**
 * run_resolv_nameservers() - the nameservers /etc/resolv.conf names in the
 * sandbox: the built-in DNS (network+3, and fd00::3 with -6); with
 * --disable-dns the --dns addresses, reached directly through the NAT
 * @o:		options
 *
 * Return: NULL-terminated, g_strfreev() it; empty: the file is left as it
 * is (--disable-dns without --dns, or no network of usernet's)
 */
char **run_resolv_nameservers(const struct run_opts *o)
{
	GPtrArray *a = g_ptr_array_new();
	char text[INET6_ADDRSTRLEN];
	struct in6_addr dns6 = addr_plan_dns6();
	struct addr_cidr4 c;
	struct in_addr dns4;
	guint i;

	if (o->net == RUN_NET_USERNET && o->disable_dns) {
		for (i = 0; i < o->dns->len; i++)
			g_ptr_array_add(a,
					g_strdup(g_ptr_array_index(o->dns, i)));
	} else if (o->net == RUN_NET_USERNET) {
		addr_cidr4_parse(o->cidr, &c);
		dns4 = addr_plan_dns4(&c);
		inet_ntop(AF_INET, &dns4, text, sizeof(text));
		g_ptr_array_add(a, g_strdup(text));
		if (o->ipv6) {
			inet_ntop(AF_INET6, &dns6, text, sizeof(text));
			g_ptr_array_add(a, g_strdup(text));
		}
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/**
 * run_ping_group_range() - the value of net.ipv4.ping_group_range that the
 * new network namespace gets, so that ping works inside without privilege
 * (ICMP echo sockets): every group mapped in the user namespace
 * @o:		options
 *
 * A per-network-namespace sysctl: written in the sandbox's namespace only,
 * never the host's.
 *
 * Return: "LOW HIGH" (g_free() it), or NULL: --net host, or a --sysctl of
 * the same key, which wins
 */
char *run_ping_group_range(const struct run_opts *o)
{
	uint64_t low = UINT32_MAX, high = 0;
	guint i;
	int j;

	if (o->net == RUN_NET_HOST)
		return NULL;
	for (i = 0; i < o->sysctls->len; i++) {
		const char *kv = g_ptr_array_index(o->sysctls, i);

		if (g_str_has_prefix(kv, RUN_PING_GROUP_RANGE "="))
			return NULL;
	}
	for (j = 0; j < o->maps.n; j++) {
		const struct userns_range *r = &o->maps.gid[j];

		if (!r->count)
			continue;
		low = MIN(low, (uint64_t)r->inside);
		high = MAX(high, (uint64_t)r->inside + r->count - 1);
	}
	if (low > high)
		return NULL;
	return g_strdup_printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
			       (guint64)low, (guint64)high);
}

/* --display, the parity options: DNS, outbound addresses, API socket */
static void run_display_parity(const struct run_opts *o, FILE *out)
{
	g_autoptr(GString) dns = g_string_new(NULL);
	guint i;

	for (i = 0; i < o->dns->len; i++)
		g_string_append_printf(dns, "%s%s", i ? ", " : "",
				       (char *)g_ptr_array_index(o->dns, i));
	if (o->disable_dns)
		fprintf(out, "  DNS:            none (--disable-dns)\n");
	else
		fprintf(out, "  DNS:            built-in, asking %s\n",
			o->dns->len ? dns->str :
				      "the host's resolv.conf's servers");
	if (o->outbound4)
		fprintf(out, "  outbound IPv4:  from %s\n", o->outbound4);
	if (o->outbound6)
		fprintf(out, "  outbound IPv6:  from %s\n", o->outbound6);
	fprintf(out, "  API socket:     %s\n",
		o->api_socket ? o->api_socket : "none");
}

/* One option: the simple flags here, the others by group */
static int parse_one(struct run_opts *o, int c, const char *arg, GPtrArray *add,
		     GPtrArray *drop, GError **error)
{
	switch (c) {
	case 'p':
	case OPT_CIDR:
	case OPT_MTU:
	case '6':
	case OPT_ALLOW_HOST_LOOPBACK:
	case OPT_PUBLISH_AUTO:
	case OPT_PORT_MODE:
		return parse_net_one(o, c, arg, error);
	case OPT_NET:
	case OPT_SYSCTL:
		return parse_netns_one(o, c, arg, error);
	case OPT_MAP_SUBIDS:
	case OPT_USER:
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
	case OPT_SECCOMP:
		return parse_identity_one(o, c, arg, add, drop, error);
	case OPT_PCAP:
	case OPT_PCAP_MAX_SIZE:
		return parse_pcap(o, c, arg, error);
	case OPT_ROOTFS:
	case OPT_READ_ONLY:
	case 'v':
	case 'w':
		return parse_root_one(o, c, arg, error);
	case OPT_API_SOCKET:
	case OPT_OUTBOUND_ADDR:
	case OPT_OUTBOUND_ADDR6:
	case OPT_LOG_LEVEL:
	case OPT_DISABLE_DNS:
	case OPT_DNS:
		return parse_parity_one(o, c, arg, error);
	case OPT_DISPLAY:
		o->display = true;
		return 0;
	case OPT_DEBUG:
		o->debug = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case OPT_HOSTNAME:
		return parse_hostname(o, arg, error);
	case OPT_BYPASS:
		o->bypass = true;
		return 0;
	}
	return run_error(error, "unexpected option");
}

/* The supplementary groups --user NAME gets: only with --map-subids (a
 * single-id map denies setgroups()), and only the ids mapped inside */
static void run_groups_settle(struct run_opts *o)
{
	guint i = 0;

	if (!o->maps.subids)
		g_array_set_size(o->groups, 0);
	while (i < o->groups->len) {
		if (userns_plan_maps(o->maps.gid, o->maps.n,
				     g_array_index(o->groups, gid_t, i)))
			i++;
		else
			g_array_remove_index(o->groups, i);
	}
}

/**
 * run_opts_parse() - parse the arguments after `run`
 * @o:		options, from run_opts_init()
 * @argc:	argument count, argv[0] being "run"
 * @argv:	arguments; options stop at "--" or at the first non-option
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int run_opts_parse(struct run_opts *o, int argc, char **argv, GError **error)
{
	g_autoptr(GPtrArray) add = g_ptr_array_new();
	g_autoptr(GPtrArray) drop = g_ptr_array_new();
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:6hv:w:", run_longopts,
				NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				return run_error(error, "unknown option -%c",
						 optopt);
			return run_error(error, "unknown option %s",
					 argv[optind - 1]);
		}
		if (c == ':')
			return run_error(error, "option %s needs a value",
					 argv[optind - 1]);
		if (parse_one(o, c, optarg, add, drop, error))
			return -EINVAL;
	}
	if (o->help)
		return 0;
	if (resolve_caps(o, add, drop, error))
		return -EINVAL;
	if (optind >= argc)
		return run_error(error,
				 "missing COMMAND (usernet run [OPTIONS] "
				 "-- COMMAND [ARG...])");
	o->argv = argv + optind;
	if (helper_opt_check_ipv6_mtu(o->mtu, o->ipv6, error))
		return -EINVAL;
	if (o->net != RUN_NET_USERNET && o->publish->len)
		return run_error(error, "--publish needs --net usernet");
	if (o->net != RUN_NET_USERNET && o->publish_auto)
		return run_error(error, "--publish-auto needs --net usernet");
	if (o->net != RUN_NET_USERNET && o->bypass)
		return run_error(error, "--bypass needs --net usernet");
	if (o->net == RUN_NET_HOST && o->sysctls->len)
		return run_error(error, "--sysctl needs a network namespace of "
					"its own (not --net host)");
	if (run_opts_check_root(o, error))
		return -EINVAL;
	if (resolve_parity(o, error))
		return -EINVAL;
	if (userns_plan_make(o->map_subids, &o->maps, error))
		return -EINVAL;
	if (!userns_plan_maps(o->maps.uid, o->maps.n, o->uid) ||
	    !userns_plan_maps(o->maps.gid, o->maps.n, o->gid)) {
		g_autofree char *uids = userns_plan_to_string(o->maps.uid,
							      o->maps.n);

		return run_error(error,
				 "--user %u:%u does not exist in the "
				 "user namespace (its uids: %s%s)",
				 (unsigned)o->uid, (unsigned)o->gid, uids,
				 o->map_subids ? "" :
						 "; --map-subids maps "
						 "more");
	}
	run_groups_settle(o);
	return 0;
}

/**
 * run_helper_argv() - the command line of the network helper
 * @o:		options
 * @self:	path of this program
 * @pid:	the sandbox's first process
 * @ready_fd:	fd the helper writes "1" to when ready
 * @exit_fd:	fd whose end of file stops the helper
 *
 * Return: NULL-terminated, g_strfreev() it
 */
char **run_helper_argv(const struct run_opts *o, const char *self, pid_t pid,
		       int ready_fd, int exit_fd)
{
	GPtrArray *a = g_ptr_array_new();
	guint i;

	g_ptr_array_add(a, g_strdup(self));
	g_ptr_array_add(a, g_strdup("attach"));
	g_ptr_array_add(a, g_strdup("--configure"));
	/* the helper's isolation: empty root, seccomp (confine/isolate.c) */
	g_ptr_array_add(a, g_strdup("--sandbox"));
	g_ptr_array_add(a, g_strdup_printf("--mtu=%u", o->mtu));
	g_ptr_array_add(a, g_strdup_printf("--cidr=%s", o->cidr));
	if (o->ipv6)
		g_ptr_array_add(a, g_strdup("--enable-ipv6"));
	if (!o->allow_host_loopback)
		g_ptr_array_add(a, g_strdup("--disable-host-loopback"));
	if (o->debug)
		g_ptr_array_add(a, g_strdup("--debug"));
	for (i = 0; i < o->attach_args->len; i++)
		g_ptr_array_add(a,
				g_strdup(g_ptr_array_index(o->attach_args, i)));
	g_ptr_array_add(a, g_strdup_printf("--ready-fd=%d", ready_fd));
	g_ptr_array_add(a, g_strdup_printf("--exit-fd=%d", exit_fd));
	if (o->bypass)
		g_ptr_array_add(a, g_strdup_printf("--bypass-fd=%d",
						   RUN_BYPASS_HELPER_FD));
	g_ptr_array_add(a, pid ? g_strdup_printf("%d", (int)pid) :
				 g_strdup("PID"));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* --display, the network namespace: the plan of the guest's network */
static void run_display_usernet(const struct run_opts *o, FILE *out)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_auto(GStrv) helper = run_helper_argv(o, self ? self : "usernet", 0, 3,
					       4);
	g_autofree char *helper_line = g_strjoinv(" ", helper);
	char gw[INET_ADDRSTRLEN], dns[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN];
	char p6[INET6_ADDRSTRLEN];
	struct in6_addr prefix6 = addr_plan_prefix6();
	struct in_addr a;
	struct addr_cidr4 c;
	guint i;

	addr_cidr4_parse(o->cidr, &c);
	a = addr_plan_gateway4(&c);
	inet_ntop(AF_INET, &a, gw, sizeof(gw));
	a = addr_plan_dns4(&c);
	inet_ntop(AF_INET, &a, dns, sizeof(dns));
	a = addr_plan_guest4(&c);
	inet_ntop(AF_INET, &a, guest, sizeof(guest));
	inet_ntop(AF_INET6, &prefix6, p6, sizeof(p6));

	fprintf(out, "network namespace: new, attached to usernet\n");
	fprintf(out,
		"  guest network:  %s, address %s, gateway %s, DNS %s, "
		"MTU %u",
		o->cidr, guest, gw, dns, o->mtu);
	if (o->ipv6)
		fprintf(out, ", IPv6 %s/%u", p6, ADDR_PLAN_PREFIX6_LEN);
	fprintf(out, "\n");
	fprintf(out, "  host loopback:  %s\n",
		o->allow_host_loopback ?
			"reachable at the gateway (--allow-host-loopback)" :
			"not reachable");
	for (i = 0; i < o->publish->len; i++)
		fprintf(out, "  published:      %s\n",
			(char *)g_ptr_array_index(o->publish, i));
	if (!o->publish->len)
		fprintf(out, "  published:      none\n");
	if (o->publish_auto)
		fprintf(out, "  auto-publish:   %s\n",
			*o->publish_auto ? o->publish_auto : "1024-65535");
	run_display_parity(o, out);
	fprintf(out, "  helper:         %s\n", helper_line);
}

/* --display, the seccomp profile and what it refuses */
static void run_display_seccomp(const struct run_opts *o, FILE *out)
{
	const struct sysfilter_entry *e;
	size_t n, j;

	if (!o->seccomp) {
		fprintf(out, "seccomp:          unconfined\n");
		return;
	}
	e = sysfilter_command_profile(&n);
	fprintf(out,
		"seccomp:          default profile: %zu system calls "
		"refused (EPERM unless said):\n",
		n);
	for (j = 0; j < n; j++)
		fprintf(out, "  %-20s %s\n", e[j].name, e[j].reason);
}

/* --display, the namespaces besides the user's and the network's */
static void run_display_namespaces(const struct run_opts *o, FILE *out)
{
	g_auto(GStrv) resolv = run_resolv_nameservers(o);
	g_autofree char *resolv_line = g_strjoinv(", ", resolv);

	fprintf(out, "pid namespace:    new; init (usernet) is PID 1: reaps "
		     "orphans, forwards signals,\n"
		     "                  exits with the command's status; the "
		     "command is PID 2\n");
	fprintf(out, "mount namespace:  new%s%s\n",
		*resolv ? "; /etc/resolv.conf names " : "", resolv_line);
	fprintf(out, "  /proc:          proc of the new PID namespace "
		     "(nosuid, nodev, noexec)\n");
	fprintf(out, "  /sys:           %s\n",
		o->net == RUN_NET_HOST ?
			"the host's, bound read-only (--net host)" :
			"sysfs of the new network namespace, read-only");
	fprintf(out, "ipc namespace:    new\n");
	fprintf(out, "uts namespace:    new, hostname %s\n", o->hostname);
}

/* --display: the supplementary groups of the command */
static void run_display_groups(const struct run_opts *o, FILE *out)
{
	g_autoptr(GString) s = g_string_new(NULL);
	guint i;

	for (i = 0; i < o->groups->len; i++)
		g_string_append_printf(s, "%s%u", i ? ", " : "",
				       (unsigned)g_array_index(o->groups, gid_t,
							       i));
	if (!o->maps.subids)
		fprintf(out, "  supplementary groups: unchanged (setgroups "
			     "denied; --map-subids lets --user NAME have "
			     "its groups)\n");
	else
		fprintf(out, "  supplementary groups: %s\n",
			s->len ? s->str : "none");
}

/**
 * run_display() - print the resolved plan (--display)
 * @o:		options
 * @out:	stream
 */
void run_display(const struct run_opts *o, FILE *out)
{
	g_autofree char *uids = userns_plan_to_string(o->maps.uid, o->maps.n);
	g_autofree char *gids = userns_plan_to_string(o->maps.gid, o->maps.n);
	g_autofree char *caps = caps_set_to_string(o->caps);
	g_autofree char *cmd = g_strjoinv(" ", o->argv);
	g_autofree char *ping = run_ping_group_range(o);
	guint i;

	fprintf(out,
		"usernet run: the plan (--display: nothing was created)\n");
	fprintf(out, "user namespace:   new\n");
	fprintf(out, "  uid map:        %s%s\n", uids,
		o->maps.subids ? " (newuidmap)" : "");
	fprintf(out, "  gid map:        %s%s\n", gids,
		o->maps.subids ? " (newgidmap)" : ", setgroups denied");
	fprintf(out, "  command runs as: uid %u, gid %u\n", (unsigned)o->uid,
		(unsigned)o->gid);
	run_display_groups(o, out);
	if (o->net == RUN_NET_USERNET)
		run_display_usernet(o, out);
	else if (o->net == RUN_NET_NONE)
		fprintf(out, "network namespace: new, loopback only\n");
	else
		fprintf(out, "network namespace: the host's (--net host)\n");
	if (ping)
		fprintf(out,
			"  sysctl:         " RUN_PING_GROUP_RANGE "=%s "
			"(ping without privilege)\n",
			ping);
	for (i = 0; i < o->sysctls->len; i++)
		fprintf(out, "  sysctl:         %s\n",
			(char *)g_ptr_array_index(o->sysctls, i));
	run_display_namespaces(o, out);
	rootfs_display(o, out);
	fprintf(out, "capabilities:     %s\n", caps);
	fprintf(out,
		"  bounding, permitted, effective, inheritable: as above; "
		"ambient: %s\n",
		o->uid ? "as above" : "none (root)");
	fprintf(out, "no_new_privs:     yes\n");
	run_display_seccomp(o, out);
	if (o->net == RUN_NET_USERNET)
		run_bypass_display(o, out);
	fprintf(out, "command:          %s\n", cmd);
}
