/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/pasta_main.c - the drop-in pasta's run: the entry point, and the
 * lifecycle the engines wait on (detach once the namespace is configured)
 *
 * DOC: Lifecycle, as pasta's
 *
 * Without -f the process forks: the child (in a session of its own, its
 * standard input and output on /dev/null) runs the helper with a ready fd;
 * its standard error is a pipe the parent copies to its own until the ready
 * byte comes. Then the parent writes the daemon's pid to the -P file and
 * exits 0; an engine that waits for that exit and reads the output to its
 * end (Podman and RootlessKit use Go's CombinedOutput()) sees the end at
 * once, as no one else holds its pipes. Errors before that are the
 * helper's, copied to the engine, and the parent exits 1 (pasta's status
 * for any error). The daemon ends when the namespace does: its file
 * (--netns) removed or replaced, or the PID gone (helper/helper.c,
 * helper_watch()); what it logs afterwards goes to the -l file, else is
 * dropped, as a detached pasta's.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "helper/helper.h"
#include "helper/pasta.h"

/* -P FILE: the pid, one line */
static int pasta_write_pid(const char *path, pid_t pid)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0644);
	char line[24];
	int n;

	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "%d\n", (int)pid);
	return util_write_all(fd, line, (size_t)n);
}

/* -l FILE, appended to, or -1 */
static int pasta_open_log(const struct pasta_opts *o)
{
	if (!o->log_file)
		return -1;
	return open(o->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
}

/* What is in @fd now, to standard error; false at its end */
static bool pasta_copy_err(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	(void)util_write_all(STDERR_FILENO, buf, (size_t)n);
	return true;
}

/* The daemon: its own session, stdio off the engine's pipes, the helper */
static int pasta_child(struct pasta_opts *o, int ready_fd, int err_fd)
{
	cleanup_fd int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (setsid() < 0 || null_fd < 0 || chdir("/") < 0 ||
	    dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0) {
		log_perror(LOG_LVL_ERR, "cannot detach");
		return PASTA_EXIT_FAILURE;
	}
	close(err_fd);
	o->h.ready_fd = ready_fd;
	return helper_run(&o->h);
}

/*
 * The parent: copy the daemon's errors until the ready byte (then the pid
 * file, exit 0) or the end of the ready pipe (the daemon failed: the rest
 * of its errors, its exit, exit 1)
 */
static int pasta_wait_ready(const struct pasta_opts *o, pid_t pid, int ready_fd,
			    int err_fd)
{
	struct pollfd p[2] = { { ready_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	char c = 0;
	int r;

	while (!p[0].revents) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents && !pasta_copy_err(err_fd))
			p[1].fd = -1;
	}
	if (read(ready_fd, &c, 1) == 1 && c == '1') {
		if (util_set_nonblock(err_fd) == 0)
			while (pasta_copy_err(err_fd))
				;
		r = o->pid_file ? pasta_write_pid(o->pid_file, pid) : 0;
		if (r == 0)
			return UN_EXIT_OK;
		log_msg(LOG_LVL_ERR, -r, "cannot write the pid file %s",
			o->pid_file);
		kill(pid, SIGTERM);
		return PASTA_EXIT_FAILURE;
	}
	while (pasta_copy_err(err_fd))
		;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return PASTA_EXIT_FAILURE;
}

/* Without -f: fork, the daemon runs the helper, the parent waits */
static int pasta_daemon(struct pasta_opts *o)
{
	int ready[2] = { -1, -1 }, err[2] = { -1, -1 };
	cleanup_fd int log_fd = pasta_open_log(o);
	int status;
	pid_t pid;

	if (o->log_file && log_fd < 0) {
		log_perror(LOG_LVL_ERR, "cannot open the log file %s",
			   o->log_file);
		return PASTA_EXIT_FAILURE;
	}
	if (pipe2(ready, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		log_perror(LOG_LVL_ERR, "cannot make a pipe");
		return PASTA_EXIT_FAILURE;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(err[0]);
		if (log_fd >= 0)
			close(err[1]);
		status = pasta_child(o, ready[1],
				     log_fd >= 0 ? log_fd : err[1]);
		fflush(NULL);
		_exit(status ? PASTA_EXIT_FAILURE : 0);
	}
	close(ready[1]);
	close(err[1]);
	status = pid < 0 ? PASTA_EXIT_FAILURE :
			   pasta_wait_ready(o, pid, ready[0], err[0]);
	if (pid < 0)
		log_perror(LOG_LVL_ERR, "cannot fork");
	close(ready[0]);
	close(err[0]);
	return status;
}

/* -f: the helper in this process */
static int pasta_foreground(struct pasta_opts *o)
{
	cleanup_fd int log_fd = pasta_open_log(o);
	int r;

	if (o->log_file && (log_fd < 0 || dup2(log_fd, STDERR_FILENO) < 0)) {
		log_perror(LOG_LVL_ERR, "cannot open the log file %s",
			   o->log_file);
		return PASTA_EXIT_FAILURE;
	}
	r = o->pid_file ? pasta_write_pid(o->pid_file, getpid()) : 0;
	if (r < 0) {
		log_msg(LOG_LVL_ERR, -r, "cannot write the pid file %s",
			o->pid_file);
		return PASTA_EXIT_FAILURE;
	}
	return helper_run(&o->h) ? PASTA_EXIT_FAILURE : 0;
}

/*
 * --map-guest-addr: the address the alias leads to, the host's first IPv4
 * address on an interface that is up, not loopback (pasta maps it to the
 * address the guest copied from the host); none: left unmapped, said
 */
static void pasta_map_target(struct pasta_opts *o)
{
	struct ifaddrs *list, *ifa;
	bool found = false;

	if (o->map_guest_addr && !o->h.net.map4_on)
		log_warn("--map-guest-addr %s: IPv6 is not mapped by usernet",
			 o->map_guest_addr);
	if (!o->h.net.map4_on)
		return;
	if (getifaddrs(&list))
		list = NULL;
	for (ifa = list; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET ||
		    !(ifa->ifa_flags & IFF_UP) ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		o->h.net.map4_target =
			((struct sockaddr_in *)(void *)ifa->ifa_addr)->sin_addr;
		found = true;
	}
	if (list)
		freeifaddrs(list);
	if (found)
		return;
	log_warn("--map-guest-addr %s: the host has no IPv4 address but "
		 "loopback: not mapped",
		 o->map_guest_addr);
	o->h.net.map4_on = false;
}

/* --version: pasta's first line, then ours */
static void pasta_version(void)
{
	printf("pasta (usernet %s): usernet as a drop-in pasta\n",
	       USERNET_VERSION);
	helper_version_print(stdout, false);
}

/**
 * pasta_main() - entry point of the drop-in pasta
 * @argc:	argument count
 * @argv:	arguments, argv[0] being the program
 * @run_argv:	set for `pasta [OPTION]... [COMMAND]` (no --netns, no PID):
 *		`usernet run`'s arguments, which the caller runs (the
 *		launcher is above this layer); NULL otherwise
 *
 * Return: exit status: 0, or PASTA_EXIT_FAILURE on any error as pasta's
 */
int pasta_main(int argc, char **argv, char ***run_argv)
{
	g_autoptr(GError) error = NULL;
	struct pasta_opts o;
	int status = UN_EXIT_OK;

	*run_argv = NULL;
	log_init("pasta", LOG_LVL_INFO);
	pasta_opts_init(&o);
	if (pasta_opts_parse(&o, argc, argv, &error)) {
		log_err("%s", error->message);
		status = PASTA_EXIT_FAILURE;
	} else if (o.help) {
		pasta_usage(stdout);
	} else if (o.version) {
		pasta_version();
	} else if (!o.has_target) {
		*run_argv = pasta_run_argv(&o);
	} else {
		log_init("pasta", (enum log_level)o.h.log_level);
		pasta_map_target(&o);
		status = o.foreground ? pasta_foreground(&o) : pasta_daemon(&o);
	}
	pasta_opts_clear(&o);
	return status;
}
