/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/ns.h - naming and opening the target namespaces
 */
#ifndef NETNS_NS_H
#define NETNS_NS_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

enum ns_target_type {
	NS_TARGET_PID,
	NS_TARGET_PATH,
};

/**
 * struct ns_target - what the user named as the namespace to attach to
 * @type:		by PID or by path
 * @pid:		for NS_TARGET_PID
 * @netns_path:		for NS_TARGET_PATH: a netns file (bind mount or /proc/PID/ns/net)
 * @userns_path:	optional user namespace to join first (NULL: for a
 *			PID, /proc/PID/ns/user when it is not ours; for a path, none)
 */
struct ns_target {
	enum ns_target_type type;
	pid_t pid;
	char *netns_path;
	char *userns_path;
};

/**
 * struct ns_fds - open namespace files of a target
 * @netns:	O_RDONLY|O_CLOEXEC fd of the network namespace
 * @userns:	fd of the user namespace to join before it, or -1 if none
 * @pidfd:	pidfd of the target process (NS_TARGET_PID), or -1
 * @netns_dev:	st_dev of the netns file, to notice a path that changes
 * @netns_ino:	st_ino of the netns file
 */
struct ns_fds {
	int netns;
	int userns;
	int pidfd;
	dev_t netns_dev;
	ino_t netns_ino;
};

int ns_fds_open(const struct ns_target *t, struct ns_fds *out, GError **error);
void ns_fds_close(struct ns_fds *f);
int ns_enter(const struct ns_fds *f);
bool ns_path_still_same(const char *path, const struct ns_fds *f);

#endif /* NETNS_NS_H */
