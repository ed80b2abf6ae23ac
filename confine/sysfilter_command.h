/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_command.h - the default seccomp profile of usernet run (not
 * "seccomp.h": that name is libseccomp's)
 */
#ifndef CONFINE_SYSFILTER_COMMAND_H
#define CONFINE_SYSFILTER_COMMAND_H

#include <stddef.h>

#include <glib.h>

#include "confine/sysfilter.h"

const struct sysfilter_entry *sysfilter_command_profile(size_t *n);
int sysfilter_command_apply(GError **error);

#endif /* CONFINE_SYSFILTER_COMMAND_H */
