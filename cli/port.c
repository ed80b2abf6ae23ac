/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/port.c - `usernet port add|ls|rm`: published ports of a running
 * usernet (or slirp4netns), over its API socket
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

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
 * @api_socket:		--api-socket PATH
 * @guest_addr:		--guest-addr ADDR (add)
 * @json:		-o json (ls)
 * @help:		--help
 */
struct port_opts {
	const char *api_socket;
	const char *guest_addr;
	bool json;
	bool help;
};

/**
 * port_usage() - print the help of `usernet port`
 * @out:	stream
 */
void port_usage(FILE *out)
{
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
}

static void port_add_usage(FILE *out)
{
	fprintf(out,
"Usage: usernet port add --api-socket PATH [--guest-addr ADDR] SPEC\n"
"Publish a port of the guest on the host.\n"
"\n"
"SPEC is [HOSTIP:]HOSTPORT[-END]:GUESTPORT[-END][/tcp|udp], as for --publish;\n"
"an IPv6 HOSTIP goes in brackets. HOSTPORT 0 lets the kernel choose a free\n"
"port. A range is published as one rule per port, all or none.\n"
"\n"
"Prints one line per rule: its ID, followed by the chosen host port when\n"
"HOSTPORT is 0.\n"
"\n"
"  -a, --api-socket PATH   API socket of the running usernet\n"
"      --guest-addr ADDR   guest address to forward to (default: the\n"
"                          guest's address)\n"
"  -h, --help              this help\n");
}

static void port_ls_usage(FILE *out)
{
	fprintf(out,
"Usage: usernet port ls --api-socket PATH [-o table|json]\n"
"List the published ports with their counters: connections (UDP: flows)\n"
"open now and in total, bytes into the guest (IN) and out of it (OUT).\n"
"\n"
"  -a, --api-socket PATH   API socket of the running usernet\n"
"  -o, --output FORMAT     table (default), or json: the entries of the\n"
"                          list_hostfwd reply\n"
"  -h, --help              this help\n");
}

static void port_rm_usage(FILE *out)
{
	fprintf(out,
"Usage: usernet port rm --api-socket PATH ID [ID...]\n"
"Stop publishing the rules with these IDs (see usernet port ls).\n"
"\n"
"  -a, --api-socket PATH   API socket of the running usernet\n"
"  -h, --help              this help\n");
}

/* Parse the options of subcommand @cmd (argv[0]); positional arguments are
 * left from argv[optind] */
static int port_opts_parse(struct port_opts *o, const char *cmd, int argc,
			   char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0; /* reset getopt */
	while ((c = getopt_long(argc, argv, ":a:o:h", port_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			o->api_socket = optarg;
			break;
		case OPT_GUEST_ADDR:
			if (strcmp(cmd, "add"))
				goto unknown;
			o->guest_addr = optarg;
			break;
		case 'o':
			if (strcmp(cmd, "ls"))
				goto unknown;
			if (!strcmp(optarg, "json")) {
				o->json = true;
			} else if (strcmp(optarg, "table")) {
				log_err("unknown output format '%s' "
					"(table or json)", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			log_err("option %s needs an argument (see usernet "
				"port %s --help)", argv[optind - 1], cmd);
			return -EINVAL;
		default:
			goto unknown;
		}
	}
	if (!o->api_socket) {
		log_err("usernet port %s needs --api-socket PATH", cmd);
		return -EINVAL;
	}
	return 0;

unknown:
	log_err("unknown option '%s' for usernet port %s (see usernet port "
		"%s --help)", argv[optind - 1], cmd, cmd);
	return -EINVAL;
}

/*
 * port_spec_parse() - a --publish spec, where host port 0 (pf_spec_parse()
 * refuses it) asks for an ephemeral port
 */
static int port_spec_parse(const char *text, struct pf_spec *spec,
			   GError **error)
{
	g_autofree char *copy = g_strdup(text);
	char *slash, *colon, *start;

	if (!pf_spec_parse(text, spec, NULL))
		return 0;

	/* Find the host port: between the previous colon (or the start) and
	 * the colon before the guest ports */
	slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	colon = strrchr(copy, ':');
	if (colon) {
		*colon = '\0';
		start = strrchr(copy, ':');
		start = start ? start + 1 : copy;
		*colon = ':';
		if (slash)
			*slash = '/';
		if (colon - start == 1 && *start == '0') {
			g_autofree char *one = NULL;

			*start = '\0';
			one = g_strconcat(copy, "1", colon, NULL);
			if (!pf_spec_parse(one, spec, NULL) &&
			    spec->count == 1) {
				spec->host_port = 0;
				return 0;
			}
		}
	}
	return pf_spec_parse(text, spec, error);
}

static char *port_add_request(const struct pf_spec *s, uint16_t i)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonBuilder) jb = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	char buf[INET6_ADDRSTRLEN];

	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "execute");
	json_builder_add_string_value(jb, "add_hostfwd");
	json_builder_set_member_name(jb, "arguments");
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "proto");
	json_builder_add_string_value(jb, pf_proto_name(s->proto));
	json_builder_set_member_name(jb, "host_addr");
	json_builder_add_string_value(jb, s->host_addr_set ?
		addr_ip_str_plain(&s->host_addr, buf, sizeof(buf)) : "");
	json_builder_set_member_name(jb, "host_port");
	json_builder_add_int_value(jb, s->host_port ? s->host_port + i : 0);
	json_builder_set_member_name(jb, "guest_addr");
	json_builder_add_string_value(jb, s->guest_addr_set ?
		addr_ip_str_plain(&s->guest_addr, buf, sizeof(buf)) : "");
	json_builder_set_member_name(jb, "guest_port");
	json_builder_add_int_value(jb, s->guest_port + i);
	json_builder_end_object(jb);
	json_builder_end_object(jb);

	root = json_builder_get_root(jb);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

static char *port_remove_request(unsigned id)
{
	return g_strdup_printf("{\"execute\":\"remove_hostfwd\","
			       "\"arguments\":{\"id\":%u}}", id);
}

/* An integer member, or @dflt if missing or not an integer */
static gint64 port_int(JsonObject *o, const char *name, gint64 dflt)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return dflt;
	return json_node_get_int(n);
}

/* A string member, or @dflt */
static const char *port_str(JsonObject *o, const char *name,
			    const char *dflt)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return dflt;
	return json_node_get_string(n);
}

static int port_add(int argc, char **argv)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	struct port_opts o;
	struct pf_spec spec;
	uint16_t i;
	int r = 0;

	if (port_opts_parse(&o, "add", argc, argv))
		return UN_EXIT_USAGE;
	if (o.help) {
		port_add_usage(stdout);
		return UN_EXIT_OK;
	}
	if (argc - optind != 1) {
		log_err("usernet port add takes one SPEC (see usernet port "
			"add --help)");
		return UN_EXIT_USAGE;
	}
	if (port_spec_parse(argv[optind], &spec, &error)) {
		log_err("%s", error->message);
		return UN_EXIT_USAGE;
	}
	if (o.guest_addr) {
		if (addr_ip_parse(o.guest_addr, &spec.guest_addr)) {
			log_err("invalid --guest-addr '%s': not an IPv4 or "
				"IPv6 address", o.guest_addr);
			return UN_EXIT_USAGE;
		}
		spec.guest_addr_set = true;
	}

	for (i = 0; i < spec.count; i++) {
		g_autofree char *req = port_add_request(&spec, i);
		g_autoptr(JsonNode) ret = NULL;
		JsonObject *ro;
		unsigned uid;
		gint64 id;

		r = apiclient_request(o.api_socket, req, &ret, &error);
		if (r < 0)
			break;
		ro = JSON_NODE_HOLDS_OBJECT(ret) ? json_node_get_object(ret) :
						   NULL;
		id = port_int(ro, "id", -1);
		if (id < 1 || id > G_MAXUINT) {
			g_set_error(&error, UN_ERROR, UN_EXIT_FAILURE,
				    "API socket %s: the reply to add_hostfwd "
				    "has no rule id", o.api_socket);
			r = -EPROTO;
			break;
		}
		uid = (unsigned)id;
		g_array_append_val(ids, uid);
		g_string_append_printf(out, "%u", uid);
		if (!spec.host_port)
			g_string_append_printf(out, " %" G_GINT64_FORMAT,
					       port_int(ro, "host_port", 0));
		g_string_append_c(out, '\n');
	}
	if (r < 0) {
		guint k;

		log_err("%s", error->message);
		/* All or nothing: take back the ports of the range added */
		for (k = 0; k < ids->len; k++) {
			g_autofree char *req = port_remove_request(
				g_array_index(ids, unsigned, k));
			g_autoptr(JsonNode) ret = NULL;
			g_autoptr(GError) rm_error = NULL;

			if (apiclient_request(o.api_socket, req, &ret,
					      &rm_error) < 0)
				log_warn("could not take back rule %u: %s",
					 g_array_index(ids, unsigned, k),
					 rm_error->message);
		}
		return UN_EXIT_FAILURE;
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

/* Byte counts for people: 512B, 1.5KiB, 3.0MiB... */
static char *port_bytes(gint64 n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 0)
		return g_strdup("-");
	if (n < 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT "B", n);
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	return g_strdup_printf("%.1f%s", v, units[u]);
}

static char *port_count(gint64 n)
{
	return n < 0 ? g_strdup("-") : g_strdup_printf("%" G_GINT64_FORMAT, n);
}

#define PORT_COLS 8

/**
 * port_print_table() - print list_hostfwd entries as a table; rules added by
 * auto-publish have "*" after their ID, explained under the table
 * @entries:	the entries
 */
void port_print_table(JsonArray *entries)
{
	static const char *const head[PORT_COLS] = {
		"ID", "PROTO", "HOST", "GUEST", "ACTIVE", "TOTAL", "IN", "OUT",
	};
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_strfreev);
	size_t width[PORT_COLS] = { 0 };
	bool any_auto = false;
	guint i, k;

	for (i = 0; i < json_array_get_length(entries); i++) {
		JsonNode *n = json_array_get_element(entries, i);
		JsonObject *e = JSON_NODE_HOLDS_OBJECT(n) ?
				json_node_get_object(n) : NULL;
		JsonNode *sn = e ? json_object_get_member(e, "stats") : NULL;
		JsonObject *st = sn && JSON_NODE_HOLDS_OBJECT(sn) ?
				 json_node_get_object(sn) : NULL;
		gint64 hp = port_int(e, "host_port", 0);
		gint64 gp = port_int(e, "guest_port", 0);
		char **row = g_new0(char *, PORT_COLS + 1);
		JsonNode *an = e ? json_object_get_member(e, "automatic") : NULL;
		bool automatic = an && JSON_NODE_HOLDS_VALUE(an) &&
				 json_node_get_value_type(an) ==
				 G_TYPE_BOOLEAN && json_node_get_boolean(an);

		row[0] = port_count(port_int(e, "id", -1));
		if (automatic) {
			char *t = g_strconcat(row[0], "*", NULL);

			g_free(row[0]);
			row[0] = t;
			any_auto = true;
		}
		row[1] = g_strdup(port_str(e, "proto", "?"));
		row[2] = port_endpoint(port_str(e, "host_addr", "?"), hp,
				       port_int(e, "host_port_end", hp));
		row[3] = port_endpoint(port_str(e, "guest_addr", "?"), gp,
				       port_int(e, "guest_port_end", gp));
		/* slirp4netns has no counters: "-" */
		row[4] = port_count(port_int(st, "active", -1));
		row[5] = port_count(port_int(st, "total", -1));
		row[6] = port_bytes(port_int(st, "bytes_to_guest", -1));
		row[7] = port_bytes(port_int(st, "bytes_from_guest", -1));
		g_ptr_array_add(rows, row);
	}

	for (k = 0; k < PORT_COLS; k++)
		width[k] = strlen(head[k]);
	for (i = 0; i < rows->len; i++) {
		char **row = g_ptr_array_index(rows, i);

		for (k = 0; k < PORT_COLS; k++)
			width[k] = MAX(width[k], strlen(row[k]));
	}
	for (k = 0; k < PORT_COLS; k++)
		printf("%-*s%s", k + 1 < PORT_COLS ? (int)width[k] : 0,
		       head[k], k + 1 < PORT_COLS ? "  " : "\n");
	for (i = 0; i < rows->len; i++) {
		char **row = g_ptr_array_index(rows, i);

		for (k = 0; k < PORT_COLS; k++)
			printf("%-*s%s", k + 1 < PORT_COLS ? (int)width[k] : 0,
			       row[k], k + 1 < PORT_COLS ? "  " : "\n");
	}
	if (any_auto)
		printf("* published automatically (--publish-auto)\n");
}

static int port_ls(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	JsonNode *entries = NULL;
	struct port_opts o;

	if (port_opts_parse(&o, "ls", argc, argv))
		return UN_EXIT_USAGE;
	if (o.help) {
		port_ls_usage(stdout);
		return UN_EXIT_OK;
	}
	if (argc != optind) {
		log_err("usernet port ls takes no arguments (see usernet "
			"port ls --help)");
		return UN_EXIT_USAGE;
	}
	if (apiclient_request(o.api_socket, "{\"execute\":\"list_hostfwd\"}",
			      &ret, &error)) {
		log_err("%s", error->message);
		return UN_EXIT_FAILURE;
	}
	if (JSON_NODE_HOLDS_OBJECT(ret))
		entries = json_object_get_member(json_node_get_object(ret),
						 "entries");
	if (!entries || !JSON_NODE_HOLDS_ARRAY(entries)) {
		log_err("API socket %s: the reply to list_hostfwd has no "
			"entries", o.api_socket);
		return UN_EXIT_FAILURE;
	}

	if (o.json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *text = NULL;

		json_generator_set_root(gen, entries);
		text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else {
		port_print_table(json_node_get_array(entries));
	}
	return UN_EXIT_OK;
}

static int port_rm(int argc, char **argv)
{
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	struct port_opts o;
	int status = UN_EXIT_OK;
	guint k;
	int i;

	if (port_opts_parse(&o, "rm", argc, argv))
		return UN_EXIT_USAGE;
	if (o.help) {
		port_rm_usage(stdout);
		return UN_EXIT_OK;
	}
	if (argc == optind) {
		log_err("usernet port rm needs at least one ID (see usernet "
			"port rm --help)");
		return UN_EXIT_USAGE;
	}
	for (i = optind; i < argc; i++) {
		unsigned long v;
		unsigned id;

		if (util_parse_uint(argv[i], G_MAXUINT, &v) || !v) {
			log_err("invalid rule ID '%s' (see usernet port ls)",
				argv[i]);
			return UN_EXIT_USAGE;
		}
		id = (unsigned)v;
		g_array_append_val(ids, id);
	}

	for (k = 0; k < ids->len; k++) {
		g_autofree char *req = port_remove_request(
			g_array_index(ids, unsigned, k));
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = NULL;
		int r;

		r = apiclient_request(o.api_socket, req, &ret, &error);
		if (r < 0) {
			log_err("%s", error->message);
			status = UN_EXIT_FAILURE;
			/* The server is not there: no point going on */
			if (r != -EREMOTEIO)
				break;
		}
	}
	return status;
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
	log_err("unknown command 'port %s' (see usernet port --help)",
		argv[1]);
	return UN_EXIT_USAGE;
}
