/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/capture.c - `usernet capture start|stop`: packet capture of a running
 * usernet at runtime, over its API socket
 *
 * `start` creates the capture file itself, with the caller's rights (never
 * replacing a file), and passes the open descriptor with the start_capture
 * request (SCM_RIGHTS, "fd":true): the helper writes into it without opening
 * any path, so this works with a sandboxed helper (empty root, seccomp), as
 * Podman's and `usernet run`'s are.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli/apicmd.h"
#include "cli/capture.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "slirp/capture.h"

static const struct option capture_cmd_longopts[] = {
	{ "api-socket", required_argument, NULL, 'a' },
	{ "max-size", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/**
 * capture_cmd_usage() - print the help of `usernet capture`
 * @out:	stream
 */
void capture_cmd_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet capture start --api-socket PATH [--max-size SIZE] FILE\n"
		"       usernet capture stop --api-socket PATH\n"
		"Capture the frames crossing the tap of a running usernet into FILE (pcap,\n"
		"readable by tcpdump, tshark, Wireshark), from now until `stop`.\n"
		"FILE is created here, with your rights and mode 0600, and must not exist;\n"
		"its descriptor is passed to the helper, so this works with a sandboxed\n"
		"helper too. No rotation: past --max-size, frames are dropped and counted.\n"
		"\n"
		"  -a, --api-socket PATH   API socket of the running usernet\n"
		"  -s, --max-size SIZE     size cap of FILE (bytes, or k, M, G; default 64M)\n"
		"  -h, --help              this help\n");
	/* clang-format on */
}

static int capture_cmd_start(const char *api, const char *file, uint64_t max)
{
	g_autoptr(json_t) ret = NULL;
	g_autofree char *req = NULL;
	cleanup_fd int fd = -1;
	int r, status;

	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		log_err("cannot create the capture file %s: %s%s", file,
			g_strerror(errno),
			errno == EEXIST ? " (a capture never replaces a file)" :
					  "");
		return UN_EXIT_FAILURE;
	}
	req = max ? g_strdup_printf("{\"execute\":\"start_capture\","
				    "\"arguments\":{\"fd\":true,"
				    "\"max_size\":%" PRIu64 "}}",
				    max) :
		    g_strdup("{\"execute\":\"start_capture\","
			     "\"arguments\":{\"fd\":true}}");
	r = apicmd_request(api, req, fd, &ret, &status);
	if (r) {
		/* refused: nothing will be captured, do not leave an empty
		 * file (after a transport error the helper may be writing) */
		if (r == -EREMOTEIO)
			unlink(file);
		return status;
	}
	printf("capturing into %s\n", file);
	return UN_EXIT_OK;
}

static int capture_cmd_stop(const char *api)
{
	g_autoptr(json_t) ret = NULL;
	int status;

	if (apicmd_request(api, "{\"execute\":\"stop_capture\"}", -1, &ret,
			   &status))
		return status;
	printf("stopped: %" G_GINT64_FORMAT " frames (%" G_GINT64_FORMAT
	       " bytes) in %" G_GINT64_FORMAT " file(s), %" G_GINT64_FORMAT
	       " dropped\n",
	       apicmd_int(ret, "frames", -1), apicmd_int(ret, "bytes", -1),
	       apicmd_int(ret, "files", -1), apicmd_int(ret, "dropped", -1));
	return UN_EXIT_OK;
}

/**
 * struct capture_opts - options of `usernet capture`
 * @api:	--api-socket PATH
 * @max:	--max-size, bytes; 0: the helper's default
 */
struct capture_opts {
	const char *api;
	uint64_t max;
};

/* One option of `usernet capture` */
static int capture_cmd_opt(int c, const char *arg, void *data)
{
	struct capture_opts *o = data;

	switch (c) {
	case 's':
		if (capture_parse_size(arg, &o->max)) {
			log_err("--max-size must be a size of at least %u "
				"bytes, such as 10M, not '%s'",
				CAP_MAX_SIZE_MIN, arg);
			return -EINVAL;
		}
		return 0;
	default:
		return APICMD_OPT_UNKNOWN;
	}
}

static const struct apicmd capture_cmd_desc = {
	"capture",	   ":a:s:h",	    capture_cmd_longopts,
	capture_cmd_usage, capture_cmd_opt,
};

/**
 * capture_cmd_main() - `usernet capture`
 * @argc:	argument count
 * @argv:	arguments, argv[0] = "capture"
 *
 * Return: exit status (enum un_exit)
 */
int capture_cmd_main(int argc, char **argv)
{
	struct capture_opts o = { 0 };
	const char *verb;
	int r;

	r = apicmd_parse_opts(&capture_cmd_desc, argc, argv, &o.api, &o);
	if (r != APICMD_GO_ON)
		return r;
	if (optind >= argc) {
		log_err("usernet capture needs start or stop (see usernet "
			"capture --help)");
		return UN_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (apicmd_need_api(o.api, "capture"))
		return UN_EXIT_USAGE;
	if (!strcmp(verb, "start")) {
		if (argc - optind != 1) {
			log_err("usernet capture start needs one FILE");
			return UN_EXIT_USAGE;
		}
		return capture_cmd_start(o.api, argv[optind], o.max);
	}
	if (!strcmp(verb, "stop")) {
		if (optind != argc || o.max) {
			log_err("usernet capture stop takes no FILE or "
				"--max-size");
			return UN_EXIT_USAGE;
		}
		return capture_cmd_stop(o.api);
	}
	log_err("unknown capture command '%s' (start or stop)", verb);
	return UN_EXIT_USAGE;
}
