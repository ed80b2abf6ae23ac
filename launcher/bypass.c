/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/bypass.c - usernet run --bypass, the launcher's part: the kernel
 * check, the channel that carries the command's seccomp listener to the
 * network helper, and what --display says
 *
 * DOC: Where the listener goes
 *
 * The launcher makes a socket pair before the sandbox exists: the sandbox
 * end stays in the sandbox's first process (init, not dumpable: the command
 * cannot reach its fds) and in PID 2, which loads the bypass filter after
 * the command's profile (confine/sysfilter_bypass.c), sends the listener,
 * and closes both before execve() (the ends are O_CLOEXEC too). The helper
 * end becomes fd RUN_BYPASS_HELPER_FD of the helper (--bypass-fd), which
 * takes the first fd that comes and closes the channel (helper/bypass.c).
 * The helper lives in the host's network namespace; the command never
 * holds the listener.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/sysfilter_bypass.h"
#include "launcher/bypass.h"
#include "netns/fdpass.h"

/**
 * run_bypass_open() - check the kernel, make the listener's channel
 * @o:		options (--bypass); @o->bypass_fd is set
 *
 * Return: 0, or RUN_EXIT_LAUNCHER with the error printed
 */
int run_bypass_open(struct run_opts *o)
{
	int r;

	o->bypass_fd[0] = o->bypass_fd[1] = -1;
	if (!o->bypass)
		return 0;
	r = sysfilter_bypass_probe();
	if (r == -EOPNOTSUPP) {
		log_err("--bypass needs seccomp user notification with "
			"SECCOMP_ADDFD_FLAG_SETFD (Linux 5.14 or later), which "
			"this kernel lacks: run without --bypass");
		return RUN_EXIT_LAUNCHER;
	}
	if (r < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				o->bypass_fd)) {
		log_msg(LOG_LVL_ERR, r < 0 ? -r : errno,
			"--bypass: cannot prepare");
		return RUN_EXIT_LAUNCHER;
	}
	return 0;
}

/**
 * run_bypass_close() - close the channel's ends the launcher holds
 * @o:		options
 */
void run_bypass_close(struct run_opts *o)
{
	util_close_fdp(&o->bypass_fd[0]);
	util_close_fdp(&o->bypass_fd[1]);
}

/**
 * run_bypass_send() - in PID 2: load the bypass filter, send its listener
 * to the helper, close it and the channel
 * @o:		options
 * @error:	set on failure
 *
 * Should: be the last step before execve(), after the command's profile.
 *
 * Return: 0 or -errno
 */
int run_bypass_send(const struct run_opts *o, GError **error)
{
	int listener, r;

	if (!o->bypass)
		return 0;
	close(o->bypass_fd[1]);
	r = sysfilter_bypass_apply(&listener, error);
	if (r < 0)
		return r;
	r = (int)fdpass_send(o->bypass_fd[0], "L", 1, listener);
	close(listener);
	close(o->bypass_fd[0]);
	if (r < 0)
		return error_set(error, RUN_EXIT_LAUNCHER, r,
				 "--bypass: cannot hand the listener to the "
				 "network helper: %s",
				 g_strerror(-r));
	return 0;
}

/**
 * run_bypass_display() - the --display lines of --bypass
 * @o:		options
 * @out:	stream
 */
void run_bypass_display(const struct run_opts *o, FILE *out)
{
	if (!o->bypass) {
		fprintf(out, "socket bypass:    off\n");
		return;
	}
	fprintf(out,
		"socket bypass:    on: the command's TCP connect() to "
		"addresses outside the\n"
		"                  namespace gets a host socket (seccomp "
		"user notification,\n"
		"                  answered by the helper); that traffic is "
		"not in --pcap\n"
		"                  nor in the tap's counters; loopback, "
		"addresses inside, DNS\n"
		"                  and UDP go through libslirp as without "
		"--bypass\n");
}
