/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/caps.h - capability sets: the only place usernet changes them
 */
#ifndef LAUNCHER_CAPS_H
#define LAUNCHER_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#define CAPS_BIT(cap)	(UINT64_C(1) << (cap))

int caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);
int caps_keep_only(uint64_t keep);

#endif /* LAUNCHER_CAPS_H */
