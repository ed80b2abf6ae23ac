/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/csum.c - the Internet checksum of the frames usernet completes or
 * makes itself (offloaded guest segments, DNS answers, resets)
 */
#include <stdint.h>
#include <string.h>

#include "slirp/csum.h"

/**
 * sl_csum_add() - one's complement sum of @len bytes at @p in host order,
 * 32-bit words added into 64 bits (no carry to track below 2^32 words); the
 * folded result (sl_csum_fold()) stored back in host order is the Internet
 * checksum
 * @sum:	sum so far (0 to start; every chunk but the last of even length)
 * @p:		bytes
 * @len:	their number
 *
 * Return: the new sum
 */
uint64_t sl_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, v;

	for (; len >= 16; len -= 16, p += 16) {
		memcpy(&v, p, 8);
		a += (v & 0xffffffff) + (v >> 32);
		memcpy(&v, p + 8, 8);
		b += (v & 0xffffffff) + (v >> 32);
	}
	for (; len >= 4; len -= 4, p += 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		a += w;
	}
	if (len) {
		uint32_t t = 0;

		memcpy(&t, p, len);
		a += t;
	}
	return sum + a + b;
}

/**
 * sl_csum_fold() - fold a sum of sl_csum_add() to 16 bits
 * @sum:	the sum
 *
 * Return: the folded sum (its complement is the checksum)
 */
uint16_t sl_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * sl_csum_ip4_header() - fill the checksum of the 20-byte IPv4 header at @ip
 * (options are never used by the frames we make)
 * @ip:		the header, its checksum field zero
 */
void sl_csum_ip4_header(uint8_t *ip)
{
	uint16_t c = (uint16_t)~sl_csum_fold(sl_csum_add(0, ip, 20));

	memcpy(ip + 10, &c, 2);
}
