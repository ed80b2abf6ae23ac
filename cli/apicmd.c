/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/apicmd.c - what the API client commands (`usernet port`, `stats`,
 * `capture`) share: their option loop and its messages, --output, one
 * request with its failure logged, and reading and showing the figures of
 * a reply
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/apicmd.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "portfwd/apiclient.h"

/**
 * apicmd_parse_opts() - parse the options of command @cmd; positional
 * arguments are left from argv[optind]
 * @cmd:	the command
 * @argc:	argument count
 * @argv:	arguments, argv[0] the command
 * @api:	out: the argument of -a/--api-socket, NULL if none came
 * @data:	passed to @cmd->opt
 *
 * -h/--help prints the command's help and ends parsing. A missing argument
 * or an unknown option (or one @cmd->opt says its command does not take)
 * is logged, pointing at `usernet NAME --help`.
 *
 * Return: APICMD_GO_ON, or the exit status to end the command with:
 * UN_EXIT_OK after the help, UN_EXIT_USAGE after an error
 */
int apicmd_parse_opts(const struct apicmd *cmd, int argc, char **argv,
		      const char **api, void *data)
{
	int c, r;

	*api = NULL;
	optind = 0; /* reset getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, cmd->optstring, cmd->longopts,
				NULL)) != -1) {
		if (c == 'h') {
			cmd->usage(stdout);
			return UN_EXIT_OK;
		}
		if (c == 'a') {
			*api = optarg;
			continue;
		}
		if (c == ':') {
			log_err("option %s needs an argument (see usernet %s "
				"--help)",
				argv[optind - 1], cmd->name);
			return UN_EXIT_USAGE;
		}
		r = c == '?' ? APICMD_OPT_UNKNOWN : cmd->opt(c, optarg, data);
		if (r == APICMD_OPT_UNKNOWN)
			log_err("unknown option '%s' for usernet %s (see "
				"usernet %s --help)",
				argv[optind - 1], cmd->name, cmd->name);
		if (r)
			return UN_EXIT_USAGE;
	}
	return APICMD_GO_ON;
}

/**
 * apicmd_parse_output() - the argument of -o/--output
 * @arg:	"table" or "json"
 * @json:	out: true for json
 *
 * Return: 0, or -EINVAL with the error logged
 */
int apicmd_parse_output(const char *arg, bool *json)
{
	if (!strcmp(arg, "json")) {
		*json = true;
		return 0;
	}
	if (!strcmp(arg, "table"))
		return 0;
	log_err("unknown output format '%s' (table or json)", arg);
	return -EINVAL;
}

/**
 * apicmd_no_args() - check that no positional argument is left
 * @argc:	argument count; the positional ones start at optind
 * @cmd:	the command as typed after "usernet", for the message
 *
 * Return: 0, or -EINVAL with the error logged
 */
int apicmd_no_args(int argc, const char *cmd)
{
	if (optind == argc)
		return 0;
	log_err("usernet %s takes no arguments (see usernet %s --help)", cmd,
		cmd);
	return -EINVAL;
}

/**
 * apicmd_need_api() - check that --api-socket was given
 * @api:	its value, or NULL
 * @cmd:	the command as typed after "usernet", for the message
 *
 * Return: 0, or -EINVAL with the error logged
 */
int apicmd_need_api(const char *api, const char *cmd)
{
	if (api)
		return 0;
	log_err("usernet %s needs --api-socket PATH", cmd);
	return -EINVAL;
}

/**
 * apicmd_request() - one request to the API socket, its failure logged
 * @api:	API socket
 * @request:	the request, JSON
 * @pass_fd:	descriptor sent with it, or -1
 * @ret:	out: the "return" member of the reply, to json_decref()
 * @status:	out on failure, if not NULL: the error's exit status
 *		(UN_EXIT_USAGE for an unusable path, else UN_EXIT_FAILURE)
 *
 * Return: 0, or -errno as apiclient_request_fd() (-EREMOTEIO: the server
 * answered an error)
 */
int apicmd_request(const char *api, const char *request, int pass_fd,
		   json_t **ret, int *status)
{
	g_autoptr(GError) error = NULL;
	int r;

	r = apiclient_request_fd(api, request, pass_fd, ret, &error);
	if (!r)
		return 0;
	log_err("%s", error->message);
	if (status)
		*status = error->code ? error->code : UN_EXIT_FAILURE;
	return r;
}

/**
 * apicmd_print_json() - print @v as one line of JSON
 * @v:		what to print
 */
void apicmd_print_json(json_t *v)
{
	g_autofree char *text = apijson_dump(v);

	printf("%s\n", text);
}

/**
 * apicmd_object() - an object member of a reply
 * @o:		object, may be NULL
 * @name:	member
 *
 * Return: the member, or NULL if missing or not an object
 */
json_t *apicmd_object(json_t *o, const char *name)
{
	json_t *n = json_object_get(o, name);

	return json_is_object(n) ? n : NULL;
}

/**
 * apicmd_int() - an integer member of a reply
 * @o:		object; NULL or another value is taken as an empty object
 * @name:	member
 * @dflt:	what a missing member, or one not an integer, gives
 *
 * Return: the value, or @dflt
 */
gint64 apicmd_int(json_t *o, const char *name, gint64 dflt)
{
	json_t *n = json_object_get(o, name);

	return json_is_integer(n) ? json_integer_value(n) : dflt;
}

/**
 * apicmd_str() - a string member of a reply
 * @o:		object; NULL or another value is taken as an empty object
 * @name:	member
 * @dflt:	what a missing member, or one not a string, gives
 *
 * Return: the value (valid as long as @o), or @dflt
 */
const char *apicmd_str(json_t *o, const char *name, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : dflt;
}

/**
 * apicmd_bytes() - a byte count (or rate) for people: 512B, 1.5KiB, 3.0MiB
 * @n:		bytes; negative: unknown
 *
 * Return: the text ("-" if unknown), to g_free()
 */
char *apicmd_bytes(double n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
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

/**
 * apicmd_count() - a count, "-" if unknown
 * @n:		count; negative: unknown
 *
 * Return: the text, to g_free()
 */
char *apicmd_count(gint64 n)
{
	return n < 0 ? g_strdup("-") : g_strdup_printf("%" G_GINT64_FORMAT, n);
}
