/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_helper.c - the seccomp allowlist of the network helper (usernet
 * attach) and of its namespace agent: the reviewed lists of allowed system
 * calls and their argument rules, built and loaded by sysfilter_load() (the
 * helper's as its last isolation stage)
 *
 * DOC: Theory of operation
 *
 * An allowlist, as passt's: once started, the helper only moves bytes between
 * the tap, libslirp's host sockets, the published ports and the API socket,
 * so every system call it makes from then on is listed in helper_filter_allow[], with
 * the reason, and anything else kills the process (SCMP_ACT_KILL_PROCESS,
 * seen as SIGSYS by whoever waits for it, and in the audit log with the
 * system call number). The list was measured, not guessed: strace of the
 * helper through the integration tests and a session that exercises the exit
 * paths (docs/HELPER-SECCOMP.md has the method and the numbers).
 *
 * What start-up does (namespace files, the agent's fork, the tap, capset,
 * listening sockets, the API socket) is not needed any more, and the calls
 * that would let a compromised helper leave its confinement (execve, ptrace,
 * mount, setns, unshare, clone, bpf, keyrings, modules) are in none of the
 * lists. The helper is single-threaded and never forks after start-up (the
 * namespace agent is forked before, and has its own list,
 * agent_filter_allow[]): clone, clone3, fork and vfork are not allowed at all.
 *
 * Arguments: where a call is cheap to pin down and the rest of its range is
 * kernel surface the helper never needs, helper_filter_specials[] allows only some
 * arguments (socket families and types, setsockopt options, ioctl and fcntl
 * requests, futex operations, signal 0 only for kill and SIGKILL through the
 * agent's pidfd only, tgkill on ourselves, read-only openat, unlinkat of files, no
 * executable mappings).
 * The kernel reads those arguments as 32-bit ints: the comparisons are
 * masked to the low 32 bits, so that junk in the upper half (which the ABI
 * allows) does not turn an allowed call into a kill.
 *
 * ABIs: only the native one. Any other architecture token (i386 through int
 * 0x80 on x86_64) is killed (SCMP_FLTATR_ACT_BADARCH), and x32 numbers
 * (which share the x86_64 token) match no rule and are killed by the default
 * action.
 *
 * A name this libseccomp does not know, or a call this architecture does
 * not have, is skipped: the list then allows less, never more
 * (tests/unit/test-sysfilter-helper.c checks that every name resolves on x86_64).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <seccomp.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/sysfilter_helper.h"
#ifndef SYSFILTER_AGENT_GEN
#include "sysfilter_agent_prebuilt.h"
#endif

/* The kernel reads int arguments: compare their low 32 bits only */
#define SYSFILTER_INT_MAX 0xffffffffULL

/* The reviewed list: keep in step with the table in docs/HELPER-SECCOMP.md */
static const struct sysfilter_entry helper_filter_allow[] = {
	/* Event loop, logging */
	{ "poll", "the event loop (slirp/loop.c): tap, libslirp's sockets, the "
		  "forwarders' epoll fd, signalfd, exit fd, pidfd, API" },
	{ "read",
	  "frames from the tap, signalfd, the exit fd, /etc/resolv.conf "
	  "(the DNS relay re-reads it), /proc/sys values in messages" },
	{ "write", "frames to the tap, log lines to stderr, the ready fd" },
	{ "close", "every fd the helper opens after start-up" },
	{ "restart_syscall",
	  "the kernel restarts an interrupted poll() with it after "
	  "SIGSTOP/SIGCONT (seen once, in a stopped and continued session)" },

	/* Sockets: libslirp's NAT flows, forwarders, API, agent channel */
	{ "socket",
	  "only AF_INET and AF_INET6, SOCK_STREAM and SOCK_DGRAM: libslirp's "
	  "NAT flows (TCP, UDP, ICMP ping sockets), rules added through the "
	  "API, the DNS relay's upstream queries (one UDP or TCP socket "
	  "each); raw inet sockets fail with EPERM (libslirp's ICMP fallback "
	  "when ping sockets are refused), no packet, netlink or new unix "
	  "sockets" },
	{ "connect",
	  "libslirp's outgoing NAT flows, the DNS relay's upstream queries "
	  "(UDP, and non-blocking TCP); portfwd's local-address check" },
	{ "bind", "listening sockets of rules added through the API" },
	{ "listen", "listening sockets of rules added through the API" },
	{ "accept",
	  "libslirp's host forwarding (--port-mode slirp) accepts with it" },
	{ "accept4", "published TCP ports (portfwd/tcpfwd.c), API clients" },
	{ "getsockname",
	  "libslirp (local address of flows), published ports (the host "
	  "address a client connected to), port 0 rules" },
	{ "getpeername", "libslirp and the forwarders: the client's address" },
	{ "setsockopt",
	  "only the (level, option) pairs of helper_filter_sockopts[]: libslirp "
	  "(SO_REUSEADDR, SO_OOBINLINE, TCP_NODELAY, IP_TTL, IP_RECVERR, "
	  "IPV6_V6ONLY, IPV6_RECVERR, IPV6_UNICAST_HOPS), forwarders "
	  "(SO_REUSEADDR, IPV6_V6ONLY, TCP_NODELAY, SO_LINGER; SO_REUSEADDR "
	  "cleared on libslirp's UDP host sockets)" },
	{ "getsockopt",
	  "SO_ERROR of non-blocking connects (forwarders, libslirp, the DNS "
	  "relay's TCP queries); TCP_INFO of libslirp's sockets at shutdown "
	  "(slirp/engine.c); SO_TYPE of libslirp's new UDP host socket "
	  "(--port-mode slirp)" },
	{ "sendto",
	  "libslirp: UDP and ICMP payloads, TCP data; API replies; the DNS "
	  "relay's queries; --publish-auto's sock_diag dump requests "
	  "(netlink socket made by the agent before the filter)" },
	{ "recvfrom",
	  "libslirp: UDP and ICMP payloads, TCP data; API requests; the DNS "
	  "relay's answers; --publish-auto's sock_diag dumps" },
	{ "sendmsg",
	  "requests to the namespace agent (portfwd/, netns/fdpass.c); "
	  "libslirp" },
	{ "recvmsg", "the agent's answers with SCM_RIGHTS (the inner sockets); "
		     "libslirp's MSG_ERRQUEUE reads (ICMP errors)" },
	{ "recvmmsg",
	  "published UDP ports read in batches (portfwd/udpfwd.c)" },
	{ "sendmmsg",
	  "published UDP ports written in batches (portfwd/udpfwd.c)" },
	{ "shutdown",
	  "half-close of forwarded TCP connections; libslirp's TCP state "
	  "machine" },

	/* Published TCP ports: splice through pipes, epoll */
	{ "splice", "forwarded TCP bytes, socket to pipe to socket" },
	{ "pipe2", "two pipes per forwarded TCP connection" },
	{ "epoll_ctl", "the forwarders' epoll interest, per connection" },
	{ "epoll_wait",
	  "the forwarders' epoll set (made at start-up), read when poll() "
	  "says so" },
	{ "fcntl", "only F_GETFL, F_SETFL, F_SETPIPE_SZ: non-blocking mode "
		   "(util_set_nonblock, libslirp), the forwarders' pipe size" },
	{ "ioctl",
	  "only FIONREAD (libslirp sizes UDP datagrams with it) and TCGETS "
	  "(isatty() of the C library's stdio, when the summary is printed)" },

	/* Memory (glib, libslirp, the C library's allocator) */
	{ "brk", "the C library's allocator" },
	{ "mmap",
	  "only without PROT_EXEC: the C library's allocator (large blocks), "
	  "glib" },
	{ "munmap", "the C library's allocator" },
	{ "mremap", "the C library's allocator (realloc of large blocks)" },
	{ "madvise", "the C library's allocator (glibc.malloc.hugetlb tunable, "
		     "trimming); not seen" },

	/* Time, randomness, synchronisation */
	{ "clock_gettime",
	  "timers of libslirp and the loop, log rate limits (the vDSO "
	  "answers, the system call is its fallback on hosts whose clock "
	  "source the vDSO cannot read); not seen" },
	{ "gettimeofday",
	  "glib's wall-clock reads, as clock_gettime (vDSO fallback); not "
	  "seen" },
	{ "time",
	  "time() of the C library (vDSO fallback on hosts without a vDSO); "
	  "not seen" },
	{ "getrandom",
	  "the DNS relay's random query ids (256 bytes at a time, "
	  "slirp/dnsrelay.c); glib seeds its generator (g_random_*) on first "
	  "use" },
	{ "futex",
	  "only FUTEX_WAIT, FUTEX_WAKE and their _BITSET forms (private or "
	  "not): glib's locks wake (FUTEX_WAKE_PRIVATE, measured); no PI or "
	  "requeue operations" },

	/* Signals, processes */
	{ "rt_sigprocmask",
	  "abort() and raise() (g_error(), assertions): so that a crash "
	  "ends as SIGABRT, not as a seccomp kill; not seen" },
	{ "rt_sigaction", "abort() resets SIGABRT's handler; not seen" },
	{ "getpid", "raise(): tgkill on ourselves; not seen" },
	{ "gettid", "raise(): tgkill on ourselves; not seen" },
	{ "tgkill", "only on this process: abort() and raise() (g_error(), "
		    "assertions) end with it; not seen" },
	{ "kill",
	  "only signal 0: the target process check without a pidfd "
	  "(kill(pid, 0), old kernels or a thread as target); no signal "
	  "can be sent with it; not seen" },
	{ "pidfd_send_signal",
	  "only SIGKILL, and only through the namespace agent's pidfd (the "
	  "fd number given to sysfilter_helper_apply()): stopping the agent, its own "
	  "child, when it does not stop by itself or does not answer in "
	  "time (nsagent_stop()); never to the target" },
	{ "wait4", "reaping the namespace agent (nsagent_stop())" },
	{ "exit_group",
	  "exit() at the end of the event loop, or on a fatal error" },
	{ "getrusage",
	  "the API's stats request: the helper's CPU time and peak resident "
	  "set (RUSAGE_SELF; slirp/counters.c)" },

	/* Files */
	{ "openat",
	  "only read-only, no O_CREAT or O_TRUNC: the DNS relay re-reads "
	  "/etc/resolv.conf, /proc/sys/net/ipv4/ip_unprivileged_port_start "
	  "for a refused bind's message" },
	{ "pread64",
	  "the API's stats request: /proc/self/statm re-read from offset 0 "
	  "through the fd opened before the sandbox (slirp/counters.c)" },
	{ "newfstatat",
	  "stat() and fstat(): the namespace path check (every 500 ms), "
	  "the DNS relay's look at resolv.conf (at most once a second), "
	  "fopen() of resolv.conf, fstat of the API socket at exit" },
	{ "fstat",
	  "fstat() of newer C libraries (glibc 2.39 and later call fstat "
	  "where 2.36 calls newfstatat; the same information)" },
	{ "readlink", "/proc/self/exe, for the privileged-port message "
		      "(portfwd/privport.c)" },
	{ "unlinkat",
	  "only flags 0 (no AT_REMOVEDIR): removal of the API socket at "
	  "exit (portfwd/api.c)" },
};

/* AddressSanitizer builds (the ASan+UBSan CI run): what its runtime calls
 * around signals and at exit. Not in release builds. LeakSanitizer cannot
 * run under the filter (it needs clone and ptrace): such runs need
 * ASAN_OPTIONS=detect_leaks=0 for the helper */
#if defined(__SANITIZE_ADDRESS__)
#define SYSFILTER_SANITIZERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYSFILTER_SANITIZERS 1
#endif
#endif

#ifdef SYSFILTER_SANITIZERS
static const struct sysfilter_entry helper_filter_allow_sanitizers[] = {
	{ "sigaltstack",
	  "AddressSanitizer's runtime, around signals and at exit" },
};
#endif

/* socket(): these families, these types (flags may be added) */
static const int helper_filter_families[] = { AF_INET, AF_INET6 };
static const int helper_filter_socktypes[] = { SOCK_STREAM, SOCK_DGRAM };

static const unsigned long helper_filter_ioctls[] = { FIONREAD, TCGETS };
static const unsigned long helper_filter_fcntls[] = {
	F_GETFL,
	F_SETFL,
	F_SETPIPE_SZ,
};
static const unsigned long helper_filter_kill_signals[] = { 0 };
/* The one pidfd SIGKILL may go through (the agent's), set by sysfilter_helper_apply():
 * the helper also holds the target's pidfd, which it only polls. The filter
 * compares the fd number: no call that could put another pidfd there (dup,
 * F_DUPFD, pidfd_open, unix sockets of its own) is allowed */
static int helper_filter_kill_pidfd = -1;

/*
 * setsockopt(): these (level, option) pairs only. Measured from libslirp
 * 4.7.0 (the calls of libslirp.so.0 and its sources: socket.c, tcp_subr.c,
 * udp.c, ip_icmp.c, ip6_icmp.c, util.c) and usernet's own code (portfwd/).
 * Sockets the namespace agent makes get their options there (netns/agent.c,
 * outside this filter). A new setsockopt() in the helper, or a new libslirp,
 * needs its pair here (and in docs/HELPER-SECCOMP.md).
 */
static const struct helper_filter_sockopt {
	int level;
	int name;
} helper_filter_sockopts[] = {
	{ SOL_SOCKET, SO_REUSEADDR }, /* libslirp, listeners */
	{ SOL_SOCKET, SO_OOBINLINE }, /* libslirp's TCP */
	{ SOL_SOCKET, SO_LINGER }, /* forwarders: reset on close */
	{ IPPROTO_TCP, TCP_NODELAY }, /* libslirp, forwarders */
	{ IPPROTO_IP, IP_TTL }, /* libslirp: UDP, ICMP TTL */
	{ IPPROTO_IP, IP_RECVERR }, /* libslirp: ICMP errors */
	{ IPPROTO_IPV6, IPV6_V6ONLY }, /* libslirp, listeners */
	{ IPPROTO_IPV6, IPV6_RECVERR }, /* libslirp: ICMPv6 errors */
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS }, /* libslirp: hop limit */
};

/* socket: each allowed family with each allowed type (helper and agent) */
static int helper_filter_add_inet_pairs(scmp_filter_ctx ctx, int nr,
					uint32_t action)
{
	size_t i, j;
	int r;

	for (i = 0; i < ARRAY_SIZE(helper_filter_families); i++) {
		for (j = 0; j < ARRAY_SIZE(helper_filter_socktypes); j++) {
			r = seccomp_rule_add(ctx, action, nr, 2,
					     SCMP_A0(SCMP_CMP_MASKED_EQ,
						     SYSFILTER_INT_MAX,
						     helper_filter_families[i]),
					     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
						     helper_filter_socktypes[j]));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * The helper's socket(): the inet pairs, and raw inet sockets fail with EPERM
 * rather than kill: libslirp asks for a raw ICMP socket when the host's
 * net.ipv4.ping_group_range refuses it a ping socket (the kernel's default
 * "1 0"), and drops the guest's echo request when that fails too. Killed,
 * every ping from the guest to an outside host would take the network down.
 */
static int helper_filter_add_socket(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(helper_filter_families); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2,
				     SCMP_A0(SCMP_CMP_MASKED_EQ,
					     SYSFILTER_INT_MAX,
					     helper_filter_families[i]),
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
					     SOCK_RAW));
		if (r < 0)
			return r;
	}
	return helper_filter_add_inet_pairs(ctx, nr, action);
}

/* One rule per allowed value of argument @arg */
static int helper_filter_add_values(scmp_filter_ctx ctx, int nr,
				    uint32_t action, unsigned int arg,
				    const unsigned long *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, action, nr, 1,
				     SCMP_CMP(arg, SCMP_CMP_MASKED_EQ,
					      SYSFILTER_INT_MAX, v[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int helper_filter_add_ioctl(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	return helper_filter_add_values(ctx, nr, action, 1,
					helper_filter_ioctls,
					ARRAY_SIZE(helper_filter_ioctls));
}

static int helper_filter_add_fcntl(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	return helper_filter_add_values(ctx, nr, action, 1,
					helper_filter_fcntls,
					ARRAY_SIZE(helper_filter_fcntls));
}

static int helper_filter_add_kill(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	return helper_filter_add_values(ctx, nr, action, 1,
					helper_filter_kill_signals,
					ARRAY_SIZE(helper_filter_kill_signals));
}

/* pidfd_send_signal: SIGKILL through helper_filter_kill_pidfd only; no rule (every
 * such call kills) without it */
static int helper_filter_add_pidfd_signal(scmp_filter_ctx ctx, int nr,
					  uint32_t action)
{
	if (helper_filter_kill_pidfd < 0)
		return 0;
	return seccomp_rule_add(ctx, action, nr, 2,
				SCMP_A0(SCMP_CMP_MASKED_EQ, SYSFILTER_INT_MAX,
					(uint32_t)helper_filter_kill_pidfd),
				SCMP_A1(SCMP_CMP_MASKED_EQ, SYSFILTER_INT_MAX,
					SIGKILL));
}

/* setsockopt: one rule per (level, option) pair of @p */
static int helper_filter_add_sockopts(scmp_filter_ctx ctx, int nr,
				      uint32_t action,
				      const struct helper_filter_sockopt *p,
				      size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, action, nr, 2,
				     SCMP_A1(SCMP_CMP_MASKED_EQ,
					     SYSFILTER_INT_MAX,
					     (uint32_t)p[i].level),
				     SCMP_A2(SCMP_CMP_MASKED_EQ,
					     SYSFILTER_INT_MAX,
					     (uint32_t)p[i].name));
		if (r < 0)
			return r;
	}
	return 0;
}

static int helper_filter_add_setsockopt(scmp_filter_ctx ctx, int nr,
					uint32_t action)
{
	return helper_filter_add_sockopts(ctx, nr, action,
					  helper_filter_sockopts,
					  ARRAY_SIZE(helper_filter_sockopts));
}

/* tgkill: our own thread group only (the helper never forks afterwards, so
 * its PID is fixed) */
/* The process tgkill may signal (abort() on itself): the one the filter is
 * for, 0 meaning the caller (sysfilter_agent_export() names the agent) */
static pid_t helper_filter_self;

static int helper_filter_add_tgkill(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	pid_t self = helper_filter_self ? helper_filter_self : getpid();

	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, SYSFILTER_INT_MAX,
					(uint32_t)self));
}

/* openat: read-only, nothing created or truncated (O_TMPFILE needs write
 * access, so it is refused too) */
static int helper_filter_add_openat(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ,
					O_ACCMODE | O_CREAT | O_TRUNC,
					O_RDONLY));
}

/* futex: the plain wait and wake operations (private or not, any clock):
 * no priority-inheritance or requeue operations, a past source of kernel
 * exploits */
static int helper_filter_add_futex(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	static const unsigned long ops[] = {
		FUTEX_WAIT,
		FUTEX_WAKE,
		FUTEX_WAIT_BITSET,
		FUTEX_WAKE_BITSET,
	};
	const uint64_t mask = SYSFILTER_INT_MAX &
			      ~(uint64_t)(FUTEX_PRIVATE_FLAG |
					  FUTEX_CLOCK_REALTIME);
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		r = seccomp_rule_add(ctx, action, nr, 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, mask, ops[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* unlinkat: files only, as the API socket (flags 0, no AT_REMOVEDIR) */
static int helper_filter_add_unlinkat(scmp_filter_ctx ctx, int nr,
				      uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, SYSFILTER_INT_MAX,
					0));
}

/* mmap: no executable memory (nothing is loaded after start-up) */
static int helper_filter_add_noexec(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

/* The lines allowed for some arguments only */
static const struct sysfilter_special helper_filter_specials[] = {
	{ "socket", 0, helper_filter_add_socket },
	{ "ioctl", 0, helper_filter_add_ioctl },
	{ "fcntl", 0, helper_filter_add_fcntl },
	{ "kill", 0, helper_filter_add_kill },
	{ "pidfd_send_signal", 0, helper_filter_add_pidfd_signal },
	{ "setsockopt", 0, helper_filter_add_setsockopt },
	{ "tgkill", 0, helper_filter_add_tgkill },
	{ "openat", 0, helper_filter_add_openat },
	{ "unlinkat", 0, helper_filter_add_unlinkat },
	{ "futex", 0, helper_filter_add_futex },
	{ "mmap", 0, helper_filter_add_noexec },
};

/*
 * The namespace agent's own allowlist (netns/agent.c): the agent lives in the
 * target's user and network namespaces, root there, and only answers the
 * helper's requests: open the tap, configure it and the policy rules
 * (rtnetlink), make sockets (inet, and the sock_diag netlink socket of
 * --publish-auto). Anything else kills it. To give the agent a new request,
 * add its calls here, in agent_filter_sockopts[] or agent_filter_ioctls[], and in
 * docs/HELPER-SECCOMP.md ("The namespace agent's list").
 */
static const struct sysfilter_entry agent_filter_allow[] = {
	/* The channel to the helper */
	{ "recvmsg", "requests from the helper (netns/fdpass.c)" },
	{ "sendmsg", "replies, with the fd made (SCM_RIGHTS)" },
	{ "close", "the fds it made, once sent" },
	{ "exit_group", "_exit() at end of file on its socket" },
	{ "exit", "_exit() (thread exit form)" },
	{ "restart_syscall",
	  "the kernel restarts an interrupted call after SIGSTOP/SIGCONT" },

	/* Requests */
	{ "socket",
	  "only AF_INET and AF_INET6 stream and datagram sockets (forwarders' "
	  "inner sockets), AF_NETLINK raw sockets of NETLINK_ROUTE (tap "
	  "configuration, policy rules) and NETLINK_SOCK_DIAG "
	  "(--publish-auto), AF_UNIX datagram sockets (if_nametoindex()'s "
	  "ioctl socket)" },
	{ "setsockopt",
	  "only the (level, option) pairs of agent_filter_sockopts[]: "
	  "IP(V6)_TRANSPARENT on forwarders' sockets, NETLINK_GET_STRICT_CHK, "
	  "NETLINK_EXT_ACK, NETLINK_CAP_ACK, SO_MARK, "
	  "IP_BIND_ADDRESS_NO_PORT" },
	{ "bind", "the rtnetlink socket (libmnl); inner sockets to the "
		  "gateway's or an outside client's address" },
	{ "connect", "a UDP flow's inner socket to the guest, before its "
		     "return rule is added (NSAGENT_SOCK_FLOW)" },
	{ "getsockname",
	  "the rtnetlink socket's port id (libmnl); a UDP "
	  "flow's own address and port, named by its return rule" },
	{ "sendto", "rtnetlink requests (libmnl)" },
	{ "recvfrom", "rtnetlink answers (libmnl)" },
	{ "ioctl", "only TUNSETIFF (the tap) and SIOCGIFINDEX "
		   "(if_nametoindex())" },
	{ "openat", "no O_CREAT, no O_TMPFILE: /dev/net/tun read-write, "
		    "/proc/sys/net values" },
	{ "read", "/proc/sys/net values" },
	{ "write", "/proc/sys/net values" },

	/* The C library */
	{ "brk", "the C library's allocator (libmnl, glib)" },
	{ "mmap", "only without PROT_EXEC: the C library's allocator" },
	{ "munmap", "the C library's allocator" },
	{ "mremap", "the C library's allocator" },
	{ "madvise", "the C library's allocator" },
	{ "clock_gettime", "time() for rtnetlink sequence numbers (vDSO "
			   "fallback)" },
	{ "gettimeofday", "as clock_gettime (vDSO fallback)" },
	{ "time", "time() itself (vDSO fallback)" },
	{ "rt_sigprocmask", "abort() (assertions)" },
	{ "rt_sigaction", "abort() (assertions)" },
	{ "getpid", "abort(): tgkill on itself" },
	{ "gettid", "abort(): tgkill on itself" },
	{ "tgkill", "only on itself: abort()" },
};

static const unsigned long agent_filter_ioctls[] = { TUNSETIFF, SIOCGIFINDEX };
static const struct helper_filter_sockopt agent_filter_sockopts[] = {
	{ IPPROTO_IP, IP_TRANSPARENT }, /* source-preserving sockets */
	{ IPPROTO_IPV6, IPV6_TRANSPARENT },
	{ SOL_NETLINK, NETLINK_GET_STRICT_CHK }, /* netns/nl.c */
	{ SOL_NETLINK, NETLINK_EXT_ACK },
	{ SOL_NETLINK, NETLINK_CAP_ACK },
	{ SOL_SOCKET, SO_MARK }, /* marked inner sockets */
	{ IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT }, /* gateway-bound ones */
};
static const unsigned long agent_filter_netlinks[] = {
	NETLINK_ROUTE,
	NETLINK_SOCK_DIAG,
};

/* socket, agent: inet stream and datagram, rtnetlink and sock_diag, unix
 * datagram */
static int agent_filter_add_socket(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	size_t i;
	int r;

	/* inet: the helper's own pairs (helper_filter_add_inet_pairs()), no raw ones */
	r = helper_filter_add_inet_pairs(ctx, nr, action);
	if (r < 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(agent_filter_netlinks); i++) {
		r = seccomp_rule_add(ctx, action, nr, 3,
				     SCMP_A0(SCMP_CMP_MASKED_EQ,
					     SYSFILTER_INT_MAX, AF_NETLINK),
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW),
				     SCMP_A2(SCMP_CMP_MASKED_EQ,
					     SYSFILTER_INT_MAX,
					     agent_filter_netlinks[i]));
		if (r < 0)
			return r;
	}
	return seccomp_rule_add(ctx, action, nr, 2,
				SCMP_A0(SCMP_CMP_MASKED_EQ, SYSFILTER_INT_MAX,
					AF_UNIX),
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
}

static int agent_filter_add_setsockopt(scmp_filter_ctx ctx, int nr,
				       uint32_t action)
{
	return helper_filter_add_sockopts(ctx, nr, action,
					  agent_filter_sockopts,
					  ARRAY_SIZE(agent_filter_sockopts));
}

static int agent_filter_add_ioctl(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	return helper_filter_add_values(ctx, nr, action, 1, agent_filter_ioctls,
					ARRAY_SIZE(agent_filter_ioctls));
}

/* openat, agent: any access mode, nothing created (O_TMPFILE includes
 * O_DIRECTORY: its own bit is tested) */
static int agent_filter_add_openat(scmp_filter_ctx ctx, int nr, uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ,
					O_CREAT | (O_TMPFILE & ~O_DIRECTORY),
					0));
}

static const struct sysfilter_special agent_filter_specials[] = {
	{ "socket", 0, agent_filter_add_socket },
	{ "setsockopt", 0, agent_filter_add_setsockopt },
	{ "ioctl", 0, agent_filter_add_ioctl },
	{ "openat", 0, agent_filter_add_openat },
	{ "tgkill", 0, helper_filter_add_tgkill },
	{ "mmap", 0, helper_filter_add_noexec },
};

/**
 * sysfilter_agent_allowlist() - the reviewed list of the namespace agent
 * @n:		out: number of entries
 *
 * Return: the entries, static
 */
const struct sysfilter_entry *sysfilter_agent_allowlist(size_t *n)
{
	*n = ARRAY_SIZE(agent_filter_allow);
	return agent_filter_allow;
}

/**
 * sysfilter_helper_allowlist() - the reviewed list of system calls the helper may make
 * @n:		out: number of entries
 *
 * Return: the entries, static, in the order of docs/HELPER-SECCOMP.md
 */
const struct sysfilter_entry *sysfilter_helper_allowlist(size_t *n)
{
	*n = ARRAY_SIZE(helper_filter_allow);
	return helper_filter_allow;
}

#if defined(__SANITIZE_ADDRESS__)
/* Sanitizer builds only: LeakSanitizer's exit-time check stops the world
 * with clone and ptrace, which the filter rightly kills. Once the filter is
 * loaded, the leak check is off (runs without the filter still have it) */
static bool helper_filter_loaded;

int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return helper_filter_loaded;
}
#endif

/*
 * Build the allowlist @list (and the sanitizers' calls, in their builds):
 * only the native ABI (seccomp_init() adds it; any other one, i386 through
 * int 0x80 on x86_64, kills), anything unlisted kills, a binary search
 * rather than ~60 comparisons for every call. Without @insns, load it into
 * this process for good (see sysfilter_helper_apply()); with @insns, export
 * it there instead (sysfilter_agent_export()), @max instructions at most.
 * Return: 0 once loaded, the number of instructions exported, or -errno
 */
static ssize_t helper_filter_build(const struct sysfilter_list *list,
				   struct sock_filter *insns, size_t max,
				   GError **error)
{
	struct sysfilter_list lists[] = {
		*list,
#ifdef SYSFILTER_SANITIZERS
		*list,
#endif
	};
	const struct sysfilter_program program = {
		.default_action = SCMP_ACT_KILL_PROCESS,
		.optimize = true,
		.lists = lists,
		.n_lists = ARRAY_SIZE(lists),
		.load_hint = "",
	};
	ssize_t r;

#ifdef SYSFILTER_SANITIZERS
	lists[1].entries = helper_filter_allow_sanitizers;
	lists[1].n = ARRAY_SIZE(helper_filter_allow_sanitizers);
#endif
	if (insns)
		return sysfilter_export(&program, insns, max, error);
	r = sysfilter_load(&program, error);
#if defined(__SANITIZE_ADDRESS__)
	if (!r)
		helper_filter_loaded = true;
#endif
	return r;
}

/**
 * sysfilter_helper_apply() - load the helper's allowlist into this process, for good
 * @kill_pidfd:	the namespace agent's pidfd, the only one SIGKILL may go
 *		through (pidfd_send_signal), or -1 for none
 * @error:	set on failure, with the cause
 *
 * Should: be the helper's last isolation stage, after the tap, the listening
 * sockets and the API socket exist, capabilities are dropped and
 * PR_SET_NO_NEW_PRIVS is set (by the caller), and before the ready fd is
 * written. Mustn't: set no_new_privs itself, or load anything without it.
 * From then on any call outside helper_filter_allow[] (or outside the allowed
 * arguments) kills the process with SIGSYS.
 *
 * Return: 0 or -errno (-EINVAL if no_new_privs is not set)
 */
int sysfilter_helper_apply(int kill_pidfd, GError **error)
{
	const struct sysfilter_list list = {
		.entries = helper_filter_allow,
		.n = ARRAY_SIZE(helper_filter_allow),
		.specials = helper_filter_specials,
		.n_specials = ARRAY_SIZE(helper_filter_specials),
		.action = SCMP_ACT_ALLOW,
		.native_only = true,
		.what = "the helper's seccomp filter",
	};

	helper_filter_kill_pidfd = kill_pidfd;
	return (int)helper_filter_build(&list, NULL, 0, error);
}

/**
 * sysfilter_agent_build() - the namespace agent's allowlist as a BPF
 * program, built with libseccomp (at build time by sysfilter-agent-gen, for
 * sysfilter_agent_export(); here again in the tests that compare the two)
 * @agent:	the agent's PID (the one tgkill may signal: abort() on itself)
 * @insns:	out: the program
 * @max:	room in @insns (BPF_MAXINSNS is the kernel's bound)
 * @error:	set on failure, with the cause
 *
 * Return: number of instructions, or -errno
 */
ssize_t sysfilter_agent_build(pid_t agent, struct sock_filter *insns,
			      size_t max, GError **error)
{
	const struct sysfilter_list list = {
		.entries = agent_filter_allow,
		.n = ARRAY_SIZE(agent_filter_allow),
		.specials = agent_filter_specials,
		.n_specials = ARRAY_SIZE(agent_filter_specials),
		.action = SCMP_ACT_ALLOW,
		.native_only = true,
		.what = "the namespace agent's seccomp filter",
	};
	ssize_t r;

	if (!insns || !max)
		return -EINVAL;
	helper_filter_self = agent;
	r = helper_filter_build(&list, insns, max, error);
	helper_filter_self = 0;
	return r;
}

#ifndef SYSFILTER_AGENT_GEN
/**
 * sysfilter_agent_export() - the namespace agent's allowlist as a BPF
 * program, for the agent to load with seccomp(2)
 * @agent:	the agent's PID (the one tgkill may signal: abort() on itself)
 * @insns:	out: the program
 * @max:	room in @insns (BPF_MAXINSNS is the kernel's bound)
 * @error:	set on failure, with the cause
 *
 * Should: be loaded by the agent once it has joined the target's
 * namespaces, set itself non-dumpable and no_new_privs, and closed every fd
 * but its socket (netns/agent.c, given the program by nsagent_join()). From
 * then on any call outside agent_filter_allow[] kills the agent (SIGSYS).
 * Built by sysfilter_agent_build() when usernet is built (meson runs
 * sysfilter-agent-gen: sysfilter_agent_prebuilt.h), with a placeholder for
 * the PID in one instruction, patched here: no libseccomp work at start-up
 * (a quarter of a millisecond, issue 19), and none of its hundred KB of
 * heap. tests/unit/test-sysfilter-helper.c checks it equals a fresh build.
 *
 * Return: number of instructions, or -errno
 */
ssize_t sysfilter_agent_export(pid_t agent, struct sock_filter *insns,
			       size_t max, GError **error)
{
	size_t n = ARRAY_SIZE(sysfilter_agent_prebuilt);

	if (!insns || max < n)
		return error_set(error, UN_EXIT_FAILURE, -EINVAL,
				 "the namespace agent's seccomp filter "
				 "needs %zu instructions",
				 n);
	memcpy(insns, sysfilter_agent_prebuilt,
	       sizeof(sysfilter_agent_prebuilt));
	insns[SYSFILTER_AGENT_PID_AT].k = (uint32_t)agent;
	return (ssize_t)n;
}
#endif
