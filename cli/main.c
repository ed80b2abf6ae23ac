/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/main.c - the usernet command: dispatch to subcommands
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli/capture.h"
#include "cli/port.h"
#include "cli/stats.h"
#include "common/errors.h"
#include "common/log.h"
#include "helper/helper.h"
#include "helper/pasta.h"
#include "helper/slirp4netns.h"
#include "launcher/run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: usernet COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  attach    give a network namespace a network (see usernet attach --help)\n"
		"  port      published ports of a running usernet (see usernet port --help)\n"
		"  run       run a command in a rootless sandbox with a network (see usernet run --help)\n"
		"  stats     live figures of a running usernet (see usernet stats --help)\n"
		"  capture   packet capture of a running usernet (see usernet capture --help)\n"
		"\n"
		"  -h, --help      this help\n"
		"  -v, --version   versions of usernet and its libraries\n");
}

/* A symlink named pasta: the drop-in (helper/pasta*.c); its `pasta CMD`
 * form is `usernet run`, one layer up, so it is run from here */
static int pasta_entry(int argc, char **argv)
{
	g_auto(GStrv) run_argv = NULL;
	int status = pasta_main(argc, argv, &run_argv);

	if (!run_argv)
		return status;
	return run_main((int)g_strv_length(run_argv), run_argv);
}

int main(int argc, char **argv)
{
	log_init("usernet", LOG_LVL_INFO);
	/* a symlink named slirp4netns: the drop-in (helper/slirp4netns.c) */
	if (slirp4netns_is_argv0(argv[0]))
		return slirp4netns_main(argc, argv);
	if (pasta_is_argv0(argv[0]))
		return pasta_entry(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return UN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "attach"))
		return helper_main(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "port"))
		return port_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return stats_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "capture"))
		return capture_cmd_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return UN_EXIT_OK;
	}
	if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "version")) {
		helper_version_print(stdout, false);
		return UN_EXIT_OK;
	}
	log_err("unknown command '%s' (see usernet --help)", argv[1]);
	return UN_EXIT_USAGE;
}
