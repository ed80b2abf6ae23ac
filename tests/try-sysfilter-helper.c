/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/try-sysfilter-helper.c - make system calls under the network helper's seccomp
 * allowlist (confine/sysfilter_helper.c), or without it
 *
 * Usage: try-sysfilter-helper [--apply] NAME
 *        try-sysfilter-helper [--apply] --allowed
 *        try-sysfilter-helper --list
 *
 * NAME is one of the refused calls of --list (a system call, or NAME:VARIANT
 * for a refused argument). With --apply, no_new_privs is set and sysfilter_helper_apply()
 * (the function the helper calls) loads the filter first; the call is then
 * made with harmless arguments and must kill the process with SIGSYS: if it
 * returns, "NAME returned R (errno E)" is printed and the exit status is 3.
 * The caller checks how try-sysfilter-helper ended. Without --apply the same call shows
 * what the kernel alone answers.
 *
 * --allowed makes every kind of call the helper needs after start-up (a
 * loopback TCP connection with splice through a pipe, epoll, UDP with
 * recvmmsg/sendmmsg, fd passing, signalfd, timers, memory, files) and exits
 * 0, or 1 naming the first step that failed. What the helper opens during
 * start-up (the agent's socketpair, a signalfd, the API directory, the
 * agent) is opened here before the filter too.
 *
 * tests/unit/test-sysfilter-helper.c includes this file with TRY_SYSFILTER_HELPER_NO_MAIN defined, to
 * run the same probes in-process.
 *
 * Exit status: 0, 1 if a step of --allowed failed, 2 for a usage error or if
 * sysfilter_helper_apply() failed, 3 if a refused call returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib.h>

#include "common/util.h"
#include "confine/sysfilter_helper.h"

/* A PID that cannot exist (above PID_MAX_LIMIT) */
#define TRY_NO_PID INT_MAX

/**
 * struct try_probe - one refused call, with harmless arguments
 * @name:	NAME or NAME:VARIANT
 * @call:	makes the call; returns its result, errno set when negative
 */
struct try_probe {
	const char *name;
	long (*call)(void);
};

static long try_execve(void)
{
	char *const argv[] = { (char *)"/nonexistent", NULL };

	return syscall(SYS_execve, "/nonexistent/try-sysfilter-helper", argv,
		       NULL);
}

static long try_execveat(void)
{
	char *const argv[] = { (char *)"/nonexistent", NULL };

	return syscall(SYS_execveat, -1, "/nonexistent/try-sysfilter-helper",
		       argv, NULL, 0);
}

static long try_ptrace(void)
{
	return syscall(SYS_ptrace, PTRACE_ATTACH, TRY_NO_PID, NULL, NULL);
}

static long try_mount(void)
{
	return syscall(SYS_mount, "none", "/nonexistent/try-sysfilter-helper",
		       "tmpfs", 0UL, NULL);
}

static long try_umount2(void)
{
	return syscall(SYS_umount2, "/nonexistent/try-sysfilter-helper", 0);
}

static long try_setns(void)
{
	return syscall(SYS_setns, -1, 0);
}

static long try_unshare(void)
{
	/* the low byte (CSIGNAL) is invalid for unshare */
	return syscall(SYS_unshare, CLONE_NEWNET | 0x1);
}

/* A child that would be created exits at once */
static long try_child_exits(long r)
{
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static long try_clone(void)
{
	return try_child_exits(syscall(SYS_clone, (unsigned long)SIGCHLD, NULL,
				       NULL, NULL, 0UL));
}

static long try_clone_newuser(void)
{
	/* CLONE_NEWUSER with CLONE_FS is an invalid combination */
	return try_child_exits(
		syscall(SYS_clone,
			(unsigned long)(CLONE_NEWUSER | CLONE_FS | SIGCHLD),
			NULL, NULL, NULL, 0UL));
}

static long try_clone3(void)
{
	uint64_t args[11] = { 0 }; /* struct clone_args, size 0 */

	return syscall(SYS_clone3, args, (size_t)0);
}

#ifdef SYS_fork
static long try_fork(void)
{
	return try_child_exits(syscall(SYS_fork));
}
#endif

#if defined(__x86_64__) && !defined(__ILP32__)
/* vfork without a C frame in the child (it shares our stack): a child that
 * would be created calls exit(0) at once, the parent gets its PID */
static long try_vfork(void)
{
	long r;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(r)
			 : "a"((long)SYS_vfork)
			 : "rcx", "r11", "rdi", "memory");
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return try_child_exits(r);
}

/* The i386 ABI, through int 0x80 (getpid is 20 there) */
static long try_i386(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	return r;
}

/* The x32 ABI: x86_64 numbers with bit 30 set */
static long try_x32(void)
{
	return syscall(0x40000000L | SYS_getpid);
}
#endif

static long try_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0);
}

static long try_keyctl(void)
{
	return syscall(SYS_keyctl, -1, 0UL, 0UL, 0UL, 0UL);
}

static long try_add_key(void)
{
	return syscall(SYS_add_key, NULL, NULL, NULL, 0UL, 0);
}

static long try_request_key(void)
{
	return syscall(SYS_request_key, NULL, NULL, NULL, 0);
}

static long try_pivot_root(void)
{
	return syscall(SYS_pivot_root, "/nonexistent/a", "/nonexistent/b");
}

static long try_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0UL, "");
}

static long try_finit_module(void)
{
	return syscall(SYS_finit_module, -1, "", 0);
}

static long try_delete_module(void)
{
	return syscall(SYS_delete_module, "", 0);
}

static long try_kexec_load(void)
{
	/* flags with bits no kernel knows */
	return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL);
}

static long try_reboot(void)
{
	/* wrong magic numbers */
	return syscall(SYS_reboot, 0, 0, 0, NULL);
}

static long try_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, -1, NULL, 0);
}

static long try_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, 0x1 | 0x2);
}

static long try_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL);
}

static long try_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 0U, NULL);
}

static long try_prctl(void)
{
	return syscall(SYS_prctl, PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}

static long try_socketpair(void)
{
	int sv[2];

	return syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
}

/* A socket that would be made is closed at once */
static long try_socket(int domain, int type, int protocol)
{
	long r = syscall(SYS_socket, domain, type, protocol);

	if (r >= 0)
		close((int)r);
	return r;
}

static long try_socket_unix(void)
{
	return try_socket(AF_UNIX, SOCK_STREAM, 0);
}

static long try_socket_netlink(void)
{
	return try_socket(AF_NETLINK, SOCK_RAW, 0);
}

static long try_socket_netfilter(void)
{
	return try_socket(AF_NETLINK, SOCK_RAW, 12 /* NETLINK_NETFILTER */);
}

static long try_socket_packet(void)
{
	return try_socket(AF_PACKET, SOCK_DGRAM, 0);
}

static long try_socket_raw(void)
{
	return try_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static long try_ioctl_tiocsti(void)
{
	char c = 0;

	return syscall(SYS_ioctl, -1, TIOCSTI, &c);
}

static long try_ioctl_fionbio(void)
{
	int on = 1;

	return syscall(SYS_ioctl, -1, FIONBIO, &on);
}

static long try_fcntl_setown(void)
{
	return syscall(SYS_fcntl, -1, F_SETOWN, 1);
}

static long try_kill_sigterm(void)
{
	return syscall(SYS_kill, TRY_NO_PID, SIGTERM);
}

static long try_kill_sigkill(void)
{
	return syscall(SYS_kill, TRY_NO_PID, SIGKILL);
}

/* A signal other than SIGKILL through a pidfd (a bad one: EBADF without
 * the filter) */
static long try_pidfd_sigterm(void)
{
	return syscall(SYS_pidfd_send_signal, -1, SIGTERM, NULL, 0);
}

/* SIGKILL through a pidfd other than the agent's (a bad one) */
static long try_pidfd_other(void)
{
	return syscall(SYS_pidfd_send_signal, -1, SIGKILL, NULL, 0);
}

/* setsockopt of an option outside the list, on a fresh UDP socket */
static long try_sockopt(int level, int name, const void *v, socklen_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return -1;
	r = syscall(SYS_setsockopt, fd, level, name, v, len);
	close(fd);
	return r;
}

static long try_setsockopt_mark(void)
{
	int mark = 1;

	return try_sockopt(SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
}

static long try_setsockopt_bindtodevice(void)
{
	return try_sockopt(SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
}

static long try_setsockopt_rcvbuf(void)
{
	int v = 4096;

	return try_sockopt(SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static long try_setsockopt_transparent(void)
{
	int on = 1;

	return try_sockopt(SOL_IP, IP_TRANSPARENT, &on, sizeof(on));
}

static long try_tgkill_other(void)
{
	return syscall(SYS_tgkill, TRY_NO_PID, TRY_NO_PID, 0);
}

static long try_openat_write(void)
{
	return syscall(SYS_openat, AT_FDCWD,
		       "/nonexistent/try-sysfilter-helper",
		       O_WRONLY | O_CLOEXEC);
}

static long try_openat_creat(void)
{
	return syscall(SYS_openat, AT_FDCWD,
		       "/nonexistent/try-sysfilter-helper",
		       O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
}

static long try_mmap_exec(void)
{
	long r = syscall(SYS_mmap, NULL, 4096UL, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);

	if (r != -1)
		munmap((void *)r, 4096);
	return r == -1 ? -1 : 0;
}

static long try_futex_lock_pi(void)
{
	static uint32_t word;

	/* a lock nobody holds: taken at once without the filter */
	return syscall(SYS_futex, &word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL,
		       0);
}

static long try_epoll_create1(void)
{
	return syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
}

static long try_mprotect(void)
{
	static char page[4096] __attribute__((aligned(4096)));

	return syscall(SYS_mprotect, page, sizeof(page), PROT_READ);
}

static long try_mprotect_exec(void)
{
	static char page[4096] __attribute__((aligned(4096)));

	return syscall(SYS_mprotect, page, sizeof(page), PROT_READ | PROT_EXEC);
}

/* Every call the allowlist must refuse, with the never-allowed ones first */
static const struct try_probe try_refused[] = {
	{ "execve", try_execve },
	{ "execveat", try_execveat },
	{ "ptrace", try_ptrace },
	{ "mount", try_mount },
	{ "umount2", try_umount2 },
	{ "setns", try_setns },
	{ "unshare", try_unshare },
	{ "clone", try_clone },
	{ "clone:newuser", try_clone_newuser },
	{ "clone3", try_clone3 },
#ifdef SYS_fork
	{ "fork", try_fork },
#endif
#if defined(__x86_64__) && !defined(__ILP32__)
	{ "vfork", try_vfork },
#endif
	{ "bpf", try_bpf },
	{ "keyctl", try_keyctl },
	{ "add_key", try_add_key },
	{ "request_key", try_request_key },
	{ "pivot_root", try_pivot_root },
	{ "init_module", try_init_module },
	{ "finit_module", try_finit_module },
	{ "delete_module", try_delete_module },
	{ "kexec_load", try_kexec_load },
	{ "reboot", try_reboot },
	{ "open_by_handle_at", try_open_by_handle_at },
	/* Not in the list either */
	{ "userfaultfd", try_userfaultfd },
	{ "perf_event_open", try_perf_event_open },
	{ "io_uring_setup", try_io_uring_setup },
	{ "prctl", try_prctl },
	{ "socketpair", try_socketpair },
	/* Refused arguments of allowed calls */
	{ "socket:unix", try_socket_unix },
	{ "socket:netlink", try_socket_netlink },
	{ "socket:netfilter", try_socket_netfilter },
	{ "socket:packet", try_socket_packet },
	{ "ioctl:TIOCSTI", try_ioctl_tiocsti },
	{ "ioctl:FIONBIO", try_ioctl_fionbio },
	{ "fcntl:F_SETOWN", try_fcntl_setown },
	{ "kill:SIGTERM", try_kill_sigterm },
	{ "kill:SIGKILL", try_kill_sigkill },
	{ "pidfd_send_signal:SIGTERM", try_pidfd_sigterm },
	{ "pidfd_send_signal:other", try_pidfd_other },
	{ "setsockopt:SO_MARK", try_setsockopt_mark },
	{ "setsockopt:SO_BINDTODEVICE", try_setsockopt_bindtodevice },
	{ "setsockopt:SO_RCVBUF", try_setsockopt_rcvbuf },
	{ "setsockopt:IP_TRANSPARENT", try_setsockopt_transparent },
	{ "tgkill:other", try_tgkill_other },
	{ "openat:write", try_openat_write },
	{ "openat:creat", try_openat_creat },
	{ "mmap:exec", try_mmap_exec },
	{ "mprotect", try_mprotect },
	{ "mprotect:exec", try_mprotect_exec },
	{ "epoll_create1", try_epoll_create1 },
	{ "futex:LOCK_PI", try_futex_lock_pi },
#if defined(__x86_64__) && !defined(__ILP32__)
	/* Other ABIs */
	{ "i386", try_i386 },
	{ "x32", try_x32 },
#endif
};

/*
 * Calls the helper's allowlist answers with EPERM instead of killing, because
 * what makes them has a fallback: libslirp tries a raw ICMP socket when the
 * host's net.ipv4.ping_group_range refuses it a ping socket (the kernel's
 * default "1 0"), and drops the echo request when that fails too
 */
static const struct try_probe try_denied[] = {
	{ "socket:raw", try_socket_raw },
};

/* The probe called @name, NULL if there is none */
static const struct try_probe *try_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(try_refused); i++) {
		if (!strcmp(try_refused[i].name, name))
			return &try_refused[i];
	}
	for (i = 0; i < ARRAY_SIZE(try_denied); i++) {
		if (!strcmp(try_denied[i].name, name))
			return &try_denied[i];
	}
	return NULL;
}

/**
 * try_dir_make() - a private directory with a file "sock" in it, standing for
 * the API socket's; made before any filter, removed by try_dir_remove()
 * @dir:	out: its path
 * @size:	size of @dir
 *
 * Return: 0 or -errno
 */
static int try_dir_make(char *dir, size_t size)
{
	int fd;

	g_strlcpy(dir, "/tmp/try-sysfilter-helper.XXXXXX", size);
	if (!mkdtemp(dir))
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (mknodat(fd, "sock", S_IFREG | 0600, 0)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* Remove what try_dir_make() made (the file may be gone already) */
static void try_dir_remove(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		unlinkat(fd, "sock", 0);
		close(fd);
	}
	rmdir(dir);
}

/**
 * struct try_setup - what the helper holds before the filter, made the same
 * way here
 * @agent:	socketpair standing for the agent channel (SOCK_SEQPACKET)
 * @sigfd:	signalfd for SIGUSR1, blocked
 * @dirfd:	O_PATH fd of the directory of try_dir_make() (the API's)
 * @ep:		epoll fd (the forwarders' set)
 * @child:	a child standing for the namespace agent, waiting to be killed
 * @child_pidfd: its pidfd, through which it is killed
 */
struct try_setup {
	int agent[2];
	int ep;
	int sigfd;
	int dirfd;
	pid_t child;
	int child_pidfd;
};

/* Make what try_allowed() needs, given @dir from try_dir_make(); 0 or
 * -errno. The process is meant to exit afterwards: no clean-up function */
static int try_setup_init(struct try_setup *s, const char *dir)
{
	sigset_t set;

	s->agent[0] = s->agent[1] = s->sigfd = s->dirfd = -1;
	s->child = -1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		return -errno;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->agent))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -errno;
	s->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;

	s->child = fork();
	if (s->child < 0)
		return -errno;
	if (s->child == 0) {
		/* dies with us if try_allowed() does not get to kill it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	s->child_pidfd = (int)syscall(SYS_pidfd_open, s->child, 0);
	if (s->child_pidfd < 0)
		return -errno;
	return 0;
}

#define TRY_STEP(cond, what)            \
	do {                            \
		if (!(cond)) {          \
			try_fail(what); \
			return -1;      \
		}                       \
	} while (0)

/* Report a failed step on stderr with write(2) only */
static void try_fail(const char *what)
{
	char buf[160];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "try-sysfilter-helper: %s failed: errno %d\n", what,
		     errno);
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

/* The options libslirp sets on its sockets (confine/sysfilter_helper.c's
 * helper_filter_sockopts[]), IPv4 or IPv6 ones; 0 or -1 */
static int try_sockopts(int fd, bool v6)
{
	int on = 1, ttl = 64;

	if (v6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
				  sizeof(on)) ||
				       setsockopt(fd, IPPROTO_IPV6,
						  IPV6_RECVERR, &on,
						  sizeof(on)) ||
				       setsockopt(fd, IPPROTO_IPV6,
						  IPV6_UNICAST_HOPS, &ttl,
						  sizeof(ttl)) ?
			       -1 :
			       0;
	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
			       setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on,
					  sizeof(on)) ||
			       setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl,
					  sizeof(ttl)) ||
			       setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on,
					  sizeof(on)) ?
		       -1 :
		       0;
}

/* A loopback TCP connection, bytes spliced through a pipe, epoll */
static int try_tcp(int ep)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	int lfd, cfd, sfd, p[2], on = 1, err, n;
	socklen_t len = sizeof(a);
	struct pollfd pfd;
	char buf[16];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	TRY_STEP(lfd >= 0, "socket(AF_INET, SOCK_STREAM)");
	TRY_STEP(!setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)),
		 "setsockopt(SO_REUSEADDR)");
	TRY_STEP(!bind(lfd, (struct sockaddr *)&a, sizeof(a)), "bind");
	TRY_STEP(!listen(lfd, 8), "listen");
	TRY_STEP(!getsockname(lfd, (struct sockaddr *)&a, &len), "getsockname");

	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	TRY_STEP(cfd >= 0, "socket (client)");
	TRY_STEP(!connect(cfd, (struct sockaddr *)&a, sizeof(a)) ||
			 errno == EINPROGRESS,
		 "connect");
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	TRY_STEP(poll(&pfd, 1, 5000) == 1, "poll");
	sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	TRY_STEP(sfd >= 0, "accept4");
	pfd = (struct pollfd){ .fd = cfd, .events = POLLOUT };
	TRY_STEP(poll(&pfd, 1, 5000) == 1, "poll (connected)");
	len = sizeof(err);
	TRY_STEP(!getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &len) && !err,
		 "getsockopt(SO_ERROR)");
	len = sizeof(a);
	TRY_STEP(!getpeername(sfd, (struct sockaddr *)&a, &len), "getpeername");
	TRY_STEP(!setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)),
		 "setsockopt(TCP_NODELAY)");

	/* client -> server socket -> pipe -> client's read */
	TRY_STEP(!pipe2(p, O_NONBLOCK | O_CLOEXEC), "pipe2");
	TRY_STEP(fcntl(p[1], F_SETPIPE_SZ, 65536) >= 0, "fcntl(F_SETPIPE_SZ)");
	TRY_STEP(util_set_nonblock(p[0]) == 0, "fcntl(F_GETFL/F_SETFL)");
	TRY_STEP(!epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev), "epoll_ctl");
	TRY_STEP(send(cfd, "spliced", 7, MSG_NOSIGNAL) == 7, "sendto");
	TRY_STEP(epoll_wait(ep, out, 4, 5000) == 1, "epoll_wait");
	TRY_STEP(splice(sfd, NULL, p[1], NULL, 7, SPLICE_F_NONBLOCK) == 7,
		 "splice (socket to pipe)");
	TRY_STEP(splice(p[0], NULL, sfd, NULL, 7, SPLICE_F_NONBLOCK) == 7,
		 "splice (pipe to socket)");
	pfd = (struct pollfd){ .fd = cfd, .events = POLLIN };
	TRY_STEP(poll(&pfd, 1, 5000) == 1, "poll (echo)");
	TRY_STEP(ioctl(cfd, FIONREAD, &n) == 0 && n == 7, "ioctl(FIONREAD)");
	TRY_STEP(recv(cfd, buf, sizeof(buf), 0) == 7 &&
			 !memcmp(buf, "spliced", 7),
		 "recvfrom");
	TRY_STEP(!epoll_ctl(ep, EPOLL_CTL_DEL, sfd, NULL), "epoll_ctl(DEL)");
	TRY_STEP(!shutdown(sfd, SHUT_WR), "shutdown");
	TRY_STEP(!setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)),
		 "setsockopt(SO_LINGER)");

	close(p[0]);
	close(p[1]);
	close(sfd);
	close(cfd);
	/* libslirp's host forwarding accepts with plain accept() */
	errno = 0;
	TRY_STEP(accept(lfd, NULL, NULL) < 0 && errno == EAGAIN,
		 "accept (nothing pending)");
	close(lfd);

	/* IPv6 may be off on this host: only the filter's verdict matters */
	cfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TRY_STEP(cfd >= 0 || errno == EAFNOSUPPORT, "socket(AF_INET6)");
	if (cfd >= 0) {
		TRY_STEP(!try_sockopts(cfd, true), "setsockopt (IPv6 options)");
		close(cfd);
	}
	return 0;
}

/* Two loopback UDP sockets, batches both ways */
static int try_udp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct iovec iov[2];
	struct mmsghdr m[2];
	char b0[8], b1[8];
	socklen_t len = sizeof(a);
	int s, c;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	TRY_STEP(s >= 0, "socket(AF_INET, SOCK_DGRAM)");
	TRY_STEP(!bind(s, (struct sockaddr *)&a, sizeof(a)), "bind (UDP)");
	TRY_STEP(!getsockname(s, (struct sockaddr *)&a, &len),
		 "getsockname (UDP)");
	c = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	TRY_STEP(c >= 0, "socket (UDP client)");
	TRY_STEP(!try_sockopts(c, false), "setsockopt (IPv4 options)");
	TRY_STEP(!connect(c, (struct sockaddr *)&a, sizeof(a)),
		 "connect (UDP)");

	iov[0] = (struct iovec){ .iov_base = (void *)"one", .iov_len = 3 };
	iov[1] = (struct iovec){ .iov_base = (void *)"two", .iov_len = 3 };
	memset(m, 0, sizeof(m));
	m[0].msg_hdr.msg_iov = &iov[0];
	m[0].msg_hdr.msg_iovlen = 1;
	m[1].msg_hdr.msg_iov = &iov[1];
	m[1].msg_hdr.msg_iovlen = 1;
	TRY_STEP(sendmmsg(c, m, 2, 0) == 2, "sendmmsg");

	iov[0] = (struct iovec){ .iov_base = b0, .iov_len = sizeof(b0) };
	iov[1] = (struct iovec){ .iov_base = b1, .iov_len = sizeof(b1) };
	memset(m, 0, sizeof(m));
	m[0].msg_hdr.msg_iov = &iov[0];
	m[0].msg_hdr.msg_iovlen = 1;
	m[1].msg_hdr.msg_iov = &iov[1];
	m[1].msg_hdr.msg_iovlen = 1;
	TRY_STEP(recvmmsg(s, m, 2, MSG_WAITFORONE, NULL) >= 1, "recvmmsg");

	TRY_STEP(sendto(c, "x", 1, 0, NULL, 0) == 1, "sendto (UDP)");
	TRY_STEP(recvfrom(s, b0, sizeof(b0), 0, NULL, NULL) >= 1 ||
			 errno == EAGAIN,
		 "recvfrom (UDP)");
	close(c);
	close(s);
	return 0;
}

/* The agent channel: a request, and an fd back with SCM_RIGHTS */
static int try_fdpass(int sock, int peer)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char data = 'r';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	fd = STDERR_FILENO;
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	TRY_STEP(sendmsg(sock, &msg, MSG_NOSIGNAL) == 1, "sendmsg(SCM_RIGHTS)");

	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = sizeof(cbuf);
	TRY_STEP(recvmsg(peer, &msg, MSG_CMSG_CLOEXEC) == 1,
		 "recvmsg(SCM_RIGHTS)");
	cm = CMSG_FIRSTHDR(&msg);
	TRY_STEP(cm && cm->cmsg_type == SCM_RIGHTS, "SCM_RIGHTS received");
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	close(fd);
	return 0;
}

/* Memory, time, randomness, locks, signals, processes, files */
static int try_misc(struct try_setup *s)
{
	struct signalfd_siginfo si;
	struct timespec ts;
	struct timeval tv;
	struct sigaction sa;
	struct stat st;
	sigset_t set;
	char buf[PATH_MAX];
	uint32_t word = 0;
	void *p, *q;
	int fd, status;
	ssize_t n;

	/* the system calls, not the vDSO */
	TRY_STEP(!syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts),
		 "clock_gettime");
	TRY_STEP(!syscall(SYS_gettimeofday, &tv, NULL), "gettimeofday");
	TRY_STEP(getrandom(buf, 16, 0) == 16, "getrandom");
	TRY_STEP(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
			 0) == 0,
		 "futex(FUTEX_WAKE)");

	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TRY_STEP(p != MAP_FAILED, "mmap");
	memset(p, 1, 1 << 20);
	q = mremap(p, 1 << 20, 2 << 20, MREMAP_MAYMOVE);
	TRY_STEP(q != MAP_FAILED, "mremap");
	TRY_STEP(!madvise(q, 2 << 20, MADV_DONTNEED), "madvise");
	TRY_STEP(!munmap(q, 2 << 20), "munmap");
	TRY_STEP(syscall(SYS_brk, 0UL) > 0, "brk");
	p = g_malloc(64 << 10);
	g_free(g_realloc(p, 4 << 20));

	/* signals: blocked, read from the signalfd; abort()'s calls */
	TRY_STEP(!sigprocmask(SIG_BLOCK, NULL, &set), "rt_sigprocmask");
	TRY_STEP(!sigaction(SIGPIPE, NULL, &sa), "rt_sigaction");
	TRY_STEP(!syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid),
			  SIGUSR1),
		 "tgkill (ourselves)");
	TRY_STEP(read(s->sigfd, &si, sizeof(si)) == sizeof(si) &&
			 si.ssi_signo == SIGUSR1,
		 "read (signalfd)");
	TRY_STEP(!kill(getpid(), 0), "kill(pid, 0)");
	TRY_STEP(syscall(SYS_restart_syscall) == -1 && errno == EINTR,
		 "restart_syscall");

	/* files: resolv.conf-like read, stat, readlink, the API socket */
	fd = openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
	TRY_STEP(fd >= 0, "openat (read-only)");
	TRY_STEP(!fstat(fd, &st), "fstat");
	TRY_STEP(read(fd, buf, 64) > 0, "read (file)");
	close(fd);
	TRY_STEP(!stat("/proc/self/status", &st), "stat");
	n = readlink("/proc/self/exe", buf, sizeof(buf));
	TRY_STEP(n > 0, "readlink(/proc/self/exe)");
	TRY_STEP(!fstatat(s->dirfd, "", &st, AT_EMPTY_PATH), "fstat (dirfd)");
	TRY_STEP(!unlinkat(s->dirfd, "sock", 0), "unlinkat");

	/* the agent: SIGKILL through its pidfd, reaped */
	TRY_STEP(!syscall(SYS_pidfd_send_signal, s->child_pidfd, SIGKILL, NULL,
			  0),
		 "pidfd_send_signal(agent, SIGKILL)");
	TRY_STEP(waitpid(s->child, &status, 0) == s->child, "wait4");
	s->child = -1;
	return 0;
}

/**
 * try_allowed() - make every kind of call the helper needs after start-up,
 * the filter being loaded or not
 * @s:		what the helper holds from start-up, from try_setup_init()
 *
 * Return: 0, -1 after a failed step (named on stderr)
 */
static int try_allowed(struct try_setup *s)
{
	static const char msg[] =
		"try-sysfilter-helper: making the allowed calls\n";

	TRY_STEP(write(STDERR_FILENO, msg, sizeof(msg) - 1) > 0,
		 "write (stderr)");
	if (try_tcp(s->ep) || try_udp() ||
	    try_fdpass(s->agent[0], s->agent[1]) || try_misc(s))
		return -1;
	return 0;
}

/* Set no_new_privs and load the allowlist, SIGKILL allowed through
 * @kill_pidfd only; no core files from the kills */
static int try_apply(int kill_pidfd)
{
	struct rlimit rl = { 0, 0 };
	GError *error = NULL;
	int r;

	setrlimit(RLIMIT_CORE, &rl);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("try-sysfilter-helper: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	r = sysfilter_helper_apply(kill_pidfd, &error);
	if (r) {
		fprintf(stderr, "try-sysfilter-helper: %s\n", error->message);
		g_error_free(error);
		return -1;
	}
	return 0;
}

/**
 * try_allowed_child() - in a child: set up as the helper does, load the
 * filter if @apply, make the allowed calls
 * @dir:	directory from try_dir_make()
 * @apply:	load the allowlist first
 *
 * Return: exit status: 0, 1 if a step failed, 2 if the set-up failed
 */
static int try_allowed_child(const char *dir, bool apply)
{
	struct try_setup s;
	int r;

	r = try_setup_init(&s, dir);
	if (r < 0) {
		fprintf(stderr, "try-sysfilter-helper: set-up: %s\n",
			strerror(-r));
		return 2;
	}
	if (apply && try_apply(s.child_pidfd))
		return 2;
	return try_allowed(&s) ? 1 : 0;
}

#ifndef TRY_SYSFILTER_HELPER_NO_MAIN
/* --allowed: the calls are made in a child, so that this process, never
 * filtered, removes the directory afterwards and reports how it ended */
static int try_allowed_main(bool apply)
{
	char dir[64];
	int r, status;
	pid_t pid;

	r = try_dir_make(dir, sizeof(dir));
	if (r < 0) {
		fprintf(stderr,
			"try-sysfilter-helper: temporary directory: %s\n",
			strerror(-r));
		return 2;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("try-sysfilter-helper: fork");
		try_dir_remove(dir);
		return 2;
	}
	if (pid == 0)
		exit(try_allowed_child(dir, apply));
	r = waitpid(pid, &status, 0);
	try_dir_remove(dir);
	if (r != pid) {
		perror("try-sysfilter-helper: waitpid");
		return 2;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr,
			"try-sysfilter-helper: killed by signal %d (%s)\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 1;
	}
	if (WEXITSTATUS(status) == 0)
		fprintf(stderr,
			"try-sysfilter-helper: every allowed call worked%s\n",
			apply ? " under the filter" : "");
	return WEXITSTATUS(status);
}

static void usage(FILE *f)
{
	fputs("Usage: try-sysfilter-helper [--apply] NAME\n"
	      "       try-sysfilter-helper [--apply] --allowed\n"
	      "       try-sysfilter-helper --list\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct try_probe *p = NULL;
	bool apply = false;
	int i = 1;
	long ret;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < (int)ARRAY_SIZE(try_refused); i++)
			printf("%s\n", try_refused[i].name);
		return 0;
	}
	if (i < argc && !strcmp(argv[i], "--apply")) {
		apply = true;
		i++;
	}
	if (i != argc - 1) {
		usage(stderr);
		return 2;
	}

	if (!strcmp(argv[i], "--allowed"))
		return try_allowed_main(apply);

	p = try_find(argv[i]);
	if (!p) {
		fprintf(stderr,
			"try-sysfilter-helper: unknown NAME %s (see --list)\n",
			argv[i]);
		return 2;
	}
	if (apply && try_apply(-1))
		return 2;
	errno = 0;
	ret = p->call();
	printf("%s returned %ld (errno %d: %s)\n", p->name, ret,
	       ret < 0 ? errno : 0, ret < 0 ? strerror(errno) : "none");
	return apply ? 3 : 0;
}
#endif
