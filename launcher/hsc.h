/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/hsc.h - the seccomp allowlist of the network helper (usernet
 * attach), applied as its last isolation stage
 */
#ifndef LAUNCHER_HSC_H
#define LAUNCHER_HSC_H

#include <stddef.h>

#include <glib.h>

/**
 * struct hsc_entry - one line of the reviewed allowlist
 * (docs/HELPER-SECCOMP.md)
 * @name:	system call, as libseccomp names it
 * @reason:	who needs it after start-up; starts with "only ..." when only
 *		some arguments are allowed
 */
struct hsc_entry {
	const char *name;
	const char *reason;
};

const struct hsc_entry *hsc_allowlist(size_t *n);
void hsc_set_capture_dirfd(int fd);
int hsc_apply(GError **error);

#endif /* LAUNCHER_HSC_H */
