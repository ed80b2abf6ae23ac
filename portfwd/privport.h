/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/privport.h - the privileged host port policy and its explanation
 */
#ifndef PORTFWD_PRIVPORT_H
#define PORTFWD_PRIVPORT_H

#include <stdint.h>
#include <glib.h>

#define PRIVPORT_SYSCTL "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define PRIVPORT_DEFAULT_START 1024

long privport_unprivileged_start(void);
void privport_set_error(GError **error, uint16_t port, const char *proto,
			long start);
void privport_set_bind_error(GError **error, int err, uint16_t port,
			     const char *proto, const char *addr);

#endif /* PORTFWD_PRIVPORT_H */
