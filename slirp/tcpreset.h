/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/tcpreset.h - the TCP connections crossing the tap, followed closely
 * enough to reset them toward the guest when the helper stops
 */
#ifndef SLIRP_TCPRESET_H
#define SLIRP_TCPRESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_rst;

struct sl_rst *sl_rst_new(int64_t now_ms);
void sl_rst_free(struct sl_rst *r);
void sl_rst_clock(struct sl_rst *r, int64_t now_ms);
void sl_rst_frame(struct sl_rst *r, const uint8_t *f, size_t len,
		  bool to_guest);
unsigned sl_rst_all(struct sl_rst *r,
		    void (*send)(const uint8_t *f, size_t len, void *opaque),
		    void *opaque);

#endif /* SLIRP_TCPRESET_H */
