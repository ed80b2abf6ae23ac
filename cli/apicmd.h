/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/apicmd.h - what the API client commands (port, stats, capture) share
 */
#ifndef CLI_APICMD_H
#define CLI_APICMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "portfwd/apijson.h"

/* What an option callback returns for an option its command does not take */
#define APICMD_OPT_UNKNOWN 1
/* What apicmd_parse_opts() returns when the command goes on */
#define APICMD_GO_ON (-1)

/**
 * typedef apicmd_opt_fn - one option of a command
 * @c:		the option, as getopt_long() returns it
 * @arg:	its argument, or NULL
 * @data:	the command's options
 *
 * Return: 0, APICMD_OPT_UNKNOWN, or -EINVAL with the error logged
 */
typedef int (*apicmd_opt_fn)(int c, const char *arg, void *data);

/**
 * struct apicmd - how an API client command parses its options
 * @name:	the command as typed after "usernet" ("port add", "stats"),
 *		for the messages
 * @optstring:	short options for getopt_long(), starting with ':'
 * @longopts:	long options
 * @usage:	prints the command's help
 * @opt:	called for each option but -a/--api-socket and -h/--help
 */
struct apicmd {
	const char *name;
	const char *optstring;
	const struct option *longopts;
	void (*usage)(FILE *out);
	apicmd_opt_fn opt;
};

int apicmd_parse_opts(const struct apicmd *cmd, int argc, char **argv,
		      const char **api, void *data);
int apicmd_parse_output(const char *arg, bool *json);
int apicmd_no_args(int argc, const char *cmd);
int apicmd_need_api(const char *api, const char *cmd);
int apicmd_request(const char *api, const char *request, int pass_fd,
		   json_t **ret, int *status);
void apicmd_print_json(json_t *v);

json_t *apicmd_object(json_t *o, const char *name);
gint64 apicmd_int(json_t *o, const char *name, gint64 dflt);
const char *apicmd_str(json_t *o, const char *name, const char *dflt);
char *apicmd_bytes(double n);
char *apicmd_count(gint64 n);

#endif /* CLI_APICMD_H */
