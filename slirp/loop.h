/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/loop.h - the single-threaded event loop: tap, libslirp's sockets
 * and timers, and the fds other subsystems watch
 */
#ifndef SLIRP_LOOP_H
#define SLIRP_LOOP_H

#include "slirp/engine.h"

struct sl_loop;

typedef void (*sl_loop_fd_cb)(struct sl_loop *l, int fd, short revents,
			      void *opaque);
typedef void (*sl_loop_tick_cb)(struct sl_loop *l, void *opaque);

struct sl_loop *sl_loop_new(struct sl_engine *e);
void sl_loop_free(struct sl_loop *l);
void sl_loop_watch_fd(struct sl_loop *l, int fd, short events, sl_loop_fd_cb cb,
		      void *opaque);
void sl_loop_unwatch_fd(struct sl_loop *l, int fd);
void sl_loop_every(struct sl_loop *l, unsigned interval_ms, sl_loop_tick_cb cb,
		   void *opaque);
void sl_loop_quit(struct sl_loop *l, int status);
int sl_loop_run(struct sl_loop *l);

#endif /* SLIRP_LOOP_H */
