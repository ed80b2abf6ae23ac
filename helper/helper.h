/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/helper.h - the network helper: `usernet attach`, and the drop-in
 * slirp4netns (helper/slirp4netns.c); its command line is helper/options.h
 */
#ifndef HELPER_HELPER_H
#define HELPER_HELPER_H

#include <stdbool.h>

#include "helper/options.h"

int helper_main(int argc, char **argv, bool as_slirp4netns);
int helper_run(const struct helper_opts *o);

#endif /* HELPER_HELPER_H */
