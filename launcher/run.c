/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/run.c - `usernet run`: a command in a fresh rootless sandbox with
 * a working network
 *
 * DOC: Theory of operation
 *
 *  launcher (unprivileged, host namespaces: supervises, forwards signals)
 *   ├─ sandbox: clone(USER|PID|NS|IPC|UTS|NET) → PID 1 of the new PID
 *   │   │       namespace → waits for its id maps → /proc, /sys, host name,
 *   │   │       sysctls, resolv.conf → waits for the network → init
 *   │   │       (launcher/init.c: reaps, forwards signals)
 *   │   └─ command: PID 2: capabilities, user, no_new_privs, seccomp →
 *   │               execve(COMMAND)
 *   └─ helper:  `usernet attach --configure ... PID` (this same program), in
 *               a process group of its own so that terminal signals meant
 *               for the command do not stop the network
 *
 * The launcher and the sandbox step through a pipe each way: one byte per
 * stage, end of file means "abort". The helper reports readiness on a pipe
 * and exits when the launcher closes its exit pipe. When the command exits,
 * init exits with its status, the kernel kills what is left in the PID
 * namespace, and the launcher stops the helper, kills whatever may remain in
 * the sandbox's user namespace, and exits with the command's status (128+N
 * if it was killed by signal N).
 */
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/caps.h"
#include "confine/sysfilter_command.h"
#include "launcher/bypass.h"
#include "launcher/init.h"
#include "launcher/rootfs.h"
#include "launcher/run.h"
#include "netns/nl.h"

/* linux/pidfd.h of Linux 6.11: a pidfd's user namespace */
#define RUN_PIDFD_GET_USER_NAMESPACE _IO(0xFF, 9)

/* How long the helper may take to stop after its exit pipe closes */
#define RUN_HELPER_STOP_MS 2000

enum run_step {
	RUN_STEP_UNSHARED = 'u', /* sandbox -> launcher */
	RUN_STEP_MAPPED = 'm', /* launcher -> sandbox */
	RUN_STEP_PREPARED = 'p', /* sandbox -> launcher */
	RUN_STEP_GO = 'g', /* launcher -> sandbox */
};

static int run_send(int fd, char step)
{
	return write(fd, &step, 1) == 1 ? 0 : -EPIPE;
}

static int run_wait(int fd, char step)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 && c == step ? 0 : -EPIPE;
}

/* --- sandbox side ------------------------------------------------------- */

static noreturn void sandbox_fail(const char *what, int err)
{
	log_msg(LOG_LVL_ERR, err, "%s", what);
	_exit(RUN_EXIT_LAUNCHER);
}

static int sandbox_sysctl(const char *kv)
{
	const char *eq = strchr(kv, '=');
	g_autofree char *key = g_strndup(kv, (gsize)(eq - kv));
	g_autofree char *path = NULL;

	g_strdelimit(key, ".", '/');
	path = g_strconcat("/proc/sys/", key, NULL);
	return util_write_file(path, eq + 1);
}

/* Bind a generated resolv.conf naming run_resolv_nameservers() over
 * /etc/resolv.conf (following a symlink to wherever it points), unless
 * there are none; Return: 0 or -errno */
static int sandbox_resolv_conf(const struct run_opts *o)
{
	char tmpl[] = "/tmp/usernet-resolv.XXXXXX";
	g_autofree char *target = realpath("/etc/resolv.conf", NULL);
	g_autofree char *text = rootfs_resolv_conf_text(o);
	int fd, r = 0;

	if (!text) /* --disable-dns alone: the file as it is */
		return 0;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644);
	if (util_write_all(fd, text, strlen(text)))
		r = -EIO;
	close(fd);
	if (!r && mount(tmpl, target ? target : "/etc/resolv.conf", NULL,
			MS_BIND, NULL))
		r = -errno;
	unlink(tmpl);
	return r;
}

/* The new namespaces' own /proc and /sys over the host's (the host's file
 * system stays visible otherwise); with --rootfs, the new root instead
 * (rootfs_enter() mounts them under it with init_mount_proc() and
 * init_mount_sys()); then --workdir */
static void sandbox_mounts(const struct run_opts *o)
{
	g_autoptr(GError) error = NULL;
	int r;

	if (!o->rootfs) {
		r = init_mount_proc("/proc");
		if (r)
			sandbox_fail("cannot mount /proc for the new PID "
				     "namespace",
				     -r);
		r = init_mount_sys("/sys", o->net != RUN_NET_HOST);
		if (r)
			sandbox_fail("cannot mount /sys read-only", -r);
	}
	if (rootfs_enter(o, &error)) {
		log_err("%s", error->message);
		_exit(RUN_EXIT_LAUNCHER);
	}
}

/* Parity with attach: ping without privilege (ICMP echo sockets) for the
 * groups mapped here, in this network namespace only; a failure is not
 * fatal (the command may not need ping), a --sysctl of the key wins */
static void sandbox_ping_group_range(const struct run_opts *o)
{
	g_autofree char *range = run_ping_group_range(o);
	g_autofree char *kv = NULL;
	int r;

	if (!range)
		return;
	kv = g_strconcat(RUN_PING_GROUP_RANGE "=", range, NULL);
	r = sandbox_sysctl(kv);
	if (r)
		log_msg(LOG_LVL_WARN, -r, "cannot set %s", kv);
}

/* In the new namespaces, as root there: what needs privilege there */
static void sandbox_prepare(const struct run_opts *o)
{
	guint i;
	int r;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		sandbox_fail("cannot make the mounts private", errno);
	sandbox_mounts(o);
	if (sethostname(o->hostname, strlen(o->hostname)))
		sandbox_fail("cannot set the host name", errno);
	if (o->net == RUN_NET_NONE && (r = nl_link_up("lo")))
		sandbox_fail("cannot bring up lo", -r);
	sandbox_ping_group_range(o);
	for (i = 0; i < o->sysctls->len; i++) {
		const char *kv = g_ptr_array_index(o->sysctls, i);

		r = sandbox_sysctl(kv);
		if (r) {
			log_msg(LOG_LVL_ERR, -r, "--sysctl %s", kv);
			_exit(RUN_EXIT_LAUNCHER);
		}
	}
	if (o->net == RUN_NET_USERNET && !o->rootfs &&
	    (r = sandbox_resolv_conf(o)))
		log_msg(LOG_LVL_WARN, -r,
			"cannot point /etc/resolv.conf at "
			"the network's DNS");
}

/* In PID 2, forked by init: the last steps before the command: identity,
 * capabilities, no_new_privs, seccomp, all in this order; nothing may run in
 * between */
static noreturn void sandbox_exec(void *arg)
{
	const struct run_opts *o = arg;
	g_autoptr(GError) error = NULL;
	int r;

	r = caps_setup_exec(o->caps, o->uid, o->gid,
			    (const gid_t *)(void *)o->groups->data,
			    o->maps.subids ? (int)o->groups->len : -1);
	if (r)
		sandbox_fail("cannot set the user and capabilities", -r);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		sandbox_fail("cannot set no_new_privs", errno);
	if (o->seccomp && sysfilter_command_apply(&error)) {
		log_err("%s", error->message);
		_exit(RUN_EXIT_LAUNCHER);
	}
	if (run_bypass_send(o, &error)) {
		log_err("%s", error->message);
		_exit(RUN_EXIT_LAUNCHER);
	}
	execvp(o->argv[0], o->argv);
	r = errno;
	log_msg(LOG_LVL_ERR, r, "cannot run %s", o->argv[0]);
	_exit(r == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
}

/* PID 1 of the new namespaces, cloned by the launcher (which holds the
 * other ends of the pipes: if it is gone, the first step fails) */
static noreturn void sandbox_main(const struct run_opts *o, int to_launcher,
				  int from_launcher)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(RUN_EXIT_LAUNCHER);
	if (run_send(to_launcher, RUN_STEP_UNSHARED) ||
	    run_wait(from_launcher, RUN_STEP_MAPPED))
		_exit(RUN_EXIT_LAUNCHER);
	/* Mapped: we are root here now, with every capability */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(RUN_EXIT_LAUNCHER);
	sandbox_prepare(o);
	if (run_send(to_launcher, RUN_STEP_PREPARED) ||
	    run_wait(from_launcher, RUN_STEP_GO))
		_exit(RUN_EXIT_LAUNCHER);
	close(to_launcher);
	close(from_launcher);
	init_main(sandbox_exec, (void *)o);
}

/* --- launcher side ------------------------------------------------------ */

/**
 * struct run_state - what the launcher supervises
 * @sandbox:	first process of the sandbox: its init, PID 1 inside
 * @helper:	network helper, or 0
 * @helper_exit: write end of the helper's exit pipe, or -1
 * @userns_ino:	inode of the sandbox's user namespace (to find leftovers)
 * @userns_dev:	its device
 */
struct run_state {
	pid_t sandbox;
	pid_t helper;
	int helper_exit;
	ino_t userns_ino;
	dev_t userns_dev;
};

/* Start `usernet attach` on the sandbox and wait until it is ready.
 * Return: 0, or 125 (its error is already printed) */
static int run_start_helper(const struct run_opts *o, struct run_state *s)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	int ready[2], exitp[2], status;
	char c;
	ssize_t n;

	if (!self || pipe2(ready, O_CLOEXEC) || pipe2(exitp, O_CLOEXEC)) {
		log_perror(LOG_LVL_ERR, "cannot start the network helper");
		return RUN_EXIT_LAUNCHER;
	}
	s->helper = fork();
	if (s->helper < 0) {
		log_perror(LOG_LVL_ERR, "fork");
		return RUN_EXIT_LAUNCHER;
	}
	if (s->helper == 0) {
		g_auto(GStrv) argv = NULL;
		sigset_t none;
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		/* --bypass: the channel, out of the way of fds 3 and 4 */
		int bypass = o->bypass_fd[1] < 0 ? -1 :
						   fcntl(o->bypass_fd[1],
							 F_DUPFD_CLOEXEC, 10);

		/* Own process group: ^C at the terminal is for the command */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* fds 3 and 4: ready and exit pipes; stdout (the summary)
		 * silenced unless --debug; stderr kept for errors */
		if (dup2(ready[1], 3) < 0 || dup2(exitp[0], 4) < 0 ||
		    (!o->debug && null >= 0 && dup2(null, STDOUT_FILENO) < 0))
			_exit(RUN_EXIT_LAUNCHER);
		if (o->bypass && dup2(bypass, RUN_BYPASS_HELPER_FD) < 0)
			_exit(RUN_EXIT_LAUNCHER);
		argv = run_helper_argv(o, self, s->sandbox, 3, 4);
		execv(self, argv);
		_exit(RUN_EXIT_LAUNCHER);
	}
	close(ready[1]);
	close(exitp[0]);
	s->helper_exit = exitp[1];
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n == 1 && c == '1')
		return 0;

	while (waitpid(s->helper, &status, 0) < 0 && errno == EINTR)
		;
	s->helper = 0;
	/* Its error (a port that cannot be published...) is printed: the
	 * status is usernet's failure, as Podman's */
	if (!WIFEXITED(status) || !WEXITSTATUS(status))
		log_err("the network helper stopped before it was ready");
	return RUN_EXIT_LAUNCHER;
}

static void run_stop_helper(struct run_state *s)
{
	int i, status;

	if (s->helper_exit >= 0)
		close(s->helper_exit);
	s->helper_exit = -1;
	if (s->helper <= 0)
		return;
	for (i = 0; i < RUN_HELPER_STOP_MS / 10; i++) {
		if (waitpid(s->helper, &status, WNOHANG) == s->helper) {
			s->helper = 0;
			return;
		}
		usleep(10000);
	}
	log_warn("the network helper did not stop: killing it");
	kill(s->helper, SIGKILL);
	waitpid(s->helper, &status, 0);
	s->helper = 0;
}

/* Whether the user namespace @fd is the sandbox's or nested in it; @fd is
 * closed */
static bool run_userns_in_sandbox(const struct run_state *s, int fd)
{
	struct stat st;
	int depth;

	for (depth = 0; fd >= 0 && depth < 33; depth++) {
		int parent;

		if (fstat(fd, &st) == 0 && st.st_ino == s->userns_ino &&
		    st.st_dev == s->userns_dev) {
			close(fd);
			return true;
		}
		/* Up one level; fails at the initial user namespace */
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/*
 * run_pidfd_userns() - the user namespace of the process @pidfd refers to
 * @pidfd:	pidfd of @pid
 * @pid:	its PID
 *
 * From the pidfd itself where the kernel can (PIDFD_GET_USER_NAMESPACE,
 * Linux 6.11): no PID is involved. Otherwise /proc/PID/ns/user, opened after
 * the pidfd, and trusted only if the process of the pidfd still exists
 * afterwards: then the PID cannot have been reused in between (a PID is
 * taken until its process is reaped), so the file was that process's.
 *
 * Return: a namespace fd, or -1
 */
static int run_pidfd_userns(int pidfd, pid_t pid)
{
	char path[64];
	int fd;

	fd = ioctl(pidfd, RUN_PIDFD_GET_USER_NAMESPACE, 0);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * run_kill_if_in_sandbox() - SIGKILL @pid if it is in the sandbox's user
 * namespace (or one nested in it), through a pidfd
 * @s:		launcher state (the sandbox's user namespace)
 * @pid:	a PID read from /proc
 *
 * The pidfd is opened first and pins one process: the namespace is read
 * from it (run_pidfd_userns()) and the signal goes to it, so a PID reused by
 * a process outside the sandbox between the look-up and the kill is never
 * signalled. Kernels without pidfds (before 5.3): the bare PID, as before.
 *
 * Return: true if signalled
 */
static bool run_kill_if_in_sandbox(const struct run_state *s, pid_t pid)
{
	cleanup_fd int pidfd = -1;
	char path[64];

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0)
		return run_userns_in_sandbox(s, run_pidfd_userns(pidfd, pid)) &&
		       !syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	if (errno != ENOSYS)
		return false; /* gone (ESRCH), or not ours to open */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	return run_userns_in_sandbox(s, open(path, O_RDONLY | O_CLOEXEC)) &&
	       !kill(pid, SIGKILL);
}

/* One sweep of /proc: SIGKILL every process of the sandbox.
 * Return: how many were signalled */
static int run_kill_sweep(const struct run_state *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int killed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long pid;

		if (util_parse_uint(e->d_name, INT32_MAX, &pid) ||
		    (pid_t)pid == getpid())
			continue;
		if (run_kill_if_in_sandbox(s, (pid_t)pid))
			killed++;
	}
	closedir(d);
	return killed;
}

/* Kill what the command left behind in its user namespace, or in user
 * namespaces it made inside; sweep again while a sweep finds any (one may
 * have forked in between) */
static void run_kill_leftovers(const struct run_state *s)
{
	int round, killed;

	if (!s->userns_ino)
		return;
	for (round = 0; round < 10; round++) {
		killed = run_kill_sweep(s);
		if (!killed)
			return;
		log_debug("killed %d process(es) left in the sandbox", killed);
		usleep(10000);
	}
}

/* Wait for the sandbox's init, forwarding signals to it (it forwards them
 * to the command); Return: its exit status, the command's */
static int run_supervise(struct run_state *s)
{
	sigset_t set;
	int sfd, status;

	init_signal_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_perror(LOG_LVL_ERR, "signalfd");
		return RUN_EXIT_LAUNCHER;
	}
	for (;;) {
		struct signalfd_siginfo si;
		pid_t r;

		r = waitpid(s->sandbox, &status, WNOHANG);
		if (r == s->sandbox)
			break;
		if (s->helper > 0 &&
		    waitpid(s->helper, NULL, WNOHANG) == s->helper) {
			log_warn("the network helper exited: the command has "
				 "no network any more");
			s->helper = 0;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD)
			continue;
		/* A terminal's ^C reaches the command by itself (same
		 * process group); forward what was sent to us alone */
		if (si.ssi_code != SI_KERNEL)
			kill(s->sandbox, (int)si.ssi_signo);
	}
	close(sfd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* struct clone_args of linux/sched.h (Linux 5.3), up to exit_signal and
 * the stack: what clone3() needs to work as fork() */
struct run_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

/* fork() into new namespaces (@flags, CLONE_NEW*): the child is PID 1 of
 * its PID namespace from the start, and the launcher knows it by its PID.
 * clone3() where it exists, else clone() (whose argument order varies with
 * the architecture; with no stack and no pointers only s390's differs).
 * Return: as fork(), -1 with errno */
static pid_t run_clone(unsigned long flags)
{
	struct run_clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	long r;

	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0 || errno != ENOSYS)
		return (pid_t)r;
#if defined(__s390__) || defined(__s390x__)
	return (pid_t)syscall(SYS_clone, 0, flags | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
#endif
}

/* The namespaces of the sandbox: all new, the network's unless --net host */
static unsigned long run_clone_flags(const struct run_opts *o)
{
	unsigned long flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS |
			      CLONE_NEWIPC | CLONE_NEWUTS;

	if (o->net != RUN_NET_HOST)
		flags |= CLONE_NEWNET;
	return flags;
}

/* Create the sandbox's first process in its new namespaces, with a pipe each
 * way (@to_sandbox, @from_sandbox: the launcher's ends).
 * Return: 0 or -1 (logged) */
static int run_sandbox_fork(const struct run_opts *o, struct run_state *s,
			    int *to_sandbox, int *from_sandbox)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		log_perror(LOG_LVL_ERR, "pipe");
		return -1;
	}
	s->sandbox = run_clone(run_clone_flags(o));
	if (s->sandbox < 0) {
		log_perror(LOG_LVL_ERR,
			   "cannot create the namespaces (are "
			   "unprivileged user namespaces enabled?)");
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return -1;
	}
	if (s->sandbox == 0) {
		close(to[1]);
		close(from[0]);
		sandbox_main(o, from[1], to[0]);
	}
	close(to[0]);
	close(from[1]);
	*to_sandbox = to[1];
	*from_sandbox = from[0];
	return 0;
}

/* The sandbox's user namespace, recorded to find its leftovers at the end */
static void run_sandbox_userns(struct run_state *s)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)s->sandbox);
	if (!stat(path, &st)) {
		s->userns_ino = st.st_ino;
		s->userns_dev = st.st_dev;
	}
}

/* The launcher's side of the steps (sandbox_main() has the other): unshared,
 * mapped, prepared, the helper attached, go.
 * Return: 0, or the exit status of the failure (its error is printed) */
static int run_sandbox_steps(const struct run_opts *o, struct run_state *s,
			     int to_sandbox, int from_sandbox)
{
	g_autoptr(GError) error = NULL;
	int r;

	if (run_wait(from_sandbox, RUN_STEP_UNSHARED))
		return RUN_EXIT_LAUNCHER;
	run_sandbox_userns(s);
	if (userns_apply(s->sandbox, &o->maps, &error)) {
		log_err("%s", error->message);
		return RUN_EXIT_LAUNCHER;
	}
	if (run_send(to_sandbox, RUN_STEP_MAPPED) ||
	    run_wait(from_sandbox, RUN_STEP_PREPARED))
		return RUN_EXIT_LAUNCHER;
	if (o->net == RUN_NET_USERNET) {
		r = run_start_helper(o, s);
		if (r)
			return r;
	}
	if (run_send(to_sandbox, RUN_STEP_GO))
		return RUN_EXIT_LAUNCHER;
	return 0;
}

static int run_sandbox(const struct run_opts *o)
{
	struct run_state s = { .helper_exit = -1 };
	int to_sandbox, from_sandbox, status, r;
	sigset_t set;

	/* Signals wait in a signalfd once the command runs; block them now so
	 * none is lost in between (init and the helper unblock them) */
	init_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (run_sandbox_fork(o, &s, &to_sandbox, &from_sandbox))
		return RUN_EXIT_LAUNCHER;
	r = run_sandbox_steps(o, &s, to_sandbox, from_sandbox);
	close(to_sandbox);
	close(from_sandbox);
	if (r) {
		kill(s.sandbox, SIGKILL);
		waitpid(s.sandbox, &status, 0);
	} else {
		r = run_supervise(&s);
	}
	run_stop_helper(&s);
	run_kill_leftovers(&s);
	return r;
}

/**
 * run_main() - entry point of `usernet run`
 * @argc:	argument count, argv[0] being "run"
 * @argv:	arguments
 *
 * Return: the command's exit status (128+N if signal N killed it), 126 if
 * it cannot be executed, 127 if it is not found, or 125 if usernet failed
 * (a bad command line, a port that cannot be published, namespaces that
 * cannot be set up); 0 after --help
 */
int run_main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	struct run_opts o;
	int r;

	run_opts_init(&o);
	if (run_opts_parse(&o, argc, argv, &error)) {
		log_err("%s", error->message);
		run_opts_clear(&o);
		return RUN_EXIT_LAUNCHER;
	}
	log_init("usernet",
		 o.debug ? LOG_LVL_DEBUG : (enum log_level)o.log_level);
	if (o.help) {
		run_usage(stdout);
		r = 0;
	} else if (o.display) {
		run_display(&o, stdout);
		r = 0;
	} else {
		r = run_bypass_open(&o);
		if (!r)
			r = run_sandbox(&o);
		run_bypass_close(&o);
	}
	run_opts_clear(&o);
	return r;
}
