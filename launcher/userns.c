/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/userns.c - uid and gid maps of the launcher's user namespace
 *
 * By default the caller becomes root inside and nobody else exists
 * ("0 UID 1", setgroups denied), which an unprivileged process may write
 * itself. --map-subids adds the caller's /etc/subuid and /etc/subgid ranges
 * from id 1 on; only the setuid helpers newuidmap and newgidmap (package
 * uidmap) may write those, so usernet runs them (the one program usernet
 * executes besides itself).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/util.h"
#include "launcher/userns.h"

/* The first "NAME:START:COUNT" (or "UID:START:COUNT") line of @file for the
 * caller, into @r (inside id 1). Return: 0 or -errno (-ENOENT: none) */
static int userns_subid_range(const char *file, const char *name, uid_t id,
			      struct userns_range *r)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	char idstr[16];
	int i;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return -ENOENT;
	snprintf(idstr, sizeof(idstr), "%u", (unsigned)id);
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i]; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], ":", 3);
		unsigned long start, count;

		if (g_strv_length(f) != 3 ||
		    (strcmp(f[0], name) && strcmp(f[0], idstr)))
			continue;
		if (util_parse_uint(g_strstrip(f[1]), UINT32_MAX, &start) ||
		    util_parse_uint(g_strstrip(f[2]), UINT32_MAX, &count) ||
		    count == 0)
			continue;
		r->inside = 1;
		r->outside = (uint32_t)start;
		r->count = (uint32_t)count;
		return 0;
	}
	return -ENOENT;
}

/* The caller's (@name's) subordinate @kind ("uid", "gid") range, from
 * /etc/sub@kind, into @r. Return: 0 or -ENOENT, with the remedy in @error */
static int userns_plan_subids(const char *kind, const char *name,
			      struct userns_range *r, GError **error)
{
	g_autofree char *file = g_strdup_printf("/etc/sub%s", kind);

	if (!userns_subid_range(file, name, getuid(), r))
		return 0;
	g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
		    "--map-subids: no subordinate %s range for %s in %s (as "
		    "root: usermod --add-sub%ss 100000-165535 %s)",
		    kind, *name ? name : "this user", file, kind,
		    *name ? name : "USER");
	return -ENOENT;
}

/**
 * userns_plan_make() - the maps for the caller
 * @subids:	also map the caller's subordinate ids (--map-subids)
 * @p:		plan to fill
 * @error:	UN_EXIT_USAGE when subordinate ids are asked for but missing
 *
 * Return: 0 or -errno
 */
int userns_plan_make(bool subids, struct userns_plan *p, GError **error)
{
	struct passwd *pw = getpwuid(getuid());
	const char *name = pw ? pw->pw_name : "";

	memset(p, 0, sizeof(*p));
	p->uid[0] = (struct userns_range){ 0, (uint32_t)getuid(), 1 };
	p->gid[0] = (struct userns_range){ 0, (uint32_t)getgid(), 1 };
	p->n = 1;
	if (!subids)
		return 0;
	p->subids = true;
	p->n = 2;
	if (userns_plan_subids("uid", name, &p->uid[1], error) ||
	    userns_plan_subids("gid", name, &p->gid[1], error))
		return -ENOENT;
	return 0;
}

/**
 * userns_plan_to_string() - "0->1001 (1), 1->100000 (65536)"
 * @r:		ranges
 * @n:		how many
 *
 * Return: newly allocated string
 */
char *userns_plan_to_string(const struct userns_range *r, int n)
{
	GString *s = g_string_new(NULL);
	int i;

	for (i = 0; i < n; i++)
		g_string_append_printf(s, "%s%u->%u (%u)", i ? ", " : "",
				       r[i].inside, r[i].outside, r[i].count);
	return g_string_free(s, FALSE);
}

/**
 * userns_plan_maps() - whether id @id exists inside
 * @r:		ranges
 * @n:		how many
 * @id:		id inside
 *
 * Return: true if some range maps it
 */
bool userns_plan_maps(const struct userns_range *r, int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++) {
		if (id >= r[i].inside && id - r[i].inside < r[i].count)
			return true;
	}
	return false;
}

/* Write @text to /proc/PID/@file. Return: 0 or -errno */
static int userns_write(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return util_write_file(path, text);
}

/* Run newuidmap or newgidmap PID ranges...; Return: 0 or -errno */
static int userns_run_helper(const char *prog, pid_t pid,
			     const struct userns_range *r, int n,
			     GError **error)
{
	g_autofree char *path = g_find_program_in_path(prog);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	int status, i;
	pid_t child;

	if (!path) {
		g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
			    "--map-subids needs %s, which is not installed "
			    "(Debian package uidmap)",
			    prog);
		return -ENOENT;
	}
	g_ptr_array_add(argv, g_strdup(path));
	g_ptr_array_add(argv, g_strdup_printf("%d", (int)pid));
	for (i = 0; i < n; i++) {
		g_ptr_array_add(argv, g_strdup_printf("%u", r[i].inside));
		g_ptr_array_add(argv, g_strdup_printf("%u", r[i].outside));
		g_ptr_array_add(argv, g_strdup_printf("%u", r[i].count));
	}
	g_ptr_array_add(argv, NULL);

	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		execv(path, (char **)argv->pdata);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "%s failed (see its message above): check the "
			    "ranges in /etc/sub%cid",
			    prog, prog[3] == 'u' ? 'u' : 'g');
		return -EPERM;
	}
	return 0;
}

/**
 * userns_apply() - write the maps of the user namespace of @pid
 * @pid:	a process that has just made its user namespace
 * @p:		the plan
 * @error:	set on failure
 *
 * Return: 0 or -errno
 */
int userns_apply(pid_t pid, const struct userns_plan *p, GError **error)
{
	char line[64];
	int r;

	if (p->subids) {
		r = userns_run_helper("newuidmap", pid, p->uid, p->n, error);
		if (!r)
			r = userns_run_helper("newgidmap", pid, p->gid, p->n,
					      error);
		return r;
	}
	snprintf(line, sizeof(line), "0 %u 1\n", p->uid[0].outside);
	r = userns_write(pid, "uid_map", line);
	if (!r)
		r = userns_write(pid, "setgroups", "deny");
	if (!r) {
		snprintf(line, sizeof(line), "0 %u 1\n", p->gid[0].outside);
		r = userns_write(pid, "gid_map", line);
	}
	if (r)
		g_set_error(error, UN_ERROR, UN_EXIT_FAILURE,
			    "cannot write the id maps of the new user "
			    "namespace: %s",
			    g_strerror(-r));
	return r;
}
