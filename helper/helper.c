/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/helper.c - the run of the network helper (`usernet attach`, and the
 * drop-in slirp4netns): its start-up stages in order, the event loop's
 * watchers that end it, the summary it prints, and what the API asks of it
 * (its figures, the packet capture: struct api_helper_ops). The command line
 * is helper/options.c; the slirp4netns entry point helper/slirp4netns.c.
 *
 * DOC: Start-up order (what "ready" means, as for slirp4netns), one stage
 * function each, called in this order by helper_run():
 *  1. helper_prepare(): inherited fds closed, not dumpable, the fd limit
 *     raised, the signals blocked into a signalfd, the namespace agent
 *     forked (while the process is small: netns/agent.c, "A lean agent");
 *  2. helper_open_target(): open the target's namespace files, the agent
 *     joins them, opens (or attaches to) the tap and configures it if
 *     asked; the agent stays only if the forwarders need sockets inside;
 *  3. helper_start_engine(): libslirp on the tap, the --pcap capture, the
 *     event loop, the DNS relay;
 *  4. helper_publish(): the forwarding table, the ports of -p, auto-publish;
 *  5. helper_serve_api(): the API socket, acting on the forwarding table
 *     itself and on the helper through helper_api_ops;
 *  6. helper_confine(): isolate (confine/isolate.c: capabilities, and with
 *     --enable-sandbox/--enable-seccomp an empty root, no_new_privs,
 *     seccomp);
 *  7. helper_watch(): what ends the loop: SIGTERM/SIGINT/SIGHUP, the exit
 *     fd, the target going away (pidfd, or the namespace file replaced);
 *  8. helper_ready(): print the summary, write "1" to the ready fd and close
 *     it;
 *  9. helper_after_ready(): what need not delay ready: the sockets made
 *     ahead for published ports, and an agent no port can ever need goes
 *     (no -p, no --api-socket, no --publish-auto: one process left);
 * then the event loop runs until one of those, or a tap failure.
 *
 * Packet capture (--pcap, or start_capture through the API) is opened before
 * isolation: its file and directory fd are what the sandbox and the seccomp
 * filter leave reachable (confine/sysfilter_helper.c allows creating and
 * renaming files in that directory only, for rotation). SIGUSR1 flushes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/isolate.h"
#include "confine/sysfilter_helper.h"
#include "helper/bypass.h"
#include "helper/helper.h"
#include "netns/agent.h"
#include "portfwd/api.h"
#include "portfwd/fwd.h"
#include "slirp/capture.h"
#include "slirp/dnsrelay.h"
#include "slirp/loop.h"

/* How often a namespace file (--netns-type=path), or a target PID without a
 * pidfd, is checked: the helper exits within a second of the target going */
#define ATTACH_TARGET_CHECK_MS 500

/**
 * struct helper_ctx - state of a running helper
 * @o:		options
 * @fds:	target namespace files
 * @signal_fd:	signalfd of SIGTERM, SIGINT, SIGHUP, SIGUSR1
 * @agent:	namespace agent, kept while forwarders need sockets inside
 * @tap_fd:	the tap, until the engine takes it; -1 otherwise
 * @path_dirfd:	with the sandbox, O_PATH fd of the directory of the
 *		namespace file (--netns-type=path), opened in the host's mount
 *		namespace; -1 otherwise
 * @path_base:	the namespace file's name in @path_dirfd
 * @path_mntns:	with @path_dirfd, our mount namespace before the sandbox,
 *		held so that the bind mount of the namespace file stays;
 *		-1 otherwise
 * @cap:	packet capture running, or NULL
 * @diag_fd:	--publish-auto: NETLINK_SOCK_DIAG socket made inside by the
 *		agent, until handed to the watcher; -1 otherwise
 * @statm_fd:	/proc/self/statm, opened before the sandbox, for `stats`
 * @engine:	libslirp and the tap (capture, `stats`)
 * @loop:	the event loop
 * @dns:	the DNS relay, or NULL with --disable-dns
 * @table:	the forwarding table the API acts on
 * @autopub:	--publish-auto's watcher, or NULL
 * @api:	the API server, or NULL without --api-socket
 * @iso:	what the confinement stages are given (helper_confine())
 * @start_ms:	when the helper became ready (CLOCK_MONOTONIC ms)
 * @bypass:	usernet run --bypass's handler process (helper/bypass.c), or
 *		NULL
 * @target_child_userns: the target's user namespace is a child of ours
 *		(ours is its owner's): a parked agent can come back
 */
struct helper_ctx {
	const struct helper_opts *o;
	struct ns_fds fds;
	int signal_fd;
	struct nsagent *agent;
	int tap_fd;
	int path_dirfd;
	char *path_base;
	int path_mntns;
	struct capture_writer *cap;
	int diag_fd;
	int statm_fd;
	struct sl_engine *engine;
	struct sl_loop *loop;
	struct dnsrelay *dns;
	struct pf_table *table;
	struct autopub *autopub;
	struct api_server *api;
	struct isolate_cfg iso;
	int64_t start_ms;
	struct bypass_proc *bypass;
	bool target_child_userns;
};

static void helper_ctx_init(struct helper_ctx *c, const struct helper_opts *o)
{
	*c = (struct helper_ctx){
		.o = o, .fds = { -1, -1, -1 }, .signal_fd = -1, .tap_fd = -1,
		.path_dirfd = -1, .path_mntns = -1, .diag_fd = -1,
		.statm_fd = -1,
		.iso = {
			.sandbox = o->sandbox, .seccomp = o->seccomp,
			.api_socket = o->api_socket, .userns_fd = -1,
			.api_dirfd = -1, .capture_dirfd = -1,
			.agent_pidfd = -1,
		},
	};
}

static void on_signal(struct sl_loop *l, int fd, short revents, void *opaque)
{
	struct helper_ctx *c = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		if (c->cap && capture_flush(c->cap) == 0)
			log_debug("SIGUSR1: flushed the packet capture");
		return;
	}
	log_debug("received signal %u, exiting", si.ssi_signo);
	sl_loop_quit(l, UN_EXIT_OK);
}

static void on_exit_fd(struct sl_loop *l, int fd, short revents, void *opaque)
{
	log_debug("exit fd %d reported an event, exiting", fd);
	sl_loop_quit(l, UN_EXIT_OK);
}

static void on_target_exit(struct sl_loop *l, int fd, short revents,
			   void *opaque)
{
	const struct helper_ctx *c = opaque;

	log_debug("target process %d exited, exiting", c->o->target.pid);
	sl_loop_quit(l, UN_EXIT_OK);
}

/* Without a pidfd (old kernel, or a thread ID): poll the PID instead */
static void on_pid_check(struct sl_loop *l, void *opaque)
{
	const struct helper_ctx *c = opaque;

	if (kill(c->o->target.pid, 0) == 0 || errno != ESRCH)
		return;
	log_debug("target process %d exited, exiting", c->o->target.pid);
	sl_loop_quit(l, UN_EXIT_OK);
}

/* Every NSAGENT_IDLE_MS: an agent without work leaves until the next
 * request (where nsagent_allow_park() let it) */
static void on_agent_idle(struct sl_loop *l, void *opaque)
{
	const struct helper_ctx *c = opaque;

	(void)l;
	nsagent_park_idle(c->agent);
}

static void on_path_check(struct sl_loop *l, void *opaque)
{
	const struct helper_ctx *c = opaque;
	struct stat st;

	if (c->path_dirfd >= 0) {
		/* the sandbox: the host's path, through the host's mounts */
		if (!fstatat(c->path_dirfd, c->path_base, &st, 0) &&
		    st.st_dev == c->fds.netns_dev &&
		    st.st_ino == c->fds.netns_ino)
			return;
	} else if (ns_path_still_same(c->o->target.netns_path, &c->fds)) {
		return;
	}
	log_info("namespace file %s went away, exiting",
		 c->o->target.netns_path);
	sl_loop_quit(l, UN_EXIT_OK);
}

static void nl_config_from_opts(const struct helper_opts *o,
				struct nl_config *n)
{
	memset(n, 0, sizeof(*n));
	g_strlcpy(n->ifname, o->tapname, sizeof(n->ifname));
	n->mtu = o->net.mtu;
	n->set_mac = o->set_mac;
	memcpy(n->mac, o->mac, sizeof(n->mac));
	n->addr4 = addr_plan_guest4(&o->net.cidr);
	n->prefix4 = o->net.cidr.prefix;
	n->gw4 = addr_plan_gateway4(&o->net.cidr);
	n->ipv6 = o->net.ipv6;
	n->addr6 = addr_plan_guest6();
	n->prefix6 = ADDR_PLAN_PREFIX6_LEN;
	n->gw6 = addr_plan_gateway6();
}

/* --publish-auto lists the namespace's sockets through a netlink socket,
 * which lists the namespace it was made in: the agent makes it there */
static int helper_open_diag(struct helper_ctx *c, GError **error)
{
	int fd = nsagent_socket(c->agent, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK,
				NETLINK_SOCK_DIAG, 0);

	if (fd < 0)
		return error_set(error, UN_EXIT_FAILURE, fd,
				 "--publish-auto: cannot make a sock_diag "
				 "netlink socket in the namespace: %s",
				 g_strerror(-fd));
	c->diag_fd = fd;
	return 0;
}

/* The agent (forked by helper_prepare()) into the target's namespaces,
 * with its seccomp filter (sysfilter_agent_export(): built when usernet
 * was built, the agent's PID written in) */
static int helper_join_agent(struct helper_ctx *c, GError **error)
{
	return nsagent_join(c->agent, &c->fds, sysfilter_agent_export, error);
}

/* The tap (@c->tap_fd), opened (and configured) inside the target by the
 * agent, which stays if the port forwarders will need sockets there */
static int helper_open_tap(struct helper_ctx *c, GError **error)
{
	const struct helper_opts *o = c->o;
	struct nl_config ncfg;
	bool existed = false;
	int r;

	r = helper_join_agent(c, error);
	if (r < 0)
		return r;
	r = nsagent_open_tap(c->agent, o->tapname, &c->tap_fd, &existed, error);
	if (r == 0 && o->autopub)
		r = helper_open_diag(c, error);
	if (r == 0 && o->configure) {
		nl_config_from_opts(o, &ncfg);
		r = nsagent_configure(c->agent, &ncfg, error);
	}
	if (r < 0)
		util_close_fdp(&c->tap_fd);
	if (r < 0 || o->port_mode == PF_MODE_SLIRP) {
		nsagent_stop(c->agent);
		c->agent = NULL;
	}
	return r;
}

/* The IPv4 lines of the summary, as slirp4netns prints them */
static void print_summary_ipv4(const struct sl_config *n)
{
	struct in_addr mask = addr_cidr4_mask(&n->cidr);
	struct in_addr gw = addr_plan_gateway4(&n->cidr);
	struct in_addr dns = addr_plan_dns4(&n->cidr);
	struct in_addr d0 = addr_plan_dhcp_start4(&n->cidr);
	struct in_addr d1 = addr_plan_dhcp_end4(&n->cidr);
	struct in_addr guest = addr_plan_guest4(&n->cidr);
	char a[INET_ADDRSTRLEN];

	printf("* MTU:             %u\n", n->mtu);
	printf("* Network:         %s\n",
	       inet_ntop(AF_INET, &n->cidr.net, a, sizeof(a)));
	printf("* Netmask:         %s\n",
	       inet_ntop(AF_INET, &mask, a, sizeof(a)));
	printf("* Gateway:         %s\n",
	       inet_ntop(AF_INET, &gw, a, sizeof(a)));
	if (!n->disable_dns)
		printf("* DNS:             %s\n",
		       inet_ntop(AF_INET, &dns, a, sizeof(a)));
	printf("* DHCP begin:      %s\n",
	       inet_ntop(AF_INET, &d0, a, sizeof(a)));
	printf("* DHCP end:        %s\n",
	       inet_ntop(AF_INET, &d1, a, sizeof(a)));
	printf("* Recommended IP:  %s\n",
	       inet_ntop(AF_INET, &guest, a, sizeof(a)));
}

static void print_summary_ipv6(const struct sl_config *n)
{
	struct in6_addr p6 = addr_plan_prefix6();
	struct in6_addr g6 = addr_plan_gateway6();
	struct in6_addr d6 = addr_plan_dns6();
	char a6[INET6_ADDRSTRLEN];

	printf("* IPv6 network:    %s/%u\n",
	       inet_ntop(AF_INET6, &p6, a6, sizeof(a6)), ADDR_PLAN_PREFIX6_LEN);
	printf("* IPv6 gateway:    %s\n",
	       inet_ntop(AF_INET6, &g6, a6, sizeof(a6)));
	if (!n->disable_dns)
		printf("* IPv6 DNS:        %s\n",
		       inet_ntop(AF_INET6, &d6, a6, sizeof(a6)));
}

static void print_summary(const struct helper_opts *o, struct pf_table *t)
{
	const struct sl_config *n = &o->net;
	struct in_addr gw = addr_plan_gateway4(&n->cidr);
	GPtrArray *rules = pf_table_rules(t);
	char b[INET_ADDRSTRLEN];
	guint i;

	printf("usernet %s on %s\n", USERNET_VERSION, o->tapname);
	print_summary_ipv4(n);
	if (n->ipv6)
		print_summary_ipv6(n);
	for (i = 0; i < rules->len; i++) {
		struct pf_rule *r = g_ptr_array_index(rules, i);
		g_autofree char *s = pf_spec_to_string(&r->spec);

		printf("* Published:       %s\n", s);
	}
	if (o->api_socket)
		printf("* API socket:      %s\n", o->api_socket);
	fflush(stdout);
	if (!n->disable_host_loopback)
		log_warn("127.0.0.1:* on the host is accessible as %s (set "
			 "--disable-host-loopback to prohibit connecting to "
			 "127.0.0.1:*)",
			 inet_ntop(AF_INET, &gw, b, sizeof(b)));
}

static int signals_block(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP); /* as SIGTERM: a clean exit */
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Forwarded connections take two to six fds each (two sockets, and a pipe
 * each way while bytes wait); the forwarding table bounds them from this
 * limit, read in pf_table_new() */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* What only the helper knows, asked by the API (struct api_helper_ops):
 * its figures for `stats` (the table's come from the table) */
static void helper_api_stats(void *opaque, struct api_stats *st)
{
	struct helper_ctx *c = opaque;

	st->tap = *sl_engine_stats(c->engine);
	st->flows = *sl_engine_flow_stats(c->engine);
	st->sockets_known = !sl_engine_sockets(c->engine, &st->tcp_active,
					       &st->udp_active);
	sl_counters_proc_read(c->statm_fd, &st->proc);
	st->uptime_ms = c->start_ms ? util_now_ms() - c->start_ms : 0;
	if (c->bypass) {
		struct bypass_stats b;

		bypass_get_stats(c->bypass, &b);
		st->bypass_on = true;
		st->bypass_connects = b.connects;
		st->bypass_refused = b.refused;
		st->bypass_pending = b.pending;
	}
}

/* One capture at a time: the refusal of a second one, or 0 */
static int capture_busy(const struct helper_ctx *c, GError **error)
{
	if (!c->cap)
		return 0;
	return error_set(error, UN_EXIT_FAILURE, -EBUSY,
			 "a capture to %s is "
			 "already running (stop_capture first)",
			 capture_path(c->cap));
}

/* The API's packet capture into a path: only without confinement, as the
 * sandbox's root is empty and the seccomp filter allows creating no file */
static int helper_api_capture_start(void *opaque, const char *path,
				    uint64_t max_size, GError **error)
{
	struct helper_ctx *c = opaque;
	int r;

	if (c->o->sandbox || c->o->seccomp)
		return error_set(error, UN_EXIT_FAILURE, -EPERM,
				 "the helper runs with --enable-sandbox or "
				 "--enable-seccomp (an empty root, no file "
				 "creation): pass the file instead (`usernet "
				 "capture start`), or give --pcap at start");
	r = capture_busy(c, error);
	if (!r)
		r = capture_open(path, max_size, CAP_OPEN_EXCL, &c->cap, error);
	if (r < 0)
		return r;
	sl_engine_set_capture(c->engine, c->cap);
	log_debug("packet capture to %s started", path);
	return 0;
}

/* start_capture with a file the client opened and passed: allowed in a
 * sandboxed helper, which opens nothing itself */
static int helper_api_capture_start_fd(void *opaque, int fd, uint64_t max_size,
				       GError **error)
{
	struct helper_ctx *c = opaque;
	int r;

	r = capture_busy(c, error);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = capture_open_fd(fd, max_size, "the file passed by the API client",
			    &c->cap, error);
	if (r < 0)
		return r;
	sl_engine_set_capture(c->engine, c->cap);
	log_debug("packet capture to a passed file started");
	return 0;
}

static int helper_api_capture_stop(void *opaque, struct capture_stats *st)
{
	struct helper_ctx *c = opaque;

	if (!c->cap)
		return -ENOENT;
	sl_engine_set_capture(c->engine, NULL);
	log_debug("packet capture to %s stopped", capture_path(c->cap));
	capture_close(c->cap, st);
	c->cap = NULL;
	return 0;
}

static const struct api_helper_ops helper_api_ops = {
	.stats = helper_api_stats,
	.capture_start = helper_api_capture_start,
	.capture_start_fd = helper_api_capture_start_fd,
	.capture_stop = helper_api_capture_stop,
};

static void capture_end(struct helper_ctx *c)
{
	struct capture_stats st;

	if (!c->cap)
		return;
	if (c->engine)
		sl_engine_set_capture(c->engine, NULL);
	capture_close(c->cap, &st);
	c->cap = NULL;
	log_info("packet capture: %" PRIu64 " frames (%" PRIu64 " bytes) in "
		 "%" PRIu64 " file(s), %" PRIu64 " dropped",
		 st.frames, st.bytes, st.files, st.dropped);
}

/* The DNS relay at the plan's DNS addresses, before the sandbox: it watches
 * the resolver file's directories now */
static int helper_dns(struct helper_ctx *c, GError **error)
{
	const struct sl_config *n = &c->o->net;
	struct dnsrelay_cfg cfg = {
		.addrs = {
			.dns4 = addr_plan_dns4(&n->cidr),
			.dns6_on = n->ipv6,
			.dns6 = addr_plan_dns6(),
			.alias4_on = c->o->dns_alias4_on,
			.alias4 = c->o->dns_alias4,
		},
		.mtu = n->mtu,
		.resolv_path = DNSRELAY_RESOLV_PATH,
		.servers = (const void *)c->o->dns->data,
		.nservers = c->o->dns->len,
	};
	int r;

	if (n->disable_dns)
		return 0;
	r = dnsrelay_new(&cfg, c->loop, sl_engine_send_frame, c->engine,
			 &c->dns);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot set up the "
				 "DNS relay: %s",
				 g_strerror(-r));
	sl_engine_set_dns(c->engine, c->dns);
	return 0;
}

/* --pcap: the capture from the start, rotated unless under seccomp */
static int helper_capture(struct helper_ctx *c, GError **error)
{
	const struct helper_opts *o = c->o;
	int r;

	r = capture_open(o->pcap, o->pcap_max_size, CAP_OPEN_TRUNCATE, &c->cap,
			 error);
	if (r < 0)
		return r;
	sl_engine_set_capture(c->engine, c->cap);
	if (o->seccomp) {
		/* the filter allows no file creation or rename: a directory
		 * fd cannot confine the paths used with it */
		capture_no_rotation(c->cap);
		log_info("packet capture: no rotation under --enable-seccomp: "
			 "the capture stops growing at --pcap-max-size "
			 "(default 64M; frames past it are dropped and "
			 "counted)");
	} else {
		/* Landlock (the sandbox's other way): rotation may create and
		 * rename files beneath that directory */
		c->iso.capture_dirfd = capture_dirfd(c->cap);
	}
	return 0;
}

static int report(GError *error)
{
	log_err("%s", error->message);
	return error->domain == UN_ERROR ? error->code : UN_EXIT_FAILURE;
}

/* Stage 1: isolation's first stage, the fd limit, the signals, the agent */
static int helper_prepare(struct helper_ctx *c, GError **error)
{
	const int keep_fds[] = { c->o->ready_fd, c->o->exit_fd,
				 c->o->bypass_fd };
	int r;

	/* Isolation, stage 1: nothing inherited but what we were given */
	r = isolate_fds(keep_fds, G_N_ELEMENTS(keep_fds));
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot close "
				 "inherited fds: %s",
				 g_strerror(-r));
	/* Not dumpable from the start, confined or not: the namespace agent
	 * forked next inherits it */
	r = isolate_nodump();
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot clear the "
				 "dumpable flag: %s",
				 g_strerror(-r));
	raise_fd_limit();
	c->signal_fd = signals_block();
	if (c->signal_fd < 0)
		return error_set(error, UN_EXIT_FAILURE, c->signal_fd,
				 "cannot set up signals: %s",
				 g_strerror(-c->signal_fd));
	/* The agent now, while the process is small: see netns/agent.c, "A
	 * lean agent" (it joins the target in helper_open_tap()) */
	return nsagent_spawn(&c->agent, error);
}

/* Stage 2: the target's namespaces, the agent in them, the tap */
static int helper_open_target(struct helper_ctx *c, GError **error)
{
	int r;

	r = ns_fds_open(&c->o->target, &c->fds, error);
	if (r == 0)
		r = helper_open_tap(c, error);
	if (r < 0)
		return r;
	/* Holding the namespace files would keep a bind mount busy (plain
	 * umount fails); the tap and the recorded inode are all we need */
	util_close_fdp(&c->fds.netns);
	/* Its user namespace is a child of ours: a parked agent can come
	 * back (nsagent_allow_park()) */
	c->target_child_userns = c->fds.userns >= 0;
	/* The sandbox may need to join the target's user namespace */
	if (!c->o->sandbox)
		util_close_fdp(&c->fds.userns);
	return 0;
}

/* Stage 3: libslirp on the tap, the capture, the event loop, the DNS relay */
/* usernet run --bypass: the handler of the command's seccomp listener, a
 * process of its own forked before the helper confines itself */
static int helper_bypass(struct helper_ctx *c, GError **error)
{
	int r;

	if (c->o->bypass_fd < 0)
		return 0;
	r = bypass_spawn(c->o->bypass_fd, &c->o->net, &c->bypass);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--bypass: cannot start its handler: %s",
				 g_strerror(-r));
	return 0;
}

static int helper_start_engine(struct helper_ctx *c, GError **error)
{
	int r;

	r = sl_engine_new(&c->o->net, c->tap_fd, &c->engine);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "libslirp refused "
				 "the configuration: %s",
				 g_strerror(-r));
	c->tap_fd = -1; /* the engine's now */
	if (c->o->pcap) {
		r = helper_capture(c, error);
		if (r < 0)
			return r;
	}
	c->loop = sl_loop_new(c->engine);
	r = helper_bypass(c, error);
	if (r < 0)
		return r;
	return helper_dns(c, error);
}

/*
 * Whether a port can ever be published through the agent: by -p, through
 * the API socket, or by --publish-auto, in --port-mode auto or direct. Its
 * later users (the forwarders' sockets and their pool, the return of
 * replies and the UDP flows' rules, their removal at exit) all come with a
 * published port; without one the agent goes after start-up
 * (helper_after_ready()), and the helper runs alone: one process per
 * container.
 */
static bool helper_agent_needed(const struct helper_opts *o)
{
	return o->port_mode != PF_MODE_SLIRP &&
	       (o->publish->len || o->api_socket || o->autopub);
}

/* The host port the kernel chose for the rule just added (-p GUESTPORT,
 * -p IP::GUESTPORT), on stderr: the user needs it to connect */
static void helper_print_free_port(struct pf_table *t)
{
	GPtrArray *rules = pf_table_rules(t);
	const struct pf_rule *r = g_ptr_array_index(rules, rules->len - 1);
	g_autofree char *s = pf_spec_to_string(&r->spec);

	log_info("published %s: host port %u chosen by the kernel", s,
		 r->spec.host_port);
}

/* Stage 4: the forwarding table, the ports of -p, auto-publish */
static int helper_publish(struct helper_ctx *c, GError **error)
{
	const struct helper_opts *o = c->o;
	guint i;
	int r;

	c->table = pf_table_new(sl_engine_slirp(c->engine), &o->net,
				o->port_mode,
				helper_agent_needed(o) ? c->agent : NULL,
				c->loop);
	if (!c->table)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "cannot set "
				 "up port forwarding: %s",
				 g_strerror(errno));
	pf_table_set_max_conns(c->table, o->max_conns);
	for (i = 0; i < o->publish->len; i++) {
		const struct pf_spec *s = &g_array_index(o->publish,
							 struct pf_spec, i);

		r = pf_table_add(c->table, s, NULL, error);
		if (r < 0)
			return r;
		if (!s->host_port)
			helper_print_free_port(c->table);
	}
	if (!o->autopub)
		return 0;
	r = autopub_new(c->table, c->loop, util_steal_fd(&c->diag_fd),
			o->autopub, o->net.ipv6, &c->autopub);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--publish-auto: "
				 "cannot list the namespace's sockets: %s",
				 g_strerror(-r));
	return 0;
}

/* Stage 5: the API socket, on the table and the helper's ops */
static int helper_serve_api(struct helper_ctx *c, GError **error)
{
	const struct api_backend backend = {
		.table = c->table,
		.ops = &helper_api_ops,
		.opaque = c,
		.slirp4netns_list = c->o->as_slirp4netns,
	};
	int r;

	if (!c->o->api_socket)
		return 0;
	/* Read after the sandbox took /proc away */
	c->statm_fd = sl_counters_proc_open();
	r = api_server_new(c->o->api_socket, &backend, c->loop, &c->api, error);
	if (r < 0)
		return r;
	c->iso.api_dirfd = api_server_dirfd(c->api);
	return 0;
}

/*
 * With the sandbox, the namespace file's path will not be there: its
 * directory, held now, still leads to it (and to what replaces it). The
 * file is a bind mount seen in our mount namespace, which the sandbox
 * leaves: that namespace is held too, or its mounts would go with it and
 * the directory would show the empty file beneath (the namespace agent
 * held it by chance while it lived; it may now exit after start-up)
 */
static int helper_hold_path(struct helper_ctx *c, GError **error)
{
	g_autofree char *dn = g_path_get_dirname(c->o->target.netns_path);

	c->path_base = g_path_get_basename(c->o->target.netns_path);
	c->path_dirfd = open(dn, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->path_dirfd < 0)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "cannot open %s: %s", dn, g_strerror(errno));
	c->path_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (c->path_mntns < 0)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "cannot open "
				 "/proc/self/ns/mnt: %s",
				 g_strerror(errno));
	return 0;
}

/* Stage 6: isolation, stages 2 to 6 (confine/isolate.c) */
static int helper_confine(struct helper_ctx *c, GError **error)
{
	const struct helper_opts *o = c->o;
	int r;

	if (o->sandbox && o->target.type == NS_TARGET_PATH) {
		r = helper_hold_path(c, error);
		if (r < 0)
			return r;
	}
	c->iso.userns_fd = c->fds.userns;
	c->iso.agent_pidfd = nsagent_pidfd(c->agent);
	r = isolate_apply(&c->iso, error);
	util_close_fdp(&c->fds.userns);
	return r;
}

/* Stage 7: what ends the loop, besides a tap failure */
static void helper_watch(struct helper_ctx *c)
{
	const struct helper_opts *o = c->o;

	sl_loop_watch_fd(c->loop, c->signal_fd, POLLIN, on_signal, c);
	if (o->exit_fd >= 0)
		sl_loop_watch_fd(c->loop, o->exit_fd, POLLIN, on_exit_fd, c);
	if (c->fds.pidfd >= 0)
		sl_loop_watch_fd(c->loop, c->fds.pidfd, POLLIN, on_target_exit,
				 c);
	else if (o->target.type == NS_TARGET_PID)
		sl_loop_every(c->loop, ATTACH_TARGET_CHECK_MS, on_pid_check, c);
	if (o->target.type == NS_TARGET_PATH)
		sl_loop_every(c->loop, ATTACH_TARGET_CHECK_MS, on_path_check,
			      c);
	if (c->agent)
		sl_loop_every(c->loop, NSAGENT_IDLE_MS, on_agent_idle, c);
}

/* Stage 8: the summary, and "1" on the ready fd */
static void helper_ready(struct helper_ctx *c)
{
	const struct helper_opts *o = c->o;
	int r;

	print_summary(o, c->table);
	c->start_ms = util_now_ms();
	if (o->ready_fd < 0)
		return;
	r = util_write_all(o->ready_fd, "1", 1);
	if (r < 0)
		log_msg(LOG_LVL_WARN, -r, "cannot write to the ready fd");
	close(o->ready_fd);
}

/* An agent that may leave while idle (nsagent_allow_park()): where a new
 * one can be forked into the target without privilege, and neither the
 * sandbox nor the seccomp filter forbids that */
static void helper_allow_park(struct helper_ctx *c)
{
	const struct helper_opts *o = c->o;
	int r;

	if (o->sandbox || o->seccomp || !c->target_child_userns)
		return;
	r = nsagent_allow_park(c->agent, sysfilter_agent_export);
	if (r < 0)
		log_debug("the namespace agent stays: %s", g_strerror(-r));
}

/*
 * After the ready byte, what start-up need not wait for: the sockets made
 * ahead for the published ports (pf_table_ready()), and an agent no port
 * will ever need goes. Before it goes it removes what a killed helper left
 * in the namespace (the return rules and route, nsagent_return_teardown()),
 * as a clean exit used to; a helper that publishes does so at its first
 * port (nl_return_setup()).
 */
static void helper_after_ready(struct helper_ctx *c)
{
	int r;

	pf_table_ready(c->table);
	if (c->agent && helper_agent_needed(c->o)) {
		helper_allow_park(c);
	} else if (c->agent) {
		r = nsagent_return_teardown(c->agent);
		if (r < 0 && r != -EAFNOSUPPORT)
			log_debug("sweeping the namespace's return rules: %s",
				  g_strerror(-r));
		nsagent_stop(c->agent);
		c->agent = NULL;
	}
	/* What start-up freed goes back: an idle helper keeps what it uses */
	malloc_trim(0);
}

/* Everything the stages made, in the reverse order */
static void helper_ctx_clear(struct helper_ctx *c)
{
	/* Before the loop goes: the server's tick lives in it */
	api_server_free(c->api);
	capture_end(c);
	autopub_free(c->autopub);
	pf_table_free(c->table);
	nsagent_stop(c->agent);
	if (c->engine)
		sl_engine_set_dns(c->engine, NULL);
	dnsrelay_free(c->dns);
	bypass_free(c->bypass);
	sl_loop_free(c->loop);
	sl_engine_free(c->engine);
	ns_fds_close(&c->fds);
	util_close_fdp(&c->tap_fd);
	util_close_fdp(&c->path_dirfd);
	util_close_fdp(&c->path_mntns);
	util_close_fdp(&c->diag_fd);
	util_close_fdp(&c->statm_fd);
	g_free(c->path_base);
	util_close_fdp(&c->signal_fd);
}

/**
 * helper_run() - run the helper on parsed options until it ends
 * @o:		options (helper_opts_parse(), or the pasta entry point's)
 *
 * Return: exit status (enum un_exit)
 */
int helper_run(const struct helper_opts *o)
{
	g_autoptr(GError) error = NULL;
	struct helper_ctx c;
	int status;

	helper_ctx_init(&c, o);
	if (helper_prepare(&c, &error) || helper_open_target(&c, &error) ||
	    helper_start_engine(&c, &error) || helper_publish(&c, &error) ||
	    helper_serve_api(&c, &error) || helper_confine(&c, &error)) {
		status = report(error);
	} else {
		helper_watch(&c);
		helper_ready(&c);
		helper_after_ready(&c);
		status = sl_loop_run(c.loop);
	}
	helper_ctx_clear(&c);
	return status;
}

/**
 * helper_main() - entry point of `usernet attach`, and of the drop-in slirp4netns
 * @argc:		argument count, argv[0] being "attach" (or the program)
 * @argv:		arguments
 * @as_slirp4netns:	run as slirp4netns (helper/slirp4netns.c): its help and version
 *
 * Return: exit status (enum un_exit)
 */
int helper_main(int argc, char **argv, bool as_slirp4netns)
{
	g_autoptr(GError) error = NULL;
	struct helper_opts o;
	int status;

	helper_opts_init(&o);
	o.as_slirp4netns = as_slirp4netns;
	if (helper_opts_parse(&o, argc, argv, &error)) {
		status = report(error);
		helper_opts_clear(&o);
		return status;
	}
	if (o.help || o.version) {
		if (o.help)
			helper_usage(stdout, as_slirp4netns);
		else
			helper_version_print(stdout, as_slirp4netns);
		helper_opts_clear(&o);
		return UN_EXIT_OK;
	}
	log_init("usernet",
		 o.debug ? LOG_LVL_DEBUG : (enum log_level)o.log_level);
	status = helper_run(&o);
	helper_opts_clear(&o);
	return status;
}
