/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/bypass.c - socket bypass (usernet run --bypass): the helper answers
 * the command's trapped connect() and listen() (confine/sysfilter_bypass.c)
 * and hands it host sockets for the connections that leave the namespace
 *
 * DOC: Theory of operation
 *
 * The handler is a process of its own, forked by the helper before it
 * confines itself (bypass_spawn()): pidfd_getfd() and process_vm_readv()
 * need ptrace rights over the command, which the helper's Landlock domain
 * and user namespace take away. It stays in the host's network and user
 * namespaces, keeps no capability and no fd but the channel, and loads an
 * allowlist of its own (confine/sysfilter_bypass.c) before it reads
 * anything of the command's. Its counters live in a shared page the helper
 * reads for `stats`. It ends with the helper (PR_SET_PDEATHSIG) or when the
 * listener says every process of the filter is gone.
 *
 * The command's PID 2 loads the bypass filter and sends its listener over
 * the channel the launcher gave both (a socket pair: --bypass-fd); the
 * handler takes the first fd that comes and closes the channel. Each
 * notification is then answered, always, from its poll loop:
 *  1. bypass_parse_call() says which call; the caller is pinned with a
 *     pidfd, checked with SECCOMP_IOCTL_NOTIF_ID_VALID (the PID is the
 *     notifying thread's, not a reused one);
 *  2. its socket is copied with pidfd_getfd(): family, type, protocol,
 *     O_NONBLOCK and options are read from it; SO_NETNS_COOKIE says whether
 *     it is a host socket already (one we installed);
 *  3. connect(): the sockaddr is read once, bounded (process_vm_readv), the
 *     id checked again, the policy applied (helper/bypass_parse.c). A socket
 *     of the namespace to an address of the namespace: CONTINUE (the kernel
 *     reads the address again, but it is then the namespace's socket that
 *     connects, as without bypass). To the outside: a new host socket
 *     connects (non-blocking, with --outbound-addr's source), and replaces
 *     the caller's fd (SECCOMP_IOCTL_NOTIF_ADDFD, SECCOMP_ADDFD_FLAG_SETFD):
 *     at once for a non-blocking caller (EINPROGRESS), once connected for a
 *     blocking one (which waits in its connect() meanwhile; a failure leaves
 *     it its own socket). A host socket is never CONTINUEd: it connects only
 *     where the policy translates, else EPERM;
 *  4. listen(): EPERM on a host socket (one that failed to connect is still
 *     one), CONTINUE otherwise;
 *  5. getsockname(), getpeername() of a host socket: the namespace's view
 *     (bypass_view(): the guest's address, the gateway for the host's
 *     loopback), written into the caller (process_vm_writev); CONTINUE for
 *     the namespace's sockets.
 * Only TCP is bypassed: a connected UDP host socket could still sendto()
 * any address of the host unseen (UDP stays on libslirp).
 *
 * Bounds: BYPASS_PENDING_MAX connects in progress (EAGAIN beyond), checked
 * every second: those whose caller died (ID_VALID fails) are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib.h>
#include <seccomp.h>

#include "common/log.h"
#include "common/util.h"
#include "confine/caps.h"
#include "confine/isolate.h"
#include "confine/sysfilter_bypass.h"
#include "helper/bypass.h"
#include "helper/bypass_parse.h"
#include "netns/fdpass.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* How often connects in progress are checked for a dead caller */
#define BYPASS_TICK_MS 1000

/**
 * struct bypass - the handler of one sandbox (in its own process)
 * @listener:	the seccomp listener
 * @arch:	AUDIT_ARCH_* of the native ABI
 * @host_cookie: SO_NETNS_COOKIE of the host's network namespace
 * @plan:	the policy's view of the guest network
 * @cfg:	the helper's network options (--outbound-addr)
 * @pending:	struct bypass_conn in progress, by host socket fd
 * @st:		counters, in the page shared with the helper
 */
struct bypass {
	int listener;
	uint32_t arch;
	uint64_t host_cookie;
	struct bypass_plan plan;
	const struct sl_config *cfg;
	GHashTable *pending;
	struct bypass_stats *st;
};

/**
 * struct bypass_conn - a host connect in progress for a blocking caller
 * @b:		handler
 * @id:		the notification to answer
 * @sock:	the host socket (ours; the caller's after ADDFD)
 * @target_fd:	the caller's fd number to replace, or -1 (already a host
 *		socket: nothing to replace)
 */
struct bypass_conn {
	struct bypass *b;
	uint64_t id;
	int sock;
	int target_fd;
};

static void bypass_respond(struct bypass *b, uint64_t id, int err, bool cont)
{
	struct seccomp_notif_resp resp = {
		.id = id,
		.error = err ? -err : 0,
		.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0,
	};

	if (err == EPERM || err == EAGAIN)
		b->st->refused++;
	if (ioctl(b->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
	    errno != ENOENT)
		log_debug("bypass: cannot answer: %s", g_strerror(errno));
}

static void bypass_continue(struct bypass *b, uint64_t id)
{
	b->st->continued++;
	bypass_respond(b, id, 0, true);
}

static bool bypass_id_valid(struct bypass *b, uint64_t id)
{
	return ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int bypass_sockopt(int fd, int level, int name)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) ? -errno : v;
}

static bool bypass_is_host(struct bypass *b, int sock)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	return !getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
	       cookie == b->host_cookie;
}

/* Put the host socket @sock on the caller's fd @target_fd */
static int bypass_addfd(struct bypass *b, uint64_t id, int sock, int target_fd)
{
	struct seccomp_notif_addfd addfd = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
		.srcfd = (uint32_t)sock,
		.newfd = (uint32_t)target_fd,
	};

	return ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 ?
		       -errno :
		       0;
}

/* The connect of host socket @s for a blocking caller ended with @err:
 * blocking again, installed on the caller's fd on success (@target_fd, or
 * -1 if @s is the caller's already), answered; @s stays open here */
static void bypass_finish(struct bypass *b, uint64_t id, int s, int target_fd,
			  int err)
{
	int fl = fcntl(s, F_GETFL);

	if (fl >= 0)
		fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
	if (!err && target_fd >= 0)
		err = -bypass_addfd(b, id, s, target_fd);
	if (!err)
		b->st->connects++;
	bypass_respond(b, id, err, false);
}

static void bypass_conn_end(struct bypass_conn *cn, int err)
{
	struct bypass *b = cn->b;

	bypass_finish(b, cn->id, cn->sock, cn->target_fd, err);
	g_hash_table_remove(b->pending, GINT_TO_POINTER(cn->sock));
}

static void bypass_conn_free(void *p)
{
	struct bypass_conn *cn = p;

	close(cn->sock);
	g_free(cn);
}

/* Every BYPASS_TICK_MS: drop the connects whose caller is gone */
static void bypass_tick(struct bypass *b)
{
	GHashTableIter it;
	void *k, *v;

	g_hash_table_iter_init(&it, b->pending);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct bypass_conn *cn = v;

		if (!bypass_id_valid(b, cn->id))
			g_hash_table_iter_remove(&it);
	}
}

/* Wait for @sock's connect from the loop, the caller blocked meanwhile;
 * @sock is taken over */
static void bypass_wait(struct bypass *b, uint64_t id, int sock, int target_fd)
{
	struct bypass_conn *cn;

	if (g_hash_table_size(b->pending) >= BYPASS_PENDING_MAX) {
		close(sock);
		bypass_respond(b, id, EAGAIN, false);
		return;
	}
	cn = g_new0(struct bypass_conn, 1);
	*cn = (struct bypass_conn){ b, id, sock, target_fd };
	g_hash_table_insert(b->pending, GINT_TO_POINTER(sock), cn);
}

/* The options a program sets before connect() that matter afterwards */
static const struct {
	int level;
	int name;
} bypass_copied_opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR },
	{ SOL_SOCKET, SO_KEEPALIVE },
	{ IPPROTO_TCP, TCP_NODELAY },
	{ IPPROTO_IPV6, IPV6_V6ONLY },
};

static void bypass_copy_opts(int from, int to, int family)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bypass_copied_opts); i++) {
		int level = bypass_copied_opts[i].level;
		int name = bypass_copied_opts[i].name;
		int v;

		if (level == IPPROTO_IPV6 && family != AF_INET6)
			continue;
		v = bypass_sockopt(from, level, name);
		if (v > 0 && setsockopt(to, level, name, &v, sizeof(v)))
			log_debug("bypass: cannot copy a socket option: %s",
				  g_strerror(errno));
	}
}

/* --outbound-addr (-6): the source of host sockets that leave the host */
static int bypass_outbound(struct bypass *b, int sock,
			   const struct sockaddr_storage *dst)
{
	const struct sl_config *c = b->cfg;

	if (dst->ss_family == AF_INET && c->has_outbound4) {
		const struct sockaddr_in *d = (const void *)dst;

		if (d->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			return 0;
		return bind(sock, (const void *)&c->outbound4,
			    sizeof(c->outbound4)) ?
			       -errno :
			       0;
	}
	if (dst->ss_family == AF_INET6 && c->has_outbound6) {
		const struct sockaddr_in6 *d = (const void *)dst;

		if (IN6_IS_ADDR_LOOPBACK(&d->sin6_addr) ||
		    IN6_IS_ADDR_V4MAPPED(&d->sin6_addr))
			return 0;
		return bind(sock, (const void *)&c->outbound6,
			    sizeof(c->outbound6)) ?
			       -errno :
			       0;
	}
	return 0;
}

/* Whether the caller bound its socket @orig to a port itself: then it
 * stays the namespace's (its address is one of the namespace's) */
static bool bypass_bound(int orig)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	if (getsockname(orig, (void *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_port != 0;
	if (ss.ss_family == AF_INET6)
		return ((struct sockaddr_in6 *)&ss)->sin6_port != 0;
	return false;
}

/* A new host socket like @orig, non-blocking, ready to connect to @dst.
 * Return: the socket, or -errno */
static int bypass_host_socket(struct bypass *b, int orig,
			      const struct sockaddr_storage *dst)
{
	int family = dst->ss_family;
	int proto = bypass_sockopt(orig, SOL_SOCKET, SO_PROTOCOL);
	int s, r;

	s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   proto > 0 ? proto : 0);
	if (s < 0)
		return -errno;
	bypass_copy_opts(orig, s, family);
	r = bypass_outbound(b, s, dst);
	if (r < 0) {
		close(s);
		return r;
	}
	return s;
}

/*
 * Connect host socket @s to @dst for notification @id and answer, now or
 * from the loop. @target_fd: the caller's fd to replace, or -1 when @s is
 * already the caller's; @nonblock: the caller's socket was non-blocking.
 * @s is taken over.
 */
static void bypass_connect_host(struct bypass *b, uint64_t id, int s,
				int target_fd, bool nonblock,
				const struct sockaddr_storage *dst)
{
	socklen_t len = dst->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						    sizeof(struct sockaddr_in6);
	int fl = fcntl(s, F_GETFL);
	int r = 0;

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(s, F_SETFL, fl | O_NONBLOCK);
	if (connect(s, (const void *)dst, len))
		r = errno;
	if (nonblock) {
		if ((!r || r == EINPROGRESS) && target_fd >= 0 &&
		    bypass_addfd(b, id, s, target_fd) < 0)
			r = ENOENT; /* the caller is gone */
		if (!r || r == EINPROGRESS)
			b->st->connects++;
		bypass_respond(b, id, r, false);
	} else if (r == EINPROGRESS) {
		bypass_wait(b, id, s, target_fd);
		return;
	} else {
		bypass_finish(b, id, s, target_fd, r);
	}
	close(s);
}

/* Read the caller's sockaddr once, bounded; Return: bytes read or -errno */
static ssize_t bypass_read_addr(const struct seccomp_notif *n,
				const struct bypass_call *call, void *buf)
{
	size_t want = MIN((size_t)call->len, BYPASS_SOCKADDR_MAX);
	struct iovec local = { buf, want };
	struct iovec remote = { (void *)(uintptr_t)call->addr, want };
	ssize_t r;

	if (!want)
		return 0;
	r = process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0);
	return r < 0 ? -errno : r;
}

/* connect() of the caller's socket @orig (our copy), @host: a host socket
 * already; @orig is closed here */
static void bypass_on_connect(struct bypass *b, const struct seccomp_notif *n,
			      const struct bypass_call *call, int orig,
			      bool host)
{
	uint8_t raw[BYPASS_SOCKADDR_MAX];
	struct sockaddr_storage dst, to;
	int family = bypass_sockopt(orig, SOL_SOCKET, SO_DOMAIN);
	int type = bypass_sockopt(orig, SOL_SOCKET, SO_TYPE);
	bool nonblock = fcntl(orig, F_GETFL) & O_NONBLOCK;
	enum bypass_verdict v = BYPASS_CONTINUE;
	socklen_t len;
	ssize_t got;
	int s;

	got = bypass_read_addr(n, call, raw);
	if (!bypass_id_valid(b, n->id))
		goto out;
	if (got >= 0 && type == SOCK_STREAM && call->len <= sizeof(dst) &&
	    !bypass_parse_sockaddr(raw, (size_t)got, &dst, &len) &&
	    dst.ss_family == family)
		v = bypass_decide(&b->plan, &dst, &to);
	if (v == BYPASS_CONTINUE && !host && type == SOCK_STREAM && got < 0)
		v = BYPASS_REFUSE; /* unreadable: EFAULT below */
	if (v == BYPASS_TRANSLATE && host) {
		bypass_connect_host(b, n->id, orig, -1, nonblock, &to);
		return;
	}
	if (v == BYPASS_TRANSLATE && !bypass_bound(orig)) {
		s = bypass_host_socket(b, orig, &to);
		if (s >= 0)
			bypass_connect_host(b, n->id, s, call->fd, nonblock,
					    &to);
		else
			bypass_respond(b, n->id, -s, false);
	} else if (v == BYPASS_REFUSE || host) {
		bypass_respond(b, n->id, got < 0 ? EFAULT : EPERM, false);
	} else {
		bypass_continue(b, n->id);
	}
out:
	close(orig);
}

/* Write @len bytes of @buf at @addr in the caller; Return: 0 or -errno */
static int bypass_write(const struct seccomp_notif *n, uint64_t addr,
			const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	if (process_vm_writev((pid_t)n->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return -EFAULT;
	return 0;
}

/* getsockname()/getpeername() of a host socket: the namespace's view,
 * written as the kernel would (truncated to the caller's length, the full
 * length back). Return: 0 or -errno */
static int bypass_name(struct bypass *b, const struct seccomp_notif *n,
		       const struct bypass_call *call, int sock)
{
	struct sockaddr_storage real, view;
	socklen_t len = sizeof(real), vlen;
	struct iovec local, remote;
	uint32_t have;

	if (call->op == BYPASS_OP_SOCKNAME ?
		    getsockname(sock, (void *)&real, &len) :
		    getpeername(sock, (void *)&real, &len))
		return -errno;
	vlen = bypass_view(&b->plan, call->op == BYPASS_OP_SOCKNAME, &real,
			   &view);
	if (!vlen)
		return -EINVAL;
	local = (struct iovec){ &have, sizeof(have) };
	remote = (struct iovec){ (void *)(uintptr_t)call->lenp, sizeof(have) };
	if (process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(have))
		return -EFAULT;
	if (!bypass_id_valid(b, n->id))
		return -ESRCH;
	if ((int32_t)have < 0)
		return -EINVAL;
	if (bypass_write(n, call->addr, &view, MIN((size_t)have, vlen)) ||
	    bypass_write(n, call->lenp, &vlen, sizeof(vlen)))
		return -EFAULT;
	return 0;
}

/* One notification: pin the caller, copy its socket, dispatch */
static void bypass_handle(struct bypass *b, const struct seccomp_notif *n)
{
	struct bypass_call call;
	cleanup_fd int pidfd = -1;
	int orig;
	bool host;

	if (bypass_parse_call(n, b->arch, &call) ||
	    call.op == BYPASS_OP_OTHER) {
		bypass_continue(b, n->id);
		return;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)n->pid, 0);
	if (pidfd < 0 || !bypass_id_valid(b, n->id)) {
		log_debug("bypass: process %u: %s", n->pid,
			  pidfd < 0 ? g_strerror(errno) : "gone");
		bypass_respond(b, n->id, EPERM, false);
		return;
	}
	orig = (int)syscall(SYS_pidfd_getfd, pidfd, call.fd, 0);
	if (orig < 0) {
		/* Not an fd of the caller's: the kernel says EBADF itself */
		log_debug("bypass: fd %d of %u: %s", call.fd, n->pid,
			  g_strerror(errno));
		bypass_continue(b, n->id);
		return;
	}
	host = bypass_is_host(b, orig);
	if (call.op == BYPASS_OP_CONNECT) {
		bypass_on_connect(b, n, &call, orig, host);
		return;
	}
	if (call.op != BYPASS_OP_LISTEN && host) {
		int r = bypass_name(b, n, &call, orig);

		bypass_respond(b, n->id, -r, false);
	} else if (host) {
		bypass_respond(b, n->id, EPERM, false);
	} else {
		bypass_continue(b, n->id);
	}
	close(orig);
}

/* One notification from the listener; Return: false once it is gone */
static bool bypass_on_listener(struct bypass *b, short revents)
{
	struct seccomp_notif n;

	if (!(revents & POLLIN))
		return !(revents & (POLLHUP | POLLERR | POLLNVAL));
	memset(&n, 0, sizeof(n));
	if (ioctl(b->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return errno == ENOENT || errno == EINTR; /* caller died */
	bypass_handle(b, &n);
	return true;
}

/* The connects in progress that @fds (after the listener's) report */
static void bypass_on_conns(struct bypass *b, const struct pollfd *fds,
			    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct bypass_conn *cn;
		int err;

		if (!fds[i].revents)
			continue;
		cn = g_hash_table_lookup(b->pending,
					 GINT_TO_POINTER(fds[i].fd));
		if (!cn)
			continue;
		err = bypass_sockopt(fds[i].fd, SOL_SOCKET, SO_ERROR);
		bypass_conn_end(cn, err < 0 ? -err : err);
	}
}

/* One turn of the handler's loop: the listener and the connects in
 * progress. Return: false once every process of the filter is gone */
static bool bypass_turn(struct bypass *b)
{
	guint n = g_hash_table_size(b->pending) + 1, i = 1;
	g_autofree struct pollfd *fds = g_new0(struct pollfd, n);
	GHashTableIter it;
	void *k;
	int r;

	b->st->pending = n - 1;
	fds[0] = (struct pollfd){ .fd = b->listener, .events = POLLIN };
	g_hash_table_iter_init(&it, b->pending);
	while (g_hash_table_iter_next(&it, &k, NULL))
		fds[i++] = (struct pollfd){ .fd = GPOINTER_TO_INT(k),
					    .events = POLLOUT };
	r = poll(fds, n, BYPASS_TICK_MS);
	if (r < 0)
		return errno == EINTR;
	if (r == 0) {
		bypass_tick(b);
		return true;
	}
	bypass_on_conns(b, fds + 1, n - 1);
	return bypass_on_listener(b, fds[0].revents);
}

/* The listener, sent by the command's PID 2 before it executes; blocks
 * until it comes. Return: the listener, or -1 */
static int bypass_recv_listener(int chan_fd)
{
	char c;
	int listener = -1;
	ssize_t r;

	do
		r = fdpass_recv(chan_fd, &c, 1, &listener);
	while (r == -EINTR);
	close(chan_fd);
	if (r <= 0 || listener < 0) {
		log_warn("--bypass: no seccomp listener came: the command's "
			 "connections go through libslirp");
		return -1;
	}
	return listener;
}

/* In the handler process: shed what the helper had, then serve */
static noreturn void bypass_child(int chan_fd, const struct sl_config *cfg,
				  struct bypass_stats *st)
{
	g_autoptr(GError) error = NULL;
	const int keep[] = { chan_fd };
	struct bypass b = { .listener = -1, .cfg = cfg, .st = st };
	cleanup_fd int probe = -1;
	socklen_t len = sizeof(b.host_cookie);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || isolate_fds(keep, 1) < 0 ||
	    caps_keep_only(0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(1);
	probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0 || getsockopt(probe, SOL_SOCKET, SO_NETNS_COOKIE,
				    &b.host_cookie, &len))
		_exit(1);
	if (sysfilter_bypass_handler_apply(&error)) {
		log_err("%s", error->message);
		_exit(1);
	}
	b.arch = seccomp_arch_native();
	bypass_plan_init(&b.plan, &cfg->cidr, cfg->ipv6,
			 !cfg->disable_host_loopback);
	b.pending = g_hash_table_new_full(NULL, NULL, NULL, bypass_conn_free);
	b.listener = bypass_recv_listener(chan_fd);
	if (b.listener >= 0) {
		log_debug("bypass: answering the command's connect() calls");
		while (bypass_turn(&b))
			;
	}
	_exit(0);
}

/**
 * struct bypass_proc - the handler process, seen from the helper
 * @pid:	its PID
 * @st:		its counters (a shared page)
 */
struct bypass_proc {
	pid_t pid;
	struct bypass_stats *st;
};

/**
 * bypass_spawn() - fork the bypass handler of one sandbox
 * @chan_fd:	channel the seccomp listener comes on (the helper's copy is
 *		closed here)
 * @cfg:	the helper's network options (the policy, --outbound-addr)
 * @out:	the handler
 *
 * Should: run in the host's network and user namespaces, before the helper
 * confines itself (the handler needs ptrace rights over the command).
 *
 * Return: 0 or -errno
 */
int bypass_spawn(int chan_fd, const struct sl_config *cfg,
		 struct bypass_proc **out)
{
	struct bypass_stats *st;
	pid_t pid;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		return -errno;
	memset(st, 0, sizeof(*st));
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		munmap(st, sizeof(*st));
		return r;
	}
	if (pid == 0)
		bypass_child(chan_fd, cfg, st);
	close(chan_fd);
	*out = g_new0(struct bypass_proc, 1);
	(*out)->pid = pid;
	(*out)->st = st;
	return 0;
}

/**
 * bypass_free() - forget the handler (it ends with the helper, by
 * PR_SET_PDEATHSIG, or with the command)
 * @p:		handler, or NULL
 */
void bypass_free(struct bypass_proc *p)
{
	if (!p)
		return;
	munmap(p->st, sizeof(*p->st));
	g_free(p);
}

/**
 * bypass_get_stats() - the handler's counters
 * @p:		handler
 * @st:		out
 */
void bypass_get_stats(const struct bypass_proc *p, struct bypass_stats *st)
{
	*st = *p->st;
}
