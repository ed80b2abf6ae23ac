/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/api.c - the JSON API socket: requests (slirp4netns-compatible, with
 * extensions), the UNIX socket file, and the server in the event loop
 *
 * Protocol: one request per connection. The client writes one JSON object,
 * usually shuts down its write side, and reads the reply (compact JSON, no
 * newline) until EOF. Requests, and what the reply's "return" holds:
 *   add_hostfwd     {proto, host_addr, host_port, guest_addr, guest_port,
 *                   dual_stack?} -> {"id":N}, plus "host_port" if 0
 *                   (ephemeral) was asked; no host_addr is 0.0.0.0 (IPv4,
 *                   as slirp4netns), unless "dual_stack":true (ours): both
 *                   families, 0.0.0.0 and [::]
 *   list_hostfwd    -> {"entries":[...]} (the slirp4netns entry point answers
 *                   {"entries":[...]} without "return", as slirp4netns 1.2)
 *   remove_hostfwd  {id} -> {}
 *   start_capture   {path, max_size?} -> {}       (packet capture, pcap)
 *   stop_capture    -> {"frames", "bytes", "dropped", "files"}
 *   stats           -> {"tap":{...},"tcp":{...},"udp":{...},"dns":{...},
 *                   "errors":{...},"process":{...},"rules":[...]} (ours)
 * Errors are {"error":{"desc":"bad request: ..."}}, worded as slirp4netns
 * words them where it has a wording.
 *
 * The rule requests act on the forwarding table itself (portfwd/fwd.c); what
 * only the helper knows (its figures, the packet capture) is asked through
 * the ops it gave (struct api_helper_ops, helper/helper.c).
 *
 * The server never blocks: each connection is a small state machine (read,
 * then write) driven by the loop, with a deadline checked by a 1 s tick, and
 * the number of connections is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/fdpass.h"
#include "portfwd/api.h"
#include "portfwd/apijson.h"

#define API_TICK_MS 1000
#define API_ACCEPT_BATCH 16

/* Request handling */

/* @root as the reply, compact JSON; @root is dropped */
static char *api_reply(json_t *root)
{
	g_autoptr(json_t) r = root;

	return apijson_dump(r);
}

/* {@name: @member}, @member taken over */
static json_t *api_object_with(const char *name, json_t *member)
{
	json_t *o = json_object();

	json_object_set_new(o, name, member);
	return o;
}

static char *api_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *api_error(const char *fmt, ...)
{
	g_autofree char *raw = NULL, *desc = NULL;
	va_list ap;

	va_start(ap, fmt);
	raw = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* A backend message could hold anything: keep the reply valid JSON */
	desc = g_utf8_make_valid(raw, -1);

	return api_reply(
		api_object_with("error",
				api_object_with("desc", json_string(desc))));
}

/* Start {"return":{ ...: the object inside, to fill */
static json_t *api_return_begin(void)
{
	return json_object();
}

/* ... }} and serialise; @ret is taken over */
static char *api_return_end(json_t *ret)
{
	return api_reply(api_object_with("return", ret));
}

static void api_add_int(json_t *o, const char *name, gint64 v)
{
	json_object_set_new(o, name, json_integer(v));
}

static void api_add_str(json_t *o, const char *name, const char *v)
{
	json_object_set_new(o, name, json_string(v));
}

/*
 * api_get_string() - an optional string member
 * Return: false if present with another type than string or null; true
 * otherwise, *@out NULL if missing, null or ""
 */
static bool api_get_string(json_t *o, const char *name, const char **out)
{
	json_t *n = json_object_get(o, name);

	*out = NULL;
	if (!n || json_is_null(n))
		return true;
	if (!json_is_string(n))
		return false;
	*out = json_string_value(n);
	if (*out && !**out)
		*out = NULL;
	return true;
}

/*
 * api_get_uint() - a required integer member in [min, max]
 * Return: false if missing, not an integer (floats, strings, booleans are
 * not) or out of range
 */
static bool api_get_uint(json_t *o, const char *name, gint64 min, gint64 max,
			 gint64 *out)
{
	json_t *n = json_object_get(o, name);
	gint64 v;

	if (!json_is_integer(n))
		return false;
	v = json_integer_value(n);
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static const struct pf_rule *api_find_rule(const struct api_backend *b,
					   unsigned id)
{
	GPtrArray *rules = pf_table_rules(b->table);
	guint i;

	for (i = 0; rules && i < rules->len; i++) {
		const struct pf_rule *r = g_ptr_array_index(rules, i);

		if (r->id == id)
			return r;
	}
	return NULL;
}

static char *api_add_hostfwd(const struct api_backend *b, json_t *args)
{
	struct pf_spec spec = { .count = 1 };
	g_autoptr(GError) error = NULL;
	json_t *ret;
	const char *proto, *host, *guest;
	gint64 hport, gport;
	unsigned id = 0;
	int r;

	if (!api_get_string(args, "proto", &proto) || !proto ||
	    pf_proto_parse(proto, &spec.proto))
		return api_error(
			"bad request: add_hostfwd: bad arguments.proto");
	if (!api_get_string(args, "host_addr", &host) ||
	    (host && addr_ip_parse(host, &spec.host_addr)))
		return api_error(
			"bad request: add_hostfwd: bad arguments.host_addr");
	/* No host_addr is slirp4netns's 0.0.0.0 (IPv4); our extension
	 * "dual_stack":true (without host_addr) asks for both families */
	if (!host && !json_is_true(json_object_get(args, "dual_stack")))
		host = "0.0.0.0";
	if (host && addr_ip_parse(host, &spec.host_addr))
		return api_error(
			"bad request: add_hostfwd: bad arguments.host_addr");
	spec.host_addr_set = host != NULL;
	/* 0 is our extension: an ephemeral port chosen by the kernel */
	if (!api_get_uint(args, "host_port", 0, 65535, &hport))
		return api_error(
			"bad request: add_hostfwd: bad arguments.host_port");
	spec.host_port = (uint16_t)hport;
	if (!api_get_string(args, "guest_addr", &guest) ||
	    (guest && addr_ip_parse(guest, &spec.guest_addr)))
		return api_error(
			"bad request: add_hostfwd: bad arguments.guest_addr");
	spec.guest_addr_set = guest != NULL;
	if (!api_get_uint(args, "guest_port", 1, 65535, &gport))
		return api_error(
			"bad request: add_hostfwd: bad arguments.guest_port");
	spec.guest_port = (uint16_t)gport;

	r = pf_table_add(b->table, &spec, &id, &error);
	if (r < 0)
		return api_error("bad request: add_hostfwd: %s",
				 error ? error->message : g_strerror(-r));

	ret = api_return_begin();
	api_add_int(ret, "id", id);
	if (!hport) {
		const struct pf_rule *rule = api_find_rule(b, id);

		if (rule)
			api_add_int(ret, "host_port", rule->spec.host_port);
	}
	return api_return_end(ret);
}

/* One rule; @plain: slirp4netns's keys only, without our extensions */
static json_t *api_entry(const struct pf_rule *r, bool plain)
{
	const struct pf_spec *s = &r->spec;
	char buf[INET6_ADDRSTRLEN];
	json_t *e = json_object(), *st;

	api_add_int(e, "id", r->id);
	api_add_str(e, "proto", pf_proto_name(s->proto));
	api_add_str(e, "host_addr",
		    s->host_addr_set ?
			    addr_ip_str_plain(&s->host_addr, buf, sizeof(buf)) :
			    "0.0.0.0");
	api_add_int(e, "host_port", s->host_port);
	api_add_str(e, "guest_addr",
		    s->guest_addr_set ? addr_ip_str_plain(&s->guest_addr, buf,
							  sizeof(buf)) :
					"");
	api_add_int(e, "guest_port", s->guest_port);
	if (plain)
		return e;

	/* Extensions, after the keys slirp4netns has: a rule on both
	 * families shows its IPv4 half in host_addr, and "dual_stack" */
	if (!s->host_addr_set)
		json_object_set_new(e, "dual_stack", json_true());
	if (s->count > 1) {
		api_add_int(e, "host_port_end",
			    (gint64)s->host_port + s->count - 1);
		api_add_int(e, "guest_port_end",
			    (gint64)s->guest_port + s->count - 1);
	}
	if (r->automatic)
		json_object_set_new(e, "automatic", json_true());
	st = json_object();
	api_add_int(st, "active", (gint64)r->stats.active);
	api_add_int(st, "total", (gint64)r->stats.total);
	api_add_int(st, "bytes_to_guest", (gint64)r->stats.bytes_to_guest);
	api_add_int(st, "bytes_from_guest", (gint64)r->stats.bytes_from_guest);
	api_add_int(st, "refused", (gint64)r->stats.refused);
	json_object_set_new(e, "stats", st);
	return e;
}

/* The rules of the table, as entries (see api_entry()) */
static json_t *api_entries(const struct api_backend *b, bool plain)
{
	GPtrArray *rules = pf_table_rules(b->table);
	json_t *entries = json_array();
	guint i;

	for (i = 0; rules && i < rules->len; i++)
		json_array_append_new(entries,
				      api_entry(g_ptr_array_index(rules, i),
						plain));
	return entries;
}

static char *api_list_hostfwd(const struct api_backend *b)
{
	json_t *entries = api_entries(b, b->slirp4netns_list);

	/* slirp4netns 1.2 answers {"entries":[...]}, without "return" (its
	 * manual shows one), and only its own keys: so does the drop-in */
	if (b->slirp4netns_list)
		return api_reply(api_object_with("entries", entries));
	return api_return_end(api_object_with("entries", entries));
}

static char *api_remove_hostfwd(const struct api_backend *b, json_t *args)
{
	gint64 id;
	int r;

	if (!api_get_uint(args, "id", 1, G_MAXUINT, &id))
		return api_error(
			"bad request: remove_hostfwd: bad arguments.id");
	r = pf_table_remove(b->table, (unsigned)id);
	if (r == -ENOENT)
		return api_error("bad request: remove_hostfwd: no such rule id %u",
				 (unsigned)id);
	if (r < 0)
		return api_error("bad request: remove_hostfwd: %s",
				 g_strerror(-r));
	return api_return_end(api_return_begin());
}

/* start_capture and stop_capture: packet capture (slirp/capture.c) */
/* arguments.max_size of start_capture, if any: NULL, or the error reply */
static char *api_capture_max_size(json_t *args, gint64 *max)
{
	json_t *n = json_object_get(args, "max_size");

	*max = 0;
	if (n && !json_is_null(n) &&
	    !api_get_uint(args, "max_size", CAP_MAX_SIZE_MIN, G_MAXINT64 / 2,
			  max))
		return api_error("bad request: start_capture: arguments.max_size "
				 "must be an integer of at least %u (bytes)",
				 CAP_MAX_SIZE_MIN);
	return NULL;
}

/* start_capture with "fd":true: into the file whose descriptor came with
 * the request (SCM_RIGHTS), opened by the client with its own rights: works
 * in a sandboxed helper, which cannot open paths */
static char *api_start_capture_fd(const struct api_backend *b, json_t *args,
				  json_t *fdn, int *passed_fd)
{
	g_autoptr(GError) error = NULL;
	char *reply;
	gint64 max = 0;
	int r;

	if (!json_is_true(fdn))
		return api_error("bad request: start_capture: arguments.fd "
				 "must be true (the file descriptor itself "
				 "comes with the request, SCM_RIGHTS)");
	if (json_object_get(args, "path"))
		return api_error("bad request: start_capture: give "
				 "arguments.path or arguments.fd, not both");
	if (!b->ops->capture_start_fd)
		return api_error("bad request: start_capture: a capture into "
				 "a passed file descriptor is not available");
	if (!passed_fd || *passed_fd < 0)
		return api_error(
			"bad request: start_capture: arguments.fd is "
			"true but no file descriptor came with the "
			"request (send it with SCM_RIGHTS, as `usernet "
			"capture start` does)");
	reply = api_capture_max_size(args, &max);
	if (reply)
		return reply;
	r = b->ops->capture_start_fd(b->opaque, util_steal_fd(passed_fd),
				     (uint64_t)max, &error);
	if (r < 0)
		return api_error("bad request: start_capture: %s",
				 error ? error->message : g_strerror(-r));
	return api_return_end(api_return_begin());
}

static char *api_start_capture(const struct api_backend *b, json_t *args,
			       int *passed_fd)
{
	g_autoptr(GError) error = NULL;
	json_t *fdn = json_object_get(args, "fd");
	const char *path;
	char *reply;
	gint64 max = 0;
	int r;

	if (!b->ops->capture_start)
		return api_error("bad request: start_capture: packet capture "
				 "is not available");
	if (fdn)
		return api_start_capture_fd(b, args, fdn, passed_fd);
	if (!api_get_string(args, "path", &path))
		return api_error("bad request: start_capture: arguments.path "
				 "must be a string");
	if (!path)
		return api_error("bad request: start_capture: missing "
				 "arguments.path");
	if (path[0] != '/')
		return api_error("bad request: start_capture: arguments.path "
				 "must be an absolute path, not '%s'",
				 path);
	reply = api_capture_max_size(args, &max);
	if (reply)
		return reply;
	r = b->ops->capture_start(b->opaque, path, (uint64_t)max, &error);
	if (r < 0)
		return api_error("bad request: start_capture: %s",
				 error ? error->message : g_strerror(-r));
	return api_return_end(api_return_begin());
}

static char *api_stop_capture(const struct api_backend *b)
{
	struct capture_stats st;
	json_t *ret;
	int r;

	if (!b->ops->capture_stop)
		return api_error("bad request: stop_capture: packet capture "
				 "is not available");
	r = b->ops->capture_stop(b->opaque, &st);
	if (r == -ENOENT)
		return api_error("bad request: stop_capture: no capture is "
				 "running");
	if (r < 0)
		return api_error("bad request: stop_capture: %s",
				 g_strerror(-r));
	ret = api_return_begin();
	api_add_int(ret, "frames", (gint64)st.frames);
	api_add_int(ret, "bytes", (gint64)st.bytes);
	api_add_int(ret, "dropped", (gint64)st.dropped);
	api_add_int(ret, "files", (gint64)st.files);
	return api_return_end(ret);
}

/* The capture requests, or NULL if @execute is none of them */
static char *api_handle_capture(const struct api_backend *b,
				const char *execute, json_t *o, int *passed_fd)
{
	json_t *n;

	if (strcmp(execute, "start_capture") && strcmp(execute, "stop_capture"))
		return NULL;
	n = json_object_get(o, "arguments");
	if (n && !json_is_object(n))
		return api_error("bad request: %s: bad arguments", execute);
	if (!strcmp(execute, "start_capture"))
		return api_start_capture(b, n, passed_fd);
	return api_stop_capture(b);
}

/* A new object @name in @o: the object, which @o holds */
static json_t *api_group(json_t *o, const char *name)
{
	json_t *g = json_object();

	json_object_set_new(o, name, g);
	return g;
}

/* "tap", "tcp", "udp" and "dns": what crossed the tap */
static void api_stats_traffic(json_t *ret, const struct api_stats *st)
{
	json_t *g = api_group(ret, "tap");

	api_add_int(g, "frames_in", (gint64)st->tap.frames_in);
	api_add_int(g, "bytes_in", (gint64)st->tap.bytes_in);
	api_add_int(g, "frames_out", (gint64)st->tap.frames_out);
	api_add_int(g, "bytes_out", (gint64)st->tap.bytes_out);
	g = api_group(ret, "tcp");
	if (st->sockets_known)
		api_add_int(g, "active", st->tcp_active);
	api_add_int(g, "total", (gint64)st->flows.tcp_total);
	g = api_group(ret, "udp");
	if (st->sockets_known)
		api_add_int(g, "active", st->udp_active);
	api_add_int(g, "total", (gint64)st->flows.udp_total);
	g = api_group(ret, "dns");
	api_add_int(g, "queries", (gint64)st->flows.dns_queries);
	api_add_int(g, "answered", (gint64)st->flows.dns_answers);
}

/* "errors": dropped frames, refused binds, and the rules' refused
 * connections summed */
static void api_stats_errors(json_t *ret, const struct api_stats *st,
			     GPtrArray *rules)
{
	uint64_t refused = 0;
	json_t *g;
	guint i;

	for (i = 0; rules && i < rules->len; i++)
		refused += ((const struct pf_rule *)g_ptr_array_index(rules, i))
				   ->stats.refused;
	g = api_group(ret, "errors");
	api_add_int(g, "frames_dropped", (gint64)st->tap.drops_out);
	api_add_int(g, "martian_frames", (gint64)st->tap.martians_in);
	api_add_int(g, "binds_refused", (gint64)st->binds_refused);
	api_add_int(g, "connections_refused", (gint64)refused);
}

/* "process": memory, CPU time and uptime of the helper */
static void api_stats_process(json_t *ret, const struct api_stats *st)
{
	json_t *g = api_group(ret, "process");

	if (st->proc.rss_bytes >= 0)
		api_add_int(g, "rss_bytes", st->proc.rss_bytes);
	api_add_int(g, "max_rss_bytes", st->proc.max_rss_bytes);
	api_add_int(g, "cpu_user_us", st->proc.cpu_user_us);
	api_add_int(g, "cpu_system_us", st->proc.cpu_system_us);
	api_add_int(g, "uptime_ms", st->uptime_ms);
}

/* "bypass" (usernet run --bypass only): connections that got host sockets */
static void api_stats_bypass(json_t *ret, const struct api_stats *st)
{
	json_t *g;

	if (!st->bypass_on)
		return;
	g = api_group(ret, "bypass");
	api_add_int(g, "connects", (gint64)st->bypass_connects);
	api_add_int(g, "refused", (gint64)st->bypass_refused);
	api_add_int(g, "pending", (gint64)st->bypass_pending);
}

/* {"execute":"stats"}: the helper's figures (its ops), then the table's */
static char *api_stats(const struct api_backend *b)
{
	struct api_stats st;
	json_t *ret;

	if (!b->ops->stats)
		return api_error("bad request: unknown execute");
	memset(&st, 0, sizeof(st));
	b->ops->stats(b->opaque, &st);
	st.binds_refused = pf_table_binds_refused(b->table);

	ret = api_return_begin();
	api_stats_traffic(ret, &st);
	api_stats_errors(ret, &st, pf_table_rules(b->table));
	api_stats_process(ret, &st);
	api_stats_bypass(ret, &st);
	json_object_set_new(ret, "rules", api_entries(b, false));
	return api_return_end(ret);
}

/**
 * api_handle_request() - answer one API request
 * @b:		what the requests act on
 * @req:	the request, JSON, not necessarily NUL-terminated (a NUL ends
 *		it, as it does for slirp4netns)
 * @len:	its length in bytes
 *
 * A request that is refused changes nothing.
 *
 * Return: the reply, compact JSON without a newline, to g_free()
 */
char *api_handle_request(const struct api_backend *b, const char *req,
			 size_t len)
{
	return api_handle_request_fd(b, req, len, NULL);
}

/**
 * api_handle_request_fd() - answer one API request that came with a file
 * descriptor (SCM_RIGHTS; start_capture with "fd":true uses it)
 * @b:		what the requests act on
 * @req:	the request, as for api_handle_request()
 * @len:	its length in bytes
 * @passed_fd:	the descriptor, -1 for none, or NULL; set to -1 when the
 *		request took it over, else left to the caller to close
 *
 * Return: the reply, compact JSON without a newline, to g_free()
 */
char *api_handle_request_fd(const struct api_backend *b, const char *req,
			    size_t len, int *passed_fd)
{
	g_autoptr(json_t) o = NULL;
	const char *execute;
	json_t *args;
	char *reply;

	if (len > API_REQUEST_MAX)
		return api_error("bad request: too large message");
	len = strnlen(req, len);

	o = apijson_parse(req, len);
	if (!o)
		return api_error("bad request: cannot parse JSON");
	if (!json_is_object(o))
		return api_error("bad request: not a JSON object");

	execute = json_string_value(json_object_get(o, "execute"));
	if (!execute)
		return api_error("bad request: no execute found");
	reply = api_handle_capture(b, execute, o, passed_fd);
	if (reply)
		return reply;
	if (strcmp(execute, "add_hostfwd") && strcmp(execute, "list_hostfwd") &&
	    strcmp(execute, "remove_hostfwd") && strcmp(execute, "stats"))
		return api_error("bad request: unknown execute");

	args = json_object_get(o, "arguments");
	if (args && !json_is_object(args))
		return api_error("bad request: %s: bad arguments", execute);

	if (!strcmp(execute, "add_hostfwd"))
		return api_add_hostfwd(b, args);
	if (!strcmp(execute, "list_hostfwd"))
		return api_list_hostfwd(b);
	if (!strcmp(execute, "stats"))
		return api_stats(b);
	return api_remove_hostfwd(b, args);
}

/* The socket file */

/* The directory @dirfd (@dir) may hold the API socket: nobody but the user
 * (and root) can replace or remove a file in it. Owned by the user or root,
 * and writable by nobody else (group or world) unless sticky, as /tmp is:
 * there only a file's owner may remove or rename it */
static int api_socket_dir_check(int dirfd, const char *dir, GError **error)
{
	struct stat st;
	int r;

	if (fstat(dirfd, &st)) {
		r = -errno;
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot check the directory %s of the API socket: %s",
				 dir, g_strerror(-r));
	}
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return error_set(error, UN_EXIT_USAGE, -EPERM,
				 "refusing to create the API socket in %s: the "
				 "directory belongs to another user (uid %u), "
				 "who could replace the socket; use a directory "
				 "of your own, such as $XDG_RUNTIME_DIR",
				 dir, (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return error_set(error, UN_EXIT_USAGE, -EPERM,
				 "refusing to create the API socket in %s: the "
				 "directory is writable by other users (mode "
				 "%04o) and not sticky, so another user could "
				 "replace the socket; use a directory only you "
				 "can write to, such as $XDG_RUNTIME_DIR",
				 dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Make room at @name for our socket: a socket file of ours is a stale one
 * (Podman never removes them) and is removed; anything else, and anything of
 * another user's (a file, a socket, a link squatting the name in a shared
 * directory), is refused untouched: never removed, never connected to */
static int api_socket_clear_stale(int dirfd, const char *name, const char *path,
				  GError **error)
{
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot check the API socket path %s: %s",
				 path, g_strerror(-r));
	}
	if (st.st_uid != geteuid())
		return error_set(error, UN_EXIT_USAGE, -EEXIST,
				 "refusing to use %s as the API socket: a %s of "
				 "another user (uid %u) is at that path; remove "
				 "it or choose another path",
				 path,
				 S_ISSOCK(st.st_mode) ? "socket" :
				 S_ISLNK(st.st_mode)  ? "symbolic link" :
							"file",
				 (unsigned)st.st_uid);
	if (!S_ISSOCK(st.st_mode))
		return error_set(error, UN_EXIT_USAGE, -EEXIST,
				 "refusing to use %s as the API socket: "
				 "it exists and is not a socket",
				 path);
	if (unlinkat(dirfd, name, 0) && errno != ENOENT) {
		r = -errno;
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot remove the stale API socket %s: %s",
				 path, g_strerror(-r));
	}
	log_debug("removed the stale API socket %s", path);
	return 0;
}

/* The directory part of @path, opened O_PATH into @dirfd and checked
 * (api_socket_dir_check()), and the file's name in it: 0 or -errno */
static int api_socket_open_dir(const char *path, int *dirfd, char **name,
			       GError **error)
{
	g_autofree char *dir = NULL;
	int r;

	if (!path || !*path || path[strlen(path) - 1] == '/')
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "the API socket path '%s' does not name a file",
				 path ? path : "");
	dir = g_path_get_dirname(path);
	*name = g_path_get_basename(path);
	if (!strcmp(*name, ".") || !strcmp(*name, "..") || !strcmp(*name, "/"))
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "the API socket path '%s' does not name a file",
				 path);

	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0) {
		r = -errno;
		return error_set(error, UN_EXIT_USAGE, r,
				 "cannot open the directory %s of the API socket: %s",
				 dir, g_strerror(-r));
	}
	return api_socket_dir_check(*dirfd, dir, error);
}

/* The address to bind: the path itself when it fits, for a readable
 * getsockname(); otherwise through the directory we checked */
static int api_socket_addr(const char *path, int dirfd, const char *name,
			   struct sockaddr_un *sa, GError **error)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sa->sun_path)) {
		memcpy(sa->sun_path, path, strlen(path) + 1);
		return 0;
	}
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s",
		     dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return error_set(error, UN_EXIT_USAGE, -ENAMETOOLONG,
				 "the API socket path %s is too long "
				 "(at most %zu bytes)",
				 path, sizeof(sa->sun_path) - 1);
	return 0;
}

/* A socket bound to @sa, its file created with mode 0600 at most: the fd,
 * or -errno */
static int api_socket_create(const struct sockaddr_un *sa, const char *path,
			     GError **error)
{
	cleanup_fd int fd = -1;
	mode_t old_umask;
	int r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot create the API socket: %s",
				 g_strerror(-r));
	}
	/* bind() creates the file or fails with EADDRINUSE: a name taken
	 * again since it was cleared is never ours to replace */
	old_umask = umask(0177);
	r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	umask(old_umask);
	if (r == -EADDRINUSE)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot bind the API socket %s: another file "
				 "took the path meanwhile",
				 path);
	if (r)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot bind the API socket %s: %s", path,
				 g_strerror(-r));
	return util_steal_fd(&fd);
}

/* Check that the file just bound is in the directory we checked, ours (in a
 * sticky directory nobody else can remove or rename it from now on), and
 * its mode, then listen; its identity in @st. On a failure after the check
 * the file is removed again */
static int api_socket_listen(int fd, int dirfd, const char *name,
			     const char *path, struct stat *st, GError **error)
{
	int r;

	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISSOCK(st->st_mode) || st->st_uid != geteuid())
		return error_set(error, UN_EXIT_FAILURE, -EEXIST,
				 "the API socket %s was replaced while creating it",
				 path);
	if ((st->st_mode & 07777) != 0600 && fchmodat(dirfd, name, 0600, 0)) {
		r = -errno;
		unlinkat(dirfd, name, 0);
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot set the mode of the API socket %s: %s",
				 path, g_strerror(-r));
	}
	if (listen(fd, SOMAXCONN)) {
		r = -errno;
		unlinkat(dirfd, name, 0);
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot listen on the API socket %s: %s", path,
				 g_strerror(-r));
	}
	return 0;
}

/**
 * api_socket_bind() - create, bind and listen on the API socket at @path
 * @path:	socket file to create
 * @out:	the socket and where its file is; api_socket_close() it
 * @error:	UN_EXIT_USAGE for an unusable path (directory writable by
 *		others, a file that is not a socket in the way, too long),
 *		UN_EXIT_FAILURE for other failures
 *
 * The directory of @path must be the user's or root's and writable by no
 * other user unless sticky (/tmp): otherwise one of them could replace the
 * socket file with their own and read the requests. A socket file of the
 * user's already at @path is a stale one (Podman never removes them) and is
 * replaced; any other file, and anything of another user's, is left alone
 * and refused. The socket file gets mode 0600.
 *
 * Return: 0 or -errno
 */
int api_socket_bind(const char *path, struct api_socket *out, GError **error)
{
	struct sockaddr_un sa;
	g_autofree char *name = NULL;
	cleanup_fd int dirfd = -1, fd = -1;
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	out->fd = out->dirfd = -1;

	r = api_socket_open_dir(path, &dirfd, &name, error);
	if (!r)
		r = api_socket_clear_stale(dirfd, name, path, error);
	if (!r)
		r = api_socket_addr(path, dirfd, name, &sa, error);
	if (r)
		return r;
	fd = api_socket_create(&sa, path, error);
	if (fd < 0)
		return fd;
	r = api_socket_listen(fd, dirfd, name, path, &st, error);
	if (r)
		return r;

	out->fd = util_steal_fd(&fd);
	out->dirfd = util_steal_fd(&dirfd);
	out->name = g_steal_pointer(&name);
	out->path = g_strdup(path);
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return 0;
}

/**
 * api_socket_close() - close the socket and remove its file if it is still
 * ours (through the directory fd: this works after a pivot_root too)
 * @s:		socket from api_socket_bind(), may be all -1 and NULL
 */
void api_socket_close(struct api_socket *s)
{
	struct stat st;

	if (s->dirfd >= 0 && s->name &&
	    !fstatat(s->dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino && unlinkat(s->dirfd, s->name, 0))
		log_perror(LOG_LVL_WARN, "cannot remove the API socket %s",
			   s->path);
	util_close_fdp(&s->fd);
	util_close_fdp(&s->dirfd);
	g_clear_pointer(&s->name, g_free);
	g_clear_pointer(&s->path, g_free);
}

/* The server */

enum api_conn_state {
	API_CONN_READ,
	API_CONN_WRITE,
};

/**
 * struct api_conn - one client connection
 * @srv:	server
 * @fd:		connected socket, non-blocking
 * @state:	reading the request, or writing the reply
 * @deadline_us: g_get_monotonic_time() after which it is dropped
 * @len:	bytes in @buf
 * @reply:	the reply, once the request is complete
 * @reply_len:	its length
 * @sent:	bytes of it written
 * @passed_fd:	a descriptor that came with the request (SCM_RIGHTS), or -1
 * @buf:	the request (one byte more than allowed, to tell "too large")
 */
struct api_conn {
	struct api_server *srv;
	int fd;
	enum api_conn_state state;
	gint64 deadline_us;
	size_t len;
	char *reply;
	size_t reply_len;
	size_t sent;
	int passed_fd;
	char buf[API_REQUEST_MAX + 1];
};

/**
 * struct api_server - the API socket served in the loop
 * @backend:	what requests act on
 * @loop:	event loop
 * @sock:	listening socket and its file
 * @conns:	struct api_conn *
 * @paused:	listener not watched after running out of fds, until a tick
 */
struct api_server {
	struct api_backend backend;
	struct sl_loop *loop;
	struct api_socket sock;
	GPtrArray *conns;
	bool paused;
};

static void api_conn_free(struct api_conn *c)
{
	struct api_server *s = c->srv;

	sl_loop_unwatch_fd(s->loop, c->fd);
	close(c->fd);
	util_close_fdp(&c->passed_fd);
	g_ptr_array_remove_fast(s->conns, c);
	g_free(c->reply);
	g_free(c);
}

/* Discard what the client still sends, so that closing with unread data
 * does not turn its EOF into ECONNRESET */
static void api_conn_drain(struct api_conn *c)
{
	char junk[4096];
	int i;

	for (i = 0; i < 16; i++)
		if (recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
}

static void api_conn_on_event(struct sl_loop *l, int fd, short revents,
			      void *opaque);

/* Write what is left of the reply; close when done or on error */
static void api_conn_write(struct api_conn *c)
{
	while (c->sent < c->reply_len) {
		ssize_t n = send(c->fd, c->reply + c->sent,
				 c->reply_len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->state != API_CONN_WRITE) {
				c->state = API_CONN_WRITE;
				sl_loop_unwatch_fd(c->srv->loop, c->fd);
				sl_loop_watch_fd(c->srv->loop, c->fd, POLLOUT,
						 api_conn_on_event, c);
			}
			return;
		}
		if (n < 0) {
			log_debug("API socket: writing a reply failed: %s",
				  g_strerror(errno));
			api_conn_free(c);
			return;
		}
		c->sent += (size_t)n;
	}
	api_conn_drain(c);
	api_conn_free(c);
}

static void api_conn_respond(struct api_conn *c)
{
	if (log_enabled(LOG_LVL_DEBUG)) {
		g_autofree char *req = g_strndup(c->buf, MIN(c->len, 512));
		g_autofree char *esc = g_strescape(req, "\"");

		log_debug("API request: %s%s", esc, c->len > 512 ? "..." : "");
	}
	c->reply = api_handle_request_fd(&c->srv->backend, c->buf, c->len,
					 &c->passed_fd);
	c->reply_len = strlen(c->reply);
	log_debug("API reply: %s", c->reply);
	api_conn_write(c);
}

/* Whether a request whose client has not shut down its side is complete */
static bool api_request_complete(const char *buf, size_t len)
{
	g_autoptr(json_t) root = NULL;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (!len || buf[len - 1] != '}')
		return false;
	root = apijson_parse(buf, len);
	return root != NULL;
}

static void api_conn_read(struct api_conn *c)
{
	bool eof = false;

	while (c->len < sizeof(c->buf)) {
		/* The first descriptor that comes with the request is kept */
		ssize_t n = fdpass_recv_stream(c->fd, c->buf + c->len,
					       sizeof(c->buf) - c->len,
					       API_PASSED_FDS_MAX,
					       &c->passed_fd);

		if (n == 0) {
			eof = true;
			break;
		}
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			log_debug("API socket: reading a request failed: %s",
				  g_strerror((int)-n));
			api_conn_free(c);
			return;
		}
		c->len += (size_t)n;
	}
	/* Too large (len > API_REQUEST_MAX), complete, or wait for more */
	if (c->len == sizeof(c->buf) || eof ||
	    api_request_complete(c->buf, c->len))
		api_conn_respond(c);
}

static void api_conn_on_event(struct sl_loop *l, int fd, short revents,
			      void *opaque)
{
	struct api_conn *c = opaque;

	if (c->state == API_CONN_READ)
		api_conn_read(c);
	else
		api_conn_write(c);
}

static void api_server_on_listen(struct sl_loop *l, int fd, short revents,
				 void *opaque)
{
	struct api_server *s = opaque;
	int i;

	for (i = 0; i < API_ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct api_conn *c;

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_ratelimited(LOG_LVL_WARN,
					"API socket: accept failed: %s",
					g_strerror(errno));
			/* Out of fds or memory: stop until the next tick
			 * rather than spin on a readable listener */
			sl_loop_unwatch_fd(l, fd);
			s->paused = true;
			return;
		}
		if (s->conns->len >= API_CONN_MAX) {
			log_ratelimited(LOG_LVL_WARN,
					"API socket: %u connections already "
					"open, closing a new one",
					API_CONN_MAX);
			close(cfd);
			continue;
		}
		c = g_new0(struct api_conn, 1);
		c->srv = s;
		c->fd = cfd;
		c->passed_fd = -1;
		c->state = API_CONN_READ;
		c->deadline_us = g_get_monotonic_time() +
				 (gint64)API_CONN_TIMEOUT_MS * 1000;
		g_ptr_array_add(s->conns, c);
		sl_loop_watch_fd(l, cfd, POLLIN, api_conn_on_event, c);
	}
}

static void api_server_tick(struct sl_loop *l, void *opaque)
{
	struct api_server *s = opaque;
	gint64 now = g_get_monotonic_time();
	unsigned dropped = 0;
	guint i;

	for (i = s->conns->len; i-- > 0;) {
		struct api_conn *c = g_ptr_array_index(s->conns, i);

		if (now < c->deadline_us)
			continue;
		api_conn_free(c);
		dropped++;
	}
	if (dropped)
		log_ratelimited(LOG_LVL_WARN,
				"API socket: dropped %u client%s that did not "
				"complete a request within %u s",
				dropped, dropped > 1 ? "s" : "",
				API_CONN_TIMEOUT_MS / 1000);
	if (s->paused) {
		s->paused = false;
		sl_loop_watch_fd(l, s->sock.fd, POLLIN, api_server_on_listen,
				 s);
	}
}

/**
 * api_server_dirfd() - the O_PATH fd of the API socket's directory (the
 * sandbox allows removing the socket file beneath it only)
 * @s:		server
 *
 * Return: the fd
 */
int api_server_dirfd(const struct api_server *s)
{
	return s->sock.dirfd;
}

/**
 * api_server_new() - serve the API on a UNIX socket at @path
 * @path:	socket file (see api_socket_bind())
 * @b:		what requests act on: the forwarding table, and the helper's
 *		ops (copied; the table, the ops and their opaque must outlive
 *		the server)
 * @loop:	event loop that serves the socket
 * @out:	the server
 * @error:	see api_socket_bind()
 *
 * Return: 0 or -errno
 */
int api_server_new(const char *path, const struct api_backend *b,
		   struct sl_loop *loop, struct api_server **out,
		   GError **error)
{
	struct api_server *s;
	struct api_socket sock;
	int r;

	r = api_socket_bind(path, &sock, error);
	if (r < 0)
		return r;
	s = g_new0(struct api_server, 1);
	s->backend = *b;
	s->loop = loop;
	s->sock = sock;
	s->conns = g_ptr_array_new();
	sl_loop_watch_fd(loop, s->sock.fd, POLLIN, api_server_on_listen, s);
	sl_loop_every(loop, API_TICK_MS, api_server_tick, s);
	log_debug("API socket listening at %s", path);
	*out = s;
	return 0;
}

/**
 * api_server_free() - close every connection and the socket, remove the
 * socket file
 * @s:		server, may be NULL
 *
 * The loop offers no way to cancel the tick the server registered: call this
 * once sl_loop_run() has returned for good, and before sl_loop_free().
 */
void api_server_free(struct api_server *s)
{
	if (!s)
		return;
	/* api_conn_free() takes each out of s->conns (the analyser cannot
	 * see it) */
	while (s->conns->len)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		api_conn_free(g_ptr_array_index(s->conns, 0));
	g_ptr_array_unref(s->conns);
	sl_loop_unwatch_fd(s->loop, s->sock.fd);
	api_socket_close(&s->sock);
	g_free(s);
}
