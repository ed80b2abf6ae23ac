/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/caps.c - capability sets: the only place usernet changes them
 *
 * Raw capget/capset (as bubblewrap, crun and passt do); libcap is only used
 * for names.
 */
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <glib.h>

#include "common/util.h"
#include "confine/caps.h"

/**
 * caps_get() - this thread's capability sets
 * @effective:	out, may be NULL
 * @permitted:	out, may be NULL
 * @inheritable: out, may be NULL
 *
 * Return: 0 or -errno
 */
int caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	if (effective)
		*effective = d[0].effective | (uint64_t)d[1].effective << 32;
	if (permitted)
		*permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	if (inheritable)
		*inheritable = d[0].inheritable | (uint64_t)d[1].inheritable
							  << 32;
	return 0;
}

/**
 * caps_keep_only() - drop every capability not in @keep from the effective,
 * permitted and inheritable sets, and clear the ambient set
 * @keep:	capabilities to keep where they are permitted now
 *
 * Should: be called once set-up that needs more (joining namespaces) is
 * done. Mustn't: add anything: a capability not permitted now stays out.
 *
 * Return: 0 or -errno
 */
int caps_keep_only(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };
	uint64_t prm = 0;
	int r;

	r = caps_get(NULL, &prm, NULL);
	if (r < 0)
		return r;
	prm &= keep;
	d[0].permitted = d[0].effective = (uint32_t)prm;
	d[1].permitted = d[1].effective = (uint32_t)(prm >> 32);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	return 0;
}

/**
 * caps_drop_bounding() - drop every capability not in @keep from the
 * bounding set
 * @keep:	capabilities to leave in the bounding set
 *
 * Should: run while CAP_SETPCAP is effective (root of a user namespace the
 * caller joined or made), before caps_keep_only() drops it. Mustn't: stop at
 * the first capability the kernel does not know (EINVAL is skipped).
 *
 * Return: 0, or -EPERM without CAP_SETPCAP (the set is then unchanged), or
 * another -errno
 */
int caps_drop_bounding(uint64_t keep)
{
	int cap, last = caps_last();

	for (cap = 0; cap <= last; cap++) {
		if (keep & CAPS_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/**
 * caps_last() - highest capability number this kernel knows
 *
 * Return: /proc/sys/kernel/cap_last_cap, or CAP_LAST_CAP if unreadable
 */
int caps_last(void)
{
	long v;

	if (util_read_sysctl_int("/proc/sys/kernel/cap_last_cap", &v) ||
	    v < 0 || v > 63)
		return CAP_LAST_CAP;
	return (int)v;
}

/**
 * caps_all() - every capability this kernel knows
 *
 * Return: the set
 */
uint64_t caps_all(void)
{
	int last = caps_last();

	return last >= 63 ? ~UINT64_C(0) : (CAPS_BIT(last + 1) - 1);
}

/**
 * caps_default_set() - the capabilities a command gets by default: Podman's
 *
 * Return: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE,
 * SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT
 */
uint64_t caps_default_set(void)
{
	return CAPS_BIT(CAP_CHOWN) | CAPS_BIT(CAP_DAC_OVERRIDE) |
	       CAPS_BIT(CAP_FOWNER) | CAPS_BIT(CAP_FSETID) |
	       CAPS_BIT(CAP_KILL) | CAPS_BIT(CAP_NET_BIND_SERVICE) |
	       CAPS_BIT(CAP_SETFCAP) | CAPS_BIT(CAP_SETGID) |
	       CAPS_BIT(CAP_SETPCAP) | CAPS_BIT(CAP_SETUID) |
	       CAPS_BIT(CAP_SYS_CHROOT);
}

/**
 * caps_from_name() - capability number of @name
 * @name:	"NET_ADMIN", "cap_net_admin", "CAP_NET_ADMIN": with or without
 *		the prefix, any case ("ALL" is the caller's business)
 * @cap:	out: the number
 *
 * Return: 0, or -EINVAL for a name this kernel does not know
 */
int caps_from_name(const char *name, int *cap)
{
	g_autofree char *lower = g_ascii_strdown(name, -1);
	g_autofree char *full = NULL;
	cap_value_t v;

	if (!*lower)
		return -EINVAL;
	full = g_str_has_prefix(lower, "cap_") ?
		       g_strdup(lower) :
		       g_strconcat("cap_", lower, NULL);
	if (cap_from_name(full, &v) || v < 0 || v > caps_last())
		return -EINVAL;
	*cap = v;
	return 0;
}

/**
 * caps_name() - "CAP_NET_ADMIN" for @cap
 * @cap:	capability number
 *
 * Return: newly allocated upper-case name
 */
char *caps_name(int cap)
{
	char *n = cap_to_name((cap_value_t)cap);
	char *r = g_ascii_strup(n ? n : "?", -1);

	cap_free(n);
	return r;
}

/**
 * caps_set_to_string() - "CAP_CHOWN, CAP_KILL" (or "none")
 * @set:	capability set
 *
 * Return: newly allocated string
 */
char *caps_set_to_string(uint64_t set)
{
	GString *s = g_string_new(NULL);
	int cap;

	for (cap = 0; cap <= caps_last(); cap++) {
		g_autofree char *n = NULL;

		if (!(set & CAPS_BIT(cap)))
			continue;
		n = caps_name(cap);
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", n);
	}
	if (!s->len)
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/**
 * caps_valid_names() - every name this kernel knows, for error messages
 *
 * Return: newly allocated "CHOWN, DAC_OVERRIDE, ..." (without the prefix)
 */
char *caps_valid_names(void)
{
	g_autofree char *all = caps_set_to_string(caps_all());
	GString *s = g_string_new(NULL);
	gchar **names = g_strsplit(all, ", ", -1);
	int i;

	for (i = 0; names[i]; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       names[i] + strlen("CAP_"));
	g_strfreev(names);
	return g_string_free(s, FALSE);
}

/**
 * caps_setup_exec() - give the command exactly @set: bounding, permitted,
 * effective and inheritable sets, and the ambient set for a non-root user
 * @set:	capabilities of the command
 * @uid:	user to become inside the user namespace
 * @gid:	its group
 * @groups:	supplementary groups to set (setgroups())
 * @n_groups:	how many; -1: leave them (not possible to change when the user
 *		namespace was made with setgroups denied), 0: drop them all
 *
 * Should: run in the command's process right before no_new_privs, seccomp
 * and execve, as root of the new user namespace. Mustn't: leave any
 * capability outside @set in any of the five sets.
 *
 * After execve, root gets @set from the bounding set; another user keeps it
 * through the ambient set.
 *
 * Return: 0 or -errno
 */
int caps_setup_exec(uint64_t set, uid_t uid, gid_t gid, const gid_t *groups,
		    int n_groups)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };
	int cap, last = caps_last();

	for (cap = 0; cap <= last; cap++) {
		if (!(set & CAPS_BIT(cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	if (uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (n_groups >= 0 && setgroups((size_t)n_groups, groups))
		return -errno;
	if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;

	d[0].permitted = d[0].effective = d[0].inheritable = (uint32_t)set;
	d[1].permitted = d[1].effective = d[1].inheritable = (uint32_t)(set >>
									32);
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	if (uid != 0) {
		for (cap = 0; cap <= last; cap++) {
			if ((set & CAPS_BIT(cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0,
				  0))
				return -errno;
		}
	}
	return 0;
}
