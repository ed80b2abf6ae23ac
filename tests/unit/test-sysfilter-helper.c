/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-sysfilter-helper.c - the network helper's seccomp allowlist: the list,
 * and what a process under it can and cannot do
 *
 * The filter is loaded in forked children, never in the test runner. The
 * probes are those of tests/try-sysfilter-helper.c, included here: each refused call must
 * kill its child with SIGSYS (and is made without the filter first, in
 * another child, to log what the kernel alone answers); the allowed calls the
 * helper needs must all work under the filter.
 */
#define TRY_SYSFILTER_HELPER_NO_MAIN
#include "../try-sysfilter-helper.c"

#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include "common/errors.h"
#include "netns/fdpass.h"
#include "sysfilter-check.h"

/* Never allowed: the calls that would let a compromised helper out */
static const char *const never[] = {
	"execve",
	"execveat",
	"ptrace",
	"mount",
	"umount2",
	"setns",
	"unshare",
	"clone",
	"clone3",
	"fork",
	"vfork",
	"bpf",
	"keyctl",
	"add_key",
	"request_key",
	"pivot_root",
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"open_by_handle_at",
	"userfaultfd",
	"perf_event_open",
	"io_uring_setup",
	"process_vm_readv",
	"process_vm_writev",
	"move_mount",
	"fsopen",
	"open_tree",
	"memfd_create",
	"socketpair",
	"prctl",
	"seccomp",
	"setuid",
	"capset",
	"chroot",
	"personality",
};

static bool in_list(const char *name)
{
	size_t n;
	const struct sysfilter_entry *e = sysfilter_helper_allowlist(&n);

	return sysfilter_listed(e, n, name);
}

static void test_list(void)
{
	const struct sysfilter_entry *e;
	size_t n, i;

	e = sysfilter_helper_allowlist(&n);
	sysfilter_check_list(e, n, TRUE);
	for (i = 0; i < ARRAY_SIZE(never); i++) {
		if (in_list(never[i]))
			g_error("%s must never be allowed", never[i]);
	}
}

/* The helper's allowlist, no agent pidfd */
static int try_apply_noagent(void)
{
	return try_apply(-1);
}

/* Set no_new_privs and load the namespace agent's allowlist, exported to
 * BPF and loaded with seccomp(2) as the agent does (netns/agent.c) */
static int try_apply_agent(void)
{
	static struct sock_filter insns[BPF_MAXINSNS];
	struct rlimit rl = { 0, 0 };
	struct sock_fprog prog = { .filter = insns };
	ssize_t n;

	setrlimit(RLIMIT_CORE, &rl);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	n = sysfilter_agent_export(getpid(), insns, BPF_MAXINSNS, NULL);
	if (n <= 0)
		return -1;
	prog.len = (unsigned short)n;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -1 : 0;
}

/* The program built when usernet was built, with the PID written in, is the
 * one libseccomp builds now for that PID */
static void test_agent_prebuilt(void)
{
	static struct sock_filter got[BPF_MAXINSNS], want[BPF_MAXINSNS];
	const pid_t pids[] = { 1, 4242, getpid(), 4194304 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		ssize_t n = sysfilter_agent_export(pids[i], got, BPF_MAXINSNS,
						   NULL);

		g_assert_cmpint(n, >, 0);
		g_assert_cmpint(sysfilter_agent_build(pids[i], want,
						      BPF_MAXINSNS, NULL),
				==, n);
		g_assert_cmpmem(got, (size_t)n * sizeof(got[0]), want,
				(size_t)n * sizeof(want[0]));
	}
	g_assert_cmpint(sysfilter_agent_export(1, got, 8, NULL), ==, -EINVAL);
}

/* Make the probe's call in a child, filtered (by @load) or not: its wait
 * status; the result of an unfiltered call is logged */
static int probe_in_child(const struct try_probe *p, int (*load)(void))
{
	bool apply = load != NULL;
	int status;
	pid_t pid;
	long r;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (apply && load())
			_exit(2);
		errno = 0;
		r = p->call();
		if (!apply)
			g_test_message("%s without the filter: %ld (%s)",
				       p->name, r,
				       r < 0 ? g_strerror(errno) : "ok");
		_exit(apply ? 3 : 0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return status;
}

/* @p must kill a child under the filter @load with SIGSYS */
static void refused(const struct try_probe *p, int (*load)(void))
{
	int status;

	status = probe_in_child(p, NULL);
	if (WIFSIGNALED(status)) {
		/* int 0x80 without IA32 emulation: nothing to filter */
		if (!strcmp(p->name, "i386") && WTERMSIG(status) == SIGSEGV) {
			/* The kernel refuses every i386 call itself; the
			 * filter must not change that */
			status = probe_in_child(p, load);
			g_assert_true(WIFSIGNALED(status));
			g_test_message("no i386 emulation in this kernel: "
				       "int 0x80 ends in signal %d under the "
				       "filter too",
				       WTERMSIG(status));
			return;
		}
		g_error("%s without the filter: killed by signal %d", p->name,
			WTERMSIG(status));
	}

	status = probe_in_child(p, load);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		g_error("%s: the filter could not be loaded", p->name);
	if (!WIFSIGNALED(status))
		g_error("%s returned under the filter (exit status %d)",
			p->name, WEXITSTATUS(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
}

static void test_refused(gconstpointer data)
{
	refused(data, try_apply_noagent);
}

/* @data must fail with EPERM under the helper's filter, not kill */
static void test_denied(gconstpointer data)
{
	const struct try_probe *p = data;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		long r;

		if (try_apply_noagent())
			_exit(2);
		errno = 0;
		r = p->call();
		_exit(r < 0 && errno == EPERM ? 0 : 3);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	if (WIFSIGNALED(status))
		g_error("%s killed by signal %d under the filter", p->name,
			WTERMSIG(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_agent_refused(gconstpointer data)
{
	refused(data, try_apply_agent);
}

/* What the namespace agent must never do, of the probes of try-sysfilter-helper.c */
static const char *const agent_refused[] = {
	"execve",
	"ptrace",
	"mount",
	"setns",
	"unshare",
	"clone",
	"clone3",
	"bpf",
	"keyctl",
	"pivot_root",
	"io_uring_setup",
	"socketpair",
	"prctl",
	"kill:SIGTERM",
	"kill:SIGKILL",
	"socket:unix",
	"socket:netfilter",
	"socket:packet",
	"socket:raw",
	"openat:creat",
	"setsockopt:SO_BINDTODEVICE",
	"setsockopt:SO_RCVBUF",
	"mmap:exec",
	"mprotect",
	"epoll_create1",
	"i386",
	"x32",
};

static void test_agent_list(void)
{
	const struct sysfilter_entry *e;
	size_t n, i;

	e = sysfilter_agent_allowlist(&n);
	sysfilter_check_list(e, n, TRUE);
	for (i = 0; i < ARRAY_SIZE(never); i++) {
		if (sysfilter_listed(e, n, never[i]))
			g_error("%s must never be allowed to the agent",
				never[i]);
	}
}

/* The calls of the agent's requests (netns/agent.c, tap.c, nl.c), in a
 * child under the agent's filter: 0, or the step that failed */
static int agent_calls(int sock)
{
	int on = 1, mark = 1, fd;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(nl);
	char buf[64] = { 0 };

	/* rtnetlink (libmnl): options, bind, port id, a request */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on,
		       sizeof(on)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&nl, sizeof(nl)) ||
	    getsockname(fd, (struct sockaddr *)&nl, &len))
		return 1;
	if (sendto(fd, buf, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno == ENOSYS)
		return 2;
	if (recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL) < 0 &&
	    errno != EAGAIN)
		return 3;
	close(fd);
	/* --publish-auto's sock_diag socket */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_SOCK_DIAG);
	if (fd < 0)
		return 4;
	close(fd);
	/* if_nametoindex(): a unix datagram socket and SIOCGIFINDEX */
	if (!if_nametoindex("lo"))
		return 5;
	/* the forwarders' inner sockets: inet, transparent (EPERM without
	 * the capability: only the filter's verdict matters), marked */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on)) &&
	     errno != EPERM) ||
	    (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) &&
	     errno != EPERM))
		return 6;
	if (fdpass_send(sock, "x", 1, fd) != 1)
		return 7;
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
	    setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof(on)) &&
	    errno != EPERM)
		return 8;
	if (fd >= 0)
		close(fd);
	/* the tap: /dev/net/tun stands as /dev/null here; /proc/sys values */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || (ioctl(fd, TUNSETIFF, buf) && errno == ENOSYS) ||
	    write(fd, "1", 1) != 1 || read(fd, buf, 1) != 0)
		return 9;
	close(fd);
	/* the next request */
	if (fdpass_recv(sock, buf, sizeof(buf), NULL) < 0)
		return 10;
	return 0;
}

static void test_agent_allowed(void)
{
	int sv[2], status, fd = -1;
	pid_t pid;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				   sv),
			==, 0);
	g_assert_cmpint(fdpass_send(sv[0], "r", 1, -1), ==, 1);
	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (try_apply_agent())
			_exit(100);
		_exit(agent_calls(sv[1]));
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	if (WIFSIGNALED(status))
		g_error("agent killed by signal %d (%s)", WTERMSIG(status),
			g_strsignal(WTERMSIG(status)));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpint(fdpass_recv(sv[0], &status, 1, &fd), ==, 1);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/*
 * No file creation or rename under the filter, not even relative to a
 * directory fd (which cannot confine paths: "../.." or an absolute path
 * leaves it): in a child, step 0 creates a file, step 1 renames one, both
 * relative to an O_PATH fd of @dir. Return: the wait status
 */
static int create_in_child(const char *dir, int step)
{
	int status, dirfd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || try_apply(-1))
			_exit(2);
		if (step == 0)
			openat(dirfd, "c.pcap",
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0600);
		else
			renameat(dirfd, "c.pcap", dirfd, "c.pcap.1");
		_exit(3);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return status;
}

static void test_no_file_creation(void)
{
	char dir[64];
	int step, status;

	g_assert_cmpint(try_dir_make(dir, sizeof(dir)), ==, 0);
	for (step = 0; step < 2; step++) {
		status = create_in_child(dir, step);
		g_assert_true(WIFSIGNALED(status));
		g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
	}
	try_dir_remove(dir);
}

/* Every kind of call the helper makes after start-up, in a child */
static void allowed(bool apply)
{
	char dir[64];
	int status;
	pid_t pid;

	g_assert_cmpint(try_dir_make(dir, sizeof(dir)), ==, 0);
	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
		_exit(try_allowed_child(dir, apply));
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	try_dir_remove(dir);
	if (WIFSIGNALED(status))
		g_error("killed by signal %d (%s)%s", WTERMSIG(status),
			g_strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGSYS ?
				": an allowed call is missing from the list" :
				"");
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_allowed_unfiltered(void)
{
	allowed(false);
}

static void test_allowed(void)
{
	allowed(true);
}

/* A child that waits to be killed; its pidfd in *@pidfd */
static pid_t sleeper(int *pidfd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	g_assert_cmpint(*pidfd, >=, 0);
	return pid;
}

/* SIGKILL goes through the agent's pidfd only: through another pidfd the
 * helper holds (the target's), it kills the helper instead */
static void test_pidfd_other(void)
{
	int agent_fd, target_fd, status;
	pid_t agent = sleeper(&agent_fd), target = sleeper(&target_fd), pid;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (try_apply(agent_fd))
			_exit(2);
		if (syscall(SYS_pidfd_send_signal, agent_fd, SIGKILL, NULL, 0))
			_exit(4);
		syscall(SYS_pidfd_send_signal, target_fd, SIGKILL, NULL, 0);
		_exit(3);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
	/* the agent's stand-in was killed, the target's is alive */
	g_assert_cmpint(waitpid(agent, &status, 0), ==, agent);
	g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	g_assert_cmpint(waitpid(target, &status, WNOHANG), ==, 0);
	kill(target, SIGKILL);
	g_assert_cmpint(waitpid(target, &status, 0), ==, target);
	close(agent_fd);
	close(target_fd);
}

/* Seccomp mode of this process, from /proc/self/status */
static int seccomp_mode(void)
{
	g_autofree char *status = NULL;
	const char *s;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return -1;
	s = strstr(status, "\nSeccomp:");
	return s ? atoi(s + strlen("\nSeccomp:")) : -1;
}

/* Without no_new_privs: -EINVAL, a GError, and no filter loaded */
static void test_no_nnp(void)
{
	int status;
	pid_t pid;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1) {
		g_test_skip("no_new_privs is already set on the test runner");
		return;
	}
	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		GError *error = NULL;
		int r = sysfilter_helper_apply(-1, &error);

		if (r != -EINVAL || !error)
			_exit(10);
		if (!g_error_matches(error, UN_ERROR, UN_EXIT_FAILURE) ||
		    !strstr(error->message, "no_new_privs"))
			_exit(11);
		g_test_message("error: %s", error->message);
		g_error_free(error);
		if (seccomp_mode() != 0)
			_exit(12);
		/* still unfiltered: a call the list refuses works */
		if (syscall(SYS_prctl, PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0)
			_exit(13);
		_exit(0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* After a successful sysfilter_helper_apply() the process is in filter mode */
static void test_mode(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (try_apply(-1))
			_exit(2);
		_exit(seccomp_mode() == 2 ? 0 : 1);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sysfilter-helper/list", test_list);
	g_test_add_func("/sysfilter-helper/no-nnp", test_no_nnp);
	g_test_add_func("/sysfilter-helper/mode", test_mode);
	g_test_add_func("/sysfilter-helper/allowed-unfiltered",
			test_allowed_unfiltered);
	g_test_add_func("/sysfilter-helper/allowed", test_allowed);
	g_test_add_func("/sysfilter-helper/no-file-creation",
			test_no_file_creation);
	g_test_add_func("/sysfilter-helper/pidfd-other", test_pidfd_other);
	for (i = 0; i < ARRAY_SIZE(try_refused); i++) {
		g_autofree char *path =
			g_strdup_printf("/sysfilter-helper/refused/%s",
					try_refused[i].name);

		g_assert_true(try_find(try_refused[i].name) == &try_refused[i]);
		g_test_add_data_func(path, &try_refused[i], test_refused);
	}
	for (i = 0; i < ARRAY_SIZE(try_denied); i++) {
		g_autofree char *path =
			g_strdup_printf("/sysfilter-helper/denied/%s",
					try_denied[i].name);

		g_test_add_data_func(path, &try_denied[i], test_denied);
	}
	g_test_add_func("/sysfilter-helper/agent/list", test_agent_list);
	g_test_add_func("/sysfilter-helper/agent/prebuilt",
			test_agent_prebuilt);
	g_test_add_func("/sysfilter-helper/agent/allowed", test_agent_allowed);
	for (i = 0; i < ARRAY_SIZE(agent_refused); i++) {
		g_autofree char *path =
			g_strdup_printf("/sysfilter-helper/agent/refused/%s",
					agent_refused[i]);
		const struct try_probe *p = try_find(agent_refused[i]);

		if (!p) /* not on this architecture (i386, x32) */
			continue;
		g_test_add_data_func(path, p, test_agent_refused);
	}
	return g_test_run();
}
