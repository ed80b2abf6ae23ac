/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/isolate.h - staged self-isolation of the network helper
 */
#ifndef CONFINE_ISOLATE_H
#define CONFINE_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/**
 * struct isolate_cfg - what the helper asks of isolate_apply()
 * @sandbox:	--enable-sandbox: mount namespace and an empty root
 * @seccomp:	--enable-seccomp: the helper's seccomp allowlist, last
 * @userns_fd:	user namespace of the target, joined when the sandbox needs
 *		privilege the helper lacks (slirp4netns's way), or -1
 * @api_socket:	path of the API socket, or NULL (its directory stays
 *		writable for the unlink at exit where Landlock confines)
 * @api_dirfd:	O_PATH fd of the API socket's directory, or -1: after
 *		pivot_root, Landlock allows removing files beneath it only
 * @capture_dirfd: O_PATH fd of the directory of --pcap, or -1: files may
 *		be created and renamed there (rotation) where Landlock
 *		confines
 * @agent_pidfd: pidfd of the namespace agent, or -1: the only pidfd the
 *		seccomp filter lets SIGKILL go through
 */
struct isolate_cfg {
	bool sandbox;
	bool seccomp;
	int userns_fd;
	const char *api_socket;
	int api_dirfd;
	int capture_dirfd;
	int agent_pidfd;
};

int isolate_fds(const int *keep, size_t n);
bool isolate_bind_cap_useful(void);
int isolate_caps_early(bool sandbox);
int isolate_sandbox(const struct isolate_cfg *cfg, bool *keep_bind,
		    GError **error);
int isolate_caps_final(bool keep_bind, GError **error);
int isolate_nodump(void);
int isolate_prctl(GError **error);
int isolate_seccomp(int agent_pidfd, GError **error);
int isolate_apply(const struct isolate_cfg *cfg, GError **error);

#endif /* CONFINE_ISOLATE_H */
