/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/privport.c - the privileged host port policy and its explanation
 *
 * The kernel decides: binding a port below net.ipv4.ip_unprivileged_port_start
 * of the helper's network namespace needs CAP_NET_BIND_SERVICE in the user
 * namespace owning it. usernet does not guess beforehand; it binds, and when
 * the kernel says EACCES it explains both ways out, with the current value.
 */
#include <errno.h>
#include <string.h>

#include "common/errors.h"
#include "common/util.h"
#include "portfwd/privport.h"

/**
 * privport_unprivileged_start() - net.ipv4.ip_unprivileged_port_start of the
 * caller's network namespace
 *
 * Return: the value, PRIVPORT_DEFAULT_START if it cannot be read
 */
long privport_unprivileged_start(void)
{
	long v;

	if (util_read_sysctl_int(PRIVPORT_SYSCTL, &v))
		return PRIVPORT_DEFAULT_START;
	return v;
}

/**
 * privport_set_error() - explain why host port @port cannot be bound
 * @error:	set to UN_EXIT_PUBLISH with the explanation
 * @port:	host port refused
 * @proto:	"tcp" or "udp"
 * @start:	current net.ipv4.ip_unprivileged_port_start
 */
void privport_set_error(GError **error, uint16_t port, const char *proto,
			long start)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

	g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
		    "cannot publish host port %u/%s: ports below "
		    "net.ipv4.ip_unprivileged_port_start (currently %ld) need "
		    "privilege; either lower it as root "
		    "(sysctl -w net.ipv4.ip_unprivileged_port_start=%u) or grant "
		    "CAP_NET_BIND_SERVICE to usernet "
		    "(setcap cap_net_bind_service=+ep %s)",
		    port, proto, start, port, self ? self : "usernet");
}

/**
 * privport_set_bind_error() - explain a failed bind of a published port
 * @error:	set to UN_EXIT_PUBLISH
 * @err:	positive errno of bind()
 * @port:	host port
 * @proto:	"tcp" or "udp"
 * @addr:	host address as text
 */
void privport_set_bind_error(GError **error, int err, uint16_t port,
			     const char *proto, const char *addr)
{
	switch (err) {
	case EACCES:
	case EPERM:
		privport_set_error(error, port, proto,
				   privport_unprivileged_start());
		break;
	case EADDRINUSE:
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "cannot publish host port %u/%s: address %s:%u is "
			    "already in use",
			    port, proto, addr, port);
		break;
	case EADDRNOTAVAIL:
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "cannot publish host port %u/%s: %s is not an "
			    "address of this host",
			    port, proto, addr);
		break;
	default:
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "cannot publish host port %u/%s on %s: %s", port,
			    proto, addr, strerror(err));
		break;
	}
}
