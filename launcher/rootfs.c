/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/rootfs.c - `usernet run --rootfs DIR`: the command's own root, and
 * what goes with it: --volume, --read-only, --workdir, --user NAME
 *
 * DOC: Theory of operation
 *
 * rootfs_enter() runs in the sandbox's PID 1, as root of its new user
 * namespace, once the namespaces exist and before the host name, the
 * sysctls, the identity and seccomp:
 *
 *  1. capture, on the host's view: detached copies (open_tree) of what the
 *     new root shows from the host, that is the device nodes null, zero,
 *     full, random, urandom and tty (mknod is refused in a user namespace),
 *     the terminal when one is attached (for /dev/console) and the volumes
 *     (read-only ones made so, recursively, before they are attached);
 *  2. DIR bound onto itself (recursively), private; /proc (of the new PID
 *     namespace) and /sys (read-only) mounted under it by launcher/init.c,
 *     while the host's /proc is still visible, as the kernel requires of a
 *     user namespace; pivot_root(".", "."), the old root detached
 *     (MNT_DETACH): from here on no path leads to the host, and every path
 *     below is resolved inside DIR (its symbolic links included);
 *  3. /dev (a tmpfs with the nodes bound, a devpts instance of its own with
 *     its ptmx, a tmpfs /dev/shm, the fd and stdio links, the terminal on
 *     /dev/console), /tmp (tmpfs);
 *  4. /etc/resolv.conf (usernet's DNS; the host's with --net host; none with
 *     --net none) and /etc/hosts (localhost and --hostname), written on the
 *     new /tmp, bound, unlinked: DIR itself is not written, but for missing
 *     mount points, created (a root that cannot take them gets a warning);
 *  5. the volumes, in the order given, their DEST created when missing;
 *  6. --read-only: the root's own mount made read-only (mount_setattr), the
 *     mounts above stay as they are; then chdir to --workdir (default /).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "launcher/init.h"
#include "launcher/rootfs.h"
#include "launcher/run.h"

/* The host's device nodes the new /dev shows, bound: the set of OCI's
 * default devices that a user namespace may use (not /dev/console, bound
 * from the terminal if any) */
static const char *const rootfs_devices[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

#define ROOTFS_NDEV G_N_ELEMENTS(rootfs_devices)

/* The links of the new /dev: name, target */
static const char *const rootfs_dev_links[][2] = {
	{ "fd", "/proc/self/fd" },	 { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

/**
 * struct rootfs_host - what the new root takes from the host, captured
 * before the pivot (each fd a detached mount, or -1)
 * @dev:	the device nodes of rootfs_devices[]
 * @console:	the terminal, for /dev/console, or -1
 * @vol:	one per volume of o->volumes
 * @resolv:	text of /etc/resolv.conf, or NULL (--net none)
 */
struct rootfs_host {
	int dev[ROOTFS_NDEV];
	int console;
	int *vol;
	char *resolv;
};

/* --- --volume ----------------------------------------------------------- */

/**
 * rootfs_volume_free() - free a volume from rootfs_volume_parse()
 * @v:		volume, or NULL
 */
void rootfs_volume_free(struct rootfs_volume *v)
{
	if (!v)
		return;
	g_free(v->host);
	g_free(v->dest);
	g_free(v);
}

/* DEST of a volume: absolute, not the root itself, no "." or ".." part */
static bool rootfs_dest_ok(const char *dest)
{
	g_auto(GStrv) parts = NULL;
	int i;

	if (dest[0] != '/' || !dest[strspn(dest, "/")])
		return false;
	parts = g_strsplit(dest, "/", -1);
	for (i = 0; parts[i]; i++) {
		if (!strcmp(parts[i], ".") || !strcmp(parts[i], ".."))
			return false;
	}
	return true;
}

/**
 * rootfs_volume_parse() - parse one --volume HOST:DEST[:ro|rw]
 * @spec:	the option's value
 * @out:	the volume, rootfs_volume_free() it
 * @error:	UN_EXIT_USAGE with the reason
 *
 * HOST must exist (it is made absolute and its links resolved now); DEST
 * must be absolute, below the root, with no "." or ".." component. Paths
 * with a colon cannot be given.
 *
 * Return: 0 or -EINVAL
 */
int rootfs_volume_parse(const char *spec, struct rootfs_volume **out,
			GError **error)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", -1);
	guint n = g_strv_length(f);
	g_autofree char *host = NULL;
	struct rootfs_volume *v;

	if (n < 2 || n > 3 || !*f[0] || !*f[1])
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--volume '%s': expected HOST:DEST[:ro|rw]",
				 spec);
	if (n == 3 && strcmp(f[2], "ro") && strcmp(f[2], "rw"))
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--volume '%s': the option must be ro or rw, "
				 "not '%s'",
				 spec, f[2]);
	if (!rootfs_dest_ok(f[1]))
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--volume '%s': DEST must be an absolute path "
				 "below / with no . or .. component",
				 spec);
	host = realpath(f[0], NULL);
	if (!host)
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--volume '%s': HOST %s: %s", spec, f[0],
				 g_strerror(errno));
	v = g_new0(struct rootfs_volume, 1);
	v->host = g_steal_pointer(&host);
	v->dest = g_strdup(f[1]);
	v->ro = n == 3 && !strcmp(f[2], "ro");
	*out = v;
	return 0;
}

/* --- --user NAME -------------------------------------------------------- */

/* Open @path (absolute) for reading as if @root were "/": its links cannot
 * lead out of @root. Return: a stream, or NULL with errno set */
static FILE *rootfs_open_in(const char *root, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT,
	};
	cleanup_fd int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_fd int fd = -1;
	FILE *f;

	if (dir < 0)
		return NULL;
	fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "re");
	if (f)
		(void)util_steal_fd(&fd);
	return f;
}

/* @name's ids in @root's /etc/passwd, or its gid in /etc/group (@uid NULL).
 * Return: 0, -ENOENT if it is not there, or -errno */
static int rootfs_id_lookup(const char *root, const char *name, uid_t *uid,
			    gid_t *gid)
{
	FILE *f = rootfs_open_in(root, uid ? "/etc/passwd" : "/etc/group");
	int r = -ENOENT;

	if (!f)
		return -errno;
	for (;;) {
		struct passwd *pw = uid ? fgetpwent(f) : NULL;
		struct group *gr = uid ? NULL : fgetgrent(f);

		if (!pw && !gr)
			break;
		if (pw && !strcmp(pw->pw_name, name)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			r = 0;
			break;
		}
		if (gr && !strcmp(gr->gr_name, name)) {
			*gid = gr->gr_gid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Whether @name is listed in @members (a group's gr_mem) */
static bool rootfs_is_member(char **members, const char *name)
{
	for (; members && *members; members++) {
		if (!strcmp(*members, name))
			return true;
	}
	return false;
}

/**
 * rootfs_user_groups() - the supplementary groups of --user NAME[:...]
 * @root:	the command's root (--rootfs DIR), or NULL for the host's
 * @spec:	the option's value
 * @gid:	the group the command runs as (not repeated in @groups)
 * @groups:	gets the ids (gid_t) of the groups of @root's /etc/group that
 *		list NAME as a member, in the file's order, at most NGROUPS_MAX
 *
 * Nothing for a numeric user (as Podman: names are what a group lists).
 *
 * Return: 0, or -errno if the file cannot be read
 */
int rootfs_user_groups(const char *root, const char *spec, gid_t gid,
		       GArray *groups)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", 2);
	unsigned long ignored;
	struct group *gr;
	FILE *file;

	g_array_set_size(groups, 0);
	if (!f[0] || !*f[0] || !util_parse_uint(f[0], UINT32_MAX - 1, &ignored))
		return 0;
	file = rootfs_open_in(root ? root : "/", "/etc/group");
	if (!file)
		return errno == ENOENT ? 0 : -errno;
	while ((gr = fgetgrent(file)) && groups->len < NGROUPS_MAX) {
		if (gr->gr_gid != gid && rootfs_is_member(gr->gr_mem, f[0]))
			g_array_append_val(groups, gr->gr_gid);
	}
	fclose(file);
	return 0;
}

/* One part of --user: a number, else a name in @root's files */
static int rootfs_id_part(const char *root, const char *spec, const char *s,
			  bool user, unsigned long *id, unsigned long *gid,
			  GError **error)
{
	const char *file = user ? "/etc/passwd" : "/etc/group";
	uid_t u = 0;
	gid_t g = 0;
	int r;

	if (!*s)
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--user '%s': give UID|NAME[:GID|GROUP]",
				 spec);
	if (!util_parse_uint(s, UINT32_MAX - 1, id))
		return 0;
	r = rootfs_id_lookup(root, s, user ? &u : NULL, &g);
	if (r == -ENOENT)
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--user '%s': no %s '%s' in %s%s", spec,
				 user ? "user" : "group", s,
				 strcmp(root, "/") ? root : "", file);
	if (r)
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--user '%s': cannot read %s%s: %s", spec,
				 strcmp(root, "/") ? root : "", file,
				 g_strerror(-r));
	*id = user ? u : g;
	if (user)
		*gid = g;
	return 0;
}

/**
 * rootfs_user_resolve() - the ids of --user UID|NAME[:GID|GROUP]
 * @root:	the command's root (--rootfs DIR), or NULL for the host's
 * @spec:	the option's value
 * @uid:	the user's id
 * @gid:	GID or GROUP's id if given, else NAME's primary group, else UID
 * @error:	UN_EXIT_USAGE with the reason (unknown name, unreadable file)
 *
 * Names are read from @root's /etc/passwd and /etc/group themselves
 * (getpwnam() would read the host's, or ask NSS services), their links
 * resolved inside @root.
 *
 * Return: 0 or -EINVAL
 */
int rootfs_user_resolve(const char *root, const char *spec, uid_t *uid,
			gid_t *gid, GError **error)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", 2);
	unsigned long u, g = ULONG_MAX;

	if (!root)
		root = "/";
	if (rootfs_id_part(root, spec, f[0] ? f[0] : "", true, &u, &g, error))
		return -EINVAL;
	if (g == ULONG_MAX)
		g = u;
	if (f[1] && rootfs_id_part(root, spec, f[1], false, &g, NULL, error))
		return -EINVAL;
	if (u > UINT32_MAX - 1 || g > UINT32_MAX - 1)
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "--user '%s': id out of range", spec);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* --- the generated files ------------------------------------------------ */

/**
 * rootfs_resolv_conf_text() - the /etc/resolv.conf the sandbox gets
 * @o:		options
 *
 * Its nameservers are run_resolv_nameservers(): the built-in DNS, or with
 * --disable-dns the --dns addresses.
 *
 * Return: the text (g_free() it), or NULL when there are none: the sandbox
 * keeps the host's file (--disable-dns alone, or no network of usernet's)
 */
char *rootfs_resolv_conf_text(const struct run_opts *o)
{
	g_auto(GStrv) servers = run_resolv_nameservers(o);
	GString *text;
	char **s;

	if (!*servers)
		return NULL;
	text = g_string_new(NULL);
	for (s = servers; *s; s++)
		g_string_append_printf(text, "nameserver %s\n", *s);
	return g_string_free(text, FALSE);
}

/* /etc/hosts: localhost, and the host name (--hostname) at the guest's
 * address (usernet) or 127.0.1.1 */
static char *rootfs_hosts_text(const struct run_opts *o)
{
	char addr[INET_ADDRSTRLEN] = "127.0.1.1";
	struct addr_cidr4 c;
	struct in_addr a;

	if (o->net == RUN_NET_USERNET) {
		addr_cidr4_parse(o->cidr, &c);
		a = addr_plan_guest4(&c);
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
	}
	return g_strdup_printf("127.0.0.1\tlocalhost\n"
			       "::1\tlocalhost ip6-localhost ip6-loopback\n"
			       "%s\t%s\n",
			       addr, o->hostname);
}

/* --- capture, on the host's view ---------------------------------------- */

/* A detached copy of @path's mount (@flags: AT_RECURSIVE or 0), made
 * read-only with @ro. Return: its fd, or -errno */
static int rootfs_tree(const char *path, unsigned flags, bool ro)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	int fd, r;

	fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	if (ro && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | flags,
			  &attr, sizeof(attr))) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The terminal on stdin, stdout or stderr, for /dev/console; or -1 */
static int rootfs_console_tree(void)
{
	char name[256];
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (isatty(fd) && !ttyname_r(fd, name, sizeof(name)))
			return rootfs_tree(name, 0, false);
	}
	return -1;
}

static void rootfs_host_clear(struct rootfs_host *h, guint nvol)
{
	guint i;

	for (i = 0; i < ROOTFS_NDEV; i++)
		util_close_fdp(&h->dev[i]);
	for (i = 0; h->vol && i < nvol; i++)
		util_close_fdp(&h->vol[i]);
	util_close_fdp(&h->console);
	g_clear_pointer(&h->vol, g_free);
	g_clear_pointer(&h->resolv, g_free);
}

/* Step 1 (see the top): everything of the host the new root shows */
static int rootfs_capture(const struct run_opts *o, struct rootfs_host *h,
			  GError **error)
{
	guint i;

	for (i = 0; i < ROOTFS_NDEV; i++) {
		g_autofree char *path = g_strconcat("/dev/", rootfs_devices[i],
						    NULL);

		h->dev[i] = rootfs_tree(path, 0, false);
		if (h->dev[i] < 0)
			return error_set(error, UN_EXIT_FAILURE, h->dev[i],
					 "--rootfs: cannot bind %s: %s", path,
					 g_strerror(-h->dev[i]));
	}
	h->console = rootfs_console_tree();
	h->vol = g_new(int, o->volumes->len);
	for (i = 0; i < o->volumes->len; i++)
		h->vol[i] = -1;
	for (i = 0; i < o->volumes->len; i++) {
		const struct rootfs_volume *v = g_ptr_array_index(o->volumes,
								  i);

		h->vol[i] = rootfs_tree(v->host, AT_RECURSIVE, v->ro);
		if (h->vol[i] < 0)
			return error_set(error, UN_EXIT_FAILURE, h->vol[i],
					 "--volume %s:%s: cannot bind %s: %s",
					 v->host, v->dest, v->host,
					 g_strerror(-h->vol[i]));
	}
	if (o->net == RUN_NET_USERNET)
		h->resolv = rootfs_resolv_conf_text(o);
	if (o->net != RUN_NET_NONE && !h->resolv &&
	    !g_file_get_contents("/etc/resolv.conf", &h->resolv, NULL, NULL))
		h->resolv = NULL;
	return 0;
}

/* --- the pivot ---------------------------------------------------------- */

/* DIR/@name, made if missing, must be a directory itself (not a link) */
static int rootfs_subdir(int root, const char *dir, const char *name,
			 GError **error)
{
	struct stat st;

	if (mkdirat(root, name, 0755) && errno != EEXIST)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: cannot make /%s: %s", dir, name,
				 g_strerror(errno));
	if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW))
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: /%s: %s", dir, name,
				 g_strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set(error, UN_EXIT_FAILURE, -ENOTDIR,
				 "--rootfs %s: /%s: %s", dir, name,
				 g_strerror(ENOTDIR));
	return 0;
}

/* /proc and /sys under DIR, while the host's /proc is still visible (the
 * kernel requires it to mount proc in a user namespace): see launcher/init.c
 */
static int rootfs_kernel_fs(const struct run_opts *o, int root, GError **error)
{
	g_autofree char *proc = g_build_filename(o->rootfs, "proc", NULL);
	g_autofree char *sys = g_build_filename(o->rootfs, "sys", NULL);
	int r;

	if (rootfs_subdir(root, o->rootfs, "proc", error) ||
	    rootfs_subdir(root, o->rootfs, "sys", error))
		return -EIO;
	r = init_mount_proc(proc);
	if (r)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--rootfs: cannot mount /proc: %s",
				 g_strerror(-r));
	r = init_mount_sys(sys, o->net != RUN_NET_HOST);
	if (r)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--rootfs: cannot mount /sys: %s",
				 g_strerror(-r));
	return 0;
}

/* Step 2: DIR becomes "/", and nothing of the host stays reachable */
static int rootfs_pivot(const struct run_opts *o, GError **error)
{
	const char *dir = o->rootfs;
	cleanup_fd int fd = -1;

	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) ||
	    mount(NULL, dir, NULL, MS_REC | MS_PRIVATE, NULL))
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: cannot bind it: %s", dir,
				 g_strerror(errno));
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: %s", dir, g_strerror(errno));
	if (rootfs_kernel_fs(o, fd, error))
		return -EIO;
	if (fchdir(fd) || syscall(SYS_pivot_root, ".", "."))
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: pivot_root failed: %s", dir,
				 g_strerror(errno));
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs %s: cannot detach the old root: %s",
				 dir, g_strerror(errno));
	return 0;
}

/* --- the new root's mounts ---------------------------------------------- */

/* Make sure @path exists inside the new root to mount on: a directory, or
 * an empty file (@dir false). Return: 0 or -errno */
static int rootfs_mkpoint(const char *path, bool dir)
{
	g_autofree char *parent = g_path_get_dirname(path);
	int fd;

	if (g_mkdir_with_parents(dir ? path : parent, 0755))
		return -errno;
	if (dir)
		return 0;
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Attach the detached mount @tree on @path (made if missing) */
static int rootfs_attach(int tree, const char *path, bool dir, GError **error)
{
	int r = rootfs_mkpoint(path, dir);

	if (!r && syscall(SYS_move_mount, tree, "", AT_FDCWD, path,
			  MOVE_MOUNT_F_EMPTY_PATH))
		r = -errno;
	if (r)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--rootfs: cannot mount %s: %s", path,
				 g_strerror(-r));
	return 0;
}

/* A new file system @type on @path (made if missing) */
static int rootfs_mount_new(const char *type, const char *path,
			    unsigned long flags, const char *data,
			    GError **error)
{
	int r = rootfs_mkpoint(path, true);

	if (!r && mount(type, path, type, flags, data))
		r = -errno;
	if (r)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "--rootfs: cannot mount %s on %s: %s", type,
				 path, g_strerror(-r));
	return 0;
}

/* Step 3, /dev: a tmpfs with the host's nodes bound, devpts, shm, links */
static int rootfs_mount_dev(struct rootfs_host *h, GError **error)
{
	guint i;

	if (rootfs_mount_new("tmpfs", "/dev", MS_NOSUID | MS_NOEXEC,
			     "mode=0755,size=64k,nr_inodes=256", error) ||
	    rootfs_mount_new("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
			     "newinstance,ptmxmode=0666,mode=0620", error) ||
	    rootfs_mount_new("tmpfs", "/dev/shm",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777",
			     error))
		return -EIO;
	for (i = 0; i < ROOTFS_NDEV; i++) {
		g_autofree char *path = g_strconcat("/dev/", rootfs_devices[i],
						    NULL);

		if (rootfs_attach(h->dev[i], path, false, error))
			return -EIO;
	}
	if (h->console >= 0 &&
	    rootfs_attach(h->console, "/dev/console", false, error))
		return -EIO;
	for (i = 0; i < G_N_ELEMENTS(rootfs_dev_links); i++) {
		g_autofree char *path = g_strconcat("/dev/",
						    rootfs_dev_links[i][0],
						    NULL);

		if (symlink(rootfs_dev_links[i][1], path))
			return error_set(error, UN_EXIT_FAILURE, -errno,
					 "--rootfs: cannot link %s: %s", path,
					 g_strerror(errno));
	}
	return 0;
}

/* Step 4: @text on @dest, from an unlinked file of the new /tmp; a root
 * that cannot take the mount point only gets a warning */
static int rootfs_bind_text(const char *text, const char *dest, GError **error)
{
	char tmpl[] = "/tmp/.usernet-XXXXXX";
	cleanup_fd int fd = mkostemp(tmpl, O_CLOEXEC);
	int r;

	if (fd < 0)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--rootfs: cannot write %s: %s", dest,
				 g_strerror(errno));
	if (fchmod(fd, 0644) || util_write_all(fd, text, strlen(text))) {
		unlink(tmpl);
		return error_set(error, UN_EXIT_FAILURE, -EIO,
				 "--rootfs: cannot write %s: %s", dest,
				 g_strerror(EIO));
	}
	r = rootfs_mkpoint(dest, false);
	if (!r && mount(tmpl, dest, NULL, MS_BIND, NULL))
		r = -errno;
	if (r)
		log_warn("--rootfs: no %s inside: %s", dest, g_strerror(-r));
	unlink(tmpl);
	return 0;
}

/* Steps 3 and 4: /proc, /sys, /dev, /tmp, /etc/resolv.conf, /etc/hosts */
static int rootfs_mount_system(const struct run_opts *o, struct rootfs_host *h,
			       GError **error)
{
	g_autofree char *hosts = rootfs_hosts_text(o);

	if (rootfs_mount_dev(h, error) ||
	    rootfs_mount_new("tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777",
			     error))
		return -EIO;
	if (h->resolv && rootfs_bind_text(h->resolv, "/etc/resolv.conf", error))
		return -EIO;
	return rootfs_bind_text(hosts, "/etc/hosts", error);
}

/* Step 5: the volumes, then step 6: --read-only */
static int rootfs_mount_volumes(const struct run_opts *o, struct rootfs_host *h,
				GError **error)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	guint i;

	for (i = 0; i < o->volumes->len; i++) {
		const struct rootfs_volume *v = g_ptr_array_index(o->volumes,
								  i);
		struct stat st;

		if (fstat(h->vol[i], &st))
			return error_set(error, UN_EXIT_FAILURE, -errno,
					 "--volume %s: %s", v->host,
					 g_strerror(errno));
		if (rootfs_attach(h->vol[i], v->dest, S_ISDIR(st.st_mode),
				  error))
			return -EIO;
	}
	if (o->read_only &&
	    syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof(attr)))
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "--read-only: cannot make the root read-only: %s",
				 g_strerror(errno));
	return 0;
}

/**
 * rootfs_enter() - make --rootfs DIR the command's root, with its mounts and
 * volumes, and change to --workdir
 * @o:		options: rootfs, volumes, read_only, workdir, net, cidr
 * @error:	UN_EXIT_FAILURE with what failed
 *
 * Without --rootfs, only changes to --workdir if given.
 *
 * Should: run in the sandbox as root of its user namespace, in its own mount
 * (already a slave of the host's), network and PID namespaces, before the
 * sysctls, the identity, no_new_privs and seccomp. Mustn't: leave any path
 * to the host's file system but the volumes and the device nodes bound, nor
 * write to DIR but for missing mount points.
 *
 * Return: 0 or -errno
 */
int rootfs_enter(const struct run_opts *o, GError **error)
{
	struct rootfs_host h = { .console = -1 };
	guint i;
	int r;

	if (!o->rootfs) {
		if (o->workdir && chdir(o->workdir))
			return error_set(error, UN_EXIT_FAILURE, -errno,
					 "--workdir %s: %s", o->workdir,
					 g_strerror(errno));
		return 0;
	}
	for (i = 0; i < ROOTFS_NDEV; i++)
		h.dev[i] = -1;
	r = rootfs_capture(o, &h, error);
	if (!r)
		r = rootfs_pivot(o, error);
	if (!r)
		r = rootfs_mount_system(o, &h, error);
	if (!r)
		r = rootfs_mount_volumes(o, &h, error);
	rootfs_host_clear(&h, o->volumes->len);
	if (!r && chdir(o->workdir ? o->workdir : "/"))
		r = error_set(error, UN_EXIT_FAILURE, -errno,
			      "--workdir %s: %s", o->workdir,
			      g_strerror(errno));
	return r;
}

/**
 * rootfs_display() - the root, its mounts and the volumes, for --display
 * @o:		options
 * @out:	stream
 */
void rootfs_display(const struct run_opts *o, FILE *out)
{
	g_auto(GStrv) resolv = run_resolv_nameservers(o);
	g_autofree char *resolv_line = g_strjoinv(", ", resolv);
	guint i;

	if (!o->rootfs) {
		fprintf(out, "root:             the host's (no --rootfs: the "
			     "host's files and UNIX sockets are reachable)\n");
		if (o->workdir)
			fprintf(out, "  workdir:        %s\n", o->workdir);
		return;
	}
	fprintf(out,
		"root:             %s (pivot_root, old root detached), "
		"%s\n",
		o->rootfs, o->read_only ? "read-only" : "writable");
	fprintf(out, "  /dev:           tmpfs: null zero full random urandom "
		     "tty bound from the host, pts (new instance), shm, "
		     "console (the terminal, if any)\n");
	fprintf(out, "  /tmp:           tmpfs\n");
	fprintf(out,
		"  /etc/hosts:     generated (localhost, the host name)\n");
	if (o->net != RUN_NET_NONE)
		fprintf(out, "  /etc/resolv.conf: %s%s\n",
			*resolv ? "generated, names " : "the host's",
			resolv_line);
	for (i = 0; i < o->volumes->len; i++) {
		const struct rootfs_volume *v = g_ptr_array_index(o->volumes,
								  i);

		fprintf(out, "  volume:         %s on %s (%s)\n", v->host,
			v->dest, v->ro ? "read-only" : "read-write");
	}
	fprintf(out, "  workdir:        %s\n", o->workdir ? o->workdir : "/");
}
