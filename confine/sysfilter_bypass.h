/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter_bypass.h - usernet run --bypass: the command's
 * user-notification filter and the kernel probe
 */
#ifndef CONFINE_SYSFILTER_BYPASS_H
#define CONFINE_SYSFILTER_BYPASS_H

#include <glib.h>

#include "confine/sysfilter.h"

/* Test hook: set to 1, sysfilter_bypass_probe() reports the kernel unfit
 * (tests/integration/run-bypass.bats simulates an old kernel with it) */
#define SYSFILTER_BYPASS_TEST_ENV "USERNET_TEST_BYPASS_NO_SETFD"

int sysfilter_bypass_probe(void);
int sysfilter_bypass_apply(int *listener, GError **error);
int sysfilter_bypass_handler_apply(GError **error);
const struct sysfilter_entry *sysfilter_bypass_handler_allowlist(size_t *n);

#endif /* CONFINE_SYSFILTER_BYPASS_H */
