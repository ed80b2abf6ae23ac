/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/bypass.h - usernet run --bypass: the launcher's part (the
 * channel from the command to the helper, the kernel check, --display)
 */
#ifndef LAUNCHER_BYPASS_H
#define LAUNCHER_BYPASS_H

#include <stdio.h>

#include <glib.h>

#include "launcher/run.h"

/* The fd number of the channel in the helper (after ready 3 and exit 4) */
#define RUN_BYPASS_HELPER_FD 5

int run_bypass_open(struct run_opts *o);
void run_bypass_close(struct run_opts *o);
int run_bypass_send(const struct run_opts *o, GError **error);
void run_bypass_display(const struct run_opts *o, FILE *out);

#endif /* LAUNCHER_BYPASS_H */
