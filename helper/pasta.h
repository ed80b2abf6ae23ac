/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/pasta.h - usernet as a drop-in pasta: pasta's command line mapped
 * onto the helper's plan (helper/pasta.c), and its lifecycle
 * (helper/pasta_main.c)
 */
#ifndef HELPER_PASTA_H
#define HELPER_PASTA_H

#include <stdbool.h>
#include <glib.h>

#include "helper/options.h"
#include "portfwd/spec.h"

/* pasta's default MTU, which the engines rely on (65520) */
#define PASTA_MTU_DEFAULT 65520
/* What pasta exits with on any error */
#define PASTA_EXIT_FAILURE 1

/**
 * struct pasta_opts - pasta's command line, resolved
 * @h:		the helper's plan (target, ports, network, DNS)
 * @has_target:	--netns or a PID was given: attach to it (else `pasta CMD`)
 * @foreground:	-f: do not detach
 * @stderr_log:	--stderr: accepted; errors before the daemon detaches go to
 *		standard error in any case, as pasta's
 * @pid_file:	-P FILE: the daemon's pid written there, or NULL
 * @log_file:	-l FILE: the daemon's log, or NULL
 * @help:	-h was given
 * @version:	--version was given
 * @cmd:	pasta CMD...: the command (into the parsed argv), or NULL
 * @address:	-a as given, checked against our plan once all are read
 * @netmask:	-n as given
 * @gateway:	-g as given
 * @dns_forward: --dns-forward as given
 * @map_guest_addr: --map-guest-addr as given
 */
struct pasta_opts {
	struct helper_opts h;
	bool has_target;
	bool foreground;
	bool stderr_log;
	char *pid_file;
	char *log_file;
	bool help;
	bool version;
	char **cmd;
	char *address;
	char *netmask;
	char *gateway;
	char *dns_forward;
	char *map_guest_addr;
};

bool pasta_is_argv0(const char *argv0);
void pasta_opts_init(struct pasta_opts *o);
void pasta_opts_clear(struct pasta_opts *o);
int pasta_opts_parse(struct pasta_opts *o, int argc, char **argv,
		     GError **error);
int pasta_spec_parse(const char *opt, const char *spec, enum pf_proto proto,
		     GArray *out, struct autopub_ports **autopub,
		     GError **error);
void pasta_usage(FILE *out);
char **pasta_run_argv(const struct pasta_opts *o);
int pasta_main(int argc, char **argv, char ***run_argv);

#endif /* HELPER_PASTA_H */
