/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/hsc.h - the seccomp allowlist of the network helper (usernet
 * attach), applied as its last isolation stage
 */
#ifndef LAUNCHER_HSC_H
#define LAUNCHER_HSC_H

#include <stddef.h>

#include <glib.h>

#include "scrule.h"

const struct scrule_entry *hsc_allowlist(size_t *n);
int hsc_apply(int kill_pidfd, GError **error);
const struct scrule_entry *hsc_agent_allowlist(size_t *n);
int hsc_agent_apply(void);

#endif /* LAUNCHER_HSC_H */
