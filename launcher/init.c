/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/init.c - PID 1 of `usernet run`'s sandbox, and the kernel file
 * systems of its namespaces (/proc, /sys)
 *
 * DOC: Theory of operation
 *
 * The sandbox's first process is created in a new PID namespace, so it is
 * PID 1 there: the namespace's init. Once the sandbox is prepared it runs
 * init_main(), which forks the command (PID 2), then only waits: it reaps
 * every process that ends up orphaned in the namespace, forwards the signals
 * sent to it (by the launcher, or by kill(1) inside) to the command, and exits
 * with the command's status (128+N if a signal N killed it) as soon as the
 * command ends. The kernel then kills whatever is left in the namespace.
 *
 * Signals from the terminal (^C, ^\, window changes) reach the command
 * directly: it stays in the terminal's foreground process group, as the
 * launcher and this init do; init leaves those alone (SI_KERNEL), so the
 * command gets each once.
 *
 * Init keeps no capability, sets no_new_privs, and makes itself not dumpable
 * before it waits: the command, even root of the sandbox with every
 * capability, cannot trace it (init was cloned from the launcher, not
 * executed: it would take CAP_SYS_PTRACE of the host's user namespace), and
 * the kernel lets the command send init only the signals init handles. The
 * helper has opened /proc/PID/ns/ of init before (the launcher starts the
 * command only once the helper is ready).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "confine/caps.h"
#include "launcher/init.h"
#include "launcher/run.h"

/**
 * init_mount_proc() - mount the proc file system of the caller's PID
 * namespace on @target
 * @target:	mount point ("/proc", or /proc under a new root)
 *
 * Should: run in the new PID namespace (its proc shows only the sandbox's
 * processes), while a proc of the host is still mounted in the mount
 * namespace: the kernel lets a user namespace mount proc only where a fully
 * visible one exists already.
 *
 * Return: 0 or -errno
 */
int init_mount_proc(const char *target)
{
	if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		return -errno;
	return 0;
}

/* @target and every mount under it read-only (mount_setattr(), Linux 5.12);
 * Return: 0 or -errno (-ENOSYS before 5.12) */
static int init_readonly_recursive(const char *target)
{
#ifdef SYS_mount_setattr
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, -1, target, AT_RECURSIVE, &attr,
		    sizeof(attr)))
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

/* @target, a bind of the host's /sys, made read-only with every mount under
 * it; before Linux 5.12, @target alone, keeping the flags the kernel locks
 * (nosuid, nodev, noexec...) */
static int init_sys_readonly(const char *target)
{
	struct statvfs st;
	int r;

	r = init_readonly_recursive(target);
	if (r != -ENOSYS)
		return r;
	if (statvfs(target, &st))
		return -errno;
	if (mount(NULL, target, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY |
			  (st.f_flag &
			   (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME |
			    ST_NODIRATIME | ST_RELATIME)),
		  NULL))
		return -errno;
	return 0;
}

/**
 * init_mount_sys() - mount /sys read-only on @target
 * @target:	mount point ("/sys", or /sys under a new root)
 * @own_netns:	the sandbox has a network namespace of its own
 *
 * With a network namespace of its own, a new sysfs, which shows that
 * namespace's network devices. Without (--net host), the kernel lets only
 * the network namespace's owner mount sysfs: the host's /sys is bound
 * instead, read-only too.
 *
 * Return: 0 or -errno
 */
int init_mount_sys(const char *target, bool own_netns)
{
	if (own_netns) {
		if (mount("sysfs", target, "sysfs",
			  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			return -errno;
		return 0;
	}
	if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	return init_sys_readonly(target);
}

/**
 * init_signal_set() - the signals init (and the launcher) forward to the
 * command, and SIGCHLD
 * @set:	filled
 *
 * The launcher blocks them before it creates the sandbox, so that none is
 * lost before init reads them from its signalfd.
 */
void init_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCHLD);
}

/* Reap every child that has ended; Return: the command's exit status
 * (128+N for signal N) once it is reaped, else -1 */
static int init_reap(pid_t command)
{
	int status, r = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != command)
			continue;
		if (WIFSIGNALED(status))
			r = 128 + WTERMSIG(status);
		else
			r = WEXITSTATUS(status);
	}
	return r;
}

/* Wait for @command, reaping orphans and forwarding the signals of @sfd;
 * Return: the command's exit status */
static int init_wait(pid_t command, int sfd)
{
	for (;;) {
		struct signalfd_siginfo si;
		int r = init_reap(command);

		if (r >= 0)
			return r;
		if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			log_perror(LOG_LVL_ERR, "init: signalfd");
			return RUN_EXIT_LAUNCHER;
		}
		/* A terminal's signal reached the command by itself (same
		 * process group); forward what was sent to init alone */
		if (si.ssi_signo != SIGCHLD && si.ssi_code != SI_KERNEL)
			kill(command, (int)si.ssi_signo);
	}
}

/* In the command's process: wait until init has dropped its privilege
 * (end of file on @gate: before that, PID 1 still holds capabilities and is
 * dumpable, and the command could trace it), then the signal dispositions
 * and mask a command expects, then @command */
static noreturn void init_command(void (*command)(void *arg), void *arg,
				  int gate)
{
	sigset_t none;
	char c;

	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	close(gate);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	command(arg);
	_exit(RUN_EXIT_LAUNCHER);
}

/**
 * init_main() - become the sandbox's init: fork @command, then reap and
 * forward signals until it ends
 * @command:	runs in the child (PID 2), must not return (execve)
 * @arg:	its argument
 *
 * Should: be called by PID 1 of the new PID namespace, prepared, with the
 * signals of init_signal_set() blocked. Mustn't: keep any capability or fd
 * of the launcher's once the command runs.
 *
 * Exits with the command's status (128+N if it was killed by signal N), or
 * 125 if init itself fails.
 */
noreturn void init_main(void (*command)(void *arg), void *arg)
{
	sigset_t set;
	pid_t pid;
	int sfd, r, gate[2];

	init_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_perror(LOG_LVL_ERR, "init: signalfd");
		_exit(RUN_EXIT_LAUNCHER);
	}
	if (pipe2(gate, O_CLOEXEC) < 0) {
		log_perror(LOG_LVL_ERR, "init: pipe");
		_exit(RUN_EXIT_LAUNCHER);
	}
	pid = fork();
	if (pid < 0) {
		log_perror(LOG_LVL_ERR, "init: fork");
		_exit(RUN_EXIT_LAUNCHER);
	}
	if (pid == 0) {
		close(sfd);
		close(gate[1]);
		init_command(command, arg, gate[0]);
	}
	close(gate[0]);
	/* Nothing left to do with privilege: drop it all, then let the
	 * command go (the gate's end of file) */
	r = caps_drop_bounding(0);
	if (!r)
		r = caps_keep_only(0);
	if (r || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		log_msg(LOG_LVL_ERR, r ? -r : errno,
			"init: cannot drop its privileges");
		kill(pid, SIGKILL);
		_exit(RUN_EXIT_LAUNCHER);
	}
	close(gate[1]);
	_exit(init_wait(pid, sfd));
}
