/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-sysfilter-command.c - the default seccomp profile: the list, and what
 * a process under it can and cannot do
 *
 * The filter is loaded in subprocesses (g_test_trap_subprocess()), never in
 * the test runner. Every call is also made without the filter first, in the
 * runner, and the result logged: a refusal is only proven where the kernel
 * alone would have answered something else than EPERM (as root that is every
 * call here; unprivileged, reboot, swapoff, acct, syslog and vhangup are
 * EPERM either way).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include <seccomp.h>

#include "common/errors.h"
#include "common/util.h"
#include "confine/sysfilter_command.h"
#include "sysfilter-check.h"

/* Result of a call made in a child that did not report back */
#define NO_RESULT LONG_MIN

static const char *const mandatory[] = {
	"init_module",
	"finit_module",
	"delete_module",
	"create_module",
	"query_module",
	"get_kernel_syms",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"setns",
	"unshare",
	"clone",
	"clone3",
	"open_by_handle_at",
	"swapon",
	"swapoff",
	"acct",
	"settimeofday",
	"clock_settime",
	"clock_adjtime",
	"syslog",
	"quotactl",
	"iopl",
	"ioperm",
	"lookup_dcookie",
	"nfsservctl",
	"vhangup",
	"uselib",
	"personality",
};

static bool in_profile(const char *name)
{
	size_t n;
	const struct sysfilter_entry *e = sysfilter_command_profile(&n);

	return sysfilter_listed(e, n, name);
}

static void test_list(void)
{
	const struct sysfilter_entry *e;
	size_t n, i;

	e = sysfilter_command_profile(&n);
	sysfilter_check_list(e, n, FALSE);
	for (i = 0; i < ARRAY_SIZE(mandatory); i++) {
		if (!in_profile(mandatory[i]))
			g_error("%s is missing from the profile", mandatory[i]);
	}
}

/* Run @fn in a child; its result, -errno or NO_RESULT */
static long in_child(long (*fn)(void))
{
	long r = NO_RESULT;
	int fds[2], status;
	pid_t pid;

	g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		close(fds[0]);
		r = fn();
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != sizeof(r))
		r = NO_RESULT;
	close(fds[0]);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return r;
}

/* -errno for a failed raw call, else its result */
static long ret(long r)
{
	return r < 0 ? -errno : r;
}

static char *result_str(long r)
{
	if (r == NO_RESULT)
		return g_strdup("no result");
	if (r < 0)
		return g_strdup_printf("errno=%ld (%s)", -r,
				       g_strerror((int)-r));
	return g_strdup("ok");
}

static long c_reboot(void)
{
	return ret(syscall(SYS_reboot, 0, 0, 0, NULL));
}

static long c_init_module(void)
{
	return ret(syscall(SYS_init_module, NULL, 0UL, ""));
}

static long c_kexec_load(void)
{
	return ret(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL));
}

static long c_bpf(void)
{
	return ret(syscall(SYS_bpf, -1, NULL, 0));
}

static long c_perf_event_open(void)
{
	return ret(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL));
}

static long c_userfaultfd(void)
{
	return ret(syscall(SYS_userfaultfd, 0x1 | 0x2));
}

static long c_keyctl(void)
{
	return ret(syscall(SYS_keyctl, -1, 0UL, 0UL, 0UL, 0UL));
}

static long c_setns(void)
{
	return ret(syscall(SYS_setns, -1, 0));
}

static long c_unshare_newuser(void)
{
	return ret(syscall(SYS_unshare, CLONE_NEWUSER));
}

static long c_clone_newuser(void)
{
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL,
			 0UL);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return ret(r);
}

static long c_clone3(void)
{
	uint64_t args[11] = { 0 };

	return ret(syscall(SYS_clone3, args, 0UL));
}

/* PTRACE_ATTACH or PTRACE_SEIZE (@req) on a child of ours: allowed by the
 * kernel, so only the filter can refuse it */
static long ptrace_child(long req)
{
	pid_t child = fork();
	long r;

	if (child == 0) {
		pause();
		_exit(0);
	}
	r = ret(syscall(SYS_ptrace, req, child, NULL, NULL));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return r;
}

static long c_ptrace_attach(void)
{
	return ptrace_child(PTRACE_ATTACH);
}

static long c_ptrace_seize(void)
{
	return ptrace_child(PTRACE_SEIZE);
}

static long c_process_vm_readv(void)
{
	return ret(syscall(SYS_process_vm_readv, getpid(), NULL, 0UL, NULL, 0UL,
			   1UL));
}

static long c_pidfd_getfd(void)
{
	return ret(syscall(SYS_pidfd_getfd, -1, 0, 0U));
}

static long c_open_by_handle_at(void)
{
	return ret(syscall(SYS_open_by_handle_at, -1, NULL, 0));
}

static long c_tiocsti(void)
{
	char c = 0;

	return ret(syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, &c));
}

static long c_tiocsti_hi(void)
{
	char c = 0;

	return ret(syscall(SYS_ioctl, -1, 0x100000000UL | TIOCSTI, &c));
}

static long c_personality(void)
{
	return ret(syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE));
}

static long c_clock_adjtime_other(void)
{
	return ret(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, NULL));
}

static long c_settimeofday(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = -1 };

	return ret(syscall(SYS_settimeofday, &tv, NULL));
}

static long c_swapon(void)
{
	return ret(syscall(SYS_swapon, NULL, 1 << 30));
}

static long c_syslog(void)
{
	return ret(syscall(SYS_syslog, 10, NULL, 0));
}

/**
 * struct refusal - a call the profile refuses
 * @what:	for messages
 * @call:	makes it, returns -errno or the result
 * @err:	what the filter answers
 * @proof:	the kernel alone answers something else, whoever runs the test
 */
struct refusal {
	const char *what;
	long (*call)(void);
	int err;
	bool proof;
};

static const struct refusal refusals[] = {
	{ "reboot(bad magic)", c_reboot, EPERM, false },
	{ "init_module(NULL, 0, \"\")", c_init_module, EPERM, false },
	{ "kexec_load(bad flags)", c_kexec_load, EPERM, false },
	{ "bpf(-1)", c_bpf, EPERM, true },
	{ "perf_event_open(NULL)", c_perf_event_open, EPERM, true },
	{ "userfaultfd(bad flags)", c_userfaultfd, EPERM, true },
	{ "keyctl(-1)", c_keyctl, EPERM, true },
	{ "setns(-1, 0)", c_setns, EPERM, true },
	{ "unshare(CLONE_NEWUSER)", c_unshare_newuser, EPERM, false },
	{ "clone(CLONE_NEWUSER)", c_clone_newuser, EPERM, false },
	{ "clone3(size 0)", c_clone3, ENOSYS, true },
	{ "ptrace(PTRACE_ATTACH, child)", c_ptrace_attach, EPERM, true },
	{ "ptrace(PTRACE_SEIZE, child)", c_ptrace_seize, EPERM, true },
	{ "process_vm_readv(flags 1)", c_process_vm_readv, EPERM, true },
	{ "pidfd_getfd(-1)", c_pidfd_getfd, EPERM, true },
	{ "open_by_handle_at(-1, NULL)", c_open_by_handle_at, EPERM, true },
	{ "ioctl(-1, TIOCSTI)", c_tiocsti, EPERM, true },
	{ "ioctl(-1, 1 << 32 | TIOCSTI)", c_tiocsti_hi, EPERM, true },
	{ "personality(ADDR_NO_RANDOMIZE)", c_personality, EPERM, true },
	{ "clock_adjtime(CLOCK_MONOTONIC)", c_clock_adjtime_other, EPERM,
	  true },
	{ "settimeofday(tv_usec -1)", c_settimeofday, EPERM, true },
	{ "swapon(bad flags)", c_swapon, EPERM, true },
	{ "syslog(SIZE_BUFFER)", c_syslog, EPERM, false },
};

/* The profile is loaded in this process */
static bool filtered;

/* LeakSanitizer (ASan builds) stops the world with PTRACE_ATTACH at exit,
 * which the profile refuses: no leak check in a process under the filter */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return filtered;
}

/* In a subprocess: set no_new_privs and load the profile */
static void apply(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
	if (sysfilter_command_apply(&error))
		g_error("sysfilter_command_apply: %s", error->message);
	g_assert_no_error(error);
	filtered = true;
}

static void run_subprocess(void)
{
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

static void test_refused(void)
{
	unsigned int proven = 0;
	size_t i;

	if (g_test_subprocess()) {
		apply();
		for (i = 0; i < ARRAY_SIZE(refusals); i++) {
			const struct refusal *c = &refusals[i];
			g_autofree char *got = result_str(in_child(c->call));
			g_autofree char *want = result_str(-c->err);
			g_autofree char *a = g_strdup_printf("%s: %s", c->what,
							     got);
			g_autofree char *b = g_strdup_printf("%s: %s", c->what,
							     want);

			g_assert_cmpstr(a, ==, b);
		}
		return;
	}

	/* Without the filter, here in the runner */
	for (i = 0; i < ARRAY_SIZE(refusals); i++) {
		const struct refusal *c = &refusals[i];
		long r = in_child(c->call);
		g_autofree char *s = result_str(r);

		g_assert_cmpint(r, !=, NO_RESULT);
		if (r != -c->err)
			proven++;
		else if (c->proof)
			g_error("%s: %s without the filter", c->what, s);
		g_test_message("%-32s without the filter: %s%s", c->what, s,
			       r == -c->err ? " (same as the filter's: "
					      "proves nothing here)" :
					      "");
	}
	g_test_message("%u of %zu refusals proven by a different answer "
		       "without the filter",
		       proven, ARRAY_SIZE(refusals));
	run_subprocess();
}

static long c_traceme(void)
{
	return ret(syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL));
}

static gpointer thread_fn(gpointer data)
{
	return GINT_TO_POINTER(getpid() > 0);
}

static void test_allowed(void)
{
	g_autofree char *status = NULL;
	g_autoptr(GError) error = NULL;
	struct timex tx = { .modes = 0 };
	GThread *t;
	int fd, st, ex;
	pid_t pid;

	if (!g_test_subprocess()) {
		run_subprocess();
		return;
	}
	apply();

	g_assert_cmpint(getpid(), >, 0);

	/* open, read, close; and the filter is there */
	g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL,
					  &error));
	g_assert_no_error(error);
	g_assert_nonnull(strstr(status, "\nNoNewPrivs:\t1\n"));
	g_assert_nonnull(strstr(status, "\nSeccomp:\t2\n"));

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	close(fd);

	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
		_exit(7);
	g_assert_cmpint(waitpid(pid, &st, 0), ==, pid);
	g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);

	/* Threads and spawning: glibc tries clone3 (ENOSYS), then clone */
	t = g_thread_new("seccomp-test", thread_fn, NULL);
	g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, 1);
	g_assert_true(g_spawn_sync(NULL, (char *[]){ "true", NULL }, NULL,
				   G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
				   &ex, &error));
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(ex) && WEXITSTATUS(ex) == 0);

	/* Namespaces other than user ones are left to capabilities: the
	 * invalid low byte is seen by the kernel, not by the filter */
	g_assert_cmpint(unshare(0), ==, 0);
	g_assert_cmpint(ret(syscall(SYS_unshare, CLONE_NEWNS | 0x1)), ==,
			-EINVAL);

	/* PTRACE_TRACEME, in a child, which our process then traces */
	g_assert_cmpint(in_child(c_traceme), ==, 0);

	/* adjtimex() reads through clock_adjtime(CLOCK_REALTIME) */
	g_assert_cmpint(adjtimex(&tx), >=, 0);

	/* ioctl other than TIOCSTI, TIOCLINUX */
	g_assert_cmpint(ret(syscall(SYS_ioctl, -1, (unsigned long)FIONREAD,
				    &st)),
			==, -EBADF);
}

/* Personas: Docker's five allowed, everything else refused */
static void test_personality(void)
{
	static const unsigned long ok[] = {
		0,
		PER_LINUX32,
		UNAME26,
		PER_LINUX32 | UNAME26,
		0xffffffff,
		/* the kernel reads 32 bits: this is PER_LINUX */
		0x100000000UL,
	};
	unsigned int b, p, ph, w;
	GArray *bad;
	size_t i;

	if (!g_test_subprocess()) {
		run_subprocess();
		return;
	}
	apply();

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		long r = ret(syscall(SYS_personality, ok[i]));

		if (r < 0)
			g_error("personality(%#lx): %s", ok[i],
				g_strerror((int)-r));
		personality(PER_LINUX);
	}

	bad = g_array_new(FALSE, FALSE, sizeof(unsigned long));
	for (b = 0; b < 32; b++) {
		unsigned long v = 1UL << b;

		if (!(v & (PER_LINUX32 | UNAME26)))
			g_array_append_val(bad, v);
		v = 0xffffffffUL & ~(1UL << b);
		g_array_append_val(bad, v);
	}
	/* periodic patterns (0x55555555, 0x33333333, ...), which a wrong
	 * cover of the refused values would miss first */
	for (p = 2; p <= 8; p++) {
		for (ph = 0; ph < p; ph++) {
			for (w = 1; w < p; w++) {
				unsigned long v = 0;

				for (b = 0; b < 32; b++) {
					if ((b + ph) % p < w)
						v |= 1UL << b;
				}
				if (v & ~(unsigned long)(PER_LINUX32 | UNAME26))
					g_array_append_val(bad, v);
			}
		}
	}
	for (i = 0; i < 2000; i++) {
		unsigned long v = (unsigned long)g_test_rand_int() & 0xffffffff;

		if (v != 0xffffffff &&
		    (v & ~(unsigned long)(PER_LINUX32 | UNAME26)))
			g_array_append_val(bad, v);
	}
	for (i = 0; i < bad->len; i++) {
		unsigned long v = g_array_index(bad, unsigned long, i);
		long r = ret(syscall(SYS_personality, v));

		if (r != -EPERM)
			g_error("personality(%#lx) not refused: %ld", v, r);
	}
	g_array_free(bad, TRUE);
}

/* Other threads get the filter too (SCMP_FLTATR_CTL_TSYNC) */
static int sync_fds[2];

static gpointer thread_keyctl(gpointer data)
{
	char c;

	if (read(sync_fds[0], &c, 1) != 1)
		return GINT_TO_POINTER(-1);
	return GINT_TO_POINTER(
		(int)ret(syscall(SYS_keyctl, -1, 0UL, 0UL, 0UL, 0UL)));
}

static void test_threads(void)
{
	GThread *t;

	if (!g_test_subprocess()) {
		run_subprocess();
		return;
	}
	g_assert_cmpint(pipe(sync_fds), ==, 0);
	t = g_thread_new("seccomp-sibling", thread_keyctl, NULL);
	apply();
	g_assert_cmpint(write(sync_fds[1], "x", 1), ==, 1);
	g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, -EPERM);
}

static void test_no_nnp(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *status = NULL;

	if (!g_test_subprocess()) {
		run_subprocess();
		return;
	}
	g_assert_cmpint(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), ==, 0);
	g_assert_cmpint(sysfilter_command_apply(&error), ==, -EINVAL);
	g_assert_error(error, UN_ERROR, UN_EXIT_FAILURE);
	g_assert_nonnull(strstr(error->message, "no_new_privs"));
	g_assert_true(
		g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	g_assert_nonnull(strstr(status, "\nSeccomp:\t0\n"));
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* An i386 system call through int $0x80, which 64-bit programs can use:
 * returns -errno */
static long int80(long nr, long a, long b)
{
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

#define I386_GETPID 20
#define I386_PERSONALITY 136
#define I386_KEYCTL 288
#define I386_SETNS 346
#define I386_CLONE3 435
#define X32_BIT 0x40000000L

static long c_i386_getpid(void)
{
	return int80(I386_GETPID, 0, 0);
}

static long c_i386_keyctl(void)
{
	return int80(I386_KEYCTL, -1, 0);
}

static long c_i386_setns(void)
{
	return int80(I386_SETNS, -1, 0);
}

static long c_i386_personality(void)
{
	return int80(I386_PERSONALITY, ADDR_NO_RANDOMIZE, 0);
}

static long c_i386_clone3(void)
{
	return int80(I386_CLONE3, 0, 0);
}

static long c_x32_keyctl(void)
{
	return ret(syscall(X32_BIT | SYS_keyctl, -1, 0UL, 0UL, 0UL, 0UL));
}

/* The i386 and x32 ABIs get the same rules */
static void test_compat_abis(void)
{
	if (!g_test_subprocess()) {
		long r = in_child(c_i386_getpid);

		if (r == NO_RESULT || r < 0) {
			/* The kernel itself refuses every i386 call: what is
			 * left to check is x32 under the filter */
			g_test_message("no i386 system calls on this kernel "
				       "(int 0x80: %ld): checking x32 only",
				       r);
			g_setenv("USERNET_TEST_NO_I386", "1", TRUE);
			run_subprocess();
			return;
		}
		g_test_message("without the filter: i386 keyctl(-1) %ld, "
			       "setns(-1) %ld, personality %ld; x32 keyctl %ld",
			       in_child(c_i386_keyctl), in_child(c_i386_setns),
			       in_child(c_i386_personality),
			       in_child(c_x32_keyctl));
		g_assert_cmpint(in_child(c_i386_keyctl), !=, -EPERM);
		g_assert_cmpint(in_child(c_i386_setns), !=, -EPERM);
		run_subprocess();
		return;
	}
	apply();
	if (g_getenv("USERNET_TEST_NO_I386")) {
		/* and still none under the filter */
		g_assert_true(in_child(c_i386_getpid) == NO_RESULT ||
			      in_child(c_i386_getpid) < 0);
	} else {
		g_assert_cmpint(c_i386_getpid(), ==, getpid());
		g_assert_cmpint(in_child(c_i386_keyctl), ==, -EPERM);
		g_assert_cmpint(in_child(c_i386_setns), ==, -EPERM);
		g_assert_cmpint(in_child(c_i386_personality), ==, -EPERM);
		g_assert_cmpint(in_child(c_i386_clone3), ==, -ENOSYS);
	}
	/* x32 (whether or not this kernel runs it) */
	g_assert_cmpint(in_child(c_x32_keyctl), ==, -EPERM);
}
#endif

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/seccomp/profile/list", test_list);
	g_test_add_func("/seccomp/apply/no-nnp", test_no_nnp);
	g_test_add_func("/seccomp/apply/refused", test_refused);
	g_test_add_func("/seccomp/apply/allowed", test_allowed);
	g_test_add_func("/seccomp/apply/personality", test_personality);
	g_test_add_func("/seccomp/apply/threads", test_threads);
#if defined(__x86_64__) && !defined(__ILP32__)
	g_test_add_func("/seccomp/apply/compat-abis", test_compat_abis);
#endif

	return g_test_run();
}
