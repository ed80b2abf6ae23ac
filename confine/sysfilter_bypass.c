/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_bypass.c - usernet run --bypass: the filter that sends
 * the command's connect() and listen() to a user-notification listener (the
 * network helper answers them: helper/bypass.c), and the probe of the
 * kernel's support for it
 *
 * DOC: What is trapped, and why no more
 *
 * connect(): where the socket goes (helper/bypass_parse.c). listen(): a host
 * socket must never listen (a failed connect leaves one unconnected, and a
 * listener on the host is what published ports decide). getsockname(),
 * getpeername(): a host socket shows the namespace's addresses. Native ABI only: a
 * 32-bit program's calls (socketcall on i386) pass untouched, through
 * libslirp as without bypass. Stacked on the default profile (or alone with
 * --seccomp unconfined); the kernel takes the strictest answer of the two.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "common/errors.h"
#include "common/util.h"
#include "confine/sysfilter.h"
#include "confine/sysfilter_bypass.h"

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(scmp_filter_ctx, seccomp_release, NULL)

/* In a throwaway child: a listener of its own, and an ADDFD with
 * SECCOMP_ADDFD_FLAG_SETFD for a notification that does not exist. A kernel
 * that knows the flag looks the id up (ENOENT); an older one refuses the
 * flag (EINVAL) or the ioctl. Exit status 0: supported */
static void sysfilter_bypass_probe_child(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	struct seccomp_notif_addfd addfd = {
		.id = 0,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
		.srcfd = 0,
		.newfd = 0,
	};
	long fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		_exit(3);
	if (ioctl((int)fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 &&
	    errno == ENOENT)
		_exit(0);
	_exit(4);
}

/**
 * sysfilter_bypass_probe() - whether this kernel can run --bypass:
 * user-notification listeners and SECCOMP_ADDFD_FLAG_SETFD (Linux 5.14)
 *
 * Probed, not read from the version string (back-ports, other kernels). The
 * environment variable SYSFILTER_BYPASS_TEST_ENV set to 1 makes the answer
 * "no", for tests only.
 *
 * Return: 0 if supported, -EOPNOTSUPP if not, other -errno if the probe
 * itself failed
 */
int sysfilter_bypass_probe(void)
{
	const char *hook = getenv(SYSFILTER_BYPASS_TEST_ENV);
	int status;
	pid_t pid;

	if (hook && !strcmp(hook, "1"))
		return -EOPNOTSUPP;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		sysfilter_bypass_probe_child();
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EOPNOTSUPP;
}

/* The rules: connect(), listen(), getsockname() and getpeername() of the
 * native ABI to the listener */
static int sysfilter_bypass_rules(scmp_filter_ctx ctx)
{
	static const int calls[] = { SCMP_SYS(connect), SCMP_SYS(listen),
				     SCMP_SYS(getsockname),
				     SCMP_SYS(getpeername) };
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, calls[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * sysfilter_bypass_apply() - load the bypass filter into this thread, for it
 * and everything it executes, and get its listener
 * @listener:	out: the listener fd (O_CLOEXEC), for the helper alone
 * @error:	set on failure
 *
 * Should: run after the command's own profile, with no_new_privs set, in a
 * single-threaded process (a new listener cannot be synchronised to other
 * threads), and the listener be sent away and closed before execve().
 * Mustn't: leave the listener where the command can reach it.
 *
 * Return: 0 or -errno
 */
int sysfilter_bypass_apply(int *listener, GError **error)
{
	g_auto(scmp_filter_ctx) ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return error_set(error, UN_EXIT_FAILURE, -ENOMEM,
				 "--bypass: cannot build its seccomp filter");
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	r = sysfilter_bypass_rules(ctx);
	if (r >= 0)
		r = seccomp_load(ctx);
	if (r >= 0)
		r = seccomp_notify_fd(ctx);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--bypass: cannot load its seccomp filter: %s",
				 g_strerror(-r));
	*listener = r;
	return 0;
}

/* --- the handler's allowlist (helper/bypass.c, its own process) --------- */

/* Keep in step with docs/HELPER-SECCOMP.md, "The bypass handler" */
static const struct sysfilter_entry bypass_handler_allow[] = {
	{ "poll", "the handler's loop: the listener, connects in progress" },
	{ "ppoll", "poll() of the C library where poll is not a call" },
	{ "recvmsg", "the listener, once, from the channel (SCM_RIGHTS)" },
	{ "ioctl", "only the listener's RECV, SEND, ID_VALID and ADDFD" },
	{ "pidfd_open", "pins the notifying process (flags 0)" },
	{ "pidfd_getfd", "copies the socket of the trapped call (flags 0)" },
	{ "process_vm_readv",
	  "reads the sockaddr of a trapped connect() (at most a "
	  "sockaddr_in6), the socklen_t of get*name()" },
	{ "process_vm_writev",
	  "writes the namespace's view of a host socket's address for "
	  "getsockname(), getpeername()" },
	{ "getpeername", "the host socket's peer, for the namespace's view" },
	{ "socket", "only AF_INET, AF_INET6 SOCK_STREAM: the host sockets" },
	{ "connect", "the host sockets" },
	{ "bind", "--outbound-addr's source address" },
	{ "getsockopt", "SO_DOMAIN, SO_TYPE, SO_PROTOCOL, SO_NETNS_COOKIE, "
			"SO_ERROR and the copied options" },
	{ "setsockopt", "the options copied to a host socket" },
	{ "getsockname", "whether the caller bound its socket itself; the "
			 "host socket's address, for the namespace's view" },
	{ "fcntl", "only F_GETFL and F_SETFL: O_NONBLOCK" },
	{ "close", "copies, host sockets once installed" },
	{ "write", "log lines to stderr" },
	{ "brk", "the C library's allocator" },
	{ "mmap", "the C library's allocator" },
	{ "munmap", "the C library's allocator" },
	{ "mremap", "the C library's allocator" },
	{ "madvise", "the C library's allocator" },
	{ "futex", "glib's locks" },
	{ "clock_gettime", "log timestamps, glib" },
	{ "gettimeofday", "log timestamps" },
	{ "getpid", "log lines" },
	{ "gettid", "abort()" },
	{ "tgkill", "abort()" },
	{ "rt_sigprocmask", "abort()" },
	{ "restart_syscall", "a poll interrupted by a stop signal" },
	{ "exit_group", "the end" },
	{ "exit", "the end" },
};

static const unsigned long bypass_handler_ioctls[] = {
	SECCOMP_IOCTL_NOTIF_RECV,
	SECCOMP_IOCTL_NOTIF_SEND,
	SECCOMP_IOCTL_NOTIF_ID_VALID,
	SECCOMP_IOCTL_NOTIF_ADDFD,
};

static const unsigned long bypass_handler_fcntls[] = { F_GETFL, F_SETFL };

/* One rule per value of @v for argument 1, on the 32 bits the kernel reads */
static int bypass_handler_add_arg1(scmp_filter_ctx ctx, int nr, uint32_t action,
				   const unsigned long *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, action, nr, 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					     v[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int bypass_handler_add_ioctl(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	return bypass_handler_add_arg1(ctx, nr, action, bypass_handler_ioctls,
				       ARRAY_SIZE(bypass_handler_ioctls));
}

static int bypass_handler_add_fcntl(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	return bypass_handler_add_arg1(ctx, nr, action, bypass_handler_fcntls,
				       ARRAY_SIZE(bypass_handler_fcntls));
}

/* socket(AF_INET or AF_INET6, SOCK_STREAM with any flags, any protocol) */
static int bypass_handler_add_socket(scmp_filter_ctx ctx, int nr,
				     uint32_t action)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		r = seccomp_rule_add(ctx, action, nr, 2,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					     (uint64_t)families[i]),
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
					     SOCK_STREAM));
		if (r < 0)
			return r;
	}
	return 0;
}

/* pidfd_open(pid, 0), pidfd_getfd(pidfd, fd, 0) */
static int bypass_handler_add_flags0(scmp_filter_ctx ctx, int nr,
				     uint32_t action)
{
	unsigned int arg = nr == SCMP_SYS(pidfd_open) ? 1 : 2;

	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					 0));
}

static const struct sysfilter_special bypass_handler_specials[] = {
	{ "ioctl", 0, bypass_handler_add_ioctl },
	{ "fcntl", 0, bypass_handler_add_fcntl },
	{ "socket", 0, bypass_handler_add_socket },
	{ "pidfd_open", 0, bypass_handler_add_flags0 },
	{ "pidfd_getfd", 0, bypass_handler_add_flags0 },
};

/**
 * sysfilter_bypass_handler_apply() - load the bypass handler's allowlist
 * into this process, for good
 * @error:	set on failure
 *
 * Should: run in the handler process (helper/bypass.c) once it has closed
 * every fd but its channel, dropped its capabilities and set no_new_privs,
 * before it reads anything of the command's. From then on any call outside
 * bypass_handler_allow[] kills it (SIGSYS); the command's trapped calls then
 * fail with ENOSYS.
 *
 * Return: 0 or -errno
 */
int sysfilter_bypass_handler_apply(GError **error)
{
	const struct sysfilter_list list = {
		.entries = bypass_handler_allow,
		.n = ARRAY_SIZE(bypass_handler_allow),
		.specials = bypass_handler_specials,
		.n_specials = ARRAY_SIZE(bypass_handler_specials),
		.action = SCMP_ACT_ALLOW,
		.native_only = true,
		.what = "the bypass handler's seccomp filter",
	};
	const struct sysfilter_program program = {
		.default_action = SCMP_ACT_KILL_PROCESS,
		.optimize = true,
		.lists = &list,
		.n_lists = 1,
		.load_hint = "",
	};

	return sysfilter_load(&program, error);
}

/**
 * sysfilter_bypass_handler_allowlist() - the handler's reviewed allowlist
 * @n:		out: number of entries
 *
 * Return: the entries, static
 */
const struct sysfilter_entry *sysfilter_bypass_handler_allowlist(size_t *n)
{
	*n = ARRAY_SIZE(bypass_handler_allow);
	return bypass_handler_allow;
}
