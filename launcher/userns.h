/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/userns.h - uid and gid maps of the launcher's user namespace
 */
#ifndef LAUNCHER_USERNS_H
#define LAUNCHER_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

/**
 * struct userns_range - one line of a uid_map or gid_map
 * @inside:	first id inside
 * @outside:	first id outside
 * @count:	number of ids
 */
struct userns_range {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

/**
 * struct userns_plan - the maps to write
 * @uid:	uid ranges
 * @gid:	gid ranges
 * @n:		ranges in each (1: the caller as root; 2: plus subordinate ids)
 * @subids:	written by newuidmap/newgidmap (setgroups stays allowed)
 */
struct userns_plan {
	struct userns_range uid[2];
	struct userns_range gid[2];
	int n;
	bool subids;
};

int userns_plan_make(bool subids, struct userns_plan *p, GError **error);
int userns_apply(pid_t pid, const struct userns_plan *p, GError **error);
char *userns_plan_to_string(const struct userns_range *r, int n);
bool userns_plan_maps(const struct userns_range *r, int n, uint32_t id);

#endif /* LAUNCHER_USERNS_H */
