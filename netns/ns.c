/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/ns.c - opening, checking and entering the target namespaces
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/ns.h"

/**
 * ns_check_type() - check that @fd is a namespace file of type @nstype
 * @fd:		open file
 * @nstype:	CLONE_NEWNET or CLONE_NEWUSER
 *
 * Return: 0, -EINVAL if it is another kind of namespace or not one at all
 */
static int ns_check_type(int fd, int nstype)
{
	int t = ioctl(fd, NS_GET_NSTYPE);

	if (t < 0)
		return errno == ENOTTY || errno == EINVAL ? -EINVAL : -errno;
	return t == nstype ? 0 : -EINVAL;
}

/* The user's explanation of a failed open() (errno @err) of the @what
 * ("user", "network") namespace file @path; @pid: as ns_open_file() */
static int ns_open_error(const char *path, const char *what, pid_t pid, int err,
			 GError **error)
{
	if (err == ENOENT && pid > 0)
		return error_set(error, UN_EXIT_TARGET, -ESRCH,
				 "no process with PID %d", (int)pid);
	if (err == ENOENT)
		return error_set(error, UN_EXIT_TARGET, -err,
				 "%s namespace file %s does not exist", what,
				 path);
	return error_set(error, UN_EXIT_TARGET, -err,
			 "cannot open the %s "
			 "namespace file %s: %s%s",
			 what, path, g_strerror(err),
			 err == EACCES || err == EPERM ?
				 " (it belongs to another user)" :
				 "");
}

/**
 * ns_open_file() - open a namespace file, check its type and stat it
 * @path:	namespace file
 * @nstype:	CLONE_NEWUSER or CLONE_NEWNET
 * @what:	"user" or "network", for messages
 * @pid:	target PID (ENOENT then means the process is gone), or 0
 * @st:		filled with the file's identity
 * @error:	set on failure, UN_EXIT_TARGET
 *
 * Return: the fd, or -errno
 */
static int ns_open_file(const char *path, int nstype, const char *what,
			pid_t pid, struct stat *st, GError **error)
{
	cleanup_fd int fd = -1;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ns_open_error(path, what, pid, errno, error);
	r = ns_check_type(fd, nstype);
	if (r == -EINVAL)
		return error_set(error, UN_EXIT_TARGET, -EINVAL,
				 "%s is not a %s namespace", path, what);
	if (r < 0)
		return error_set(error, UN_EXIT_TARGET, r,
				 "cannot check %s: %s", path, g_strerror(-r));
	if (fstat(fd, st) < 0) {
		r = errno;
		return error_set(error, UN_EXIT_TARGET, -r,
				 "cannot stat %s: %s", path, g_strerror(r));
	}
	return util_steal_fd(&fd);
}

/**
 * ns_open_userns() - open a user namespace file, dropping it if it is ours
 * @path:	namespace file
 * @out:	fd, or -1 when it is our own user namespace (nothing to join)
 * @error:	set on failure
 *
 * Return: 0 or -errno
 */
static int ns_open_userns(const char *path, int *out, GError **error)
{
	cleanup_fd int fd = -1;
	struct stat self = { 0 }, st = { 0 };
	int r;

	*out = -1;
	fd = ns_open_file(path, CLONE_NEWUSER, "user", 0, &st, error);
	if (fd < 0)
		return fd;
	if (stat("/proc/self/ns/user", &self) < 0) {
		r = errno;
		return error_set(error, UN_EXIT_TARGET, -r,
				 "cannot stat /proc/self/ns/user: %s",
				 g_strerror(r));
	}
	if (st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
		log_debug("%s is our own user namespace: not joining it", path);
		return 0;
	}
	*out = util_steal_fd(&fd);
	return 0;
}

/**
 * ns_open_netns() - open a network namespace file and record its identity
 * @path:	namespace file
 * @pid:	target PID (ENOENT then means the process is gone), or 0
 * @out:	filled with the fd, st_dev and st_ino
 * @error:	set on failure
 *
 * Return: 0 or -errno
 */
static int ns_open_netns(const char *path, pid_t pid, struct ns_fds *out,
			 GError **error)
{
	struct stat st = { 0 };
	int fd;

	fd = ns_open_file(path, CLONE_NEWNET, "network", pid, &st, error);
	if (fd < 0)
		return fd;
	out->netns_dev = st.st_dev;
	out->netns_ino = st.st_ino;
	out->netns = fd;
	return 0;
}

/**
 * ns_target_alive() - whether the target process still exists
 * @pid:	target PID
 * @pidfd:	its pidfd, or -1
 *
 * Return: false only if it is known to be gone
 */
static bool ns_target_alive(pid_t pid, int pidfd)
{
	if (pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 ||
		       errno != ESRCH;
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/**
 * ns_open_pid() - open the namespaces of process @pid
 * @t:		target, NS_TARGET_PID
 * @out:	initialised to -1 by the caller, filled on success
 * @error:	set on failure
 *
 * The pidfd is taken first, and the process checked to be alive after the
 * namespace files are open: they cannot then belong to a reused PID.
 *
 * Return: 0 or -errno
 */
static int ns_open_pid(const struct ns_target *t, struct ns_fds *out,
		       GError **error)
{
	char path[64];
	int r;

	if (t->pid <= 0)
		return error_set(error, UN_EXIT_TARGET, -ESRCH,
				 "no process with PID %d", (int)t->pid);

	out->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (out->pidfd < 0) {
		r = errno;
		if (r == ESRCH)
			return error_set(error, UN_EXIT_TARGET, -r,
					 "no process with PID %d", (int)t->pid);
		/* ENOSYS, or EINVAL for a thread that is not a leader */
		log_debug("pidfd_open(%d): %s", (int)t->pid, g_strerror(r));
		if (kill(t->pid, 0) < 0 && errno == ESRCH)
			return error_set(error, UN_EXIT_TARGET, -ESRCH,
					 "no process with PID %d", (int)t->pid);
	}

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t->pid);
	r = ns_open_netns(path, t->pid, out, error);
	if (r < 0)
		return r;

	if (t->userns_path) {
		r = ns_open_userns(t->userns_path, &out->userns, error);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)t->pid);
		r = ns_open_userns(path, &out->userns, error);
		if (r == -ENOENT) {
			g_clear_error(error);
			r = error_set(error, UN_EXIT_TARGET, -ESRCH,
				      "no process with PID %d", (int)t->pid);
		}
	}
	if (r < 0)
		return r;

	if (!ns_target_alive(t->pid, out->pidfd))
		return error_set(error, UN_EXIT_TARGET, -ESRCH,
				 "no process with PID %d", (int)t->pid);
	return 0;
}

/**
 * ns_fds_open() - open the namespace files of a target
 * @t:		what the user named
 * @out:	open files; all fds are -1 after a failure
 * @error:	set on failure, code UN_EXIT_TARGET
 *
 * For a PID, the user namespace is /proc/PID/ns/user unless @t->userns_path
 * is given, and it is dropped when it is our own. For a path, the user
 * namespace is @t->userns_path or none.
 *
 * Return: 0 or -errno
 */
int ns_fds_open(const struct ns_target *t, struct ns_fds *out, GError **error)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->netns = out->userns = out->pidfd = -1;

	if (t->type == NS_TARGET_PID) {
		r = ns_open_pid(t, out, error);
	} else if (!t->netns_path) {
		r = error_set(error, UN_EXIT_TARGET, -EINVAL,
			      "no network namespace path given");
	} else {
		r = ns_open_netns(t->netns_path, 0, out, error);
		if (!r && t->userns_path)
			r = ns_open_userns(t->userns_path, &out->userns, error);
	}
	if (r < 0) {
		ns_fds_close(out);
		return r;
	}
	log_debug("target namespaces: netns fd %d (inode %lu), userns fd %d, "
		  "pidfd %d",
		  out->netns, (unsigned long)out->netns_ino, out->userns,
		  out->pidfd);
	return 0;
}

/**
 * ns_fds_close() - close the files opened by ns_fds_open()
 * @f:		namespace files, fds set to -1
 */
void ns_fds_close(struct ns_fds *f)
{
	util_close_fdp(&f->netns);
	util_close_fdp(&f->userns);
	util_close_fdp(&f->pidfd);
}

/**
 * ns_enter() - join the user namespace (if any), then the network namespace
 * @f:		namespace files; an fd of -1 is skipped, so a caller can enter
 *		one namespace at a time to know which one failed
 *
 * Only for a single-threaded process (the forked agent): setns() refuses to
 * move a multithreaded process to another user namespace.
 *
 * Return: 0 or -errno
 */
int ns_enter(const struct ns_fds *f)
{
	if (f->userns >= 0 && setns(f->userns, CLONE_NEWUSER) < 0)
		return -errno;
	if (f->netns >= 0 && setns(f->netns, CLONE_NEWNET) < 0)
		return -errno;
	return 0;
}

/**
 * ns_path_still_same() - whether @path still names the namespace we opened
 * @path:	netns file given by the user
 * @f:		namespace files opened from it
 *
 * A netns bind mount that is unmounted leaves the underlying file (another
 * inode) or nothing behind.
 *
 * Return: true if @path has the same st_dev and st_ino as when opened
 */
bool ns_path_still_same(const char *path, const struct ns_fds *f)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	return st.st_dev == f->netns_dev && st.st_ino == f->netns_ino;
}
