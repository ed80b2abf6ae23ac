/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter.h - what usernet's seccomp filters share: a reviewed list
 * of {system call, reason} lines, argument-filtered specials, adding them to
 * a libseccomp filter, and the one loader that builds and loads a filter
 */
#ifndef CONFINE_SYSFILTER_H
#define CONFINE_SYSFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include <glib.h>
#include <linux/filter.h>
#include <seccomp.h>

/**
 * struct sysfilter_entry - one line of a reviewed list (docs/SECCOMP.md for
 * usernet run's profile, docs/HELPER-SECCOMP.md for the helper's allowlist)
 * @name:	system call, as libseccomp names it
 * @reason:	why it is listed; starts with the condition when only some
 *		arguments are concerned
 */
struct sysfilter_entry {
	const char *name;
	const char *reason;
};

/**
 * struct sysfilter_special - a line of the list that is not "every call"
 * @name:	as in the list
 * @err:	errno of the action instead of the list's, or 0
 * @add:	adds the rules for the listed arguments with @action; NULL:
 *		every call, with @err
 */
struct sysfilter_special {
	const char *name;
	int err;
	int (*add)(scmp_filter_ctx ctx, int nr, uint32_t action);
};

/**
 * struct sysfilter_list - a reviewed list and how to add it to a filter
 * @entries:	the lines
 * @n:		number of lines
 * @specials:	the lines with argument conditions or another errno
 * @n_specials:	number of specials
 * @action:	action of the rules (SCMP_ACT_ERRNO(EPERM), SCMP_ACT_ALLOW)
 * @native_only: the filter has the native ABI only: a call it lacks (a
 *		negative pseudo number) is skipped rather than left to
 *		libseccomp for the other ABIs
 * @what:	the filter, for messages ("the seccomp profile")
 */
struct sysfilter_list {
	const struct sysfilter_entry *entries;
	size_t n;
	const struct sysfilter_special *specials;
	size_t n_specials;
	uint32_t action;
	bool native_only;
	const char *what;
};

/**
 * struct sysfilter_arch - an ABI added to a filter besides the native one
 * @token:	SCMP_ARCH_*
 * @name:	for messages
 */
struct sysfilter_arch {
	uint32_t token;
	const char *name;
};

/**
 * struct sysfilter_program - a whole filter, as sysfilter_load() builds it
 * @default_action: what a call that no rule matches gets
 *		(SCMP_ACT_ALLOW for a denylist, SCMP_ACT_KILL_PROCESS for an
 *		allowlist)
 * @arches:	ABIs added besides the native one, up to a NULL @name; NULL
 *		for the native ABI only
 * @optimize:	build a binary search tree of the rules rather than a linear
 *		list (long allowlists)
 * @lists:	the reviewed lists, added in turn (their @what names the
 *		filter in messages: the first one's is used for the others)
 * @n_lists:	number of lists
 * @load_hint:	appended to the message when the kernel refuses the filter,
 *		"" for none
 */
struct sysfilter_program {
	uint32_t default_action;
	const struct sysfilter_arch *arches;
	bool optimize;
	const struct sysfilter_list *lists;
	size_t n_lists;
	const char *load_hint;
};

int sysfilter_add_list(scmp_filter_ctx ctx, const struct sysfilter_list *l,
		       GError **error);
bool sysfilter_listed(const struct sysfilter_entry *entries, size_t n,
		      const char *name);
int sysfilter_load(const struct sysfilter_program *p, GError **error);
ssize_t sysfilter_export(const struct sysfilter_program *p,
			 struct sock_filter *insns, size_t max, GError **error);

#endif /* CONFINE_SYSFILTER_H */
