/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/isolate.c - staged self-isolation of the network helper
 * (`usernet attach`, and its slirp4netns entry point): fds, capabilities,
 * empty root or Landlock, prctl, seccomp
 *
 * DOC: Theory of operation
 *
 * The helper faces the guest (every frame it reads is untrusted) for as long
 * as the target lives, so once set up it gives away what it no longer needs,
 * in stages, each a function below with what it should and must not do:
 *
 *  1. isolate_fds(), at the very start of the helper (before anything is
 *     opened): fds 0-2 are filled with /dev/null when closed, every other
 *     inherited fd but the ready and exit fds is closed (close_range());
 *     isolate_nodump() then clears the dumpable flag, confined or not, so
 *     that the namespace agent forked next starts non-dumpable.
 *
 * Then, once the tap, the listening sockets and the API socket exist and
 * before "1" is written to the ready fd, isolate_apply() runs:
 *
 *  2. isolate_caps_early(): every capability but CAP_NET_BIND_SERVICE is
 *     dropped from the effective, permitted and inheritable sets (and the
 *     ambient set cleared), except CAP_SYS_ADMIN and CAP_SETPCAP when the
 *     sandbox follows and they are permitted;
 *  3. isolate_sandbox() (--enable-sandbox): a new mount namespace, an empty
 *     tmpfs as root (pivot_root), read-only, holding only the resolver's
 *     configuration: the directory that holds the final target of
 *     /etc/resolv.conf, bound read-only, and the symbolic links that lead
 *     there, recreated (see below); and for the explanation of a refused
 *     privileged port (portfwd/privport.c), /proc/sys/net/ipv4 bound
 *     read-only and /proc/self/exe as a plain link to our binary; where the
 *     kernel has Landlock, a ruleset on top (see "What stays"). Where the
 *     helper lacks CAP_SYS_ADMIN over its mount namespace, it first joins
 *     the target's user namespace (as slirp4netns does), or one of its own;
 *     except when that would lose a useful CAP_NET_BIND_SERVICE
 *     (isolate_bind_cap_useful()): then Landlock alone confines the file
 *     system, and the root is not changed (see below);
 *  4. isolate_caps_final(): CAP_NET_BIND_SERVICE only, and only when useful;
 *     the bounding set is cleared (but for that capability) where
 *     CAP_SETPCAP allows, as are the inheritable and ambient sets;
 *  5. isolate_prctl() (with the sandbox or seccomp): PR_SET_DUMPABLE 0
 *     (again: a change of user namespace in stage 3 may have reset it),
 *     PR_SET_NO_NEW_PRIVS 1 (the Landlock stages set it already, as
 *     landlock_restrict_self() needs it);
 *  6. isolate_seccomp() (--enable-seccomp): the helper's allowlist
 *     (confine/sysfilter_helper.c), last.
 *
 * Why the directory of the resolver file and not the file: the DNS relay
 * (slirp/dnsrelay.c) re-reads /etc/resolv.conf when stat() says it changed. Resolver managers
 * (systemd-resolved, NetworkManager, resolvconf) replace the file by
 * rename(), so a bind mount of
 * the file would keep showing the old inode forever; the directory shows the
 * new file. The links are followed at start, hop by hop (a relative target is
 * taken from the directory of its link), and each link outside that
 * directory is recreated with the same text, so that the path the relay opens
 * resolves as it does on the host. A link retargeted later, or a new link in
 * the chain, is not seen.
 *
 * Why not the target's user namespace when CAP_NET_BIND_SERVICE matters: a
 * process has capabilities over a network namespace only in the user
 * namespace that owns it (or as owner of an ancestor). The host's network
 * namespace is owned by the user namespace the helper started in; joining any
 * other one (the target's, or a new one) makes a later bind of a port below
 * net.ipv4.ip_unprivileged_port_start fail. So when the helper holds
 * CAP_NET_BIND_SERVICE in the user namespace owning its network namespace,
 * privileged ports exist (the sysctl is above 1), and it cannot make a mount
 * namespace where it is (no CAP_SYS_ADMIN there: the `setcap
 * cap_net_bind_service=+ep` binary run by a user), the sandbox confines the
 * file system with Landlock instead: no access at all but reading beneath
 * the resolver directory (and /proc/sys/net/ipv4, for the explanation of a
 * refused port) and removing the API socket in its directory. The root is
 * then not changed (/proc/PID/root is still the host's). With --pcap, files
 * may also be created, written and removed beneath the capture's directory
 * (rotation).
 *
 * What stays: the helper keeps its fds (tap, sockets, epoll, signalfd, the
 * O_PATH fds of the API socket's directory, of the capture's directory and
 * of the directory of a target given by path, which still work on the
 * detached old root), its network namespace (the host's), and its uid.
 * Those directory fds lead out of the new root, and seccomp cannot see
 * paths: where the kernel has Landlock, the empty root is topped with a
 * ruleset that allows reading beneath the new root, removing files beneath
 * the API socket's directory, creating, writing and removing files beneath
 * the capture's directory (rotation), and nothing else
 * (isolate_landlock_pivoted()); without Landlock it is skipped, with a
 * debug line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "confine/caps.h"
#include "confine/isolate.h"
#include "confine/sysfilter_helper.h"

/* Sanitizer builds: LeakSanitizer reads /proc/self/task and ptraces the
 * helper's threads at exit; there the sandbox binds all of /proc and the
 * helper stays dumpable (only in those builds: /proc/self/fd leads out) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ISOLATE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ISOLATE_SANITIZER 1
#endif
#endif

#define ISOLATE_RESOLV "/etc/resolv.conf"
#define ISOLATE_MAX_HOPS 16
#define ISOLATE_PORT_SYSCTL "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define ISOLATE_PROC_EXE "/proc/self/exe"
#define ISOLATE_PROC_IPV4 "/proc/sys/net/ipv4"

static int isolate_fail(GError **error, int err, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static int isolate_fail(GError **error, int err, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, UN_ERROR, UN_EXIT_FAILURE, "%s: %s", msg,
		    g_strerror(err));
	return -err;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/**
 * isolate_fds() - stage 1: close every inherited fd but 0-2 and @keep
 * @keep:	fds to keep open (ready fd, exit fd); negative ones are ignored
 * @n:		number of entries in @keep, at most 8
 *
 * Should: run first thing in `usernet attach`, before the helper opens
 * anything, so that only what it opens itself (all CLOEXEC) stays; fill fds
 * 0-2 with /dev/null when closed, so that no later open takes them. Mustn't:
 * close fds 0-2, nor the fds of @keep.
 *
 * Return: 0 or -errno
 */
int isolate_fds(const int *keep, size_t n)
{
	int k[8], fd, nk = 0;
	unsigned lo = 3;
	size_t i;

	for (fd = 0; fd <= 2; fd++) {
		int nul;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nul = open("/dev/null", O_RDWR); /* std fd: not CLOEXEC */
		if (nul < 0)
			return -errno;
		if (nul != fd) {
			/* a lower std fd was closed too: filled in order */
			close(nul);
			return -EBADF;
		}
	}
	for (i = 0; i < n && nk < (int)G_N_ELEMENTS(k); i++) {
		if (keep[i] > 2)
			k[nk++] = keep[i];
	}
	qsort(k, (size_t)nk, sizeof(k[0]), cmp_int);
	for (i = 0; i < (size_t)nk; i++) {
		if ((unsigned)k[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned)k[i] - 1, 0))
			return -errno;
		lo = (unsigned)k[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, 0))
		return -errno;
	return 0;
}

/* Inode of the user namespace owning our network namespace, and ours */
static int isolate_netns_owner_is_ours(void)
{
	cleanup_fd int net = -1, owner = -1;
	struct stat a, b;

	net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (net < 0)
		return -errno;
	owner = ioctl(net, NS_GET_USERNS);
	if (owner < 0)
		return -errno;
	if (fstat(owner, &a) || stat("/proc/self/ns/user", &b))
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/**
 * isolate_bind_cap_useful() - whether CAP_NET_BIND_SERVICE is worth keeping
 *
 * Should: tell whether a later bind of a host port below
 * net.ipv4.ip_unprivileged_port_start (a rule added through the API) would
 * succeed thanks to that capability: it is permitted, the sysctl is above 1,
 * and we are in the user namespace owning our (the host's) network
 * namespace. Mustn't: change anything.
 *
 * Return: true if so
 */
bool isolate_bind_cap_useful(void)
{
	uint64_t prm = 0;
	long start = 1024;

	if (caps_get(NULL, &prm, NULL) ||
	    !(prm & CAPS_BIT(CAP_NET_BIND_SERVICE)))
		return false;
	if (!util_read_sysctl_int(ISOLATE_PORT_SYSCTL, &start) && start <= 1)
		return false;
	return isolate_netns_owner_is_ours() == 1;
}

/**
 * isolate_caps_early() - stage 2: drop what no later stage needs
 * @sandbox:	the sandbox stage follows
 *
 * Should: keep CAP_NET_BIND_SERVICE where permitted, and CAP_SYS_ADMIN (mount
 * namespace, pivot_root) and CAP_SETPCAP (bounding set) when @sandbox and
 * they are permitted. Mustn't: add any capability.
 *
 * Return: 0 or -errno
 */
int isolate_caps_early(bool sandbox)
{
	uint64_t keep = CAPS_BIT(CAP_NET_BIND_SERVICE);

	if (sandbox)
		keep |= CAPS_BIT(CAP_SYS_ADMIN) | CAPS_BIT(CAP_SETPCAP);
	return caps_keep_only(keep);
}

/**
 * struct isolate_resolv - what the empty root holds for the resolver
 * @dir:	canonical directory holding the final target of /etc/resolv.conf
 *		(or where it would be when it does not exist)
 * @links:	symbolic links that lead there: pairs of path, target text
 * @exe:	our executable (/proc/self/exe), or NULL
 */
struct isolate_resolv {
	char *dir;
	GPtrArray *links;
	char *exe;
};

static void isolate_resolv_clear(struct isolate_resolv *rv)
{
	g_clear_pointer(&rv->dir, g_free);
	g_clear_pointer(&rv->links, g_ptr_array_unref);
	g_clear_pointer(&rv->exe, g_free);
}

/* Follow /etc/resolv.conf link by link (see "Theory of operation") */
static int isolate_resolv_plan(struct isolate_resolv *rv)
{
	g_autofree char *p = g_strdup(ISOLATE_RESOLV);
	int hop;

	rv->links = g_ptr_array_new_with_free_func(g_free);
	rv->exe = g_file_read_link(ISOLATE_PROC_EXE, NULL);
	for (hop = 0; hop < ISOLATE_MAX_HOPS; hop++) {
		g_autofree char *dn = g_path_get_dirname(p);
		g_autofree char *bn = g_path_get_basename(p);
		g_autofree char *real = realpath(dn, NULL);
		g_autofree char *full = NULL;
		char *target;
		struct stat st;

		if (!real)
			return -errno;
		full = g_build_filename(real, bn, NULL);
		if (lstat(full, &st) || !S_ISLNK(st.st_mode)) {
			rv->dir = g_steal_pointer(&real);
			return 0;
		}
		target = g_file_read_link(full, NULL);
		if (!target)
			return -EIO;
		g_free(p);
		p = g_path_is_absolute(target) ?
			    g_strdup(target) :
			    g_build_filename(real, target, NULL);
		g_ptr_array_add(rv->links, g_steal_pointer(&full));
		g_ptr_array_add(rv->links, target);
	}
	return -ELOOP;
}

/* mkdir -p of absolute @path beneath @root */
static int isolate_mkdirs(int root, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	GString *rel = g_string_new(NULL);
	int i, r = 0;

	for (i = 0; parts[i]; i++) {
		if (!*parts[i])
			continue;
		g_string_append_printf(rel, "%s%s", rel->len ? "/" : "",
				       parts[i]);
		if (mkdirat(root, rel->str, 0755) && errno != EEXIST) {
			r = -errno;
			break;
		}
	}
	g_string_free(rel, TRUE);
	return r;
}

static bool isolate_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strcmp(dir, "/") ||
	       (!strncmp(path, dir, n) && (path[n] == '/' || !path[n]));
}

/* A read-only, nosuid, nodev, noexec detached copy of @dir and what is
 * mounted beneath it (submounts may be locked: all or nothing) */
static int isolate_tree_ro(const char *dir)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
			    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
	};
	int fd, r;

	fd = (int)syscall(SYS_open_tree, AT_FDCWD, dir,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
		    &attr, sizeof(attr))) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The detached read-only tree that the empty root shows under /proc: the
 * sysctls of /proc/sys/net/ipv4 (all of /proc in sanitizer builds), or
 * -errno, with a debug line: the new root then goes without */
static int isolate_proc_tree(void)
{
#ifdef ISOLATE_SANITIZER
	int fd = isolate_tree_ro("/proc");
#else
	int fd = isolate_tree_ro(ISOLATE_PROC_IPV4);
#endif

	if (fd < 0)
		log_debug("sandbox: cannot bind %s: %s", ISOLATE_PROC_IPV4,
			  g_strerror(-fd));
	return fd;
}

/* Mount the empty root, a small tmpfs, on /tmp of our new mount namespace.
 * Return: an O_PATH fd of it, or -errno */
static int isolate_empty_root(GError **error)
{
	int root;

	if (mount("usernet", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k,nr_inodes=64"))
		return isolate_fail(error, errno,
				    "sandbox: cannot mount the "
				    "empty root");
	root = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return isolate_fail(error, errno,
				    "sandbox: cannot open the "
				    "empty root");
	return root;
}

/* Put the resolver's configuration in the empty root @root: the links that
 * lead to it, recreated, and its directory, the read-only tree @tree */
static int isolate_root_resolv(int root, int tree,
			       const struct isolate_resolv *rv, GError **error)
{
	guint i;
	int r;

	r = isolate_mkdirs(root, rv->dir);
	if (r < 0)
		return isolate_fail(error, -r, "sandbox: cannot make %s",
				    rv->dir);
	for (i = 0; i + 1 < rv->links->len; i += 2) {
		const char *path = g_ptr_array_index(rv->links, i);
		const char *target = g_ptr_array_index(rv->links, i + 1);
		g_autofree char *dn = g_path_get_dirname(path);

		if (isolate_beneath(path, rv->dir))
			continue; /* there already, with the directory */
		r = isolate_mkdirs(root, dn);
		if (r < 0 || symlinkat(target, root, path + 1))
			return isolate_fail(error, r < 0 ? -r : errno,
					    "sandbox: cannot recreate the link "
					    "%s",
					    path);
	}
	if (strcmp(rv->dir, "/") &&
	    syscall(SYS_move_mount, tree, "", root, rv->dir + 1,
		    MOVE_MOUNT_F_EMPTY_PATH))
		return isolate_fail(error, errno, "sandbox: cannot mount %s",
				    rv->dir);
	return 0;
}

/* Put in the empty root @root what the explanation of a refused privileged
 * port reads (portfwd/privport.c): the sysctl, from @proc_tree (if >= 0),
 * and the path of the binary @exe (if not NULL) to name in the setcap
 * remedy, as a plain link (a bind of /proc/self would give a way out
 * through /proc/self/fd). Best effort: a debug line when it fails */
static void isolate_root_proc(int root, int proc_tree, const char *exe)
{
#ifdef ISOLATE_SANITIZER
	(void)exe;
	if (proc_tree >= 0 && (isolate_mkdirs(root, "/proc") ||
			       syscall(SYS_move_mount, proc_tree, "", root,
				       "proc", MOVE_MOUNT_F_EMPTY_PATH)))
		log_debug("sandbox: cannot mount /proc");
#else
	if (proc_tree >= 0 &&
	    (isolate_mkdirs(root, ISOLATE_PROC_IPV4) ||
	     syscall(SYS_move_mount, proc_tree, "", root, ISOLATE_PROC_IPV4 + 1,
		     MOVE_MOUNT_F_EMPTY_PATH)))
		log_debug("sandbox: cannot mount %s", ISOLATE_PROC_IPV4);
	if (exe && (isolate_mkdirs(root, "/proc/self") ||
		    symlinkat(exe, root, ISOLATE_PROC_EXE + 1)))
		log_debug("sandbox: cannot recreate %s", ISOLATE_PROC_EXE);
#endif
}

/* Make @root our root (pivot_root), detach the old one, and make the new
 * one read-only */
static int isolate_enter_root(int root, GError **error)
{
	if (fchdir(root) || syscall(SYS_pivot_root, ".", "."))
		return isolate_fail(error, errno, "sandbox: pivot_root failed");
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return isolate_fail(error, errno,
				    "sandbox: cannot detach the "
				    "old root");
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			  MS_NOEXEC,
		  NULL))
		return isolate_fail(error, errno,
				    "sandbox: cannot make the "
				    "root read-only");
	return 0;
}

/* The new root, mounted on /tmp of our new mount namespace, made and
 * entered: see "Theory of operation" */
static int isolate_pivot(const struct isolate_resolv *rv, GError **error)
{
	cleanup_fd int tree = -1, root = -1, proc_tree = -1;
	int r;

	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return isolate_fail(error, errno,
				    "sandbox: cannot make the "
				    "mounts private");
	tree = isolate_tree_ro(rv->dir);
	if (tree < 0)
		return isolate_fail(error, -tree,
				    "sandbox: cannot bind %s "
				    "read-only",
				    rv->dir);
	proc_tree = isolate_proc_tree();
	root = isolate_empty_root(error);
	if (root < 0)
		return root;
	r = isolate_root_resolv(root, tree, rv, error);
	if (r < 0)
		return r;
	isolate_root_proc(root, proc_tree, rv->exe);
	return isolate_enter_root(root, error);
}

/* Our own user namespace, where we are who we were */
static int isolate_own_userns(void)
{
	char uid_map[64], gid_map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	if (unshare(CLONE_NEWUSER))
		return -errno;
	snprintf(uid_map, sizeof(uid_map), "%u %u 1", uid, uid);
	snprintf(gid_map, sizeof(gid_map), "%u %u 1", gid, gid);
	/* Kernels before 3.19 have no setgroups file, and need none */
	r = util_write_file("/proc/self/setgroups", "deny");
	if (r == -ENOENT)
		r = 0;
	if (!r)
		r = util_write_file("/proc/self/uid_map", uid_map);
	if (!r)
		r = util_write_file("/proc/self/gid_map", gid_map);
	return r;
}

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define ISOLATE_LL_IOCTL_DEV (1ULL << 15)
/* What packet capture rotation does beneath the capture's directory:
 * FILE -> FILE.1 ..., a new FILE */
#define ISOLATE_LL_CAPTURE                                              \
	(LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	 LANDLOCK_ACCESS_FS_WRITE_FILE)

/* Allow @access beneath @path (or the O_PATH fd @fd, if >= 0) */
static int isolate_ll_allow(int ruleset, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int r = 0;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0))
		r = -errno;
	close(pb.parent_fd);
	return r;
}

/* A Landlock ruleset that handles every file system access this kernel
 * knows; *@abi: its ABI. Return: the ruleset fd, -ENOSYS without Landlock,
 * or -errno */
static int isolate_ll_ruleset(long *abi)
{
	struct landlock_ruleset_attr attr = { 0 };
	int fd;

	*abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		       LANDLOCK_CREATE_RULESET_VERSION);
	if (*abi < 1)
		return -ENOSYS;
	attr.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
	if (*abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (*abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (*abi >= 5)
		attr.handled_access_fs |= ISOLATE_LL_IOCTL_DEV;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	return fd < 0 ? -errno : fd;
}

/* Allow @access beneath the directory of the O_PATH fd @dirfd */
static int isolate_ll_allow_fd(int ruleset, int dirfd, uint64_t access)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = access,
		.parent_fd = dirfd,
	};

	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0))
		return -errno;
	return 0;
}

/* No new privileges (Landlock needs it), then confine ourselves with
 * @ruleset */
static int isolate_ll_restrict(int ruleset, GError **error)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return isolate_fail(error, errno, "cannot set no_new_privs");
	if (syscall(SYS_landlock_restrict_self, ruleset, 0))
		return isolate_fail(error, errno,
				    "sandbox: Landlock refused "
				    "the ruleset");
	return 0;
}

/* After pivot_root: the directory fds the helper keeps (the API socket's,
 * the capture's) lead out of the new root ("../.." from them is the host's
 * file system), and the seccomp filter cannot see paths. Landlock can: read
 * beneath the new root only, remove files beneath the API socket's
 * directory only (the unlink at exit), create and rename beneath the
 * capture's directory only (rotation, without seccomp). Hardening on top of
 * the empty root: skipped, with a debug line, where the kernel lacks it */
static int isolate_landlock_pivoted(const struct isolate_cfg *cfg,
				    GError **error)
{
	cleanup_fd int ruleset = -1;
	long abi;
	int r;

	ruleset = isolate_ll_ruleset(&abi);
	if (ruleset < 0) {
		log_debug("sandbox: no Landlock on top of the empty root: %s",
			  g_strerror(-ruleset));
		return 0;
	}
	r = isolate_ll_allow(ruleset, "/",
			     LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_READ_DIR);
	if (!r && cfg->api_dirfd >= 0)
		r = isolate_ll_allow_fd(ruleset, cfg->api_dirfd,
					LANDLOCK_ACCESS_FS_REMOVE_FILE);
	if (!r && cfg->capture_dirfd >= 0)
		r = isolate_ll_allow_fd(ruleset, cfg->capture_dirfd,
					ISOLATE_LL_CAPTURE);
	if (r < 0)
		return isolate_fail(error, -r,
				    "sandbox: cannot add a Landlock "
				    "rule");
	r = isolate_ll_restrict(ruleset, error);
	if (r < 0)
		return r;
	log_debug("sandbox: Landlock (ABI %ld) on top of the empty root", abi);
	return 0;
}

/* File system confinement without a change of user namespace (see
 * "Theory of operation"): needs no_new_privs, set here */
static int isolate_landlock(const struct isolate_cfg *cfg,
			    const struct isolate_resolv *rv, GError **error)
{
	cleanup_fd int ruleset = -1;
	long abi;
	int r;

	ruleset = isolate_ll_ruleset(&abi);
	if (ruleset == -ENOSYS)
		return isolate_fail(error, ENOSYS,
				    "sandbox: without CAP_SYS_ADMIN, and keeping "
				    "CAP_NET_BIND_SERVICE, the helper confines "
				    "itself with Landlock, which this kernel "
				    "does not offer");
	if (ruleset < 0)
		return isolate_fail(error, -ruleset,
				    "sandbox: cannot create a "
				    "Landlock ruleset");
	r = isolate_ll_allow(ruleset, rv->dir,
			     LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_READ_DIR);
	if (r < 0)
		return isolate_fail(error, -r, "sandbox: cannot allow %s",
				    rv->dir);
	/* the explanation of a refused privileged port reads the sysctl */
	if (isolate_ll_allow(ruleset, "/proc/sys/net/ipv4",
			     LANDLOCK_ACCESS_FS_READ_FILE) < 0)
		log_debug("sandbox: /proc/sys/net/ipv4 stays unreadable");
#ifdef ISOLATE_SANITIZER
	/* LeakSanitizer reads /proc/self at exit (the empty root of these
	 * builds has /proc too) */
	if (isolate_ll_allow(ruleset, "/proc",
			     LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_READ_DIR) < 0)
		log_debug("sandbox: /proc stays unreadable");
#endif
	if (cfg->api_socket) {
		g_autofree char *dn = g_path_get_dirname(cfg->api_socket);

		r = isolate_ll_allow(ruleset, dn,
				     LANDLOCK_ACCESS_FS_REMOVE_FILE);
		if (r < 0)
			return isolate_fail(error, -r,
					    "sandbox: cannot allow "
					    "removing the API socket in %s",
					    dn);
	}
	/* packet capture rotation: FILE -> FILE.1..., a new FILE */
	if (cfg->capture_dirfd >= 0 &&
	    isolate_ll_allow_fd(ruleset, cfg->capture_dirfd,
				ISOLATE_LL_CAPTURE) < 0)
		return isolate_fail(error, errno,
				    "sandbox: cannot allow the "
				    "packet capture's rotation");
	r = isolate_ll_restrict(ruleset, error);
	if (r < 0)
		return r;
	log_debug("sandbox: file system confined with Landlock (ABI %ld), "
		  "CAP_NET_BIND_SERVICE kept over the host's network",
		  abi);
	return 0;
}

/**
 * isolate_sandbox() - stage 3: an empty, read-only root (--enable-sandbox)
 * @cfg:	configuration; @cfg->userns_fd is joined when needed
 * @keep_bind:	in: isolate_bind_cap_useful(), asked before; out: false when
 *		the helper changed user namespace (the capability is then
 *		useless over the host's network)
 * @error:	set on failure
 *
 * Should: make a mount namespace, pivot_root into an empty read-only tmpfs
 * holding only the resolver configuration (see "Theory of operation"),
 * joining the target's user namespace first (or making one) when we have no
 * CAP_SYS_ADMIN where we are; use Landlock instead when that would lose a
 * useful CAP_NET_BIND_SERVICE. Must run single-threaded. Mustn't: touch the
 * host's mounts (everything is made private first), change the network
 * namespace, or leave anything writable in the new root.
 *
 * Return: 0 or -errno
 */
int isolate_sandbox(const struct isolate_cfg *cfg, bool *keep_bind,
		    GError **error)
{
	struct isolate_resolv rv = { 0 };
	const char *how = "where it is";
	int r;

	r = isolate_resolv_plan(&rv);
	if (r < 0 || !rv.dir) {
		isolate_resolv_clear(&rv);
		return isolate_fail(error, r < 0 ? -r : ENOENT,
				    "sandbox: cannot follow %s",
				    ISOLATE_RESOLV);
	}
	if (unshare(CLONE_NEWNS)) {
		if (errno != EPERM) {
			r = isolate_fail(error, errno,
					 "sandbox: cannot make a "
					 "mount namespace");
			goto out;
		}
		if (*keep_bind) {
			r = isolate_landlock(cfg, &rv, error);
			goto out;
		}
		*keep_bind = false;
		if (cfg->userns_fd >= 0) {
			how = "in the target's user namespace";
			if (setns(cfg->userns_fd, CLONE_NEWUSER)) {
				r = isolate_fail(error, errno,
						 "sandbox: cannot "
						 "join the target's user "
						 "namespace");
				goto out;
			}
		} else {
			how = "in a user namespace of its own";
			r = isolate_own_userns();
			if (r < 0) {
				r = isolate_fail(error, -r,
						 "sandbox: cannot "
						 "make a user namespace");
				goto out;
			}
		}
		if (unshare(CLONE_NEWNS)) {
			r = isolate_fail(error, errno,
					 "sandbox: cannot make a "
					 "mount namespace");
			goto out;
		}
	}
	r = isolate_pivot(&rv, error);
	if (!r)
		log_debug("sandbox: empty root %s, holding %s", how, rv.dir);
	if (!r)
		r = isolate_landlock_pivoted(cfg, error);
out:
	isolate_resolv_clear(&rv);
	return r;
}

/**
 * isolate_caps_final() - stage 4: CAP_NET_BIND_SERVICE at most
 * @keep_bind:	keep CAP_NET_BIND_SERVICE (isolate_bind_cap_useful(), asked
 *		before the sandbox: /proc is gone after it)
 * @error:	set on failure
 *
 * Should: keep CAP_NET_BIND_SERVICE only when @keep_bind;
 * drop every other capability from the bounding set when CAP_SETPCAP allows
 * (root of a user namespace, or root), then from the effective, permitted
 * and inheritable sets, and clear the ambient set. Mustn't: fail when the
 * bounding set cannot be changed (an unprivileged helper in the initial user
 * namespace has no CAP_SETPCAP): what stays there cannot be gained anyway
 * once no_new_privs is set, and execve is not done.
 *
 * Return: 0 or -errno
 */
int isolate_caps_final(bool keep_bind, GError **error)
{
	uint64_t keep = keep_bind ? CAPS_BIT(CAP_NET_BIND_SERVICE) : 0;
	uint64_t eff = 0;
	int r;

	if (!caps_get(&eff, NULL, NULL) && (eff & CAPS_BIT(CAP_SETPCAP))) {
		r = caps_drop_bounding(keep);
		if (r < 0)
			return isolate_fail(error, -r,
					    "cannot clear the "
					    "capability bounding set");
	} else {
		log_debug("no CAP_SETPCAP: the bounding set stays as "
			  "inherited");
	}
	r = caps_keep_only(keep);
	if (r < 0)
		return isolate_fail(error, -r, "cannot drop capabilities");
	if (keep)
		log_debug("kept CAP_NET_BIND_SERVICE only");
	return 0;
}

/**
 * isolate_nodump() - not dumpable: no core dump, no ptrace, no /proc access
 * to memory, environment or fds by other processes of the user (only with
 * CAP_SYS_PTRACE)
 *
 * Should: run first thing in `usernet attach`, confined or not, so that the
 * namespace agent, forked afterwards, starts non-dumpable too (it sets it
 * again once in the target's namespaces). Mustn't: apply to sanitizer
 * builds, whose leak check at exit ptraces the process.
 *
 * Return: 0 or -errno
 */
int isolate_nodump(void)
{
#ifndef ISOLATE_SANITIZER
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
#endif
	return 0;
}

/**
 * isolate_prctl() - stage 5: not dumpable, no new privileges
 * @error:	set on failure
 *
 * Should: set PR_SET_DUMPABLE to 0 again (isolate_nodump(): a change of
 * user namespace in the sandbox stage may have reset it) and
 * PR_SET_NO_NEW_PRIVS (needed by seccomp). Mustn't: be skipped when the
 * sandbox or seccomp is asked for.
 *
 * Return: 0 or -errno
 */
int isolate_prctl(GError **error)
{
	int r = isolate_nodump();

	if (r < 0)
		return isolate_fail(error, -r,
				    "cannot clear the dumpable "
				    "flag");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return isolate_fail(error, errno, "cannot set no_new_privs");
	return 0;
}

/**
 * isolate_seccomp() - stage 6: the helper's seccomp allowlist, last
 * @agent_pidfd: the namespace agent's pidfd (SIGKILL may go through it
 *		only), or -1
 * @error:	set on failure
 *
 * Should: install confine/sysfilter_helper.c's filter (default: kill), after
 * isolate_prctl(). Mustn't: run before any other stage: the filter forbids
 * what they use (mount, setns, unshare, pivot_root, capset).
 *
 * Return: 0 or -errno
 */
int isolate_seccomp(int agent_pidfd, GError **error)
{
	return sysfilter_helper_apply(agent_pidfd, error);
}

/**
 * isolate_apply() - stages 2 to 6, in order
 * @cfg:	what to apply
 * @error:	set on failure, naming the stage
 *
 * Should: run once the tap, the listening sockets and the API socket exist,
 * before the ready fd is written, single-threaded; without --enable-sandbox
 * and --enable-seccomp, only the capability stages run. Mustn't: go on after
 * a failed stage.
 *
 * Return: 0 or -errno
 */
int isolate_apply(const struct isolate_cfg *cfg, GError **error)
{
	bool keep_bind = isolate_bind_cap_useful();
	int r;

	r = isolate_caps_early(cfg->sandbox);
	if (r < 0)
		return isolate_fail(error, -r, "cannot drop capabilities");
	if (cfg->sandbox) {
		r = isolate_sandbox(cfg, &keep_bind, error);
		if (r < 0)
			return r;
	}
	r = isolate_caps_final(keep_bind, error);
	if (r < 0)
		return r;
	if (!cfg->sandbox && !cfg->seccomp)
		return 0;
	r = isolate_prctl(error);
	if (r < 0)
		return r;
	if (cfg->seccomp)
		return isolate_seccomp(cfg->agent_pidfd, error);
	return 0;
}
