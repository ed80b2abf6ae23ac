/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/rootfs.h - `usernet run --rootfs`: the command's root (pivot_root,
 * /dev, /proc, /sys, /tmp, /etc files, volumes), --user names, --workdir
 */
#ifndef LAUNCHER_ROOTFS_H
#define LAUNCHER_ROOTFS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <glib.h>

struct run_opts;

/**
 * struct rootfs_volume - one --volume HOST:DEST[:ro|rw]
 * @host:	absolute path on the host, symbolic links resolved
 * @dest:	absolute path inside the root, no "." or ".." component
 * @ro:		read-only (every mount of the bound tree)
 */
struct rootfs_volume {
	char *host;
	char *dest;
	bool ro;
};

int rootfs_volume_parse(const char *spec, struct rootfs_volume **out,
			GError **error);
void rootfs_volume_free(struct rootfs_volume *v);
int rootfs_user_groups(const char *root, const char *spec, gid_t gid,
		       GArray *groups);
int rootfs_user_resolve(const char *root, const char *spec, uid_t *uid,
			gid_t *gid, GError **error);
char *rootfs_resolv_conf_text(const struct run_opts *o);
int rootfs_enter(const struct run_opts *o, GError **error);
void rootfs_display(const struct run_opts *o, FILE *out);

#endif /* LAUNCHER_ROOTFS_H */
