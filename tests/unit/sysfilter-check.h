/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/sysfilter-check.h - the checks both reviewed seccomp lists must
 * pass (confine/sysfilter.h), shared by test-sysfilter-command.c and test-sysfilter-helper.c
 */
#ifndef TESTS_SCRULE_CHECK_H
#define TESTS_SCRULE_CHECK_H

#include <string.h>
#include <glib.h>
#include <seccomp.h>

#include "confine/sysfilter.h"

/*
 * sysfilter_check_list() - every line has a name libseccomp knows and a reason,
 * and no call is listed twice. A name libseccomp cannot resolve would be
 * skipped silently: a typo would go unnoticed. @native: every name must also
 * be a call of this ABI (an allowlist of the native ABI only; checked on
 * x86_64, where the list was measured); otherwise a negative pseudo number
 * ("not on this ABI, filtered on the others") is fine.
 */
static inline void sysfilter_check_list(const struct sysfilter_entry *e,
					size_t n, gboolean native)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	size_t i;

	g_assert_nonnull(e);
	g_assert_cmpuint(n, >, 0);
	for (i = 0; i < n; i++) {
		int nr;

		g_assert_nonnull(e[i].name);
		g_assert_cmpstr(e[i].name, !=, "");
		g_assert_nonnull(e[i].reason);
		g_assert_cmpuint(strlen(e[i].reason), >, 10);
		if (!g_hash_table_add(seen, (gpointer)e[i].name))
			g_error("%s is listed twice", e[i].name);
		nr = seccomp_syscall_resolve_name(e[i].name);
		if (nr == __NR_SCMP_ERROR)
			g_error("libseccomp does not know %s", e[i].name);
#if defined(__x86_64__) && !defined(__ILP32__)
		if (nr < 0 && native)
			g_error("%s is not an x86_64 system call", e[i].name);
#endif
		if (nr < 0)
			g_test_message("%s: not on this ABI", e[i].name);
	}
}

#endif /* TESTS_SCRULE_CHECK_H */
