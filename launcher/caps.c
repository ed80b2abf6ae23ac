/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/caps.c - capability sets: the only place usernet changes them
 *
 * Raw capget/capset (as bubblewrap, crun and passt do); libcap is only used
 * for names.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

/**
 * caps_get() - this thread's capability sets
 * @effective:	out, may be NULL
 * @permitted:	out, may be NULL
 * @inheritable: out, may be NULL
 *
 * Return: 0 or -errno
 */
int caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	if (effective)
		*effective = d[0].effective | (uint64_t)d[1].effective << 32;
	if (permitted)
		*permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	if (inheritable)
		*inheritable = d[0].inheritable |
			       (uint64_t)d[1].inheritable << 32;
	return 0;
}

/**
 * caps_keep_only() - drop every capability not in @keep from the effective,
 * permitted and inheritable sets, and clear the ambient set
 * @keep:	capabilities to keep where they are permitted now
 *
 * Should: be called once set-up that needs more (joining namespaces) is
 * done. Mustn't: add anything: a capability not permitted now stays out.
 *
 * Return: 0 or -errno
 */
int caps_keep_only(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };
	uint64_t prm;
	int r;

	r = caps_get(NULL, &prm, NULL);
	if (r < 0)
		return r;
	prm &= keep;
	d[0].permitted = d[0].effective = (uint32_t)prm;
	d[1].permitted = d[1].effective = (uint32_t)(prm >> 32);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	return 0;
}
