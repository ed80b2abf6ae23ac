/* SPDX-License-Identifier: GPL-2.0-or-later
 * netns/tap.c - creating or attaching to a tap device (inside the target)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"
#include "netns/tap.h"

/**
 * tap_open() - create the tap device @name, or attach to a persistent one
 * @name:		interface name, shorter than IFNAMSIZ
 * @existed:		set to whether a link of that name existed before
 *			(a persistent tap made by, e.g., RootlessKit)
 * @attach_failed:	on failure, set to false if /dev/net/tun could not be
 *			opened, true if TUNSETIFF failed; may be NULL
 *
 * Runs in the target network namespace. The fd is O_CLOEXEC|O_NONBLOCK, the
 * tap has no packet information header and no virtio-net header.
 *
 * Return: fd, or -errno: from open(), -ENOENT if /dev/net/tun is missing,
 * -EACCES or -EPERM if it is not accessible; from TUNSETIFF, -EBUSY if another
 * process is attached to the tap, -EPERM if it belongs to another user
 */
int tap_open(const char *name, bool *existed, bool *attach_failed)
{
	cleanup_fd int fd = -1;
	struct ifreq ifr;
	size_t len = strlen(name);

	if (attach_failed)
		*attach_failed = false;
	*existed = false;
	if (!len || len >= IFNAMSIZ)
		return -EINVAL;
	*existed = if_nametoindex(name) != 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	/* IFF_VNET_HDR: frames carry a virtio-net header, so that the engine can
	 * turn on checksum and TSO offloads (slirp/engine.c) */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (attach_failed)
			*attach_failed = true;
		return -errno;
	}
	return util_steal_fd(&fd);
}
