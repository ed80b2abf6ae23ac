/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_command.c - the default seccomp profile of usernet run: the
 * reviewed list of refused system calls and its argument rules, built and
 * loaded by sysfilter_load()
 *
 * DOC: Theory of operation
 *
 * A denylist, as Docker's and Podman's profiles intend but much shorter:
 * everything is allowed except the calls in command_filter_profile[], which fail with
 * EPERM (clone3: ENOSYS). The command already runs in its own user namespace
 * with Podman's default capabilities, so most of these calls would fail
 * anyway; the filter is for what capabilities do not cover (keyrings, bpf,
 * userfaultfd, TIOCSTI, ...), for a --cap-add that grants too much, and for
 * kernel bugs behind calls nobody in a sandbox needs. docs/SECCOMP.md has the
 * same table, with what was considered and left out.
 *
 * Arguments: a few calls are refused only for some arguments (ptrace, clone,
 * unshare, clock_adjtime, ioctl, personality); command_filter_specials[] says how. Where
 * the kernel reads an argument as 32 bits (ioctl's request, personality), the
 * comparison is masked to 32 bits so that junk in the upper half cannot
 * hide a refused value.
 *
 * ABIs: on x86_64 the kernel also runs i386 programs (int 0x80, and 64-bit
 * programs can use it too) and, when built with it, x32 ones. Both get the
 * same rules as the native ABI, under their own system call numbers, so that
 * 32-bit programs keep working in the sandbox and cannot go around the list;
 * any other ABI kills the process. Elsewhere: aarch64 adds arm; other
 * architectures filter the native ABI only.
 *
 * A name this libseccomp does not know is skipped: the list cannot refuse a
 * call the library cannot number (tests/unit/test-sysfilter-command.c checks that every
 * name resolves with the libseccomp it is built against).
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <time.h>

#include <seccomp.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/sysfilter_command.h"

/* Argument that holds clone()'s flags: s390 swaps the first two */
#if defined(__s390__)
#define SC_CLONE_FLAGS_ARG 1
#else
#define SC_CLONE_FLAGS_ARG 0
#endif

/* The reviewed list: keep in step with the table in docs/SECCOMP.md */
static const struct sysfilter_entry command_filter_profile[] = {
	/* Kernel code, boot */
	{ "init_module", "loads code into the running kernel" },
	{ "finit_module", "loads code into the running kernel, from a file" },
	{ "delete_module", "unloads kernel modules the host relies on" },
	{ "create_module",
	  "obsolete module interface (gone since Linux 2.6), never needed" },
	{ "query_module",
	  "obsolete module interface (gone since Linux 2.6), never needed" },
	{ "get_kernel_syms",
	  "obsolete module interface (gone since Linux 2.6), never needed" },
	{ "kexec_load", "replaces the running kernel" },
	{ "kexec_file_load", "replaces the running kernel, from a file" },
	{ "reboot", "reboots or halts the machine, or kills the PID namespace; "
		    "toggles Ctrl-Alt-Del" },

	/* Kernel attack surface */
	{ "bpf", "BPF programs and maps: a large kernel attack surface and a "
		 "common exploit tool" },
	{ "perf_event_open",
	  "performance events: a history of privilege escalations, side "
	  "channels on the kernel" },
	{ "userfaultfd",
	  "stalls kernel page faults at will, a classic way to win kernel "
	  "races in exploits" },
	{ "io_uring_setup",
	  "io_uring: a large attack surface with many privilege "
	  "escalations; programs fall back to plain calls" },
	{ "io_uring_enter", "io_uring, see io_uring_setup" },
	{ "io_uring_register", "io_uring, see io_uring_setup" },
	{ "keyctl",
	  "kernel keyrings are not namespaced: the user's and the host's "
	  "keys are within reach" },
	{ "add_key", "kernel keyrings are not namespaced, see keyctl" },
	{ "request_key",
	  "kernel keyrings are not namespaced, see keyctl; can also start a "
	  "helper on the host" },

	/* Other processes */
	{ "ptrace",
	  "only PTRACE_ATTACH and PTRACE_SEIZE: taking over a process that "
	  "did not ask to be traced (PTRACE_TRACEME stays, so gdb and "
	  "strace can start a program)" },
	{ "process_vm_readv", "reads another process's memory without ptrace" },
	{ "process_vm_writev",
	  "writes another process's memory without ptrace" },
	{ "pidfd_getfd",
	  "copies an open file out of another process, a ptrace-class power" },

	/* Ways out of the sandbox */
	{ "setns",
	  "joins another namespace: with a namespace fd from outside, a way "
	  "out of the sandbox" },
	{ "unshare",
	  "only with CLONE_NEWUSER: a nested user namespace hands back "
	  "every capability and the kernel's widest unprivileged attack "
	  "surface" },
	{ "clone", "only with CLONE_NEWUSER, as unshare" },
	{ "clone3", "ENOSYS, not EPERM: its flags are behind a pointer, so "
		    "CLONE_NEWUSER cannot be seen; glibc falls back to clone" },
	{ "open_by_handle_at",
	  "opens a file by handle, bypassing paths and mounts: the "
	  "\"shocker\" container breakout" },
	{ "ioctl",
	  "only TIOCSTI and TIOCLINUX: typing into the terminal the sandbox "
	  "shares with the user's shell, which runs it after usernet exits" },

	/* Host-wide state */
	{ "swapon", "changes the host's swap" },
	{ "swapoff", "changes the host's swap" },
	{ "acct", "switches process accounting for the whole host" },
	{ "settimeofday",
	  "sets the host's clock and time zone: clocks are not namespaced" },
	{ "clock_settime", "sets the host's clocks" },
	{ "clock_settime64", "sets the host's clocks (i386)" },
	{ "stime", "sets the host's clock (i386)" },
	{ "clock_adjtime",
	  "unless the clock is CLOCK_REALTIME: adjusts other clocks, such "
	  "as PTP hardware clocks (CLOCK_REALTIME stays: glibc's adjtimex() "
	  "reads through it)" },
	{ "clock_adjtime64", "as clock_adjtime (i386)" },
	{ "syslog",
	  "reads or clears the kernel log (kernel addresses, the host's "
	  "messages), sets the console level" },
	{ "quotactl", "changes disk quotas of the host's filesystems" },
	{ "quotactl_fd", "changes disk quotas of the host's filesystems" },
	{ "iopl", "raw access to I/O ports" },
	{ "ioperm", "raw access to I/O ports" },
	{ "lookup_dcookie",
	  "old profiling interface that reveals kernel paths; gone in "
	  "recent kernels" },
	{ "nfsservctl", "old NFS server control, gone since Linux 3.1" },
	{ "vhangup",
	  "hangs up the terminal, which the sandbox shares with the user" },
	{ "uselib",
	  "loads an a.out library: obsolete, a past source of kernel bugs" },
	{ "personality",
	  "unless PER_LINUX, PER_LINUX32, UNAME26, both, or the query "
	  "0xffffffff (as Docker): the others turn off the process's own "
	  "hardening or reach little-tested kernel paths" },
};

/* Personas allowed besides the query 0xffffffff: these bits in any
 * combination (PER_LINUX is 0), as Docker allows */
#define SC_PERSONA_OK ((uint32_t)(PER_LINUX32 | UNAME26))

/**
 * command_filter_add_personality() - refuse every persona but SC_PERSONA_OK combinations
 * and the query 0xffffffff
 * @ctx:	filter
 * @nr:		system call number
 * @action:	what a refused call gets
 *
 * libseccomp takes one comparison per argument in a rule, so "not one of
 * these" is written as a union of masked tests on the low 32 bits (all the
 * kernel reads): for each bit j, "bit j clear and bit i set", i being the
 * nearest bit below j (cyclically) outside SC_PERSONA_OK. A refused value has
 * a bit i outside SC_PERSONA_OK set and some bit clear; walking up from i, the
 * first clear bit j has only set bits below it down to i, so its rule
 * matches. An allowed value matches none: 0xffffffff has no clear bit, the
 * others no bit outside SC_PERSONA_OK.
 *
 * Return: 0 or -errno
 */
static int command_filter_add_personality(scmp_filter_ctx ctx, int nr,
					  uint32_t action)
{
	unsigned int i, j;
	int r;

	for (j = 0; j < 32; j++) {
		i = j;
		do
			i = (i + 31) % 32;
		while (SC_PERSONA_OK & (1U << i));

		r = seccomp_rule_add(ctx, action, nr, 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ,
					     (1ULL << i) | (1ULL << j),
					     1ULL << i));
		if (r < 0)
			return r;
	}
	return 0;
}

/* ptrace: the two requests that start tracing a process that did not ask */
static int command_filter_add_ptrace(scmp_filter_ctx ctx, int nr,
				     uint32_t action)
{
	int r;

	r = seccomp_rule_add(ctx, action, nr, 1,
			     SCMP_A0(SCMP_CMP_EQ, PTRACE_ATTACH));
	if (r < 0)
		return r;
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A0(SCMP_CMP_EQ, PTRACE_SEIZE));
}

/* unshare: flags with CLONE_NEWUSER */
static int command_filter_add_unshare(scmp_filter_ctx ctx, int nr,
				      uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					CLONE_NEWUSER));
}

/* clone: flags with CLONE_NEWUSER */
static int command_filter_add_clone(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_CMP(SC_CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ,
					 CLONE_NEWUSER, CLONE_NEWUSER));
}

/* clock_adjtime: any clock but CLOCK_REALTIME (0) */
static int command_filter_add_clock_adjtime(scmp_filter_ctx ctx, int nr,
					    uint32_t action)
{
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A0(SCMP_CMP_NE, CLOCK_REALTIME));
}

/* ioctl: TIOCSTI and TIOCLINUX, on the 32 bits the kernel reads */
static int command_filter_add_ioctl(scmp_filter_ctx ctx, int nr,
				    uint32_t action)
{
	int r;

	r = seccomp_rule_add(ctx, action, nr, 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
				     TIOCSTI));
	if (r < 0)
		return r;
	return seccomp_rule_add(ctx, action, nr, 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					TIOCLINUX));
}

/* The lines refused for some arguments only, or with another errno */
static const struct sysfilter_special command_filter_specials[] = {
	{ "ptrace", EPERM, command_filter_add_ptrace },
	{ "unshare", EPERM, command_filter_add_unshare },
	{ "clone", EPERM, command_filter_add_clone },
	{ "clone3", ENOSYS, NULL },
	{ "ioctl", EPERM, command_filter_add_ioctl },
	{ "clock_adjtime", EPERM, command_filter_add_clock_adjtime },
	{ "clock_adjtime64", EPERM, command_filter_add_clock_adjtime },
	{ "personality", EPERM, command_filter_add_personality },
};

/* The ABIs added to the filter besides the native one */
static const struct sysfilter_arch command_filter_arches[] = {
#if defined(__x86_64__) && defined(__ILP32__)
	{ SCMP_ARCH_X86_64, "x86_64" },
	{ SCMP_ARCH_X86, "i386" },
#elif defined(__x86_64__)
	{ SCMP_ARCH_X86, "i386" },
	{ SCMP_ARCH_X32, "x32" },
#elif defined(__aarch64__)
	{ SCMP_ARCH_ARM, "arm" },
#endif
	{ 0, NULL },
};

/**
 * sysfilter_command_profile() - the reviewed list of refused system calls
 * @n:		out: number of entries
 *
 * Return: the entries, static, in the order of docs/SECCOMP.md
 */
const struct sysfilter_entry *sysfilter_command_profile(size_t *n)
{
	*n = ARRAY_SIZE(command_filter_profile);
	return command_filter_profile;
}

/**
 * sysfilter_command_apply() - load the default profile into this thread (and its
 * siblings, if any), for it and everything it executes
 * @error:	set on failure, with the cause and --seccomp unconfined
 *
 * Should: be the last step before execve(), after the identity and
 * capabilities are final and PR_SET_NO_NEW_PRIVS is set (by the caller).
 * Mustn't: set no_new_privs itself, or load anything without it: a filter
 * that outlives a set-user-ID execve() is what no_new_privs is there to stop.
 *
 * Return: 0 or -errno (-EINVAL if no_new_privs is not set)
 */
int sysfilter_command_apply(GError **error)
{
	const struct sysfilter_list list = {
		.entries = command_filter_profile,
		.n = ARRAY_SIZE(command_filter_profile),
		.specials = command_filter_specials,
		.n_specials = ARRAY_SIZE(command_filter_specials),
		.action = SCMP_ACT_ERRNO(EPERM),
		.native_only = false,
		.what = "the seccomp profile",
	};
	const struct sysfilter_program program = {
		.default_action = SCMP_ACT_ALLOW,
		.arches = command_filter_arches,
		.lists = &list,
		.n_lists = 1,
		.load_hint =
			"; --seccomp unconfined runs the command without it",
	};

	return sysfilter_load(&program, error);
}
