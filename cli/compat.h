/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/compat.h - usernet as a drop-in slirp4netns, and the version lines
 */
#ifndef CLI_COMPAT_H
#define CLI_COMPAT_H

#include <stdbool.h>
#include <stdio.h>

/* The slirp4netns release whose command line, help and API we follow */
#define COMPAT_SLIRP4NETNS_VERSION	"1.2.0"

bool compat_is_slirp4netns(const char *argv0);
int compat_main(int argc, char **argv);
void version_print(FILE *out, bool as_slirp4netns);

#endif /* CLI_COMPAT_H */
