/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/agent.c - the child process that acts in the target namespaces
 *
 * It opens the tap, configures it and makes sockets there for the helper.
 * The helper never changes namespace: joining a user namespace needs a
 * single-threaded process, and sockets published on the host must stay in
 * the host's network namespace. Instead it forks this agent, which joins the
 * target's user and network namespaces and answers requests over a
 * SOCK_SEQPACKET socket pair: one fixed-size request, one fixed-size reply
 * with an optional fd (SCM_RIGHTS). The agent exits at end of file on its
 * socket, and is killed if the helper dies (PR_SET_PDEATHSIG).
 *
 * DOC: A lean agent (issue 19). One agent runs per container, and what it
 * costs is the pages it holds apart from the helper: those either process
 * writes after the fork (copy on write). So the helper forks it early
 * (nsagent_spawn(), before the target is opened and before libslirp, the
 * event loop and the forwarding table allocate), and the agent then only
 * waits for its namespaces, which come later over the socket pair with
 * SCM_RIGHTS (nsagent_join()). Its seccomp filter comes the same way,
 * built into BPF when usernet is built (sysfilter_agent_export()): no
 * libseccomp work at start-up, and the agent loads it with seccomp(2).
 * The agent restores only what the helper changed before the fork (the
 * signal mask and SIGPIPE), its buffers are on its stack or static, and its
 * requests allocate nothing but libmnl's socket handle. Idle, it gives back
 * the stack pages below its serving loop (nsagent_child_shed()): those the
 * helper had used before the fork, and those its own rtnetlink requests
 * dirtied.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/agent.h"
#include "netns/fdpass.h"
#include "netns/tap.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* How long nsagent_stop() waits for the agent to exit before SIGKILL */
#define NSAGENT_STOP_TIMEOUT_MS 100
/* How long the helper waits for one answer of the agent: past that, the
 * agent (stopped, or stuck) is killed and the request fails */
#define NSAGENT_REPLY_TIMEOUT_MS 3000
/* How long the helper waits for a killed agent to be gone */
#define NSAGENT_KILL_TIMEOUT_MS 2000
/* How far below its current frame the idle agent gives its stack back
 * (nsagent_child_shed()): deeper than the helper had gone at the fork and
 * the agent's own requests go, within the kernel's stack guard gap (1 MB
 * by default) below which nothing else is mapped */
#define NSAGENT_SHED_SPAN (256 * 1024)

/* The sysctls the return of replies turns on (nsagent_sysctls[]) */
#define NSAGENT_N_SYSCTLS 3

enum nsagent_op {
	NSAGENT_OP_JOIN = 1,
	NSAGENT_OP_OPEN_TAP,
	NSAGENT_OP_CONFIGURE,
	NSAGENT_OP_SOCKET,
	NSAGENT_OP_RETURN_SETUP,
	NSAGENT_OP_RETURN_FLOW,
	NSAGENT_OP_NSFD,
};

/**
 * enum nsagent_stage - which step an error in a reply comes from
 * @NSAGENT_STAGE_NONE:		no error, or the only step of the request
 * @NSAGENT_STAGE_SETUP:	preparing the agent process (fds)
 * @NSAGENT_STAGE_USERNS:	joining the user namespace
 * @NSAGENT_STAGE_NETNS:	joining the network namespace
 * @NSAGENT_STAGE_TUN_OPEN:	opening /dev/net/tun
 * @NSAGENT_STAGE_TUN_ATTACH:	TUNSETIFF
 */
enum nsagent_stage {
	NSAGENT_STAGE_NONE,
	NSAGENT_STAGE_SETUP,
	NSAGENT_STAGE_USERNS,
	NSAGENT_STAGE_NETNS,
	NSAGENT_STAGE_TUN_OPEN,
	NSAGENT_STAGE_TUN_ATTACH,
};

/**
 * struct nsagent_req - a request to the agent
 * @op:		enum nsagent_op
 * @u.ifname:	NSAGENT_OP_OPEN_TAP: tap name
 * @u.cfg:	NSAGENT_OP_CONFIGURE: what to configure
 * @u.sock:	NSAGENT_OP_SOCKET: what to make
 * @u.setup:	NSAGENT_OP_RETURN_SETUP: families and IPv4 preferred source;
 *		with remove, undo instead (nsagent_return_teardown()),
 *		giving the sysctls the values in @was (0: leave it)
 * @u.flow:	NSAGENT_OP_RETURN_FLOW: nl_return_flow() arguments
 * @u.join:	NSAGENT_OP_NSFD: the agent's namespace @ns, opened as a file
 *		(nsagent_allow_park()); NSAGENT_OP_JOIN (the agent's first
 *		two messages, each with
 *		the fd of namespace @ns attached, or none to stay in ours);
 *		the second one's @filter_len instructions of the agent's
 *		seccomp filter come in a third message
 */
struct nsagent_req {
	uint32_t op;
	union {
		char ifname[IFNAMSIZ];
		struct nl_config cfg;
		struct nsagent_sockreq sock;
		struct {
			bool ipv6;
			bool remove;
			struct in_addr prefsrc4;
			char was[NSAGENT_N_SYSCTLS];
		} setup;
		struct {
			struct nl_flow f;
			bool add;
		} flow;
		struct {
			uint32_t ns;
			uint32_t filter_len;
		} join;
	} u;
};

/**
 * struct nsagent_reply - the agent's answer (first one: namespaces joined)
 * @err:	0 or -errno
 * @stage:	enum nsagent_stage of @err
 * @existed:	NSAGENT_OP_OPEN_TAP: the tap existed before
 * @flow:	NSAGENT_OP_SOCKET with NSAGENT_SOCK_FLOW: the return rule
 *		added for the socket, family 0 if none was; sent with the
 *		reply so that the helper can remove it if the fd is lost
 * @was:	NSAGENT_OP_RETURN_SETUP: the earlier values of the sysctls it
 *		turned on (0: untouched), kept by the helper for the undo: the
 *		agent that undoes may be another one (nsagent_park_idle())
 */
struct nsagent_reply {
	int32_t err;
	uint32_t stage;
	uint8_t existed;
	struct nl_flow flow;
	char was[NSAGENT_N_SYSCTLS];
};

/**
 * struct nsagent - the helper's handle on its agent
 * @pid:	agent process, 0 while parked
 * @pidfd:	its pidfd, or -1
 * @sock:	our end of the socket pair, -1 once the agent was given up
 *		or while it is parked
 * @park_fds:	the target's namespaces (our copies), kept to bring a
 *		parked agent back; netns -1 where the agent may not park
 * @park_filter: builds the seccomp filter of the agent brought back
 * @parked:	it left while idle (nsagent_park_idle()): the next request
 *		forks a new one (nsagent_wake())
 * @used:	a request went since the last nsagent_park_idle()
 * @wake_failed: the last nsagent_wake() failed (said once)
 * @sysctl_was:	what the namespace's sysctls were before nsagent_return()
 */
struct nsagent {
	pid_t pid;
	int pidfd;
	int sock;
	struct ns_fds park_fds;
	nsagent_filter_fn park_filter;
	bool parked;
	bool used;
	bool wake_failed;
	char sysctl_was[NSAGENT_N_SYSCTLS];
};

/* --- agent process ------------------------------------------------------ */

/* Close every fd from @from to @to inclusive */
static void nsagent_close_range(unsigned from, unsigned to)
{
	long max, fd;

	if (from > to)
		return;
	if (!syscall(SYS_close_range, from, to, 0))
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (fd = from; fd < max && fd <= (long)to; fd++)
		close((int)fd);
}

/**
 * nsagent_child_fds() - leave the agent with its socket and /dev/null only
 * @sock:	the agent's socket end, moved to 3 or above
 *
 * The agent must not hold the helper's stdout and stderr: RootlessKit waits
 * for every holder of those pipes to close them. Nor may it keep the tap or
 * any other fd of the helper open.
 *
 * Return: 0 or -errno
 */
static int nsagent_child_fds(int *sock)
{
	int null, i;

	if (*sock < 3) {
		int fd = fcntl(*sock, F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			return -errno;
		*sock = fd;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (i = 0; i < 3; i++) {
		if (i != null && dup2(null, i) < 0)
			return -errno;
	}
	nsagent_close_range(3, (unsigned)*sock - 1);
	nsagent_close_range((unsigned)*sock + 1, ~0U);
	return 0;
}

/* Undo what the helper set up before the fork (helper/helper.c:
 * signals_block()): SIGPIPE ignored, and the signals of its signalfd
 * blocked. Nothing else was changed by then: two calls, not one per signal */
static void nsagent_child_signals(void)
{
	sigset_t none;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Set IP(V6)_TRANSPARENT on @fd: needs CAP_NET_ADMIN or CAP_NET_RAW here,
 * which the agent has and the helper has not. Return: 0 or -errno */
static int nsagent_transparent(int fd, int domain)
{
	int on = 1, r;

	if (domain == AF_INET6)
		r = setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof(on));
	else
		r = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on));
	return r < 0 ? -errno : 0;
}

/*
 * nsagent_bind() - bind @fd to @sr->bind; an outside client's port already
 * taken in the namespace gives way to any port. A stream socket on port 0
 * takes its port at connect() (IP_BIND_ADDRESS_NO_PORT), unique per
 * connection rather than per address. Return: 0 or -errno
 */
static int nsagent_bind(int fd, const struct nsagent_sockreq *sr)
{
	struct sockaddr_storage a = sr->bind;
	in_port_t *port = a.ss_family == AF_INET6 ?
				  &((struct sockaddr_in6 *)&a)->sin6_port :
				  &((struct sockaddr_in *)&a)->sin_port;
	int on = 1;

	if (*port && bind(fd, (struct sockaddr *)&a, sr->bind_len) == 0)
		return 0;
	*port = 0;
	if ((sr->type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM)
		setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &on,
			   sizeof(on));
	return bind(fd, (struct sockaddr *)&a, sr->bind_len) < 0 ? -errno : 0;
}

/* NSAGENT_SOCK_FLOW: connect @fd to @sr->peer and add the rule that
 * returns the replies (nl_return_flow()), the last step: @f names it once
 * added. Return: 0 or -errno */
static int nsagent_flow(int fd, const struct nsagent_sockreq *sr,
			struct nl_flow *f)
{
	struct sockaddr_storage self = { 0 };
	socklen_t len = sizeof(self);
	struct nl_flow nf;
	int r;

	if (connect(fd, (const struct sockaddr *)&sr->peer, sr->peer_len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&self, &len) < 0)
		return -errno;
	nsagent_flow_of(&self, &sr->peer, &nf);
	r = nl_return_flow(&nf, true);
	if (!r)
		*f = nf;
	return r;
}

/**
 * nsagent_make_socket() - carry out a socket request
 * @sr:		what to make
 * @flow:	out: NSAGENT_SOCK_FLOW: the return rule added (the last step)
 *
 * Return: the socket, or -errno
 */
static int nsagent_make_socket(const struct nsagent_sockreq *sr,
			       struct nl_flow *flow)
{
	int fd, r = 0;
	uint32_t mark = NL_RETURN_MARK;

	fd = socket(sr->domain, sr->type, sr->protocol);
	if (fd < 0)
		return -errno;
	if (sr->flags & NSAGENT_SOCK_TRANSPARENT)
		r = nsagent_transparent(fd, sr->domain);
	if (!r && (sr->flags & NSAGENT_SOCK_MARK) &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		r = -errno;
	if (!r && (sr->flags & NSAGENT_SOCK_BIND))
		r = nsagent_bind(fd, sr);
	if (!r && (sr->flags & NSAGENT_SOCK_FLOW))
		r = nsagent_flow(fd, sr, flow);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* The sysctls nsagent_return_setup() turns on, and the values they had
 * before ('\0': not changed by us), restored by nsagent_return_undo() */
static const char *const nsagent_sysctls[] = {
	"/proc/sys/net/ipv4/tcp_fwmark_accept",
	"/proc/sys/net/ipv4/fwmark_reflect",
	"/proc/sys/net/ipv6/fwmark_reflect",
};
G_STATIC_ASSERT(G_N_ELEMENTS(nsagent_sysctls) == NSAGENT_N_SYSCTLS);
static char nsagent_sysctl_was[NSAGENT_N_SYSCTLS];

/* Write @v to the namespace's sysctl @path. Return: 0 or -errno */
static int nsagent_sysctl_write(const char *path, char v)
{
	const char text[] = { v, '\0' };

	return util_write_file(path, text);
}

/* Turn on sysctl @i of nsagent_sysctls, first noting its value if it was
 * off. Return: 0 or -errno */
static int nsagent_sysctl_on(unsigned i)
{
	char v = '\0';
	int fd, r;

	fd = open(nsagent_sysctls[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &v, 1) != 1)
		v = '\0';
	close(fd);
	if (v == '1')
		return 0;
	r = nsagent_sysctl_write(nsagent_sysctls[i], '1');
	if (!r && !nsagent_sysctl_was[i])
		nsagent_sysctl_was[i] = v;
	return r;
}

/*
 * nsagent_return_setup() - make the replies to our marked sockets come back
 * (nl_return_setup()), IPv4 and, with @ipv6, IPv6:
 *  - net.ipv4.tcp_fwmark_accept (IPv6 too): a guest's accepted TCP socket
 *    takes the mark of our SYN, so its replies carry it;
 *  - net.ipv4/ipv6.fwmark_reflect: so do the kernel's own replies (a reset
 *    from a closed guest port, an ICMP error), which have no socket.
 * The files under /proc/sys/net are those of the opener's namespace.
 * Return: 0 or -errno
 */
static int nsagent_return_setup(bool ipv6, const struct in_addr *prefsrc4)
{
	int r;

	r = nsagent_sysctl_on(0);
	if (!r)
		r = nsagent_sysctl_on(1);
	if (!r)
		r = nl_return_setup(AF_INET, prefsrc4);
	if (!r && ipv6)
		r = nsagent_sysctl_on(2);
	if (!r && ipv6)
		r = nl_return_setup(AF_INET6, NULL);
	return r;
}

/*
 * nsagent_return_undo() - remove what nsagent_return_setup() and the flows
 * added (nl_return_teardown()), and give the sysctls it turned on their
 * earlier values: this agent's record, else the helper's (@was: the agent
 * that turned them on may have left since). Return: 0 or the first -errno
 */
static int nsagent_return_undo(const char *was)
{
	int r = nl_return_teardown(AF_INET), r6 = nl_return_teardown(AF_INET6);
	unsigned i;

	if (!r && r6 != -EAFNOSUPPORT)
		r = r6;
	for (i = 0; i < NSAGENT_N_SYSCTLS; i++) {
		char v = nsagent_sysctl_was[i];
		int w;

		if (!v)
			v = was[i];
		if (!v)
			continue;
		w = nsagent_sysctl_write(nsagent_sysctls[i], v);
		if (!r)
			r = w;
		nsagent_sysctl_was[i] = '\0';
	}
	return r;
}

/**
 * nsagent_handle() - carry out one request
 * @req:	request, modified (names are NUL-terminated)
 * @rep:	reply to fill
 *
 * Return: fd to send with the reply, or -1
 */
static int nsagent_handle(struct nsagent_req *req, struct nsagent_reply *rep)
{
	bool existed = false, attach_failed = false;
	int fd;

	switch (req->op) {
	case NSAGENT_OP_OPEN_TAP:
		req->u.ifname[IFNAMSIZ - 1] = '\0';
		fd = tap_open(req->u.ifname, &existed, &attach_failed);
		rep->existed = existed;
		if (fd >= 0)
			return fd;
		rep->err = fd;
		rep->stage = attach_failed ? NSAGENT_STAGE_TUN_ATTACH :
					     NSAGENT_STAGE_TUN_OPEN;
		return -1;
	case NSAGENT_OP_CONFIGURE:
		req->u.cfg.ifname[IFNAMSIZ - 1] = '\0';
		rep->err = nl_configure(&req->u.cfg);
		return -1;
	case NSAGENT_OP_NSFD:
		fd = open(req->u.join.ns == CLONE_NEWUSER ?
				  "/proc/self/ns/user" :
				  "/proc/self/ns/net",
			  O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		rep->err = -errno;
		return -1;
	case NSAGENT_OP_SOCKET:
		fd = nsagent_make_socket(&req->u.sock, &rep->flow);
		if (fd >= 0)
			return fd;
		rep->err = fd;
		return -1;
	case NSAGENT_OP_RETURN_SETUP:
		if (req->u.setup.remove) {
			rep->err = nsagent_return_undo(req->u.setup.was);
			return -1;
		}
		rep->err = nsagent_return_setup(req->u.setup.ipv6,
						&req->u.setup.prefsrc4);
		memcpy(rep->was, nsagent_sysctl_was, sizeof(rep->was));
		return -1;
	case NSAGENT_OP_RETURN_FLOW:
		rep->err = nl_return_flow(&req->u.flow.f, req->u.flow.add);
		return -1;
	default:
		rep->err = -EOPNOTSUPP;
		return -1;
	}
}

/**
 * nsagent_child_shed() - give back the stack pages below the caller's frame
 *
 * The agent is a fork of the helper: the stack pages the helper had used
 * before the fork are the agent's too, and once the helper writes to its
 * own copies, the agent's stay its alone. Below its serving loop the agent
 * needs none of them, nor the pages its own deeper requests (rtnetlink,
 * with two 8 KB buffers) dirtied: an idle agent hands them all back
 * (MADV_DONTNEED: they read as zeros when touched again). The page of the
 * current frame and the one below it (madvise()'s own frames) are kept.
 */
static void nsagent_child_shed(void)
{
	uintptr_t page = (uintptr_t)getpagesize();
	uintptr_t here = (uintptr_t)__builtin_frame_address(0) & ~(page - 1);
	uintptr_t low = here - NSAGENT_SHED_SPAN;

	/* Unmapped parts of the span (below the stack's lowest page) give
	 * ENOMEM once the mapped ones are done: not an error here */
	madvise((void *)low, here - page - low, MADV_DONTNEED);
}

/* Whether request @op ran deeper into the stack than the serving loop's
 * sockets (rtnetlink buffers): nsagent_child_shed() after it */
static bool nsagent_op_deep(const struct nsagent_req *req)
{
	return req->op != NSAGENT_OP_SOCKET ||
	       (req->u.sock.flags & NSAGENT_SOCK_FLOW);
}

/* Answer requests on @sock until end of file */
static void nsagent_serve(int sock)
{
	for (;;) {
		struct nsagent_reply rep;
		struct nsagent_req req = { 0 };
		ssize_t n;
		int fd = -1;

		n = fdpass_recv(sock, &req, sizeof(req), NULL);
		if (n == 0)
			return;
		if (n < 0 && n != -EMSGSIZE && n != -EMFILE)
			_exit(1);

		memset(&rep, 0, sizeof(rep));
		if (n != (ssize_t)sizeof(req))
			rep.err = -EINVAL;
		else
			fd = nsagent_handle(&req, &rep);

		n = fdpass_send(sock, &rep, sizeof(rep), fd);
		if (fd >= 0)
			close(fd);
		if (n < 0)
			_exit(1);
		if (nsagent_op_deep(&req))
			nsagent_child_shed();
	}
}

/* The agent's seccomp filter, received from the helper (nsagent_join()):
 * static, so that only the pages the program fills are ever touched */
static struct sock_filter nsagent_filter[NSAGENT_FILTER_MAX];

/* Give back the whole pages of @len bytes at @p (MADV_DONTNEED: zeros when
 * touched again) */
static void nsagent_child_release(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)getpagesize();
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(page - 1);

	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/**
 * nsagent_child_confine() - what the agent gives up once in the target
 * @prog:	its seccomp filter, built by the helper; none if empty
 *
 * Not dumpable (set again after the namespaces are joined: no process of
 * the user can ptrace the agent or read its memory through /proc), no new
 * privileges, then the filter: anything but the calls its requests need
 * kills it.
 *
 * Return: 0 or -errno
 */
static int nsagent_child_confine(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prog->len &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	/* The kernel holds its copy: the pages the program filled go back */
	nsagent_child_release(nsagent_filter, sizeof(nsagent_filter));
	return 0;
}

/* Die with the helper; false if it is already gone */
static bool nsagent_child_tie(pid_t parent)
{
	return !prctl(PR_SET_PDEATHSIG, SIGKILL) && getppid() == parent;
}

/* Note in @rep the first failure of the agent's start-up: @r at @stage */
static void nsagent_child_note(struct nsagent_reply *rep, int r,
			       enum nsagent_stage stage)
{
	if (r < 0 && !rep->err) {
		rep->err = r;
		rep->stage = stage;
	}
}

/*
 * nsagent_child_recv_join() - the helper's join request: the fd of namespace
 * @ns in @fd (-1 if none came) and, with @filter_len, the length of the
 * filter that follows. Return: 0, -ECONNRESET at end of file, or -errno
 */
static int nsagent_child_recv_join(int sock, uint32_t ns, int *fd,
				   uint32_t *filter_len)
{
	struct nsagent_req req;
	ssize_t n = fdpass_recv(sock, &req, sizeof(req), fd);

	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return (int)n;
	if (n != (ssize_t)sizeof(req) || req.op != NSAGENT_OP_JOIN ||
	    req.u.join.ns != ns || req.u.join.filter_len > NSAGENT_FILTER_MAX) {
		util_close_fdp(fd);
		return -EPROTO;
	}
	if (filter_len)
		*filter_len = req.u.join.filter_len;
	return 0;
}

/*
 * nsagent_child_wait_join() - wait for the target's namespaces (@fds) and
 * the seccomp filter (@prog), sent by nsagent_join(). Return: 0,
 * -ECONNRESET if the helper gave up before (end of file), or -errno
 */
static int nsagent_child_wait_join(int sock, struct ns_fds *fds,
				   struct sock_fprog *prog)
{
	uint32_t len = 0;
	ssize_t n;
	int r;

	r = nsagent_child_recv_join(sock, CLONE_NEWUSER, &fds->userns, NULL);
	if (!r)
		r = nsagent_child_recv_join(sock, CLONE_NEWNET, &fds->netns,
					    &len);
	if (r || !len)
		return r;
	n = fdpass_recv(sock, nsagent_filter, sizeof(nsagent_filter), NULL);
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)(len * sizeof(nsagent_filter[0])))
		return n < 0 ? (int)n : -EPROTO;
	prog->len = (unsigned short)len;
	prog->filter = nsagent_filter;
	return 0;
}

/* Join the user namespace first (it owns the network namespace), then the
 * network namespace; the fds are closed. Notes the failure in @rep */
static void nsagent_child_enter(struct ns_fds *fds, struct nsagent_reply *rep)
{
	struct ns_fds one = *fds;

	one.netns = -1;
	nsagent_child_note(rep, ns_enter(&one), NSAGENT_STAGE_USERNS);
	if (!rep->err) {
		one = *fds;
		one.userns = -1;
		nsagent_child_note(rep, ns_enter(&one), NSAGENT_STAGE_NETNS);
	}
	util_close_fdp(&fds->userns);
	util_close_fdp(&fds->netns);
}

/**
 * nsagent_child() - body of the agent process
 * @sock:	the agent's socket end
 * @parent:	PID of the helper
 */
static noreturn void nsagent_child(int sock, pid_t parent)
{
	struct ns_fds fds = { .netns = -1, .userns = -1, .pidfd = -1 };
	struct sock_fprog prog = { 0 };
	struct nsagent_reply rep;
	int r;

	if (!nsagent_child_tie(parent))
		_exit(1);
	nsagent_child_signals();
	memset(&rep, 0, sizeof(rep));
	nsagent_child_note(&rep, nsagent_child_fds(&sock), NSAGENT_STAGE_SETUP);

	r = nsagent_child_wait_join(sock, &fds, &prog);
	if (r == -ECONNRESET)
		_exit(0); /* the helper stopped before the target */
	nsagent_child_note(&rep, r, NSAGENT_STAGE_SETUP);
	if (!rep.err)
		nsagent_child_enter(&fds, &rep);

	/* setns(CLONE_NEWUSER) may have cleared the death signal: set again */
	if (!nsagent_child_tie(parent))
		_exit(1);
	if (!rep.err)
		nsagent_child_note(&rep, nsagent_child_confine(&prog),
				   NSAGENT_STAGE_SETUP);

	if (fdpass_send(sock, &rep, sizeof(rep), -1) < 0 || rep.err)
		_exit(1);
	nsagent_child_shed();
	nsagent_serve(sock);
	_exit(0);
}

/* --- helper side -------------------------------------------------------- */

/**
 * nsagent_kill() - SIGKILL the agent through its pidfd and reap it, waiting
 * NSAGENT_KILL_TIMEOUT_MS at most
 * @a:		agent
 * @status:	its wait status, when reaped
 *
 * Without a pidfd (kernels before 5.3) nothing is sent: the agent dies with
 * the helper anyway (PR_SET_PDEATHSIG), and no signal by bare PID is ever
 * sent (the seccomp filter allows none).
 *
 * Return: a->pid if reaped, 0 if not (yet), -1 on error
 */
static pid_t nsagent_kill(struct nsagent *a, int *status)
{
	struct pollfd pfd = { .fd = a->pidfd, .events = POLLIN };
	pid_t r;

	if (a->pidfd < 0)
		return 0;
	if (syscall(SYS_pidfd_send_signal, a->pidfd, SIGKILL, NULL, 0))
		log_debug("pidfd_send_signal to the namespace agent: %s",
			  g_strerror(errno));
	if (poll(&pfd, 1, NSAGENT_KILL_TIMEOUT_MS) < 0)
		log_debug("poll on the agent's pidfd: %s", g_strerror(errno));
	do
		r = waitpid(a->pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * nsagent_give_up() - the agent did not answer in time (stopped, stuck) or
 * the channel broke (a later reply could be taken for another request's):
 * kill it, and fail every later request at once
 * @a:		agent
 * @err:	-ETIMEDOUT, or the channel's error
 */
static void nsagent_give_up(struct nsagent *a, int err)
{
	int status = 0;

	if (a->sock < 0)
		return;
	if (err == -ETIMEDOUT)
		log_err("the namespace agent (PID %d) did not answer within "
			"%d ms: killed; published ports cannot reach the "
			"namespace any more",
			(int)a->pid, NSAGENT_REPLY_TIMEOUT_MS);
	else
		log_err("the channel to the namespace agent (PID %d) failed: "
			"%s: agent killed; published ports cannot reach the "
			"namespace any more",
			(int)a->pid, err ? g_strerror(-err) : "end of file");
	util_close_fdp(&a->sock);
	if (nsagent_kill(a, &status) == a->pid)
		a->pid = 0;
}

/**
 * nsagent_recv() - the agent's next reply, waiting NSAGENT_REPLY_TIMEOUT_MS
 * at most
 * @a:		agent
 * @rep:	reply
 * @fd:		fd that came with it, or -1; NULL if none is expected
 *
 * Return: bytes received, 0 at end of file, or -errno (-ETIMEDOUT: the
 * agent was given up, see nsagent_give_up())
 */
static ssize_t nsagent_recv(struct nsagent *a, struct nsagent_reply *rep,
			    int *fd)
{
	struct pollfd pfd = { .fd = a->sock, .events = POLLIN };
	int64_t deadline = util_now_ms() + NSAGENT_REPLY_TIMEOUT_MS;
	int n;

	if (fd)
		*fd = -1;
	if (a->sock < 0)
		return -ECONNRESET;
	for (;;) {
		int64_t left = deadline - util_now_ms();

		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return fdpass_recv(a->sock, rep, sizeof(*rep), fd);
		if (n == 0 || errno != EINTR)
			break;
	}
	nsagent_give_up(a, -ETIMEDOUT);
	return -ETIMEDOUT;
}

/**
 * nsagent_reply_recv() - the reply to the oldest request sent, keeping the
 * channel in step: any failure but a lost fd gives the agent up
 * @a:		agent
 * @rep:	reply
 * @fd:		fd that came with it, or -1; NULL if none is expected
 *
 * Return: 0, -EMFILE if the reply came but its fd was lost (no fd free
 * here: @rep is valid, and the channel in step), or -errno of a channel
 * that failed (the agent is given up: -ECONNRESET at end of file)
 */
static int nsagent_reply_recv(struct nsagent *a, struct nsagent_reply *rep,
			      int *fd)
{
	ssize_t n = nsagent_recv(a, rep, fd);

	if (n == (ssize_t)sizeof(*rep))
		return 0;
	if (fd)
		util_close_fdp(fd);
	if (n == -EMFILE)
		return -EMFILE;
	if (n >= 0)
		n = n ? -EPROTO : -ECONNRESET;
	nsagent_give_up(a, (int)n);
	return (int)n;
}

static int nsagent_wake(struct nsagent *a);

/* Send a request, bringing a parked agent back first; -ECONNRESET once the
 * agent is gone or given up */
static ssize_t nsagent_send(struct nsagent *a, const struct nsagent_req *req)
{
	ssize_t n;

	if (a->parked && nsagent_wake(a) < 0)
		return -ECONNRESET;
	if (a->sock < 0)
		return -ECONNRESET;
	a->used = true;
	n = fdpass_send(a->sock, req, sizeof(*req), -1);
	return n == -EPIPE ? -ECONNRESET : n;
}

/**
 * nsagent_reap() - wait for the agent to exit, killing it after a while
 * @a:		agent, its socket already closed
 */
static void nsagent_reap(struct nsagent *a)
{
	struct pollfd pfd = { .fd = a->pidfd, .events = POLLIN };
	int status = 0;
	pid_t r;

	/* Without a pidfd, no wait: it dies with us (PR_SET_PDEATHSIG) */
	if (a->pidfd >= 0 && poll(&pfd, 1, NSAGENT_STOP_TIMEOUT_MS) < 0)
		log_debug("poll on the agent's pidfd: %s", g_strerror(errno));
	do
		r = waitpid(a->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		log_debug("namespace agent %d did not exit: killing it",
			  (int)a->pid);
		r = nsagent_kill(a, &status);
	}
	if (r == a->pid)
		log_debug("namespace agent %d exited with status 0x%x",
			  (int)a->pid, (unsigned)status);
}

/**
 * nsagent_call() - send a request and read the reply
 * @a:		agent
 * @req:	request
 * @rep:	reply
 * @fd:		fd that came with the reply, or -1; NULL if none is expected
 *
 * Return: 0 if a reply came (its own error is in @rep->err), -EMFILE if
 * it came without its fd (nsagent_reply_recv()), or -errno if the exchange
 * failed (-ECONNRESET: the agent is gone)
 */
static int nsagent_call(struct nsagent *a, const struct nsagent_req *req,
			struct nsagent_reply *rep, int *fd)
{
	ssize_t n;

	if (fd)
		*fd = -1;
	n = nsagent_send(a, req);
	if (n < 0)
		return (int)n;
	return nsagent_reply_recv(a, rep, fd);
}

/* GError for a failed exchange with the agent */
static int nsagent_call_error(const struct nsagent *a, int err, GError **error)
{
	g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
		    "namespace agent (PID %d) failed: %s", (int)a->pid,
		    err == -ECONNRESET ? "it exited unexpectedly" :
		    err == -ETIMEDOUT  ? "it did not answer in time" :
					 g_strerror(-err));
	return err;
}

/*
 * nsagent_fork() - fork an agent into @a (nsagent_child()), joined to us by
 * a socket pair; it waits for nsagent_join(). Return: 0 or -errno
 */
static int nsagent_fork(struct nsagent *a)
{
	pid_t parent = getpid();
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	a->pid = fork();
	if (a->pid < 0) {
		r = -errno;
		a->pid = 0;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (a->pid == 0) {
		close(sv[0]);
		nsagent_child(sv[1], parent);
	}

	close(sv[1]);
	a->sock = sv[0];
	a->pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
	log_debug("namespace agent started: PID %d", (int)a->pid);
	return 0;
}

/**
 * nsagent_spawn() - fork the agent, joined to us by a socket pair; it waits
 * for nsagent_join()
 * @out:	the agent
 * @error:	set on failure
 *
 * Call from the main thread, as early as the helper can (see "A lean
 * agent" above): after the signal set-up (the agent undoes it), before
 * anything large is allocated. The agent dies when the thread that forked
 * it does (PR_SET_PDEATHSIG), and exits at end of file on its socket if
 * nsagent_join() never comes.
 *
 * Return: 0 or -errno
 */
int nsagent_spawn(struct nsagent **out, GError **error)
{
	struct nsagent *a = g_new0(struct nsagent, 1);
	int r;

	*out = NULL;
	a->park_fds.netns = a->park_fds.userns = a->park_fds.pidfd = -1;
	r = nsagent_fork(a);
	if (r < 0) {
		g_free(a);
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot start the namespace agent: %s",
				 g_strerror(-r));
	}
	*out = a;
	return 0;
}

/**
 * nsagent_pid() - the agent's PID (its seccomp filter names it: abort()
 * may signal itself only)
 * @a:		agent
 *
 * Return: the PID
 */
pid_t nsagent_pid(const struct nsagent *a)
{
	return a->pid;
}

/* The error of an agent whose first answer, @n bytes into @rep, says it
 * could not start. Return: -errno */
static int nsagent_start_error(ssize_t n, const struct nsagent_reply *rep,
			       GError **error)
{
	int r;

	if (n != (ssize_t)sizeof(*rep)) {
		r = n < 0 ? (int)n : -ECONNRESET;
		if (r == -ETIMEDOUT)
			g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
				    "the namespace agent did not join the "
				    "target namespaces within %d ms",
				    NSAGENT_REPLY_TIMEOUT_MS);
		else
			g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
				    "the namespace agent exited before joining "
				    "the target namespaces");
	} else if (rep->stage == NSAGENT_STAGE_USERNS ||
		   rep->stage == NSAGENT_STAGE_NETNS) {
		r = rep->err;
		g_set_error(error, UN_ERROR, UN_EXIT_TARGET,
			    "cannot join the %s namespace of the target: %s",
			    rep->stage == NSAGENT_STAGE_USERNS ? "user" :
								 "network",
			    g_strerror(-r));
	} else {
		r = rep->err;
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot start the namespace agent: %s",
			    g_strerror(-r));
	}
	return r;
}

/* Send the join (nsagent_join()): two requests with the namespaces' fds,
 * then the filter's @n instructions. Return: 0 or -errno */
static int nsagent_send_join(struct nsagent *a, const struct ns_fds *fds,
			     const struct sock_filter *insns, size_t n)
{
	struct nsagent_req req;
	ssize_t r;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_JOIN;
	req.u.join.ns = CLONE_NEWUSER;
	r = fdpass_send(a->sock, &req, sizeof(req), fds->userns);
	if (r >= 0) {
		req.u.join.ns = CLONE_NEWNET;
		req.u.join.filter_len = (uint32_t)n;
		r = fdpass_send(a->sock, &req, sizeof(req), fds->netns);
	}
	if (r >= 0 && n)
		r = fdpass_send(a->sock, insns, n * sizeof(*insns), -1);
	return r < 0 ? (int)r : 0;
}

/**
 * nsagent_join() - have the agent join the target namespaces and confine
 * itself
 * @a:		agent, from nsagent_spawn()
 * @fds:	target namespaces, from ns_fds_open()
 * @filter:	builds the agent's seccomp filter for its PID
 *		(sysfilter_agent_export()), loaded once it is in the target
 *		namespaces, not dumpable and with no_new_privs; NULL for none
 * @error:	set on failure: UN_EXIT_TARGET if a namespace could not be
 *		joined, UN_EXIT_FAILURE for other problems
 *
 * On failure the caller stops the agent (nsagent_stop()).
 *
 * Return: 0 or -errno
 */
int nsagent_join(struct nsagent *a, const struct ns_fds *fds,
		 nsagent_filter_fn filter, GError **error)
{
	g_autofree struct sock_filter *insns = NULL;
	struct nsagent_reply rep;
	ssize_t got, n = 0;
	int r;

	if (filter) {
		insns = g_new(struct sock_filter, NSAGENT_FILTER_MAX);
		n = filter(a->pid, insns, NSAGENT_FILTER_MAX, error);
		if (n < 0)
			return (int)n;
	}
	r = nsagent_send_join(a, fds, insns, (size_t)n);
	memset(&rep, 0, sizeof(rep));
	got = r < 0 ? r : nsagent_recv(a, &rep, NULL);
	if (got == (ssize_t)sizeof(rep) && !rep.err)
		return 0;
	return nsagent_start_error(got, &rep, error);
}

/* The user's explanation of the agent's failure @r at @stage to open the
 * tap @name. Return: @r */
static int nsagent_tap_error(const char *name, uint32_t stage, int r,
			     GError **error)
{
	if (stage == NSAGENT_STAGE_TUN_OPEN && r == -ENOENT) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "/dev/net/tun does not exist: load the tun module "
			    "(modprobe tun) or create the device node");
	} else if (stage == NSAGENT_STAGE_TUN_OPEN &&
		   (r == -EACCES || r == -EPERM)) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "cannot open /dev/net/tun: Permission denied "
			    "(distributions ship it with mode 0666; as root: "
			    "chmod 0666 /dev/net/tun)");
	} else if (r == -EBUSY) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "tap device %s is busy: another process is "
			    "attached to it",
			    name);
	} else if (stage == NSAGENT_STAGE_TUN_ATTACH && r == -EPERM) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "cannot attach to tap device %s: Operation not "
			    "permitted (it belongs to another user)",
			    name);
	} else {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "cannot create tap device %s: %s", name,
			    g_strerror(-r));
	}
	return r;
}

/**
 * nsagent_open_tap() - have the agent create the tap, or attach to it
 * @a:		agent
 * @name:	tap name
 * @tap_fd:	tap fd (O_CLOEXEC|O_NONBLOCK), -1 on failure
 * @existed:	whether the tap existed before (persistent tap)
 * @error:	set on failure, code UN_EXIT_TAP (UN_EXIT_FAILURE if the
 *		agent is gone)
 *
 * Return: 0 or -errno
 */
int nsagent_open_tap(struct nsagent *a, const char *name, int *tap_fd,
		     bool *existed, GError **error)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	size_t len = strlen(name);
	int r, fd;

	*tap_fd = -1;
	*existed = false;
	if (!len || len >= IFNAMSIZ) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "cannot create tap device %s: a name has 1 to %d "
			    "characters",
			    name, IFNAMSIZ - 1);
		return -EINVAL;
	}

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_OPEN_TAP;
	memcpy(req.u.ifname, name, len);
	r = nsagent_call(a, &req, &rep, &fd);
	if (r < 0)
		return nsagent_call_error(a, r, error);

	r = rep.err;
	if (!r && fd < 0)
		r = -EPROTO;
	if (!r) {
		*tap_fd = fd;
		*existed = rep.existed;
		log_debug("%s tap device %s",
			  rep.existed ? "attached to" : "created", name);
		return 0;
	}
	util_close_fdp(&fd);
	return nsagent_tap_error(name, rep.stage, r, error);
}

/**
 * nsagent_configure() - have the agent configure lo and the tap (netlink)
 * @a:		agent
 * @cfg:	what to set, see nl_configure()
 * @error:	set on failure, code UN_EXIT_TAP (UN_EXIT_FAILURE if the
 *		agent is gone)
 *
 * Return: 0 or -errno
 */
int nsagent_configure(struct nsagent *a, const struct nl_config *cfg,
		      GError **error)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	int r;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_CONFIGURE;
	req.u.cfg = *cfg;
	r = nsagent_call(a, &req, &rep, NULL);
	if (r < 0)
		return nsagent_call_error(a, r, error);
	if (rep.err) {
		g_set_error(error, UN_ERROR, UN_EXIT_TAP,
			    "cannot configure %s: %s", cfg->ifname,
			    g_strerror(-rep.err));
		return rep.err;
	}
	return 0;
}

/* These read addresses that getsockname(), accept() or recvmsg() wrote, which
 * clang 14's analyser does not follow (it reports them as garbage) */
/* NOLINTBEGIN(clang-analyzer-core.CallAndMessage) */
/**
 * nsagent_flow_of() - the UDP flow of our socket at @self sending to the
 * guest at @guest, as nl_return_flow() names it
 * @self:	our socket's address in the namespace
 * @guest:	the guest's address and port
 * @f:		out: the flow
 */
void nsagent_flow_of(const struct sockaddr_storage *self,
		     const struct sockaddr_storage *guest, struct nl_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = self->ss_family;
	if (f->family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)self;

		f->dst6 = s6->sin6_addr;
		f->dport = ntohs(s6->sin6_port);
		f->sport = ntohs(
			((const struct sockaddr_in6 *)guest)->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)self;

		f->dst4 = s4->sin_addr;
		f->dport = ntohs(s4->sin_port);
		/* the address comes from getsockname(), accept() or a request read with
		 * recvmsg(), whose writes clang 14's analyser does not follow */
		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
		f->sport = ntohs(((const struct sockaddr_in *)guest)->sin_port);
	}
}
/* NOLINTEND(clang-analyzer-core.CallAndMessage) */

/* A socket reply with no fd for us: remove the return rule the agent added
 * for it, if any (so that no rule outlives its flow) */
static void nsagent_fd_lost(struct nsagent *a, const struct nsagent_reply *rep)
{
	int r;

	if (!rep->flow.family)
		return;
	r = nsagent_return_flow(a, &rep->flow, false);
	if (r < 0)
		log_ratelimited(LOG_LVL_WARN,
				"cannot remove the return rule "
				"of a udp socket lost on its way: %s",
				strerror(-r));
}

/**
 * nsagent_socket_req() - have the agent make a socket in the target netns
 * @a:		agent
 * @sr:		what to make (type: SOCK_NONBLOCK honoured; the fd we get is
 *		O_CLOEXEC in any case)
 * @flow:	NSAGENT_SOCK_FLOW: out, the return rule added for the socket
 *		(family 0 if none); NULL otherwise. If the fd is lost (no fd
 *		free here), the rule is removed before returning.
 *
 * Return: fd, or -errno (-ECONNRESET if the agent is gone, -EMFILE if the
 * fd could not be received)
 */
int nsagent_socket_req(struct nsagent *a, const struct nsagent_sockreq *sr,
		       struct nl_flow *flow)
{
	struct nsagent_reply rep = { 0 };
	struct nsagent_req req;
	int r, fd;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_SOCKET;
	req.u.sock = *sr;
	if (flow)
		memset(flow, 0, sizeof(*flow));
	r = nsagent_call(a, &req, &rep, &fd);
	if (r == -EMFILE || (r == 0 && !rep.err && fd < 0)) {
		nsagent_fd_lost(a, &rep);
		return r ? r : -EPROTO;
	}
	if (r < 0)
		return r;
	if (rep.err) {
		util_close_fdp(&fd);
		return rep.err;
	}
	if (flow)
		*flow = rep.flow;
	return fd;
}

/**
 * nsagent_socket() - have the agent create a socket in the target netns
 * @a:		agent
 * @domain:	as for socket(2)
 * @type:	as for socket(2), SOCK_NONBLOCK honoured; the fd we get is
 *		O_CLOEXEC in any case
 * @protocol:	as for socket(2)
 * @flags:	NSAGENT_SOCK_TRANSPARENT and NSAGENT_SOCK_MARK only
 *
 * Return: fd, or -errno (-ECONNRESET if the agent is gone)
 */
int nsagent_socket(struct nsagent *a, int domain, int type, int protocol,
		   unsigned flags)
{
	struct nsagent_sockreq sr = {
		.domain = domain,
		.type = type,
		.protocol = protocol,
		.flags = flags,
	};

	return nsagent_socket_req(a, &sr, NULL);
}

/**
 * nsagent_sockets() - up to @n sockets inside the target namespace in one
 * exchange: the requests are sent back to back and the replies read after,
 * so that the agent and we wake once for the batch, not per socket
 * @a:		agent
 * @sr:		what to make, as for nsagent_socket_req(), but no
 *		NSAGENT_SOCK_FLOW (-EINVAL)
 * @fds:	out: the sockets
 * @n:		how many to make, at most NSAGENT_SOCKETS_MAX
 *
 * Every reply asked for is read, whatever became of the others, so that the
 * channel stays in step; a channel that fails gives the agent up
 * (nsagent_reply_recv()).
 *
 * Return: number of sockets made (at least 1), or -errno if none was
 * (-ECONNRESET if the agent is gone)
 */
int nsagent_sockets(struct nsagent *a, const struct nsagent_sockreq *sr,
		    int *fds, unsigned n)
{
	struct nsagent_req req;
	unsigned sent, i, got = 0;
	int err = 0;

	/* A lost flow socket's rule would need a request amid the replies */
	if (sr->flags & NSAGENT_SOCK_FLOW)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_SOCKET;
	req.u.sock = *sr;
	n = MIN(n, NSAGENT_SOCKETS_MAX);
	for (sent = 0; sent < n; sent++) {
		ssize_t r = nsagent_send(a, &req);

		if (r < 0) {
			err = (int)r;
			break;
		}
	}
	for (i = 0; i < sent; i++) {
		struct nsagent_reply rep;
		int fd = -1;
		int r = nsagent_reply_recv(a, &rep, &fd);

		if (r == -EMFILE) {
			err = r;
			continue;
		}
		if (r < 0) {
			err = r;
			break;
		}
		if (rep.err || fd < 0) {
			util_close_fdp(&fd);
			err = rep.err ? rep.err : -EPROTO;
			continue;
		}
		fds[got++] = fd;
	}
	return got ? (int)got : (err ? err : -EPROTO);
}

/**
 * nsagent_return() - have the agent make the replies to our marked
 * sockets come back in the target namespace, after removing what a killed
 * helper left there (see nsagent_return_setup() of the agent, and
 * nl_return_setup())
 * @a:		agent
 * @ipv6:	IPv6 too
 * @prefsrc4:	IPv4 guest address (source of replies of unbound sockets)
 *
 * Return: 0 or -errno
 */
int nsagent_return(struct nsagent *a, bool ipv6, struct in_addr prefsrc4)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	unsigned i;
	int r;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_RETURN_SETUP;
	req.u.setup.ipv6 = ipv6;
	req.u.setup.prefsrc4 = prefsrc4;
	r = nsagent_call(a, &req, &rep, NULL);
	if (r < 0)
		return r;
	for (i = 0; i < NSAGENT_N_SYSCTLS; i++)
		if (!a->sysctl_was[i])
			a->sysctl_was[i] = rep.was[i];
	return rep.err;
}

/**
 * nsagent_return_teardown() - have the agent undo nsagent_return() and the
 * flows' rules, and restore the sysctls it changed (clean exit)
 * @a:		agent, or NULL
 *
 * If the agent is gone (killed after a timeout), nothing is undone: the
 * next helper's sweep removes the rules and the route, and the sysctls stay
 * on.
 *
 * Return: 0 or -errno
 */
int nsagent_return_teardown(struct nsagent *a)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	int r;

	if (!a)
		return -ENOTCONN;
	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_RETURN_SETUP;
	req.u.setup.remove = true;
	memcpy(req.u.setup.was, a->sysctl_was, sizeof(req.u.setup.was));
	r = nsagent_call(a, &req, &rep, NULL);
	if (r < 0)
		return r;
	memset(a->sysctl_was, 0, sizeof(a->sysctl_was));
	return rep.err;
}

/**
 * nsagent_return_flow() - remove (or add) the rule of a UDP flow in the
 * target namespace (nl_return_flow())
 * @a:		agent
 * @f:		the flow (nsagent_flow_of())
 * @add:	add or remove
 *
 * Return: 0 or -errno
 */
int nsagent_return_flow(struct nsagent *a, const struct nl_flow *f, bool add)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	int r;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_RETURN_FLOW;
	req.u.flow.f = *f;
	req.u.flow.add = add;
	r = nsagent_call(a, &req, &rep, NULL);
	return r < 0 ? r : rep.err;
}

/**
 * nsagent_pidfd() - the agent's pidfd (for the seccomp filter: the only one
 * SIGKILL may go through)
 * @a:		agent, or NULL
 *
 * Return: the fd, or -1 (no agent, or no pidfd)
 */
int nsagent_pidfd(const struct nsagent *a)
{
	return a ? a->pidfd : -1;
}

/* End the agent process of @a (end of file on its socket, SIGKILL if it
 * does not exit in time: nsagent_reap()) and forget it */
static void nsagent_end(struct nsagent *a)
{
	util_close_fdp(&a->sock);
	if (a->pid > 0)
		nsagent_reap(a);
	util_close_fdp(&a->pidfd);
	a->pid = 0;
}

/**
 * nsagent_stop() - end the agent and free @a
 * @a:		agent, or NULL
 *
 * The agent exits at end of file on its socket; if it has not within
 * NSAGENT_STOP_TIMEOUT_MS, it is killed. Either way it is reaped.
 */
void nsagent_stop(struct nsagent *a)
{
	if (!a)
		return;
	nsagent_end(a);
	ns_fds_close(&a->park_fds);
	g_free(a);
}

/* The agent's namespace @ns (CLONE_NEWUSER or CLONE_NEWNET) as an fd of
 * its own /proc/self/ns file, which pins no mount of the target's (a bind
 * mount held open could not be unmounted). Return: the fd, or -errno */
static int nsagent_nsfd(struct nsagent *a, uint32_t ns)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	int r, fd;

	memset(&req, 0, sizeof(req));
	req.op = NSAGENT_OP_NSFD;
	req.u.join.ns = ns;
	r = nsagent_call(a, &req, &rep, &fd);
	if (r < 0)
		return r;
	if (rep.err || fd < 0) {
		util_close_fdp(&fd);
		return rep.err ? rep.err : -EPROTO;
	}
	return fd;
}

/* Whether an agent can be brought back into namespaces @fds with @filter:
 * one is, and stopped at once (a helper that could not would lose its
 * published ports at the first park). Return: 0 or -ECONNRESET */
static int nsagent_try_wake(const struct ns_fds *fds, nsagent_filter_fn filter)
{
	struct nsagent t = {
		.pidfd = -1,
		.sock = -1,
		.park_fds = *fds, /* borrowed */
		.park_filter = filter,
		.parked = true,
		.wake_failed = true, /* a failure is said at debug level */
	};
	int r = nsagent_wake(&t);

	nsagent_end(&t);
	return r;
}

/**
 * nsagent_allow_park() - let the agent leave while it has no work
 * (nsagent_park_idle()), and come back at the next request
 * @a:		agent, joined (nsagent_join())
 * @filter:	builds the seccomp filter of an agent brought back
 *
 * Only where the helper can fork a new agent into the target without any
 * privilege of its own: the target's user namespace is a child of ours,
 * owned by our user, and neither a seccomp filter nor a root of ours that
 * is not the mount namespace's forbids the fork and setns(2). The caller
 * checks, and so does one agent brought back here and stopped at once. The
 * namespaces to join again are the agent's own, kept as fds.
 *
 * Return: 0 or -errno
 */
int nsagent_allow_park(struct nsagent *a, nsagent_filter_fn filter)
{
	struct ns_fds *k = &a->park_fds;
	int r;

	if (!filter)
		return -EINVAL;
	ns_fds_close(k);
	k->userns = nsagent_nsfd(a, CLONE_NEWUSER);
	k->netns = nsagent_nsfd(a, CLONE_NEWNET);
	r = k->userns < 0 ? k->userns : k->netns;
	if (r >= 0)
		r = nsagent_try_wake(k, filter);
	if (r < 0) {
		ns_fds_close(k);
		k->userns = k->netns = -1; /* either may hold an -errno */
		return r;
	}
	a->park_filter = filter;
	return 0;
}

/**
 * nsagent_park_idle() - end an agent that had no request since the last
 * call; called every NSAGENT_IDLE_MS, so an agent goes after one to two
 * periods without work
 * @a:		agent, or NULL
 *
 * An idle helper is then one process, as slirp4netns is (issue 19): the
 * agent's own pages (about 150 KB of proportional set size) are given back
 * while the pool of sockets made ahead (portfwd/fwdcore.c) serves the first
 * connections of the next burst, whose refill brings it back.
 *
 * Return: true if the agent left now
 */
bool nsagent_park_idle(struct nsagent *a)
{
	if (!a || a->parked || a->sock < 0 || a->park_fds.netns < 0)
		return false;
	if (a->used) {
		a->used = false;
		return false;
	}
	nsagent_end(a);
	a->parked = true;
	log_debug("namespace agent idle: parked until the next request");
	return true;
}

/*
 * nsagent_wake() - bring a parked agent back: a new fork of the helper
 * joins the target's namespaces (the copies of nsagent_allow_park()) under
 * a filter built for its PID. A failure is logged, and fails the request.
 * Return: 0 or -ECONNRESET
 */
static int nsagent_wake(struct nsagent *a)
{
	g_autoptr(GError) error = NULL;
	int r;

	a->parked = false;
	r = nsagent_fork(a);
	if (r < 0)
		g_set_error(&error, UN_ERROR, UN_EXIT_FAILURE, "fork: %s",
			    g_strerror(-r));
	else
		r = nsagent_join(a, &a->park_fds, a->park_filter, &error);
	if (r == 0) {
		a->wake_failed = false;
		return 0;
	}
	/* Said once until it works again: a flood of connections while the
	 * user's processes are at their limit would say it for each */
	log_msg(a->wake_failed ? LOG_LVL_DEBUG : LOG_LVL_ERR, 0,
		"cannot bring the namespace agent back: %s",
		error ? error->message : g_strerror(-r));
	a->wake_failed = true;
	nsagent_end(a);
	a->parked = true;
	return -ECONNRESET;
}
