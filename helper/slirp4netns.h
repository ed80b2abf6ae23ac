/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/slirp4netns.h - usernet as a drop-in slirp4netns
 */
#ifndef HELPER_SLIRP4NETNS_H
#define HELPER_SLIRP4NETNS_H

#include <stdbool.h>

/* The slirp4netns release whose command line, help and API we follow */
#define SLIRP4NETNS_COMPAT_VERSION "1.2.0"

bool slirp4netns_is_argv0(const char *argv0);
int slirp4netns_main(int argc, char **argv);

#endif /* HELPER_SLIRP4NETNS_H */
