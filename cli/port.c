/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/port.c - `usernet port add|ls|rm`: published ports of a running
 * usernet (or slirp4netns), over its API socket
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/apicmd.h"
#include "cli/port.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "portfwd/apiclient.h"
#include "portfwd/spec.h"

enum {
	OPT_GUEST_ADDR = 0x100,
};

static const struct option port_longopts[] = {
	{ "api-socket", required_argument, NULL, 'a' },
	{ "guest-addr", required_argument, NULL, OPT_GUEST_ADDR },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/**
 * struct port_opts - options of the `port` subcommands
 * @cmd:		the subcommand (port_add_cmd, port_ls_cmd, port_rm_cmd)
 * @api_socket:		--api-socket PATH
 * @guest_addr:		--guest-addr ADDR (add)
 * @json:		-o json (ls)
 */
struct port_opts {
	const struct apicmd *cmd;
	const char *api_socket;
	const char *guest_addr;
	bool json;
};

/**
 * port_usage() - print the help of `usernet port`
 * @out:	stream
 */
void port_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet port COMMAND --api-socket PATH [OPTIONS] [ARGS]\n"
		"Manage the published ports of a running usernet (or slirp4netns) through\n"
		"its API socket.\n"
		"\n"
		"Commands:\n"
		"  add SPEC      publish a port (see usernet port add --help)\n"
		"  ls            list the published ports (see usernet port ls --help)\n"
		"  rm ID...      stop publishing ports (see usernet port rm --help)\n"
		"\n"
		"  -h, --help    this help\n");
	/* clang-format on */
}

static void port_add_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet port add --api-socket PATH [--guest-addr ADDR] SPEC\n"
		"Publish a port of the guest on the host.\n"
		"\n"
		"SPEC is [[HOSTIP:][HOSTPORT[-END]]:]GUESTPORT[-END][/tcp|udp], as for\n"
		"--publish; an IPv6 HOSTIP goes in brackets. Without HOSTIP the port is\n"
		"published on 0.0.0.0 and [::] (one rule); without HOSTPORT, or with 0, the\n"
		"kernel chooses a free port. A range is published as one rule per port,\n"
		"all or none.\n"
		"\n"
		"Prints one line per rule: its ID, followed by the chosen host port when\n"
		"HOSTPORT is 0 or none.\n"
		"\n"
		"  -a, --api-socket PATH   API socket of the running usernet\n"
		"      --guest-addr ADDR   guest address to forward to (default: the\n"
		"                          guest's address)\n"
		"  -h, --help              this help\n");
	/* clang-format on */
}

static void port_ls_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet port ls --api-socket PATH [-o table|json]\n"
		"List the published ports with their counters: connections (UDP: flows)\n"
		"open now and in total, bytes into the guest (IN) and out of it (OUT).\n"
		"\n"
		"  -a, --api-socket PATH   API socket of the running usernet\n"
		"  -o, --output FORMAT     table (default), or json: the entries of the\n"
		"                          list_hostfwd reply\n"
		"  -h, --help              this help\n");
	/* clang-format on */
}

static void port_rm_usage(FILE *out)
{
	/* clang-format off: the help text as it prints */
	fprintf(out,
		"Usage: usernet port rm --api-socket PATH ID [ID...]\n"
		"Stop publishing the rules with these IDs (see usernet port ls).\n"
		"\n"
		"  -a, --api-socket PATH   API socket of the running usernet\n"
		"  -h, --help              this help\n");
	/* clang-format on */
}

static const struct apicmd port_add_cmd, port_ls_cmd;

/* One option of `usernet port` @o->cmd */
static int port_opt(int c, const char *arg, void *data)
{
	struct port_opts *o = data;

	switch (c) {
	case OPT_GUEST_ADDR:
		if (o->cmd != &port_add_cmd)
			return APICMD_OPT_UNKNOWN;
		o->guest_addr = arg;
		return 0;
	case 'o':
		if (o->cmd != &port_ls_cmd)
			return APICMD_OPT_UNKNOWN;
		return apicmd_parse_output(arg, &o->json);
	default:
		return APICMD_OPT_UNKNOWN;
	}
}

static const struct apicmd port_add_cmd = {
	"port add", ":a:o:h", port_longopts, port_add_usage, port_opt,
};
static const struct apicmd port_ls_cmd = {
	"port ls", ":a:o:h", port_longopts, port_ls_usage, port_opt,
};
static const struct apicmd port_rm_cmd = {
	"port rm", ":a:o:h", port_longopts, port_rm_usage, port_opt,
};

/* Parse the options of subcommand @cmd (argv[0]) into @o; positional
 * arguments are left from argv[optind]. Return: APICMD_GO_ON, or the exit
 * status to end with (after the help, or an error) */
static int port_opts_parse(struct port_opts *o, const struct apicmd *cmd,
			   int argc, char **argv)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	r = apicmd_parse_opts(cmd, argc, argv, &o->api_socket, o);
	if (r != APICMD_GO_ON)
		return r;
	if (apicmd_need_api(o->api_socket, cmd->name))
		return UN_EXIT_USAGE;
	return APICMD_GO_ON;
}

static char *port_add_request(const struct pf_spec *s, uint16_t i)
{
	g_autoptr(json_t) req = json_object();
	json_t *args = json_object();
	char buf[INET6_ADDRSTRLEN];

	json_object_set_new(req, "execute", json_string("add_hostfwd"));
	json_object_set_new(req, "arguments", args);
	json_object_set_new(args, "proto",
			    json_string(pf_proto_name(s->proto)));
	/* No address: both families (our extension; slirp4netns ignores it
	 * and publishes on 0.0.0.0) */
	if (s->host_addr_set)
		json_object_set_new(args, "host_addr",
				    json_string(
					    addr_ip_str_plain(&s->host_addr,
							      buf,
							      sizeof(buf))));
	else
		json_object_set_new(args, "dual_stack", json_true());
	json_object_set_new(args, "host_port",
			    json_integer(s->host_port ? s->host_port + i : 0));
	json_object_set_new(args, "guest_addr",
			    json_string(
				    s->guest_addr_set ?
					    addr_ip_str_plain(&s->guest_addr,
							      buf,
							      sizeof(buf)) :
					    ""));
	json_object_set_new(args, "guest_port",
			    json_integer(s->guest_port + i));
	return apijson_dump(req);
}

static char *port_remove_request(unsigned id)
{
	return g_strdup_printf("{\"execute\":\"remove_hostfwd\","
			       "\"arguments\":{\"id\":%u}}",
			       id);
}

/* SPEC (argv[optind]) and --guest-addr of `port add`, in @spec: 0, or
 * -EINVAL with the error logged */
static int port_add_spec(const struct port_opts *o, int argc, char **argv,
			 struct pf_spec *spec)
{
	g_autoptr(GError) error = NULL;

	if (argc - optind != 1) {
		log_err("usernet port add takes one SPEC (see usernet port "
			"add --help)");
		return -EINVAL;
	}
	if (pf_spec_parse(argv[optind], spec, &error)) {
		log_err("%s", error->message);
		return -EINVAL;
	}
	if (o->guest_addr) {
		if (addr_ip_parse(o->guest_addr, &spec->guest_addr)) {
			log_err("invalid --guest-addr '%s': not an IPv4 or "
				"IPv6 address",
				o->guest_addr);
			return -EINVAL;
		}
		spec->guest_addr_set = true;
	}
	return 0;
}

/* Add port @i of @spec: its rule's ID appended to @ids, the line to print
 * (ID, and the host port the kernel chose for port 0) to @out. 0, or -errno
 * with the error logged */
static int port_add_one(const char *api, const struct pf_spec *spec, uint16_t i,
			GArray *ids, GString *out)
{
	g_autofree char *req = port_add_request(spec, i);
	g_autoptr(json_t) ret = NULL;
	unsigned uid;
	gint64 id;
	int r;

	r = apicmd_request(api, req, -1, &ret, NULL);
	if (r < 0)
		return r;
	id = apicmd_int(ret, "id", -1);
	if (id < 1 || id > G_MAXUINT) {
		log_err("API socket %s: the reply to add_hostfwd has no rule "
			"id",
			api);
		return -EPROTO;
	}
	uid = (unsigned)id;
	g_array_append_val(ids, uid);
	g_string_append_printf(out, "%u", uid);
	if (!spec->host_port)
		g_string_append_printf(out, " %" G_GINT64_FORMAT,
				       apicmd_int(ret, "host_port", 0));
	g_string_append_c(out, '\n');
	return 0;
}

/*
 * port_remove() - remove the rules @ids
 * @api:	API socket
 * @ids:	rule IDs (unsigned)
 * @undo:	taking back the rules of a range added in part (all or
 *		nothing): a failure is a warning, and the others are still tried
 *
 * Otherwise a failure is an error, and stops the removal unless the server
 * answered it (the server is not there: no point going on).
 *
 * Return: exit status (enum un_exit)
 */
static int port_remove(const char *api, GArray *ids, bool undo)
{
	int status = UN_EXIT_OK;
	guint k;

	for (k = 0; k < ids->len; k++) {
		unsigned id = g_array_index(ids, unsigned, k);
		g_autofree char *req = port_remove_request(id);
		g_autoptr(json_t) ret = NULL;
		g_autoptr(GError) error = NULL;
		int r;

		r = apiclient_request(api, req, &ret, &error);
		if (r >= 0)
			continue;
		if (undo) {
			log_warn("could not take back rule %u: %s", id,
				 error->message);
			continue;
		}
		log_err("%s", error->message);
		status = UN_EXIT_FAILURE;
		if (r != -EREMOTEIO)
			break;
	}
	return status;
}

static int port_add(int argc, char **argv)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	g_autoptr(GString) out = g_string_new(NULL);
	struct port_opts o;
	struct pf_spec spec;
	uint16_t i;
	int r;

	r = port_opts_parse(&o, &port_add_cmd, argc, argv);
	if (r != APICMD_GO_ON)
		return r;
	if (port_add_spec(&o, argc, argv, &spec))
		return UN_EXIT_USAGE;
	for (i = 0; i < spec.count; i++) {
		if (port_add_one(o.api_socket, &spec, i, ids, out) < 0) {
			port_remove(o.api_socket, ids, true);
			return UN_EXIT_FAILURE;
		}
	}
	fputs(out->str, stdout);
	return UN_EXIT_OK;
}

/* "[ADDR]:PORT[-END]", brackets for IPv6 */
static char *port_endpoint(const char *addr, gint64 port, gint64 end)
{
	bool v6 = strchr(addr, ':') != NULL;
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%s%s%s:%" G_GINT64_FORMAT, v6 ? "[" : "",
			       *addr ? addr : "?", v6 ? "]" : "", port);
	if (end > port)
		g_string_append_printf(s, "-%" G_GINT64_FORMAT, end);
	return g_string_free(s, FALSE);
}

#define PORT_COLS 8

static const char *const port_head[PORT_COLS] = {
	"ID", "PROTO", "HOST", "GUEST", "ACTIVE", "TOTAL", "IN", "OUT",
};

/* The cells of entry @e of list_hostfwd (not an object: all unknown); @automatic
 * says whether auto-publish added it (its ID then has "*" after it) */
static char **port_table_row(json_t *e, bool *automatic)
{
	json_t *st = apicmd_object(e, "stats");
	gint64 hp = apicmd_int(e, "host_port", 0);
	gint64 gp = apicmd_int(e, "guest_port", 0);
	char **row = g_new0(char *, PORT_COLS + 1);

	*automatic = json_is_true(json_object_get(e, "automatic"));
	row[0] = apicmd_count(apicmd_int(e, "id", -1));
	if (*automatic) {
		char *t = g_strconcat(row[0], "*", NULL);

		g_free(row[0]);
		row[0] = t;
	}
	row[1] = g_strdup(apicmd_str(e, "proto", "?"));
	/* "*": both families, as ss(8) shows a socket on every address */
	row[2] = port_endpoint(json_is_true(json_object_get(e, "dual_stack")) ?
				       "*" :
				       apicmd_str(e, "host_addr", "?"),
			       hp, apicmd_int(e, "host_port_end", hp));
	row[3] = port_endpoint(apicmd_str(e, "guest_addr", "?"), gp,
			       apicmd_int(e, "guest_port_end", gp));
	/* slirp4netns has no counters: "-" */
	row[4] = apicmd_count(apicmd_int(st, "active", -1));
	row[5] = apicmd_count(apicmd_int(st, "total", -1));
	row[6] = apicmd_bytes((double)apicmd_int(st, "bytes_to_guest", -1));
	row[7] = apicmd_bytes((double)apicmd_int(st, "bytes_from_guest", -1));
	return row;
}

/* One line of the table, each cell but the last padded to its column's
 * @width */
static void port_print_line(const char *const *cells, const size_t *width)
{
	guint k;

	for (k = 0; k < PORT_COLS; k++)
		printf("%-*s%s", k + 1 < PORT_COLS ? (int)width[k] : 0,
		       cells[k], k + 1 < PORT_COLS ? "  " : "\n");
}

/**
 * port_print_table() - print list_hostfwd entries as a table; rules added by
 * auto-publish have "*" after their ID, explained under the table
 * @entries:	the entries
 */
void port_print_table(json_t *entries)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_strfreev);
	size_t width[PORT_COLS] = { 0 };
	bool any_auto = false;
	size_t i, k;
	json_t *e;

	json_array_foreach(entries, i, e)
	{
		bool automatic;

		g_ptr_array_add(rows, port_table_row(e, &automatic));
		any_auto |= automatic;
	}

	for (k = 0; k < PORT_COLS; k++)
		width[k] = strlen(port_head[k]);
	for (i = 0; i < rows->len; i++) {
		char **row = g_ptr_array_index(rows, i);

		for (k = 0; k < PORT_COLS; k++)
			width[k] = MAX(width[k], strlen(row[k]));
	}
	port_print_line(port_head, width);
	for (i = 0; i < rows->len; i++)
		port_print_line((const char *const *)g_ptr_array_index(rows, i),
				width);
	if (any_auto)
		printf("* published automatically (--publish-auto)\n");
}

static int port_ls(int argc, char **argv)
{
	g_autoptr(json_t) ret = NULL;
	json_t *entries;
	struct port_opts o;
	int r;

	r = port_opts_parse(&o, &port_ls_cmd, argc, argv);
	if (r != APICMD_GO_ON)
		return r;
	if (apicmd_no_args(argc, port_ls_cmd.name))
		return UN_EXIT_USAGE;
	if (apicmd_request(o.api_socket, "{\"execute\":\"list_hostfwd\"}", -1,
			   &ret, NULL))
		return UN_EXIT_FAILURE;
	entries = json_object_get(ret, "entries");
	if (!json_is_array(entries)) {
		log_err("API socket %s: the reply to list_hostfwd has no "
			"entries",
			o.api_socket);
		return UN_EXIT_FAILURE;
	}

	if (o.json)
		apicmd_print_json(entries);
	else
		port_print_table(entries);
	return UN_EXIT_OK;
}

/* The IDs of `port rm` (from argv[optind]) in @ids: 0, or -EINVAL with the
 * error logged */
static int port_rm_ids(int argc, char **argv, GArray *ids)
{
	int i;

	if (argc == optind) {
		log_err("usernet port rm needs at least one ID (see usernet "
			"port rm --help)");
		return -EINVAL;
	}
	for (i = optind; i < argc; i++) {
		unsigned long v;
		unsigned id;

		if (util_parse_uint(argv[i], G_MAXUINT, &v) || !v) {
			log_err("invalid rule ID '%s' (see usernet port ls)",
				argv[i]);
			return -EINVAL;
		}
		id = (unsigned)v;
		g_array_append_val(ids, id);
	}
	return 0;
}

static int port_rm(int argc, char **argv)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	struct port_opts o;
	int r;

	r = port_opts_parse(&o, &port_rm_cmd, argc, argv);
	if (r != APICMD_GO_ON)
		return r;
	if (port_rm_ids(argc, argv, ids))
		return UN_EXIT_USAGE;
	return port_remove(o.api_socket, ids, false);
}

/**
 * port_main() - `usernet port`
 * @argc:	argument count
 * @argv:	arguments, argv[0] = "port"
 *
 * Return: exit status (enum un_exit)
 */
int port_main(int argc, char **argv)
{
	if (argc < 2) {
		port_usage(stderr);
		return UN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "add"))
		return port_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return port_ls(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return port_rm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		port_usage(stdout);
		return UN_EXIT_OK;
	}
	log_err("unknown command 'port %s' (see usernet port --help)", argv[1]);
	return UN_EXIT_USAGE;
}
