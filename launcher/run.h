/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/run.h - `usernet run`: a command in a fresh rootless sandbox with
 * a working network
 */
#ifndef LAUNCHER_RUN_H
#define LAUNCHER_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <glib.h>

#include "launcher/userns.h"

/* The MTU of `usernet run`'s network unless --mtu says otherwise: the
 * largest a tap takes but one, as RootlessKit's and Podman's default */
#define RUN_MTU_DEFAULT 65520

/* Exit statuses of `usernet run` itself, as Podman's */
#define RUN_EXIT_LAUNCHER 125 /* usernet failed: command line, namespaces */
#define RUN_EXIT_CANNOT_EXEC 126 /* the command cannot be executed */
#define RUN_EXIT_NOT_FOUND 127 /* the command is not found */

/* The sandbox's host name unless --hostname says otherwise */
#define RUN_HOSTNAME_DEFAULT "usernet"

enum run_net {
	RUN_NET_USERNET, /* new network namespace, usernet attached */
	RUN_NET_NONE, /* new network namespace, lo only */
	RUN_NET_HOST, /* the caller's network namespace */
};

/**
 * struct run_opts - the resolved plan of `usernet run`
 * @net:		network mode
 * @attach_args:	arguments for the helper `usernet attach` (networking
 *			options as given: -p, --cidr, --mtu, -6, ...)
 * @publish:		the --publish specs, for --display
 * @publish_auto:	--publish-auto's RANGE ("" for the default range, 1024-65535), or NULL
 * @cidr:		guest network text (default ADDR_PLAN_CIDR4_DEFAULT)
 * @mtu:		MTU (default RUN_MTU_DEFAULT)
 * @ipv6:		--enable-ipv6
 * @allow_host_loopback: --allow-host-loopback
 * @map_subids:		--map-subids
 * @maps:		uid and gid maps
 * @uid:		user inside (--user), default 0
 * @gid:		group inside, default 0
 * @caps:		capability set of the command
 * @sysctls:		"net.x.y=value" strings (--sysctl)
 * @hostname:		host name in the sandbox's UTS namespace (--hostname)
 * @seccomp:		apply the default seccomp profile
 * @display:		print the plan and exit
 * @debug:		verbose logs (and a verbose helper)
 * @log_level:		--log-level (enum log_level; @debug means LOG_LVL_DEBUG)
 * @api_socket:		--api-socket, made absolute, or NULL
 * @outbound4:		--outbound-addr as given, or NULL
 * @outbound6:		--outbound-addr6 as given, or NULL
 * @disable_dns:	--disable-dns
 * @dns:		the --dns addresses (as inet_ntop() writes them)
 * @help:		--help
 * @rootfs:		--rootfs DIR (absolute, links resolved), or NULL
 * @read_only:		--read-only: the root read-only
 * @volumes:		--volume, struct rootfs_volume
 * @workdir:		--workdir, or NULL (/ with --rootfs, else unchanged)
 * @user:		--user as given, resolved once all options are read
 * @argv:		the command (NULL-terminated)
 * @bypass:		--bypass: host sockets for the command's outbound TCP
 *			(launcher/bypass.c)
 * @bypass_fd:		with @bypass, the listener's channel while running:
 *			[0] the sandbox's end, [1] the helper's; -1 otherwise
 */
struct run_opts {
	enum run_net net;
	GPtrArray *attach_args;
	GPtrArray *publish;
	char *publish_auto;
	char *cidr;
	unsigned mtu;
	bool ipv6;
	bool allow_host_loopback;
	bool map_subids;
	struct userns_plan maps;
	uid_t uid;
	gid_t gid;
	GArray *groups;
	uint64_t caps;
	GPtrArray *sysctls;
	char *hostname;
	bool seccomp;
	bool display;
	bool debug;
	int log_level;
	int bypass_fd[2];
	char *api_socket;
	char *outbound4;
	char *outbound6;
	bool disable_dns;
	GPtrArray *dns;
	bool help;
	bool bypass;
	char *rootfs;
	bool read_only;
	GPtrArray *volumes;
	char *workdir;
	char *user;
	char **argv;
};

void run_opts_init(struct run_opts *o);
void run_opts_clear(struct run_opts *o);
int run_opts_parse(struct run_opts *o, int argc, char **argv, GError **error);
void run_usage(FILE *out);
void run_display(const struct run_opts *o, FILE *out);
char **run_helper_argv(const struct run_opts *o, const char *self, pid_t pid,
		       int ready_fd, int exit_fd);
int run_main(int argc, char **argv);

/* Parity with `usernet attach` (launcher/runopts.c) */
#define RUN_PING_GROUP_RANGE "net.ipv4.ping_group_range"
char **run_resolv_nameservers(const struct run_opts *o);
char *run_ping_group_range(const struct run_opts *o);

#endif /* LAUNCHER_RUN_H */
