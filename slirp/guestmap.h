/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/guestmap.h - one IPv4 address of the guest's that leads to another
 * (pasta's --map-guest-addr: an address that reaches the host)
 */
#ifndef SLIRP_GUESTMAP_H
#define SLIRP_GUESTMAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flows remembered per protocol; beyond it new ones wait for idle ones */
#define SL_GUESTMAP_FLOWS_MAX 4096
/* A flow idle this long may be forgotten when the table is full */
#define SL_GUESTMAP_IDLE_S 300

struct sl_guestmap;

struct sl_guestmap *sl_guestmap_new(struct in_addr alias,
				    struct in_addr target);
void sl_guestmap_free(struct sl_guestmap *m);
bool sl_guestmap_out(struct sl_guestmap *m, uint8_t *frame, size_t len);
bool sl_guestmap_in_wants(const struct sl_guestmap *m, const uint8_t *frame,
			  size_t len);
void sl_guestmap_in(struct sl_guestmap *m, uint8_t *frame, size_t len);

#endif /* SLIRP_GUESTMAP_H */
