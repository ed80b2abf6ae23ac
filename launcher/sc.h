/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/sc.h - the default seccomp profile of usernet run (not
 * "seccomp.h": that name is libseccomp's)
 */
#ifndef LAUNCHER_SC_H
#define LAUNCHER_SC_H

#include <stddef.h>

#include <glib.h>

#include "scrule.h"

const struct scrule_entry *sc_default_profile(size_t *n);
int sc_apply_default(GError **error);

#endif /* LAUNCHER_SC_H */
