/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-rootfs.c - `usernet run --volume` specs and --user names
 * read from the command's root (launcher/rootfs.c)
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "launcher/rootfs.h"

/* A call on @spec returned @r: -EINVAL with a usage error naming @fragment */
static void expect_usage(int r, const GError *error, const char *spec,
			 const char *fragment)
{
	g_assert_cmpint(r, ==, -EINVAL);
	g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	if (!strstr(error->message, fragment))
		g_error("'%s': message '%s' lacks '%s'", spec, error->message,
			fragment);
}

static void test_volume_ok(void)
{
	static const struct {
		const char *spec, *host, *dest;
		bool ro;
	} ok[] = {
		{ "/:/mnt", "/", "/mnt", false },
		{ "/tmp:/data:ro", "/tmp", "/data", true },
		{ "/tmp:/data:rw", "/tmp", "/data", false },
		{ "/tmp/:/a/b/c/", "/tmp", "/a/b/c/", false },
		{ "/tmp/../tmp:/x//y", "/tmp", "/x//y", false },
		{ "/dev/null:/etc/x", "/dev/null", "/etc/x", false },
	};
	g_autofree char *tmp = realpath("/tmp", NULL);
	guint i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GError) error = NULL;
		struct rootfs_volume *v = NULL;

		g_assert_cmpint(rootfs_volume_parse(ok[i].spec, &v, &error), ==,
				0);
		g_assert_no_error(error);
		g_assert_cmpstr(v->host, ==,
				strcmp(ok[i].host, "/tmp") ? ok[i].host : tmp);
		g_assert_cmpstr(v->dest, ==, ok[i].dest);
		g_assert_cmpint(v->ro, ==, ok[i].ro);
		rootfs_volume_free(v);
	}
}

static void test_volume_bad(void)
{
	static const struct {
		const char *spec, *fragment;
	} bad[] = {
		{ "", "expected HOST:DEST" },
		{ "/tmp", "expected HOST:DEST" },
		{ "/tmp:", "expected HOST:DEST" },
		{ ":/data", "expected HOST:DEST" },
		{ "/tmp:/data:ro:x", "expected HOST:DEST" },
		{ "/tmp:/data:", "must be ro or rw" },
		{ "/tmp:/data:RO", "must be ro or rw" },
		{ "/tmp:/data:z", "must be ro or rw" },
		{ "/tmp:data", "absolute" },
		{ "/tmp:/", "absolute" },
		{ "/tmp:///", "absolute" },
		{ "/tmp:/a/../../etc", "no . or .." },
		{ "/tmp:/..", "no . or .." },
		{ "/tmp:/a/./b", "no . or .." },
		{ "/tmp:/a/..", "no . or .." },
		{ "/nonexistent-usernet-test:/data", "No such file" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		struct rootfs_volume *v = NULL;
		int r = rootfs_volume_parse(bad[i].spec, &v, &error);

		expect_usage(r, error, bad[i].spec, bad[i].fragment);
		g_assert_null(v);
	}
}

/* A root with etc/passwd and etc/group */
static char *make_root(void)
{
	char *dir = g_dir_make_tmp("usernet-rootfs-XXXXXX", NULL);
	g_autofree char *etc = g_build_filename(dir, "etc", NULL);
	g_autofree char *passwd = g_build_filename(etc, "passwd", NULL);
	g_autofree char *group = g_build_filename(etc, "group", NULL);

	g_assert_nonnull(dir);
	g_assert_cmpint(g_mkdir(etc, 0755), ==, 0);
	g_assert_true(
		g_file_set_contents(passwd,
				    "root:x:0:0:root:/root:/bin/sh\n"
				    "this line is not an entry\n"
				    "alice:x:1000:1001:Alice:/home/alice:/bin/sh\n"
				    "bob:x:1002:1002::/home/bob:/bin/sh\n",
				    -1, NULL));
	g_assert_true(g_file_set_contents(group,
					  "root:x:0:\nstaff:x:50:alice\n"
					  "alice:x:1001:\n"
					  "audio:x:29:bob,alice\n"
					  "video:x:44:bob\n",
					  -1, NULL));
	return dir;
}

static void remove_root(const char *dir)
{
	g_autofree char *etc = g_build_filename(dir, "etc", NULL);
	g_autofree char *passwd = g_build_filename(etc, "passwd", NULL);
	g_autofree char *group = g_build_filename(etc, "group", NULL);

	g_unlink(passwd);
	g_unlink(group);
	g_rmdir(etc);
	g_rmdir(dir);
}

static void test_user_names(void)
{
	static const struct {
		const char *spec;
		uid_t uid;
		gid_t gid;
	} ok[] = {
		{ "alice", 1000, 1001 },
		{ "bob", 1002, 1002 },
		{ "alice:staff", 1000, 50 },
		{ "alice:7", 1000, 7 },
		{ "1000", 1000, 1000 },
		{ "5:staff", 5, 50 },
		{ "root", 0, 0 },
		{ "42:43", 42, 43 },
	};
	g_autofree char *root = make_root();
	guint i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GError) error = NULL;
		uid_t u = 99;
		gid_t g = 99;

		g_assert_cmpint(rootfs_user_resolve(root, ok[i].spec, &u, &g,
						    &error),
				==, 0);
		g_assert_no_error(error);
		g_assert_cmpuint(u, ==, ok[i].uid);
		g_assert_cmpuint(g, ==, ok[i].gid);
	}
	remove_root(root);
}

static void test_user_bad(void)
{
	static const struct {
		const char *spec, *fragment;
	} bad[] = {
		{ "carol", "no user 'carol' in " },
		{ "alice:wheel", "no group 'wheel' in " },
		{ "", "UID|NAME" },
		{ "alice:", "UID|NAME" },
		{ ":staff", "UID|NAME" },
		{ "4294967295", "no user '4294967295'" },
	};
	g_autofree char *root = make_root();
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		uid_t u;
		gid_t g;
		int r = rootfs_user_resolve(root, bad[i].spec, &u, &g, &error);

		expect_usage(r, error, bad[i].spec, bad[i].fragment);
	}
	remove_root(root);
}

/* --user NAME: the groups listing NAME, not its primary one; a number has
 * none */
static void test_user_groups(void)
{
	static const struct {
		const char *spec;
		gid_t gid;
		const char *want;
	} cases[] = {
		{ "alice", 1001, "50 29" }, { "alice:staff", 50, "29" },
		{ "bob", 1002, "29 44" },   { "1000", 1000, "" },
		{ "root", 0, "" },
	};
	g_autofree char *root = make_root();
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GArray) groups = g_array_new(FALSE, FALSE,
						       sizeof(gid_t));
		g_autoptr(GString) got = g_string_new(NULL);

		g_assert_cmpint(rootfs_user_groups(root, cases[i].spec,
						   cases[i].gid, groups),
				==, 0);
		for (j = 0; j < groups->len; j++)
			g_string_append_printf(got, "%s%u", j ? " " : "",
					       g_array_index(groups, gid_t, j));
		g_assert_cmpstr(got->str, ==, cases[i].want);
	}
	remove_root(root);
}

/* A root whose etc/passwd links to the host's /etc/passwd reads its own
 * /etc/passwd (none): the link is resolved inside the root */
static void test_user_link_stays_inside(void)
{
	g_autofree char *root = g_dir_make_tmp("usernet-rootfs-XXXXXX", NULL);
	g_autofree char *etc = g_build_filename(root, "etc", NULL);
	g_autofree char *link = g_build_filename(etc, "passwd", NULL);
	g_autoptr(GError) error = NULL;
	uid_t u;
	gid_t g;

	g_assert_cmpint(g_mkdir(etc, 0755), ==, 0);
	g_assert_cmpint(symlink("/etc/passwd", link), ==, 0);
	/* root is in the host's /etc/passwd, not in this root */
	g_assert_cmpint(rootfs_user_resolve(root, "root", &u, &g, &error), ==,
			-EINVAL);
	g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	g_assert_nonnull(strstr(error->message, "cannot read"));
	g_clear_error(&error);
	/* without a root: the host's files */
	g_assert_cmpint(rootfs_user_resolve(NULL, "root", &u, &g, &error), ==,
			0);
	g_assert_cmpuint(u, ==, 0);
	g_unlink(link);
	g_rmdir(etc);
	g_rmdir(root);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rootfs/volume/ok", test_volume_ok);
	g_test_add_func("/rootfs/volume/bad", test_volume_bad);
	g_test_add_func("/rootfs/user/names", test_user_names);
	g_test_add_func("/rootfs/user/bad", test_user_bad);
	g_test_add_func("/rootfs/user/groups", test_user_groups);
	g_test_add_func("/rootfs/user/link-stays-inside",
			test_user_link_stays_inside);
	return g_test_run();
}
