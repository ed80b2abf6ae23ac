/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/tap.h - opening a tap device (run inside the target namespace)
 */
#ifndef NETNS_TAP_H
#define NETNS_TAP_H

#include <stdbool.h>

int tap_open(const char *name, bool *existed, bool *attach_failed);

#endif /* NETNS_TAP_H */
