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
#include <json-glib/json-glib.h>

#include "cli/port.h"
#include "cli/stats.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "portfwd/apiclient.h"

/* Set by SIGINT/SIGTERM during --watch: stop after the current sample */
static volatile sig_atomic_t stats_stop;

static void stats_on_signal(int sig)
{
	stats_stop = 1;
}

/* --watch bounds, seconds */
#define STATS_WATCH_MIN	0.1
#define STATS_WATCH_MAX	3600.0

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
"  -h, --help              this help\n", STATS_WATCH_MIN);
}

static gint64 stats_int(JsonObject *o, const char *group, const char *name)
{
	JsonNode *g = o ? json_object_get_member(o, group) : NULL;
	JsonObject *go = g && JSON_NODE_HOLDS_OBJECT(g) ?
			 json_node_get_object(g) : NULL;
	JsonNode *n = go ? json_object_get_member(go, name) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return -1;
	return json_node_get_int(n);
}

/* 512B, 1.5KiB, 3.0MiB... ("-" if unknown) */
static char *stats_bytes(double n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	if (n < 0)
		return g_strdup("-");
	if (n < 1024)
		return g_strdup_printf("%.0fB", n);
	n /= 1024;
	while (n >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		n /= 1024;
		u++;
	}
	return g_strdup_printf("%.1f%s", n, units[u]);
}

static char *stats_num(gint64 n)
{
	return n < 0 ? g_strdup("-") : g_strdup_printf("%" G_GINT64_FORMAT, n);
}

/* ", 12.0 frames/s, 3.4KiB/s" since the previous sample */
static char *stats_rate(JsonObject *cur, JsonObject *prev, double dt,
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
	b = stats_bytes((double)(b1 - b0) / dt);
	return g_strdup_printf("  (%.1f frames/s, %s/s)",
			       (double)(f1 - f0) / dt, b);
}

static void stats_print_table(JsonObject *cur, JsonObject *prev, double dt)
{
	g_autofree char *bin = stats_bytes((double)stats_int(cur, "tap",
							    "bytes_in"));
	g_autofree char *bout = stats_bytes((double)stats_int(cur, "tap",
							     "bytes_out"));
	g_autofree char *rin = stats_rate(cur, prev, dt, "frames_in",
					  "bytes_in");
	g_autofree char *rout = stats_rate(cur, prev, dt, "frames_out",
					   "bytes_out");
	g_autofree char *ta = stats_num(stats_int(cur, "tcp", "active"));
	g_autofree char *ua = stats_num(stats_int(cur, "udp", "active"));
	g_autofree char *rss = stats_bytes((double)stats_int(cur, "process",
							    "rss_bytes"));
	g_autofree char *peak = stats_bytes((double)stats_int(cur, "process",
							     "max_rss_bytes"));
	JsonNode *rules = json_object_get_member(cur, "rules");

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
	       " answered\n", stats_int(cur, "dns", "queries"),
	       stats_int(cur, "dns", "answered"));
	printf("errors      %" G_GINT64_FORMAT " frames dropped, %"
	       G_GINT64_FORMAT " martian frames, %" G_GINT64_FORMAT
	       " binds refused, %" G_GINT64_FORMAT " connections refused\n",
	       stats_int(cur, "errors", "frames_dropped"),
	       stats_int(cur, "errors", "martian_frames"),
	       stats_int(cur, "errors", "binds_refused"),
	       stats_int(cur, "errors", "connections_refused"));
	printf("process     RSS %s (peak %s), CPU %.2f s user, %.2f s system\n",
	       rss, peak,
	       (double)stats_int(cur, "process", "cpu_user_us") / 1e6,
	       (double)stats_int(cur, "process", "cpu_system_us") / 1e6);
	if (rules && JSON_NODE_HOLDS_ARRAY(rules) &&
	    json_array_get_length(json_node_get_array(rules))) {
		printf("\n");
		port_print_table(json_node_get_array(rules));
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
 * stats_main() - `usernet stats`
 * @argc:	argument count
 * @argv:	arguments, argv[0] = "stats"
 *
 * Return: exit status (enum un_exit)
 */
int stats_main(int argc, char **argv)
{
	g_autoptr(JsonNode) prev = NULL;
	const char *api = NULL;
	bool json = false, watch = false;
	double interval = 1;
	gint64 prev_us = 0;
	sigset_t block, unblocked;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:w::o:h", stats_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			api = optarg;
			break;
		case 'w':
			watch = true;
			if (stats_parse_watch(optarg, &interval)) {
				log_err("--watch must be a number of seconds "
					"from %.1f to %.0f, not '%s'",
					STATS_WATCH_MIN, STATS_WATCH_MAX,
					optarg);
				return UN_EXIT_USAGE;
			}
			break;
		case 'o':
			if (!strcmp(optarg, "json")) {
				json = true;
			} else if (strcmp(optarg, "table")) {
				log_err("unknown output format '%s' "
					"(table or json)", optarg);
				return UN_EXIT_USAGE;
			}
			break;
		case 'h':
			stats_usage(stdout);
			return UN_EXIT_OK;
		case ':':
			log_err("option %s needs an argument (see usernet "
				"stats --help)", argv[optind - 1]);
			return UN_EXIT_USAGE;
		default:
			log_err("unknown option '%s' for usernet stats (see "
				"usernet stats --help)", argv[optind - 1]);
			return UN_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		log_err("usernet stats takes no arguments (see usernet stats "
			"--help)");
		return UN_EXIT_USAGE;
	}
	if (!api) {
		log_err("usernet stats needs --api-socket PATH");
		return UN_EXIT_USAGE;
	}
	if (watch) {
		/* Interrupted --watch is the normal end: exit 0. The signals
		 * are blocked except inside ppoll() below, so that one that
		 * comes between the check and the wait still ends it at once */
		struct sigaction sa = { .sa_handler = stats_on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &unblocked);
	}

	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = NULL;
		gint64 now_us;

		if (apiclient_request(api, "{\"execute\":\"stats\"}", &ret,
				      &error)) {
			log_err("%s", error->message);
			return UN_EXIT_FAILURE;
		}
		if (!JSON_NODE_HOLDS_OBJECT(ret) ||
		    !json_object_has_member(json_node_get_object(ret), "tap")) {
			log_err("API socket %s: the reply to stats has no "
				"figures (a usernet without the stats "
				"request, or slirp4netns?)", api);
			return UN_EXIT_FAILURE;
		}
		now_us = g_get_monotonic_time();
		if (json) {
			g_autoptr(JsonGenerator) gen = json_generator_new();
			g_autofree char *text = NULL;

			json_generator_set_root(gen, ret);
			text = json_generator_to_data(gen, NULL);
			printf("%s\n", text);
		} else {
			if (watch && isatty(STDOUT_FILENO))
				printf("\033[H\033[2J");
			else if (prev)
				printf("\n");
			stats_print_table(json_node_get_object(ret),
					  prev ? json_node_get_object(prev) :
						 NULL,
					  (double)(now_us - prev_us) / 1e6);
		}
		fflush(stdout);
		if (!watch)
			return UN_EXIT_OK;
		g_clear_pointer(&prev, json_node_unref);
		prev = g_steal_pointer(&ret);
		prev_us = now_us;
		if (!stats_stop) {
			struct timespec ts = {
				.tv_sec = (time_t)interval,
				.tv_nsec = (long)((interval - (double)(time_t)
						   interval) * 1e9),
			};

			ppoll(NULL, 0, &ts, &unblocked);
		}
		if (stats_stop)
			return UN_EXIT_OK;
	}
}
