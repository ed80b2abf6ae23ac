/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter.c - what usernet's two seccomp lists share: adding a
 * reviewed list of system calls, with its argument-filtered specials, to a
 * libseccomp filter (confine/sysfilter_command.c: usernet run's denylist; confine/sysfilter_helper.c:
 * the helper's allowlist)
 */
#include <errno.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "confine/sysfilter.h"

/**
 * sysfilter_set_attrs() - the filter attributes both lists want
 * @ctx:	filter
 *
 * Any ABI not added to the filter kills rather than running unfiltered
 * (older kernels lack KILL_PROCESS: libseccomp's default kills the thread);
 * no_new_privs is the caller's to check, not libseccomp's to set; threads, if
 * any, get the filter too (or loading fails); seccomp_load() returns the
 * kernel's errno, not -ECANCELED.
 */
void sysfilter_set_attrs(scmp_filter_ctx ctx)
{
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
}

/* The special of @name in @l, NULL if its line covers every call */
static const struct sysfilter_special *sysfilter_special(const struct sysfilter_list *l,
						   const char *name)
{
	size_t i;

	for (i = 0; i < l->n_specials; i++) {
		if (!strcmp(l->specials[i].name, name))
			return &l->specials[i];
	}
	return NULL;
}

/* Add the rules of one line; a name libseccomp does not know (or, native
 * only, a call this ABI lacks) is skipped: the list then filters less for a
 * denylist, allows less for an allowlist */
static int sysfilter_add(scmp_filter_ctx ctx, const struct sysfilter_list *l,
		      const struct sysfilter_entry *e)
{
	const struct sysfilter_special *s = sysfilter_special(l, e->name);
	int nr = seccomp_syscall_resolve_name(e->name);
	uint32_t action = s && s->err ? SCMP_ACT_ERRNO(s->err) : l->action;

	if (nr == __NR_SCMP_ERROR || (nr < 0 && l->native_only)) {
		log_debug("seccomp: %s unknown here, not in %s", e->name,
			  l->what);
		return 0;
	}
	if (s && s->add)
		return s->add(ctx, nr, action);
	return seccomp_rule_add(ctx, action, nr, 0);
}

/**
 * sysfilter_add_list() - add every line of a reviewed list to a filter
 * @ctx:	filter
 * @l:		the list
 * @error:	set on failure, naming the call and @l->what
 *
 * Return: 0 or -errno
 */
int sysfilter_add_list(scmp_filter_ctx ctx, const struct sysfilter_list *l,
		    GError **error)
{
	size_t i;
	int r;

	for (i = 0; i < l->n; i++) {
		r = sysfilter_add(ctx, l, &l->entries[i]);
		if (r < 0)
			return error_set(error, UN_EXIT_FAILURE, r,
				       "cannot add the rule for %s to %s: %s",
				       l->entries[i].name, l->what,
				       g_strerror(-r));
	}
	return 0;
}

/**
 * sysfilter_listed() - whether a list has a line for a system call
 * @entries:	the lines
 * @n:		number of lines
 * @name:	system call
 *
 * Return: true if @name is listed
 */
bool sysfilter_listed(const struct sysfilter_entry *entries, size_t n,
		   const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(entries[i].name, name))
			return true;
	}
	return false;
}
