/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/options.h - the command line of the network helper (`usernet
 * attach`, the drop-in slirp4netns), and the one parser and bound of each
 * option that `usernet run` passes on to it (launcher/runopts.c)
 */
#ifndef HELPER_OPTIONS_H
#define HELPER_OPTIONS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <glib.h>

#include "common/addr.h"
#include "netns/ns.h"
#include "portfwd/autopub.h"
#include "portfwd/fwd.h"
#include "slirp/engine.h"

/* --port-max-conns: at most this many connections per rule */
#define HELPER_MAX_CONNS_MAX (1U << 20)

/**
 * struct helper_opts - the parsed command line of `usernet attach`
 * @target:	namespace to attach to
 * @tapname:	tap device name
 * @configure:	configure lo and the tap over netlink
 * @ready_fd:	fd to write "1" to when ready, or -1
 * @exit_fd:	fd whose poll event makes us exit, or -1
 * @bypass_fd:	usernet run --bypass: channel the command's seccomp listener
 *		comes on (helper/bypass.c), or -1
 * @net:	libslirp network parameters
 * @set_mac:	@mac is set
 * @mac:	tap MAC address (--macaddress)
 * @publish:	struct pf_spec to publish at start
 * @dns:	--dns: struct sockaddr_storage of the nameservers the DNS relay
 *		asks instead of the host's resolv.conf (empty: resolv.conf)
 * @port_mode:	how published ports are carried (enum pf_mode)
 * @max_conns:	bound of open connections per published rule
 * @api_socket:	path of the JSON API socket, or NULL
 * @autopub:	--publish-auto: ports it may publish; NULL without it
 * @sandbox:	--enable-sandbox: empty root (confine/isolate.c)
 * @seccomp:	--enable-seccomp: the helper's seccomp allowlist
 * @debug:	verbose logs
 * @log_level:	most verbose level logged (enum log_level, --log-level);
 *		--debug (@debug) means LOG_LVL_DEBUG
 * @pcap:	--pcap: capture the tap's frames to this file, or NULL
 * @pcap_max_size: --pcap-max-size: size cap of one capture file, 0 none
 * @help:	--help was given: print usage, exit 0
 * @version:	--version was given: print versions, exit 0
 * @as_slirp4netns: run as the drop-in slirp4netns (helper/slirp4netns.c)
 * @dns_alias4_on: the DNS relay also answers at @dns_alias4 (pasta's
 *		--dns-forward, helper/pasta.c)
 * @dns_alias4:	a second IPv4 DNS address of the guest
 */
struct helper_opts {
	struct ns_target target;
	char tapname[IFNAMSIZ];
	bool configure;
	int ready_fd;
	int exit_fd;
	int bypass_fd;
	struct sl_config net;
	bool set_mac;
	uint8_t mac[6];
	GArray *publish;
	GArray *dns;
	int port_mode;
	unsigned max_conns;
	char *api_socket;
	struct autopub_ports *autopub;
	bool sandbox;
	bool seccomp;
	bool debug;
	int log_level;
	char *pcap;
	uint64_t pcap_max_size;
	bool help;
	bool version;
	bool as_slirp4netns;
	bool dns_alias4_on;
	struct in_addr dns_alias4;
};

void helper_opts_init(struct helper_opts *o);
void helper_opts_clear(struct helper_opts *o);
int helper_opts_parse(struct helper_opts *o, int argc, char **argv,
		      GError **error);
void helper_usage(FILE *out, bool as_slirp4netns);
void helper_version_print(FILE *out, bool as_slirp4netns);

/* One option each, with its bounds and its message (UN_EXIT_USAGE) */
int helper_opt_mtu(const char *arg, unsigned *out, GError **error);
int helper_opt_cidr(const char *arg, struct addr_cidr4 *out, GError **error);
int helper_opt_port_mode(const char *arg, enum pf_mode *out, GError **error);
int helper_opt_pcap(const char *arg, GError **error);
int helper_opt_pcap_max_size(const char *arg, uint64_t *out, GError **error);
int helper_opt_check_ipv6_mtu(unsigned mtu, bool ipv6, GError **error);
int helper_opt_outbound(const char *opt, const char *s, int family, void *sa,
			GError **error);
int helper_opt_dns(const char *arg, unsigned have, struct sockaddr_storage *out,
		   GError **error);
int helper_opt_log_level(const char *arg, int *out, GError **error);
int helper_opt_ifname(const char *arg, char *out, GError **error);

#endif /* HELPER_OPTIONS_H */
