/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/try-syscall.c - call system calls with harmless arguments and say
 * what the kernel (or the seccomp filter) answered, as bubblewrap's test tool
 *
 * Usage: try-syscall [--apply-default] NAME[:VARIANT]...
 *        try-syscall --list
 *
 * Prints one line per NAME: "NAME ok" or "NAME errno=N (message)" (or
 * "NAME killed by signal N (...)"). Each call runs in its own child, so that
 * the ones that change the process (unshare, personality, PTRACE_TRACEME)
 * leave the others alone. --apply-default sets no_new_privs and loads the
 * default profile of usernet run (confine/sysfilter_command.c) first.
 *
 * The arguments are chosen so that, without the filter, the kernel fails with
 * something other than EPERM wherever it checks the arguments before the
 * caller's privilege: EPERM then means the filter refused the call. Where it
 * checks privilege first (reboot, the module calls, swapoff, acct, syslog,
 * vhangup), only a run as root tells the two apart. What this machine answers
 * without the filter is in docs/SECCOMP.md, and in --list.
 *
 * Exit status: 0, 1 if --apply-default failed, 2 for a usage error or a NAME
 * this tool does not know on this architecture.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "common/util.h"
#include "confine/sysfilter_command.h"

/* A PID that cannot exist (above PID_MAX_LIMIT) */
#define NO_PID INT_MAX

/**
 * struct probe - one way of calling one system call
 * @name:	NAME or NAME:VARIANT, as given on the command line
 * @how:	the arguments, and what this machine answers without a filter
 * @call:	makes the call; returns its result, errno set when negative
 */
struct probe {
	const char *name;
	const char *how;
	long (*call)(void);
};

static long p_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0UL, "");
}

static long p_finit_module(void)
{
	return syscall(SYS_finit_module, -1, "", 0);
}

static long p_delete_module(void)
{
	return syscall(SYS_delete_module, "", 0);
}

#ifdef SYS_create_module
static long p_create_module(void)
{
	return syscall(SYS_create_module, NULL, 0UL);
}
#endif

#ifdef SYS_query_module
static long p_query_module(void)
{
	return syscall(SYS_query_module, NULL, 0, NULL, 0UL, NULL);
}
#endif

#ifdef SYS_get_kernel_syms
static long p_get_kernel_syms(void)
{
	return syscall(SYS_get_kernel_syms, NULL);
}
#endif

static long p_kexec_load(void)
{
	/* flags with bits no kernel knows */
	return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL);
}

#ifdef SYS_kexec_file_load
static long p_kexec_file_load(void)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, ~0UL);
}
#endif

static long p_reboot(void)
{
	/* wrong magic numbers */
	return syscall(SYS_reboot, 0, 0, 0, NULL);
}

static long p_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0);
}

static long p_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL);
}

static long p_userfaultfd(void)
{
	/* UFFD_USER_MODE_ONLY (allowed to anyone) plus an unknown flag */
	return syscall(SYS_userfaultfd, 0x1 | 0x2);
}

static long p_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 0U, NULL);
}

static long p_io_uring_enter(void)
{
	return syscall(SYS_io_uring_enter, -2, 0U, 0U, 0U, NULL, 0UL);
}

static long p_io_uring_register(void)
{
	/* -1 would be a "blind" registration on recent kernels */
	return syscall(SYS_io_uring_register, -2, 0U, NULL, 0U);
}

static long p_keyctl(void)
{
	return syscall(SYS_keyctl, -1, 0UL, 0UL, 0UL, 0UL);
}

static long p_add_key(void)
{
	return syscall(SYS_add_key, NULL, NULL, NULL, 0UL, 0);
}

static long p_request_key(void)
{
	return syscall(SYS_request_key, NULL, NULL, NULL, 0);
}

static long p_ptrace_attach(void)
{
	return syscall(SYS_ptrace, PTRACE_ATTACH, NO_PID, NULL, NULL);
}

static long p_ptrace_seize(void)
{
	return syscall(SYS_ptrace, PTRACE_SEIZE, NO_PID, NULL, NULL);
}

static long p_ptrace_traceme(void)
{
	/* try-syscall itself becomes the tracer: harmless, it only waits */
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
}

static long p_process_vm_readv(void)
{
	/* flags must be 0 */
	return syscall(SYS_process_vm_readv, getpid(), NULL, 0UL, NULL, 0UL,
		       1UL);
}

static long p_process_vm_writev(void)
{
	return syscall(SYS_process_vm_writev, getpid(), NULL, 0UL, NULL, 0UL,
		       1UL);
}

static long p_pidfd_getfd(void)
{
	return syscall(SYS_pidfd_getfd, -1, 0, 0U);
}

static long p_setns(void)
{
	return syscall(SYS_setns, -1, 0);
}

static long p_unshare_newuser(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

static long p_unshare_newuser_invalid(void)
{
	/* the low byte (CSIGNAL) is invalid for unshare */
	return syscall(SYS_unshare, CLONE_NEWUSER | 0x1);
}

static long p_unshare_0(void)
{
	return syscall(SYS_unshare, 0);
}

static long p_unshare_newns(void)
{
	return syscall(SYS_unshare, CLONE_NEWNS);
}

static long p_unshare_newns_invalid(void)
{
	return syscall(SYS_unshare, CLONE_NEWNS | 0x1);
}

/* Raw clone with @flags; a child that comes out of it exits at once */
static long clone_flags(unsigned long flags)
{
	long r = syscall(SYS_clone, flags, NULL, NULL, NULL, 0UL);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static long p_clone_newuser(void)
{
	/* CLONE_NEWUSER with CLONE_FS is an invalid combination */
	return clone_flags(CLONE_NEWUSER | CLONE_FS | SIGCHLD);
}

static long p_clone_plain(void)
{
	return clone_flags(SIGCHLD);
}

static long p_clone3(void)
{
	uint64_t args[11] = { 0 }; /* struct clone_args, size 0 */

	return syscall(SYS_clone3, args, 0UL);
}

static long p_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, -1, NULL, 0);
}

static long p_ioctl_tiocsti(void)
{
	char c = 0;

	return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, &c);
}

static long p_ioctl_tiocsti_hi(void)
{
	char c = 0;

	/* the kernel reads the request as 32 bits: still TIOCSTI */
	return syscall(SYS_ioctl, -1, 0x100000000UL | TIOCSTI, &c);
}

static long p_ioctl_tioclinux(void)
{
	char c = 0;

	return syscall(SYS_ioctl, -1, (unsigned long)TIOCLINUX, &c);
}

static long p_ioctl_fionread(void)
{
	int n;

	return syscall(SYS_ioctl, -1, (unsigned long)FIONREAD, &n);
}

static long p_swapon(void)
{
	/* unknown swap flags */
	return syscall(SYS_swapon, NULL, 1 << 30);
}

static long p_swapoff(void)
{
	return syscall(SYS_swapoff, NULL);
}

static long p_acct(void)
{
	/* not NULL, which would turn accounting off */
	return syscall(SYS_acct, (const char *)1);
}

static long p_settimeofday(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = -1 };

	return syscall(SYS_settimeofday, &tv, NULL);
}

static long p_clock_settime(void)
{
	return syscall(SYS_clock_settime, CLOCK_REALTIME, NULL);
}

#ifdef SYS_stime
static long p_stime(void)
{
	return syscall(SYS_stime, NULL);
}
#endif

static long p_clock_adjtime_other(void)
{
	return syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, NULL);
}

static long p_clock_adjtime_realtime(void)
{
	struct timex tx = { .modes = 0 };

	return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
}

static long p_adjtimex(void)
{
	struct timex tx = { .modes = 0 };

	return syscall(SYS_adjtimex, &tx);
}

static long p_syslog(void)
{
	/* SYSLOG_ACTION_SIZE_BUFFER: only reads the size */
	return syscall(SYS_syslog, 10, NULL, 0);
}

static long p_quotactl(void)
{
	/* Q_GETINFO on quota type 7, which does not exist */
	return syscall(SYS_quotactl, (int)((0x800005U << 8) | 7), NULL, 0,
		       NULL);
}

#ifdef SYS_quotactl_fd
static long p_quotactl_fd(void)
{
	return syscall(SYS_quotactl_fd, -1, 0U, 0, NULL);
}
#endif

#ifdef SYS_iopl
static long p_iopl(void)
{
	return syscall(SYS_iopl, 4);
}
#endif

#ifdef SYS_ioperm
static long p_ioperm(void)
{
	return syscall(SYS_ioperm, 0UL, 0UL, 1);
}
#endif

#ifdef SYS_lookup_dcookie
static long p_lookup_dcookie(void)
{
	return syscall(SYS_lookup_dcookie, 0ULL, NULL, 0UL);
}
#endif

#ifdef SYS_nfsservctl
static long p_nfsservctl(void)
{
	return syscall(SYS_nfsservctl, 0, NULL, NULL);
}
#endif

static long p_vhangup(void)
{
	/* without a controlling terminal, nothing to hang up */
	setsid();
	return syscall(SYS_vhangup);
}

#ifdef SYS_uselib
static long p_uselib(void)
{
	return syscall(SYS_uselib, NULL);
}
#endif

static long p_personality_no_randomize(void)
{
	return syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE);
}

static long p_personality_query(void)
{
	return syscall(SYS_personality, 0xffffffffUL);
}

static long p_personality_linux32(void)
{
	return syscall(SYS_personality, (unsigned long)PER_LINUX32);
}

static long p_getpid(void)
{
	return syscall(SYS_getpid);
}

static long p_kcmp(void)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0UL, 0UL);
}

static const struct probe probes[] = {
	{ "init_module",
	  "(NULL, 0, \"\"): ENOSYS here (no modules); else EPERM, root ENOEXEC",
	  p_init_module },
	{ "finit_module", "(-1, \"\", 0): ENOSYS here; else EPERM, root EBADF",
	  p_finit_module },
	{ "delete_module", "(\"\", 0): ENOSYS here; else EPERM, root ENOENT",
	  p_delete_module },
#ifdef SYS_create_module
	{ "create_module", "(NULL, 0): ENOSYS", p_create_module },
#endif
#ifdef SYS_query_module
	{ "query_module", "(NULL, 0, NULL, 0, NULL): ENOSYS", p_query_module },
#endif
#ifdef SYS_get_kernel_syms
	{ "get_kernel_syms", "(NULL): ENOSYS", p_get_kernel_syms },
#endif
	{ "kexec_load",
	  "(0, 0, NULL, bad flags): "
	  "ENOSYS here (no kexec); else EPERM, root EINVAL",
	  p_kexec_load },
#ifdef SYS_kexec_file_load
	{ "kexec_file_load",
	  "(-1, -1, 0, NULL, bad flags): ENOSYS here; else EPERM, root EINVAL",
	  p_kexec_file_load },
#endif
	{ "reboot", "(bad magic): EPERM, root EINVAL", p_reboot },
	{ "bpf", "(-1, NULL, 0): EINVAL", p_bpf },
	{ "perf_event_open", "(NULL, 0, -1, -1, 0): EFAULT",
	  p_perf_event_open },
	{ "userfaultfd", "(UFFD_USER_MODE_ONLY | 2): EINVAL", p_userfaultfd },
	{ "io_uring_setup", "(0, NULL): EFAULT", p_io_uring_setup },
	{ "io_uring_enter", "(-2, ...): EBADF", p_io_uring_enter },
	{ "io_uring_register", "(-2, 0, NULL, 0): EBADF", p_io_uring_register },
	{ "keyctl", "(-1, ...): EOPNOTSUPP", p_keyctl },
	{ "add_key", "(NULL, ...): EFAULT", p_add_key },
	{ "request_key", "(NULL, ...): EFAULT", p_request_key },
	{ "ptrace", "(PTRACE_ATTACH, no such PID): ESRCH", p_ptrace_attach },
	{ "ptrace:attach", "(PTRACE_ATTACH, no such PID): ESRCH",
	  p_ptrace_attach },
	{ "ptrace:seize", "(PTRACE_SEIZE, no such PID): ESRCH",
	  p_ptrace_seize },
	{ "ptrace:traceme", "(PTRACE_TRACEME): ok, not filtered",
	  p_ptrace_traceme },
	{ "process_vm_readv", "(self, NULL, 0, NULL, 0, flags 1): EINVAL",
	  p_process_vm_readv },
	{ "process_vm_writev", "(self, NULL, 0, NULL, 0, flags 1): EINVAL",
	  p_process_vm_writev },
	{ "pidfd_getfd", "(-1, 0, 0): EBADF", p_pidfd_getfd },
	{ "setns", "(-1, 0): EBADF", p_setns },
	{ "unshare", "(CLONE_NEWUSER): ok", p_unshare_newuser },
	{ "unshare:newuser", "(CLONE_NEWUSER): ok", p_unshare_newuser },
	{ "unshare:newuser-invalid", "(CLONE_NEWUSER | 1): EINVAL",
	  p_unshare_newuser_invalid },
	{ "unshare:0", "(0): ok, not filtered", p_unshare_0 },
	{ "unshare:newns",
	  "(CLONE_NEWNS): ok as root, EPERM else; not filtered",
	  p_unshare_newns },
	{ "unshare:newns-invalid", "(CLONE_NEWNS | 1): EINVAL, not filtered",
	  p_unshare_newns_invalid },
	{ "clone", "(CLONE_NEWUSER | CLONE_FS | SIGCHLD): EINVAL",
	  p_clone_newuser },
	{ "clone:newuser", "(CLONE_NEWUSER | CLONE_FS | SIGCHLD): EINVAL",
	  p_clone_newuser },
	{ "clone:plain", "(SIGCHLD), a fork: ok, not filtered", p_clone_plain },
	{ "clone3", "(zeroed args, size 0): EINVAL; ENOSYS from the filter",
	  p_clone3 },
	{ "open_by_handle_at", "(-1, NULL, 0): EFAULT", p_open_by_handle_at },
	{ "ioctl", "(-1, TIOCSTI): EBADF", p_ioctl_tiocsti },
	{ "ioctl:tiocsti", "(-1, TIOCSTI): EBADF", p_ioctl_tiocsti },
	{ "ioctl:tiocsti-hi", "(-1, 1 << 32 | TIOCSTI): EBADF",
	  p_ioctl_tiocsti_hi },
	{ "ioctl:tioclinux", "(-1, TIOCLINUX): EBADF", p_ioctl_tioclinux },
	{ "ioctl:fionread", "(-1, FIONREAD): EBADF, not filtered",
	  p_ioctl_fionread },
	{ "swapon", "(NULL, bad flags): EINVAL", p_swapon },
	{ "swapoff", "(NULL): EPERM, root EFAULT", p_swapoff },
	{ "acct", "(bad pointer): EPERM, root EFAULT", p_acct },
	{ "settimeofday", "(tv_usec -1, NULL): EINVAL", p_settimeofday },
	{ "clock_settime", "(CLOCK_REALTIME, NULL): EFAULT", p_clock_settime },
#ifdef SYS_stime
	{ "stime", "(NULL): EFAULT", p_stime },
#endif
	{ "clock_adjtime", "(CLOCK_MONOTONIC, NULL): EFAULT",
	  p_clock_adjtime_other },
	{ "clock_adjtime:other", "(CLOCK_MONOTONIC, NULL): EFAULT",
	  p_clock_adjtime_other },
	{ "clock_adjtime:realtime",
	  "(CLOCK_REALTIME, read only): ok, not filtered",
	  p_clock_adjtime_realtime },
	{ "adjtimex", "(read only): ok, not filtered", p_adjtimex },
	{ "syslog",
	  "(SYSLOG_ACTION_SIZE_BUFFER): EPERM (dmesg_restrict), root ok",
	  p_syslog },
	{ "quotactl", "(Q_GETINFO, type 7): EINVAL", p_quotactl },
#ifdef SYS_quotactl_fd
	{ "quotactl_fd", "(-1, 0, 0, NULL): EBADF", p_quotactl_fd },
#endif
#ifdef SYS_iopl
	{ "iopl", "(4): ENOSYS here (no CONFIG_X86_IOPL_IOPERM); else EINVAL",
	  p_iopl },
#endif
#ifdef SYS_ioperm
	{ "ioperm", "(0, 0, 1): ENOSYS here; else EINVAL", p_ioperm },
#endif
#ifdef SYS_lookup_dcookie
	{ "lookup_dcookie", "(0, NULL, 0): ENOSYS (removed)",
	  p_lookup_dcookie },
#endif
#ifdef SYS_nfsservctl
	{ "nfsservctl", "(0, NULL, NULL): ENOSYS (removed)", p_nfsservctl },
#endif
	{ "vhangup", "(), after setsid(): EPERM, root ok", p_vhangup },
#ifdef SYS_uselib
	{ "uselib", "(NULL): ENOSYS here (no CONFIG_USELIB); else EFAULT",
	  p_uselib },
#endif
	{ "personality", "(ADDR_NO_RANDOMIZE): ok",
	  p_personality_no_randomize },
	{ "personality:no-randomize", "(ADDR_NO_RANDOMIZE): ok",
	  p_personality_no_randomize },
	{ "personality:query", "(0xffffffff): ok, not filtered",
	  p_personality_query },
	{ "personality:linux32", "(PER_LINUX32): ok, not filtered",
	  p_personality_linux32 },
	{ "getpid", "(): ok, not filtered", p_getpid },
	{ "kcmp", "(self, self, KCMP_FILE, 0, 0): ok, not filtered", p_kcmp },
};

static const struct probe *probe_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		if (!strcmp(probes[i].name, name))
			return &probes[i];
	}
	return NULL;
}

/**
 * struct result - what a probe's child sends back
 * @r:		return value
 * @err:	errno, if @r is negative
 */
struct result {
	long r;
	int err;
};

/* Run @p in a child and print one line; 0 or -errno if it cannot be run */
static int probe_run(const struct probe *p)
{
	struct result res = { 0 };
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[0]);
		errno = 0;
		res.r = p->call();
		res.err = errno;
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], &res, sizeof(res));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		printf("%s killed by signal %d (%s)\n", p->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (n != sizeof(res))
		printf("%s no result\n", p->name);
	else if (res.r < 0)
		printf("%s errno=%d (%s)\n", p->name, res.err,
		       strerror(res.err));
	else
		printf("%s ok\n", p->name);
	return 0;
}

/* The profile is loaded in this process */
static bool filtered;

/* Whether some seccomp filter (ours, or one applied before we started, as
 * under `usernet run`) confines this process */
static bool under_seccomp(void)
{
	char buf[4096];
	ssize_t n;
	char *p;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "\nSeccomp:");
	return p && strtol(p + strlen("\nSeccomp:"), NULL, 10) != 0;
}

/* LeakSanitizer (ASan builds) stops the world with PTRACE_ATTACH at exit,
 * which the profile refuses: no leak check under a filter */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return filtered || under_seccomp();
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: try-syscall [--apply-default] NAME[:VARIANT]...\n"
		   "       try-syscall --list\n");
}

int main(int argc, char **argv)
{
	bool apply = false;
	int i, first = 1, ret = 0;

	if (argc > 1 && !strcmp(argv[1], "--list")) {
		size_t j;

		for (j = 0; j < ARRAY_SIZE(probes); j++)
			printf("%-26s %s\n", probes[j].name, probes[j].how);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--apply-default")) {
		apply = true;
		first = 2;
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	if (apply) {
		GError *error = NULL;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
			perror("try-syscall: PR_SET_NO_NEW_PRIVS");
			return 1;
		}
		if (sysfilter_command_apply(&error)) {
			fprintf(stderr, "try-syscall: %s\n", error->message);
			g_error_free(error);
			return 1;
		}
		filtered = true;
	}
	for (i = first; i < argc; i++) {
		const struct probe *p = probe_find(argv[i]);
		int r;

		if (!p) {
			printf("%s unknown\n", argv[i]);
			ret = 2;
			continue;
		}
		r = probe_run(p);
		if (r) {
			fprintf(stderr, "try-syscall: cannot run %s: %s\n",
				argv[i], strerror(-r));
			ret = 1;
		}
	}
	return ret;
}
