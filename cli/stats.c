/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/stats.c - `usernet stats`: live figures of a running usernet (tap
 * frames and bytes, TCP connections and UDP flows, DNS, errors, memory and
 * CPU, per-rule counters), over its API socket's `stats` request; once, or
 * every N seconds with rates (--watch)
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/apicmd.h"
#include "cli/port.h"
#include "cli/stats.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"

/* Set by SIGINT/SIGTERM during --watch: stop after the current sample */
static volatile sig_atomic_t stats_stop;

static void stats_on_signal(int sig)
{
	stats_stop = 1;
}

/* --watch bounds, seconds */
#define STATS_WATCH_MIN 0.1
#define STATS_WATCH_MAX 3600.0

static const struct option stats_longopts[] = {
	{ "api-socket", required_argument, NULL, 'a' },
	{ "watch", optional_argument, NULL, 'w' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/**
 * stats_usage() - print the help of `usernet stats`
 * @out:	stream
 */
void stats_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet stats --api-socket PATH [--watch[=SECONDS]] [-o table|json]\n"
		"Live figures of a running usernet: frames and bytes each way on the tap,\n"
		"TCP connections and UDP flows through libslirp (open now, and in total),\n"
		"DNS queries to the built-in forwarder and answers, errors (frames dropped\n"
		"towards the guest, host ports that could not be bound, connections\n"
		"refused), the helper's memory and CPU time, and the counters of each\n"
		"published rule. README.md, \"Statistics\", says how each is obtained.\n"
		"\n"
		"  -a, --api-socket PATH   API socket of the running usernet\n"
		"  -w, --watch[=SECONDS]   print again every SECONDS (default 1, from %.1f),\n"
		"                          with rates, until interrupted (SIGINT or SIGTERM:\n"
		"                          exit 0)\n"
		"  -o, --output FORMAT     table (default), or json: the reply of the API's\n"
		"                          {\"execute\":\"stats\"}, one line per sample\n"
		"  -h, --help              this help\n",
		STATS_WATCH_MIN);
	/* clang-format on */
}

/* Member @name of group @group of the figures, -1 if missing */
static gint64 stats_int(json_t *o, const char *group, const char *name)
{
	return apicmd_int(apicmd_object(o, group), name, -1);
}

/* ", 12.0 frames/s, 3.4KiB/s" since the previous sample */
static char *stats_rate(json_t *cur, json_t *prev, double dt,
			const char *frames, const char *bytes)
{
	g_autofree char *b = NULL;
	gint64 f1, f0, b1, b0;

	if (!prev || dt <= 0)
		return g_strdup("");
	f1 = stats_int(cur, "tap", frames);
	f0 = stats_int(prev, "tap", frames);
	b1 = stats_int(cur, "tap", bytes);
	b0 = stats_int(prev, "tap", bytes);
	if (f1 < f0 || b1 < b0 || f0 < 0 || b0 < 0)
		return g_strdup("");
	b = apicmd_bytes((double)(b1 - b0) / dt);
	return g_strdup_printf("  (%.1f frames/s, %s/s)",
			       (double)(f1 - f0) / dt, b);
}

static void stats_print_table(json_t *cur, json_t *prev, double dt)
{
	g_autofree char *bin = apicmd_bytes(
		(double)stats_int(cur, "tap", "bytes_in"));
	g_autofree char *bout = apicmd_bytes(
		(double)stats_int(cur, "tap", "bytes_out"));
	g_autofree char *rin = stats_rate(cur, prev, dt, "frames_in",
					  "bytes_in");
	g_autofree char *rout = stats_rate(cur, prev, dt, "frames_out",
					   "bytes_out");
	g_autofree char *ta = apicmd_count(stats_int(cur, "tcp", "active"));
	g_autofree char *ua = apicmd_count(stats_int(cur, "udp", "active"));
	g_autofree char *rss = apicmd_bytes(
		(double)stats_int(cur, "process", "rss_bytes"));
	g_autofree char *peak = apicmd_bytes(
		(double)stats_int(cur, "process", "max_rss_bytes"));
	json_t *rules = json_object_get(cur, "rules");

	printf("uptime      %.1f s\n",
	       (double)stats_int(cur, "process", "uptime_ms") / 1000);
	printf("tap in      %" G_GINT64_FORMAT " frames, %s%s\n",
	       stats_int(cur, "tap", "frames_in"), bin, rin);
	printf("tap out     %" G_GINT64_FORMAT " frames, %s%s\n",
	       stats_int(cur, "tap", "frames_out"), bout, rout);
	printf("tcp         %s open, %" G_GINT64_FORMAT " in total\n", ta,
	       stats_int(cur, "tcp", "total"));
	printf("udp         %s open, %" G_GINT64_FORMAT " in total\n", ua,
	       stats_int(cur, "udp", "total"));
	printf("dns         %" G_GINT64_FORMAT " queries, %" G_GINT64_FORMAT
	       " answered\n",
	       stats_int(cur, "dns", "queries"),
	       stats_int(cur, "dns", "answered"));
	printf("errors      %" G_GINT64_FORMAT
	       " frames dropped, %" G_GINT64_FORMAT
	       " martian frames, %" G_GINT64_FORMAT
	       " binds refused, %" G_GINT64_FORMAT " connections refused\n",
	       stats_int(cur, "errors", "frames_dropped"),
	       stats_int(cur, "errors", "martian_frames"),
	       stats_int(cur, "errors", "binds_refused"),
	       stats_int(cur, "errors", "connections_refused"));
	printf("process     RSS %s (peak %s), CPU %.2f s user, %.2f s system\n",
	       rss, peak,
	       (double)stats_int(cur, "process", "cpu_user_us") / 1e6,
	       (double)stats_int(cur, "process", "cpu_system_us") / 1e6);
	if (json_object_get(cur, "bypass"))
		printf("bypass      %" G_GINT64_FORMAT
		       " host connections (not on the tap), %" G_GINT64_FORMAT
		       " in progress, %" G_GINT64_FORMAT " refused\n",
		       stats_int(cur, "bypass", "connects"),
		       stats_int(cur, "bypass", "pending"),
		       stats_int(cur, "bypass", "refused"));
	if (json_array_size(rules)) {
		printf("\n");
		port_print_table(rules);
	}
}

static int stats_parse_watch(const char *s, double *out)
{
	char *end = NULL;
	double v;

	if (!s) {
		*out = 1;
		return 0;
	}
	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (errno || !*s || *end || !isfinite(v) || v < STATS_WATCH_MIN ||
	    v > STATS_WATCH_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * struct stats_opts - options of `usernet stats`
 * @api:	--api-socket PATH
 * @json:	-o json
 * @watch:	--watch
 * @interval:	its period, seconds
 */
struct stats_opts {
	const char *api;
	bool json;
	bool watch;
	double interval;
};

/* One option of `usernet stats` */
static int stats_opt(int c, const char *arg, void *data)
{
	struct stats_opts *o = data;

	switch (c) {
	case 'w':
		o->watch = true;
		if (stats_parse_watch(arg, &o->interval)) {
			log_err("--watch must be a number of seconds from "
				"%.1f to %.0f, not '%s'",
				STATS_WATCH_MIN, STATS_WATCH_MAX, arg);
			return -EINVAL;
		}
		return 0;
	case 'o':
		return apicmd_parse_output(arg, &o->json);
	default:
		return APICMD_OPT_UNKNOWN;
	}
}

/* Interrupted --watch is the normal end: exit 0. The signals are blocked
 * except inside ppoll() (stats_sleep()), so that one that comes between the
 * check and the wait still ends it at once; the mask to wait with goes to
 * @unblocked */
static void stats_watch_signals(sigset_t *unblocked)
{
	struct sigaction sa = { .sa_handler = stats_on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, unblocked);
}

/* Wait @interval seconds, or until SIGINT or SIGTERM */
static void stats_sleep(double interval, const sigset_t *unblocked)
{
	struct timespec ts = {
		.tv_sec = (time_t)interval,
		.tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9),
	};

	if (!stats_stop)
		ppoll(NULL, 0, &ts, unblocked);
}

/* The figures, in @ret: 0, or an exit status with the error logged */
static int stats_fetch(const char *api, json_t **ret)
{
	if (apicmd_request(api, "{\"execute\":\"stats\"}", -1, ret, NULL))
		return UN_EXIT_FAILURE;
	if (!json_object_get(*ret, "tap")) {
		log_err("API socket %s: the reply to stats has no figures (a "
			"usernet without the stats request, or slirp4netns?)",
			api);
		return UN_EXIT_FAILURE;
	}
	return 0;
}

/* Print the figures @cur, with rates since @prev (NULL: none), taken @dt
 * seconds before */
static void stats_show(const struct stats_opts *o, json_t *cur, json_t *prev,
		       double dt)
{
	if (o->json) {
		apicmd_print_json(cur);
	} else {
		if (o->watch && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		else if (prev)
			printf("\n");
		stats_print_table(cur, prev, dt);
	}
	fflush(stdout);
}

/* Fetch and print the figures, once or until interrupted (--watch) */
static int stats_run(const struct stats_opts *o, const sigset_t *unblocked)
{
	g_autoptr(json_t) prev = NULL;
	gint64 prev_us = 0;

	for (;;) {
		g_autoptr(json_t) ret = NULL;
		gint64 now_us;
		int r;

		r = stats_fetch(o->api, &ret);
		if (r)
			return r;
		now_us = g_get_monotonic_time();
		stats_show(o, ret, prev, (double)(now_us - prev_us) / 1e6);
		if (!o->watch)
			return UN_EXIT_OK;
		g_clear_pointer(&prev, json_decref);
		prev = g_steal_pointer(&ret);
		prev_us = now_us;
		stats_sleep(o->interval, unblocked);
		if (stats_stop)
			return UN_EXIT_OK;
	}
}

static const struct apicmd stats_cmd = {
	"stats", ":a:w::o:h", stats_longopts, stats_usage, stats_opt,
};

/**
 * stats_main() - `usernet stats`
 * @argc:	argument count
 * @argv:	arguments, argv[0] = "stats"
 *
 * Return: exit status (enum un_exit)
 */
int stats_main(int argc, char **argv)
{
	struct stats_opts o = { .interval = 1 };
	sigset_t unblocked;
	int r;

	r = apicmd_parse_opts(&stats_cmd, argc, argv, &o.api, &o);
	if (r != APICMD_GO_ON)
		return r;
	if (apicmd_no_args(argc, "stats") || apicmd_need_api(o.api, "stats"))
		return UN_EXIT_USAGE;
	sigemptyset(&unblocked);
	if (o.watch)
		stats_watch_signals(&unblocked);
	return stats_run(&o, &unblocked);
}
