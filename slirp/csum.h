/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/csum.h - the Internet checksum of the frames usernet completes or
 * makes itself
 */
#ifndef SLIRP_CSUM_H
#define SLIRP_CSUM_H

#include <stddef.h>
#include <stdint.h>

uint64_t sl_csum_add(uint64_t sum, const uint8_t *p, size_t len);
uint16_t sl_csum_fold(uint64_t sum);
void sl_csum_ip4_header(uint8_t *ip);

#endif /* SLIRP_CSUM_H */
