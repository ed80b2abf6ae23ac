/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/caps.h - capability sets: the only place usernet changes them
 */
#ifndef CONFINE_CAPS_H
#define CONFINE_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CAPS_BIT(cap) (UINT64_C(1) << (cap))

int caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);
int caps_keep_only(uint64_t keep);
int caps_drop_bounding(uint64_t keep);
int caps_last(void);
uint64_t caps_all(void);
uint64_t caps_default_set(void);
int caps_from_name(const char *name, int *cap);
char *caps_name(int cap);
char *caps_set_to_string(uint64_t set);
char *caps_valid_names(void);
int caps_setup_exec(uint64_t set, uid_t uid, gid_t gid, const gid_t *groups,
		    int n_groups);

#endif /* CONFINE_CAPS_H */
