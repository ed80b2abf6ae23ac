/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/sc.h - the default seccomp profile of usernet run (not
 * "seccomp.h": that name is libseccomp's)
 */
#ifndef LAUNCHER_SC_H
#define LAUNCHER_SC_H

#include <stddef.h>

#include <glib.h>

/**
 * struct sc_entry - one line of the reviewed list (docs/SECCOMP.md)
 * @name:	system call, as libseccomp names it
 * @reason:	why it is refused; starts with the condition when only some
 *		arguments are refused, and names the errno when it is not EPERM
 */
struct sc_entry {
	const char *name;
	const char *reason;
};

const struct sc_entry *sc_default_profile(size_t *n);
int sc_apply_default(GError **error);

#endif /* LAUNCHER_SC_H */
