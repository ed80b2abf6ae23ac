/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/loop.c - the single-threaded event loop: tap, libslirp's sockets
 * and timers, and the fds other subsystems watch
 *
 * One iteration: build the pollfd array (watched fds first, then the tap,
 * then libslirp's sockets), poll until the nearest deadline, dispatch the
 * watched fds, drain the tap in a batch, let libslirp handle its sockets and
 * TCP timers, fire libslirp's timers and our periodic ticks.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "slirp/loop.h"

/**
 * struct sl_watch - an fd watched for a subsystem
 * @fd:		fd, -1 once unwatched (removed after the iteration)
 * @events:	poll events
 * @cb:		called with the revents
 * @opaque:	callback argument
 */
struct sl_watch {
	int fd;
	short events;
	sl_loop_fd_cb cb;
	void *opaque;
};

/**
 * struct sl_tick - a periodic callback
 * @interval_ms:	period
 * @next_ms:		next due time, CLOCK_MONOTONIC milliseconds
 * @cb:			callback
 * @opaque:		callback argument
 */
struct sl_tick {
	unsigned interval_ms;
	int64_t next_ms;
	sl_loop_tick_cb cb;
	void *opaque;
};

/**
 * struct sl_loop - event loop state
 * @engine:	libslirp and its tap
 * @watches:	struct sl_watch
 * @ticks:	struct sl_tick
 * @pollfds:	struct pollfd, rebuilt every iteration
 * @quit:	set by sl_loop_quit()
 * @status:	value sl_loop_run() returns
 */
struct sl_loop {
	struct sl_engine *engine;
	GArray *watches;
	GArray *ticks;
	GArray *pollfds;
	bool quit;
	int status;
};

/**
 * sl_loop_new() - a loop serving @e
 * @e:		engine whose tap and sockets are polled (not owned)
 *
 * Return: the loop
 */
struct sl_loop *sl_loop_new(struct sl_engine *e)
{
	struct sl_loop *l = g_new0(struct sl_loop, 1);

	l->engine = e;
	l->watches = g_array_new(FALSE, TRUE, sizeof(struct sl_watch));
	l->ticks = g_array_new(FALSE, TRUE, sizeof(struct sl_tick));
	l->pollfds = g_array_sized_new(FALSE, TRUE, sizeof(struct pollfd), 64);
	return l;
}

/**
 * sl_loop_free() - free the loop (not the engine, not the watched fds)
 * @l:		loop, may be NULL
 */
void sl_loop_free(struct sl_loop *l)
{
	if (!l)
		return;
	g_array_unref(l->watches);
	g_array_unref(l->ticks);
	g_array_unref(l->pollfds);
	g_free(l);
}

/**
 * sl_loop_watch_fd() - call @cb whenever @fd reports @events (or an error)
 * @l:		loop
 * @fd:		fd to watch (not owned)
 * @events:	POLLIN, POLLOUT, ...
 * @cb:		callback
 * @opaque:	its argument
 */
void sl_loop_watch_fd(struct sl_loop *l, int fd, short events, sl_loop_fd_cb cb,
		      void *opaque)
{
	struct sl_watch w = {
		.fd = fd,
		.events = events,
		.cb = cb,
		.opaque = opaque,
	};

	g_array_append_val(l->watches, w);
}

/**
 * sl_loop_unwatch_fd() - stop watching @fd; safe from within a callback
 * @l:		loop
 * @fd:		fd given to sl_loop_watch_fd()
 */
void sl_loop_unwatch_fd(struct sl_loop *l, int fd)
{
	guint i;

	for (i = 0; i < l->watches->len; i++) {
		struct sl_watch *w = &g_array_index(l->watches, struct sl_watch,
						    i);

		if (w->fd == fd)
			w->fd = -1;
	}
}

/**
 * sl_loop_every() - call @cb every @interval_ms milliseconds
 * @l:		loop
 * @interval_ms: period, at least 1
 * @cb:		callback
 * @opaque:	its argument
 */
void sl_loop_every(struct sl_loop *l, unsigned interval_ms, sl_loop_tick_cb cb,
		   void *opaque)
{
	struct sl_tick t = {
		.interval_ms = MAX(interval_ms, 1U),
		.next_ms = util_now_ms() + MAX(interval_ms, 1U),
		.cb = cb,
		.opaque = opaque,
	};

	g_array_append_val(l->ticks, t);
}

/**
 * sl_loop_quit() - make sl_loop_run() return @status after this iteration
 * @l:		loop
 * @status:	exit status to return
 */
void sl_loop_quit(struct sl_loop *l, int status)
{
	if (!l->quit)
		l->status = status;
	l->quit = true;
}

static void sl_loop_compact_watches(struct sl_loop *l)
{
	guint i = 0;

	while (i < l->watches->len) {
		if (g_array_index(l->watches, struct sl_watch, i).fd < 0)
			g_array_remove_index(l->watches, i);
		else
			i++;
	}
}

static void sl_loop_run_ticks(struct sl_loop *l, int64_t now_ms)
{
	guint i;

	for (i = 0; i < l->ticks->len && !l->quit; i++) {
		struct sl_tick *t = &g_array_index(l->ticks, struct sl_tick, i);

		if (t->next_ms > now_ms)
			continue;
		t->next_ms = now_ms + t->interval_ms;
		t->cb(l, t->opaque);
	}
}

static void sl_loop_handle_tap(struct sl_loop *l, short revents)
{
	int r;

	if (!(revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
		return;
	r = sl_engine_drain_tap(l->engine);
	if (r == -EBADFD || r == -EIO) {
		log_info("the tap device went away, exiting");
		sl_loop_quit(l, 0);
	} else if (r < 0) {
		log_msg(LOG_LVL_ERR, -r, "reading the tap device failed");
		sl_loop_quit(l, 1);
	}
}

/* Fill l->pollfds for one poll(): the watches (their count into *@nwatch),
 * then the tap, then libslirp's sockets; *@timeout_ms: until the next tick
 * or libslirp timer, -1 for none */
static void sl_loop_prepare(struct sl_loop *l, guint *nwatch,
			    int64_t *timeout_ms)
{
	int64_t now_ms = util_now_ms();
	struct pollfd tap = {
		.fd = sl_engine_tap_fd(l->engine),
		.events = POLLIN,
	};
	guint i;

	*timeout_ms = -1;
	sl_loop_compact_watches(l);
	g_array_set_size(l->pollfds, 0);
	*nwatch = l->watches->len;
	for (i = 0; i < *nwatch; i++) {
		struct sl_watch *w = &g_array_index(l->watches, struct sl_watch,
						    i);
		struct pollfd p = { .fd = w->fd, .events = w->events };

		g_array_append_val(l->pollfds, p);
	}
	g_array_append_val(l->pollfds, tap);
	for (i = 0; i < l->ticks->len; i++) {
		int64_t left =
			g_array_index(l->ticks, struct sl_tick, i).next_ms -
			now_ms;

		left = MAX(left, 0);
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = left;
	}
	sl_engine_poll_fill(l->engine, l->pollfds, timeout_ms);
}

/* Call the callbacks of the first @nwatch watches that poll() reported,
 * until one quits the loop */
static void sl_loop_dispatch_watches(struct sl_loop *l, guint nwatch)
{
	guint i;

	for (i = 0; i < nwatch && !l->quit; i++) {
		struct pollfd *p = &g_array_index(l->pollfds, struct pollfd, i);
		struct sl_watch *w = &g_array_index(l->watches, struct sl_watch,
						    i);

		if (p->revents && w->fd >= 0)
			w->cb(l, w->fd, p->revents, w->opaque);
	}
}

/**
 * sl_loop_run() - run until sl_loop_quit()
 * @l:		loop
 *
 * Return: the status given to sl_loop_quit(), 1 if poll() fails
 */
int sl_loop_run(struct sl_loop *l)
{
	while (!l->quit) {
		int64_t timeout_ms;
		guint nwatch;
		int n;

		sl_loop_prepare(l, &nwatch, &timeout_ms);
		n = poll((struct pollfd *)(void *)l->pollfds->data,
			 l->pollfds->len,
			 timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
		if (n < 0 && errno != EINTR) {
			log_perror(LOG_LVL_ERR, "poll");
			return 1;
		}

		if (n > 0)
			sl_loop_dispatch_watches(l, nwatch);
		if (l->quit)
			break;
		if (n > 0)
			sl_loop_handle_tap(l,
					   g_array_index(l->pollfds,
							 struct pollfd, nwatch)
						   .revents);
		sl_engine_poll_dispatch(l->engine, n < 0);
		sl_engine_run_timers(l->engine);
		sl_loop_run_ticks(l, util_now_ms());
	}
	return l->status;
}
