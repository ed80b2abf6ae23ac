/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-api.c - the JSON API: requests and replies against a fake
 * forwarding table, the socket file, and the server in a real event loop
 * with a real client
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "portfwd/api.h"
#include "portfwd/apiclient.h"
#include "portfwd/apijson.h"

/* The fake forwarding table: api.c calls pf_table_add(), pf_table_remove(),
 * pf_table_rules() and pf_table_binds_refused() itself, so this file defines
 * them, and struct pf_table, and the linker takes these rather than
 * portfwd/fwd.c's (nothing else here needs that file) */

/**
 * struct pf_table - an in-memory forwarding table
 * @rules:	struct pf_rule *
 * @next_id:	next rule ID
 * @fail:	if non-zero, add fails with this -errno and @fail_msg
 * @fail_msg:	message of the failure
 * @calls:	add and remove calls that got through
 * @binds_refused: what pf_table_binds_refused() answers
 */
struct pf_table {
	GPtrArray *rules;
	unsigned next_id;
	int fail;
	const char *fail_msg;
	unsigned calls;
	uint64_t binds_refused;
};

/* The spec handed to the table, recorded before anything is filled in */
static struct pf_spec recorded;

int pf_table_add(struct pf_table *f, const struct pf_spec *spec, unsigned *id,
		 GError **error)
{
	struct pf_rule *r;

	recorded = *spec;
	f->calls++;
	if (f->fail) {
		if (f->fail_msg)
			g_set_error_literal(error, UN_ERROR, UN_EXIT_PUBLISH,
					    f->fail_msg);
		return f->fail;
	}
	r = g_new0(struct pf_rule, 1);
	r->id = f->next_id++;
	r->spec = *spec;
	/* An unset host address stays unset: both families */
	if (!r->spec.guest_addr_set) {
		r->spec.guest_addr.family = r->spec.host_addr_set ?
						    r->spec.host_addr.family :
						    AF_INET;
		if (r->spec.guest_addr.family == AF_INET6)
			inet_pton(AF_INET6, "fd00::100",
				  &r->spec.guest_addr.v6);
		else
			inet_pton(AF_INET, "10.0.2.100",
				  &r->spec.guest_addr.v4);
		r->spec.guest_addr_set = true;
	}
	if (!r->spec.host_port)
		r->spec.host_port = (uint16_t)(40000 + r->id);
	g_ptr_array_add(f->rules, r);
	*id = r->id;
	return 0;
}

int pf_table_remove(struct pf_table *f, unsigned id)
{
	guint i;

	f->calls++;
	for (i = 0; i < f->rules->len; i++) {
		struct pf_rule *r = g_ptr_array_index(f->rules, i);

		if (r->id == id) {
			g_ptr_array_remove_index(f->rules, i);
			return 0;
		}
	}
	return -ENOENT;
}

GPtrArray *pf_table_rules(struct pf_table *f)
{
	return f->rules;
}

uint64_t pf_table_binds_refused(const struct pf_table *f)
{
	return f->binds_refused;
}

/* A helper that knows nothing: no stats, no capture */
static const struct api_helper_ops no_ops;

static void fake_init(struct pf_table *f, struct api_backend *b)
{
	memset(f, 0, sizeof(*f));
	memset(b, 0, sizeof(*b));
	f->rules = g_ptr_array_new_with_free_func(g_free);
	f->next_id = 1;
	b->table = f;
	b->ops = &no_ops;
}

static void fake_clear(struct pf_table *f)
{
	g_ptr_array_unref(f->rules);
}

static const struct pf_rule *fake_rule(struct pf_table *f, guint i)
{
	g_assert_cmpuint(i, <, f->rules->len);
	return g_ptr_array_index(f->rules, i);
}

/* Send @req (NUL-terminated), compare the reply byte for byte */
static void check(const struct api_backend *b, const char *req,
		  const char *expected)
{
	g_autofree char *reply = api_handle_request(b, req, strlen(req));

	g_assert_cmpstr(reply, ==, expected);
}

#define ADD_COMPAT                                                       \
	"{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\"," \
	"\"host_addr\":\"0.0.0.0\",\"host_port\":8080,\"guest_addr\":\"\",\"guest_port\":80}}"
#define STATS0                                                       \
	",\"stats\":{\"active\":0,\"total\":0,\"bytes_to_guest\":0," \
	"\"bytes_from_guest\":0,\"refused\":0}"

/* The three requests of compat.md, byte for byte */
static void test_compat(void)
{
	struct api_backend b;
	const struct pf_rule *r;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b, ADD_COMPAT, "{\"return\":{\"id\":1}}");
	r = fake_rule(&f, 0);
	g_assert_cmpint(r->spec.proto, ==, PF_PROTO_TCP);
	g_assert_true(r->spec.host_addr_set); /* given explicitly */
	g_assert_cmpuint(r->spec.host_port, ==, 8080);
	g_assert_cmpuint(r->spec.guest_port, ==, 80);
	g_assert_cmpuint(r->spec.count, ==, 1);

	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"return\":{\"entries\":[{\"id\":1,\"proto\":\"tcp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":8080,"
	      "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80" STATS0 "}]}}");
	/* With the newline and spaces clients send */
	check(&b,
	      "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"udp\", "
	      "\"host_port\": 5353, \"guest_port\": 53}}\n",
	      "{\"return\":{\"id\":2}}");
	check(&b, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	      "{\"return\":{}}");
	check(&b, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	      "{\"error\":{\"desc\":\"bad request: remove_hostfwd: no such rule id 1\"}}");
	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"return\":{\"entries\":[{\"id\":2,\"proto\":\"udp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":5353,"
	      "\"guest_addr\":\"10.0.2.100\",\"guest_port\":53" STATS0 "}]}}");
	check(&b, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":2}}",
	      "{\"return\":{}}");
	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"return\":{\"entries\":[]}}");
	fake_clear(&f);
}

/* Explicit addresses reach the backend; a failure changes nothing */
static void test_addresses(void)
{
	char buf[ADDR_STRLEN];
	struct api_backend b;
	struct pf_spec seen;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
	      "\"host_addr\":\"127.0.0.1\",\"host_port\":53,\"guest_addr\":\"10.0.2.5\","
	      "\"guest_port\":53}}",
	      "{\"return\":{\"id\":1}}");
	seen = fake_rule(&f, 0)->spec;
	g_assert_cmpint(seen.proto, ==, PF_PROTO_UDP);
	g_assert_cmpstr(addr_ip_str(&seen.host_addr, buf, sizeof(buf)), ==,
			"127.0.0.1");
	g_assert_cmpstr(addr_ip_str(&seen.guest_addr, buf, sizeof(buf)), ==,
			"10.0.2.5");
	g_assert_cmpuint(seen.host_port, ==, 53);
	g_assert_cmpuint(seen.guest_port, ==, 53);

	f.fail = -EADDRINUSE;
	f.fail_msg = "x";
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":1,\"guest_port\":2}}",
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: x\"}}");
	g_assert_cmpuint(f.rules->len, ==, 1);
	/* A failure without a message gets strerror */
	f.fail_msg = NULL;
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":1,\"guest_port\":2}}",
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: Address already in use\"}}");
	g_assert_cmpuint(f.rules->len, ==, 1);
	fake_clear(&f);
}

/* No host_addr (missing, "" or null) is slirp4netns's 0.0.0.0, IPv4 only;
 * our extension "dual_stack":true without it asks for both families */
static void expect_ipv4_any(void)
{
	g_assert_true(recorded.host_addr_set);
	g_assert_cmpint(recorded.host_addr.family, ==, AF_INET);
	g_assert_true(addr_ip_is_any(&recorded.host_addr));
	g_assert_false(recorded.guest_addr_set);
}

static void test_unset_addresses(void)
{
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":1,\"guest_port\":2}}",
	      "{\"return\":{\"id\":1}}");
	expect_ipv4_any();
	g_assert_cmpuint(recorded.count, ==, 1);
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":\"\",\"host_port\":3,\"guest_addr\":\"\",\"guest_port\":4}}",
	      "{\"return\":{\"id\":2}}");
	expect_ipv4_any();
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":null,\"host_port\":5,\"guest_addr\":null,\"guest_port\":6}}",
	      "{\"return\":{\"id\":3}}");
	expect_ipv4_any();
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":9,\"guest_port\":10,\"dual_stack\":true}}",
	      "{\"return\":{\"id\":4}}");
	g_assert_false(recorded.host_addr_set);
	/* An address given wins over dual_stack */
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":11,\"guest_port\":12,"
	      "\"dual_stack\":true}}",
	      "{\"return\":{\"id\":5}}");
	expect_ipv4_any();
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":7,\"guest_addr\":\"10.0.2.100\","
	      "\"guest_port\":8,\"unknown\":[1,{}]}}",
	      "{\"return\":{\"id\":6}}");
	g_assert_true(recorded.host_addr_set);
	g_assert_true(recorded.guest_addr_set);
	fake_clear(&f);
}

static void test_ipv6(void)
{
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":\"::1\",\"host_port\":8080,\"guest_port\":80}}",
	      "{\"return\":{\"id\":1}}");
	g_assert_true(recorded.host_addr_set);
	g_assert_cmpint(recorded.host_addr.family, ==, AF_INET6);
	g_assert_true(IN6_IS_ADDR_LOOPBACK(&recorded.host_addr.v6));
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
	      "\"host_addr\":\"[::]\",\"host_port\":53,\"guest_addr\":\"[fd00::100]\","
	      "\"guest_port\":53}}",
	      "{\"return\":{\"id\":2}}");
	g_assert_cmpint(recorded.host_addr.family, ==, AF_INET6);
	g_assert_cmpint(recorded.guest_addr.family, ==, AF_INET6);
	/* Printed without brackets */
	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"return\":{\"entries\":["
	      "{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":8080,"
	      "\"guest_addr\":\"fd00::100\",\"guest_port\":80" STATS0 "},"
	      "{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"::\",\"host_port\":53,"
	      "\"guest_addr\":\"fd00::100\",\"guest_port\":53" STATS0 "}]}}");
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_addr\":\"[::1\",\"host_port\":1,\"guest_port\":1}}",
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: bad arguments.host_addr\"}}");
	fake_clear(&f);
}

static void test_ephemeral(void)
{
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":0,\"guest_port\":80}}",
	      "{\"return\":{\"id\":1,\"host_port\":40001}}");
	g_assert_cmpuint(recorded.host_port, ==, 0);
	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"return\":{\"entries\":[{\"id\":1,\"proto\":\"tcp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":40001,"
	      "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80" STATS0 "}]}}");
	/* The guest port cannot be 0 */
	check(&b,
	      "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	      "\"host_port\":0,\"guest_port\":0}}",
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: bad arguments.guest_port\"}}");
	fake_clear(&f);
}

/* Ranges, automatic rules and counters in list_hostfwd */
static void test_extensions(void)
{
	struct pf_rule *r1 = g_new0(struct pf_rule, 1);
	struct pf_rule *r2 = g_new0(struct pf_rule, 1);
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	r1->id = 7;
	r1->spec.proto = PF_PROTO_TCP;
	r1->spec.host_addr_set = true;
	r1->spec.host_addr.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &r1->spec.host_addr.v4);
	r1->spec.host_port = 8000;
	r1->spec.guest_port = 80;
	r1->spec.count = 10;
	r1->spec.guest_addr_set = true;
	r1->spec.guest_addr.family = AF_INET;
	inet_pton(AF_INET, "10.0.2.100", &r1->spec.guest_addr.v4);
	r1->stats.active = 2;
	r1->stats.total = 30;
	r1->stats.bytes_to_guest = 123456789012ULL;
	r1->stats.bytes_from_guest = 42;
	r1->stats.refused = 1;
	r2->id = 9;
	r2->spec.proto = PF_PROTO_UDP;
	r2->spec.host_port = 5353;
	r2->spec.guest_port = 5353;
	r2->spec.count = 1;
	r2->automatic = true;
	g_ptr_array_add(f.rules, r1);
	g_ptr_array_add(f.rules, r2);
	check(&b, "{\"execute\":\"list_hostfwd\",\"arguments\":{}}",
	      "{\"return\":{\"entries\":["
	      "{\"id\":7,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":8000,"
	      "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80,"
	      "\"host_port_end\":8009,\"guest_port_end\":89,"
	      "\"stats\":{\"active\":2,\"total\":30,\"bytes_to_guest\":123456789012,"
	      "\"bytes_from_guest\":42,\"refused\":1}},"
	      "{\"id\":9,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":5353,"
	      "\"guest_addr\":\"\",\"guest_port\":5353,\"dual_stack\":true,\"automatic\":true" STATS0
	      "}]}}");
	fake_clear(&f);
}

static void fake_stats(void *opaque, struct api_stats *st)
{
	st->tap.frames_in = 10;
	st->tap.bytes_in = 1000;
	st->tap.frames_out = 20;
	st->tap.bytes_out = 2000;
	st->tap.drops_out = 1;
	st->tap.martians_in = 8;
	st->flows.tcp_total = 3;
	st->flows.udp_total = 4;
	st->flows.dns_queries = 5;
	st->flows.dns_answers = 6;
	st->sockets_known = true;
	st->tcp_active = 1;
	st->udp_active = 2;
	st->proc.rss_bytes = 4096;
	st->proc.max_rss_bytes = 8192;
	st->proc.cpu_user_us = 11;
	st->proc.cpu_system_us = 12;
	st->uptime_ms = 13;
}

static const struct api_helper_ops stats_ops = {
	.stats = fake_stats,
};

/* As the drop-in slirp4netns: list_hostfwd as slirp4netns 1.2 answers it */
static void test_slirp4netns_list(void)
{
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	b.slirp4netns_list = true;
	check(&b, "{\"execute\":\"list_hostfwd\"}", "{\"entries\":[]}");
	check(&b, ADD_COMPAT, "{\"return\":{\"id\":1}}");
	check(&b, "{\"execute\":\"list_hostfwd\"}",
	      "{\"entries\":[{\"id\":1,\"proto\":\"tcp\","
	      "\"host_addr\":\"0.0.0.0\",\"host_port\":8080,"
	      "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}]}");
	fake_clear(&f);
}

/* {"execute":"stats"}: every figure, the rules as list_hostfwd has them;
 * without a stats callback the request is unknown, as for slirp4netns */
static void test_stats(void)
{
	struct pf_rule *r = g_new0(struct pf_rule, 1);
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	check(&b, "{\"execute\":\"stats\"}",
	      "{\"error\":{\"desc\":\"bad request: unknown execute\"}}");
	b.ops = &stats_ops;
	f.binds_refused = 7;
	r->id = 1;
	r->spec.proto = PF_PROTO_TCP;
	r->spec.host_port = 8080;
	r->spec.guest_port = 80;
	r->spec.count = 1;
	r->stats.refused = 2;
	g_ptr_array_add(f.rules, r);
	check(&b, "{\"execute\":\"stats\"}",
	      "{\"return\":{\"tap\":{\"frames_in\":10,\"bytes_in\":1000,"
	      "\"frames_out\":20,\"bytes_out\":2000},"
	      "\"tcp\":{\"active\":1,\"total\":3},"
	      "\"udp\":{\"active\":2,\"total\":4},"
	      "\"dns\":{\"queries\":5,\"answered\":6},"
	      "\"errors\":{\"frames_dropped\":1,\"martian_frames\":8,"
	      "\"binds_refused\":7,"
	      "\"connections_refused\":2},"
	      "\"process\":{\"rss_bytes\":4096,\"max_rss_bytes\":8192,"
	      "\"cpu_user_us\":11,\"cpu_system_us\":12,\"uptime_ms\":13},"
	      "\"rules\":[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"0.0.0.0\","
	      "\"host_port\":8080,\"guest_addr\":\"\",\"guest_port\":80,"
	      "\"dual_stack\":true,"
	      "\"stats\":{\"active\":0,\"total\":0,\"bytes_to_guest\":0,"
	      "\"bytes_from_guest\":0,\"refused\":2}}]}}");
	fake_clear(&f);
}

static void test_backend_error(void)
{
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	f.fail = -EADDRINUSE;
	f.fail_msg = "cannot publish 0.0.0.0:8080/tcp: the port is in use";
	check(&b, ADD_COMPAT,
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: cannot publish "
	      "0.0.0.0:8080/tcp: the port is in use\"}}");
	/* Quotes and invalid UTF-8 in a message still make valid JSON */
	f.fail_msg = "a \"quoted\"\n\xff message";
	check(&b, ADD_COMPAT,
	      "{\"error\":{\"desc\":\"bad request: add_hostfwd: a \\\"quoted\\\"\\n"
	      "\xef\xbf\xbd message\"}}");
	g_assert_cmpuint(f.rules->len, ==, 0);
	fake_clear(&f);
}

/* The fake packet capture */
struct fake_capture {
	bool running;
	char *path;
	uint64_t max_size;
};

static int fake_capture_start(void *opaque, const char *path, uint64_t max_size,
			      GError **error)
{
	struct fake_capture *c = opaque;

	if (g_str_has_suffix(path, "exists")) {
		g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
			    "cannot create the capture file %s: it already "
			    "exists",
			    path);
		return -EEXIST;
	}
	if (c->running)
		return -EBUSY;
	c->running = true;
	g_free(c->path);
	c->path = g_strdup(path);
	c->max_size = max_size;
	return 0;
}

static int fake_capture_stop(void *opaque, struct capture_stats *st)
{
	struct fake_capture *c = opaque;

	if (!c->running)
		return -ENOENT;
	c->running = false;
	st->frames = 12;
	st->bytes = 3456;
	st->dropped = 1;
	st->files = 2;
	return 0;
}

static const struct api_helper_ops capture_ops = {
	.capture_start = fake_capture_start,
	.capture_stop = fake_capture_stop,
};

#define CAP_ERR "{\"error\":{\"desc\":\"bad request: "

static void test_capture(void)
{
	struct fake_capture c = { 0 };
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	/* a backend without capture says so */
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/x\"}}",
	      CAP_ERR "start_capture: packet capture is not available\"}}");
	check(&b, "{\"execute\":\"stop_capture\"}",
	      CAP_ERR "stop_capture: packet capture is not available\"}}");

	b.ops = &capture_ops;
	b.opaque = &c;
	check(&b, "{\"execute\":\"stop_capture\"}",
	      CAP_ERR "stop_capture: no capture is running\"}}");
	check(&b, "{\"execute\":\"start_capture\"}",
	      CAP_ERR "start_capture: missing arguments.path\"}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"\"}}",
	      CAP_ERR "start_capture: missing arguments.path\"}}");
	check(&b, "{\"execute\":\"start_capture\",\"arguments\":{\"path\":[]}}",
	      CAP_ERR "start_capture: arguments.path must be a string\"}}");
	check(&b, "{\"execute\":\"start_capture\",\"arguments\":\"/x\"}",
	      CAP_ERR "start_capture: bad arguments\"}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"x.pcap\"}}",
	      CAP_ERR "start_capture: arguments.path must be an absolute path, "
		      "not 'x.pcap'\"}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/x\","
	      "\"max_size\":1023}}",
	      CAP_ERR "start_capture: arguments.max_size must be an integer of "
		      "at least 1024 (bytes)\"}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/x\","
	      "\"max_size\":1.5e6}}",
	      CAP_ERR "start_capture: arguments.max_size must be an integer of "
		      "at least 1024 (bytes)\"}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/exists\"}}",
	      CAP_ERR "start_capture: cannot create the capture file /exists: "
		      "it already exists\"}}");
	g_assert_false(c.running);

	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/a.pcap\","
	      "\"max_size\":null}}",
	      "{\"return\":{}}");
	g_assert_true(c.running);
	g_assert_cmpstr(c.path, ==, "/a.pcap");
	g_assert_cmpuint(c.max_size, ==, 0);
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/b.pcap\"}}",
	      CAP_ERR "start_capture: Device or resource busy\"}}");
	check(&b, "{\"execute\":\"stop_capture\",\"arguments\":{}}",
	      "{\"return\":{\"frames\":12,\"bytes\":3456,\"dropped\":1,"
	      "\"files\":2}}");
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"/c.pcap\","
	      "\"max_size\":1048576}}",
	      "{\"return\":{}}");
	g_assert_cmpuint(c.max_size, ==, 1048576);
	g_assert_cmpuint(f.rules->len, ==, 0);
	g_free(c.path);
	fake_clear(&f);
}

static void test_oversize(void)
{
	g_autofree char *big = g_malloc(API_REQUEST_MAX + 2);
	g_autofree char *reply = NULL;
	const char *req = "{\"execute\":\"list_hostfwd\"}";
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	/* Exactly API_REQUEST_MAX bytes: accepted */
	memset(big, ' ', API_REQUEST_MAX + 1);
	memcpy(big, req, strlen(req));
	reply = api_handle_request(&b, big, API_REQUEST_MAX);
	g_assert_cmpstr(reply, ==, "{\"return\":{\"entries\":[]}}");
	g_clear_pointer(&reply, g_free);
	/* One more: refused */
	reply = api_handle_request(&b, big, API_REQUEST_MAX + 1);
	g_assert_cmpstr(reply, ==,
			"{\"error\":{\"desc\":\"bad request: too large message\"}}");
	g_clear_pointer(&reply, g_free);
	/* A NUL ends the request, as in slirp4netns */
	reply = api_handle_request(&b, "{\"execute\":\"list_hostfwd\"}\0junk",
				   strlen(req) + 5);
	g_assert_cmpstr(reply, ==, "{\"return\":{\"entries\":[]}}");
	g_clear_pointer(&reply, g_free);
	/* Not NUL-terminated at all */
	memcpy(big, req, strlen(req));
	reply = api_handle_request(&b, big, strlen(req));
	g_assert_cmpstr(reply, ==, "{\"return\":{\"entries\":[]}}");
	fake_clear(&f);
}

#define E(what) "{\"error\":{\"desc\":\"bad request: " what "\"}}"
#define ADD(args) "{\"execute\":\"add_hostfwd\",\"arguments\":{" args "}}"
#define P "\"proto\":\"tcp\""
#define HP "\"host_port\":8080"
#define GP "\"guest_port\":80"

static void test_malformed(void)
{
	static const struct {
		const char *req;
		const char *reply;
	} cases[] = {
		{ "", E("cannot parse JSON") },
		{ "   \n", E("cannot parse JSON") },
		{ "{", E("cannot parse JSON") },
		{ "{\"execute\":\"list_hostfwd\"", E("cannot parse JSON") },
		{ "{\"execute\":\"list_hostfwd\"} trailing",
		  E("cannot parse JSON") },
		{ "\xff\xfe", E("cannot parse JSON") },
		{ "{\"execute\":\"\xff\"}", E("cannot parse JSON") },
		{ "[]", E("not a JSON object") },
		{ "42", E("not a JSON object") },
		{ "\"execute\"", E("not a JSON object") },
		{ "null", E("not a JSON object") },
		{ "{}", E("no execute found") },
		{ "{\"execute\":1}", E("no execute found") },
		{ "{\"execute\":null}", E("no execute found") },
		{ "{\"execute\":[\"list_hostfwd\"]}", E("no execute found") },
		{ "{\"execute\":{}}", E("no execute found") },
		{ "{\"execute\":\"\"}", E("unknown execute") },
		{ "{\"execute\":\"LIST_HOSTFWD\"}", E("unknown execute") },
		{ "{\"execute\":\"rm -rf /\"}", E("unknown execute") },
		{ "{\"execute\":\"list_hostfwd\",\"arguments\":[]}",
		  E("list_hostfwd: bad arguments") },
		{ "{\"execute\":\"add_hostfwd\"}",
		  E("add_hostfwd: bad arguments.proto") },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":null}",
		  E("add_hostfwd: bad arguments") },
		{ "{\"execute\":\"add_hostfwd\",\"arguments\":\"x\"}",
		  E("add_hostfwd: bad arguments") },
		{ ADD(HP "," GP), E("add_hostfwd: bad arguments.proto") },
		{ ADD("\"proto\":\"sctp\"," HP "," GP),
		  E("add_hostfwd: bad arguments.proto") },
		{ ADD("\"proto\":\"TCP\"," HP "," GP),
		  E("add_hostfwd: bad arguments.proto") },
		{ ADD("\"proto\":\"\"," HP "," GP),
		  E("add_hostfwd: bad arguments.proto") },
		{ ADD("\"proto\":6," HP "," GP),
		  E("add_hostfwd: bad arguments.proto") },
		{ ADD("\"proto\":[\"tcp\"]," HP "," GP),
		  E("add_hostfwd: bad arguments.proto") },
		{ ADD(P ",\"host_addr\":\"localhost\"," HP "," GP),
		  E("add_hostfwd: bad arguments.host_addr") },
		{ ADD(P ",\"host_addr\":\"1.2.3\"," HP "," GP),
		  E("add_hostfwd: bad arguments.host_addr") },
		{ ADD(P ",\"host_addr\":\"0.0.0.0:80\"," HP "," GP),
		  E("add_hostfwd: bad arguments.host_addr") },
		{ ADD(P ",\"host_addr\":0," HP "," GP),
		  E("add_hostfwd: bad arguments.host_addr") },
		{ ADD(P ",\"host_addr\":{}," HP "," GP),
		  E("add_hostfwd: bad arguments.host_addr") },
		{ ADD(P "," GP), E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":\"8080\"," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":8080.0," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":8080.5," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":8e3," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":-1," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":65536," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":4294975376," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":99999999999999999999999," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":true," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":null," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P ",\"host_port\":[8080]," GP),
		  E("add_hostfwd: bad arguments.host_port") },
		{ ADD(P "," HP ",\"guest_addr\":\"10.0.2\"," GP),
		  E("add_hostfwd: bad arguments.guest_addr") },
		{ ADD(P "," HP ",\"guest_addr\":false," GP),
		  E("add_hostfwd: bad arguments.guest_addr") },
		{ ADD(P "," HP), E("add_hostfwd: bad arguments.guest_port") },
		{ ADD(P "," HP ",\"guest_port\":0"),
		  E("add_hostfwd: bad arguments.guest_port") },
		{ ADD(P "," HP ",\"guest_port\":65536"),
		  E("add_hostfwd: bad arguments.guest_port") },
		{ ADD(P "," HP ",\"guest_port\":\"80\""),
		  E("add_hostfwd: bad arguments.guest_port") },
		{ ADD(P "," HP ",\"guest_port\":80.0"),
		  E("add_hostfwd: bad arguments.guest_port") },
		{ ADD(P "," HP ",\"guest_port\":-80"),
		  E("add_hostfwd: bad arguments.guest_port") },
		{ "{\"execute\":\"remove_hostfwd\"}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":\"1\"}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1.0}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":0}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":-1}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":4294967297}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":true}}",
		  E("remove_hostfwd: bad arguments.id") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":4294967295}}",
		  E("remove_hostfwd: no such rule id 4294967295") },
		{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":2}}",
		  E("remove_hostfwd: no such rule id 2") },
	};
	struct api_backend b;
	struct pf_table f;
	size_t i;

	fake_init(&f, &b);
	check(&b, ADD_COMPAT, "{\"return\":{\"id\":1}}");
	f.calls = 0;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		g_autofree char *reply =
			api_handle_request(&b, cases[i].req,
					   strlen(cases[i].req));

		if (g_strcmp0(reply, cases[i].reply))
			g_error("request %s: expected %s, got %s", cases[i].req,
				cases[i].reply, reply);
	}
	/* Nothing changed: the backend was only asked to remove absent IDs */
	g_assert_cmpuint(f.rules->len, ==, 1);
	g_assert_cmpuint(fake_rule(&f, 0)->id, ==, 1);
	g_assert_cmpuint(f.calls, ==, 2);
	fake_clear(&f);
}

/* What a request's JSON means (portfwd/apijson.c): valid JSON read as
 * json-glib read it before, and what is not JSON refused */
static void test_json_reading(void)
{
	static const char *const not_json[] = {
		"/* c */{\"execute\":\"list_hostfwd\"}",
		"{'execute':'list_hostfwd'}",
		"\xef\xbb\xbf{\"execute\":\"list_hostfwd\"}",
		"{\"execute\":\"list_hostfwd\"} {}",
		"{\"execute\":\"list_hostfwd\",\"x\":0x10}",
		"{\"execute\":\"list_hostfwd\",\"x\":010}",
		"{\"execute\":\"list_hostfwd\",\"x\":.5}",
		"{\"execute\":\"list_hostfwd\",\"x\":\"\\x\"}",
		"{\"execute\":\"list_hostfwd\",\"x\":\"\t\"}",
		"{\"execute\\u0000\":\"list_hostfwd\"}",
	};
	struct api_backend b;
	struct pf_table f;
	size_t i;

	fake_init(&f, &b);
	/* Numbers past int64 or double are numbers, just not integers */
	check(&b,
	      ADD(P "," HP "," GP ",\"x\":99999999999999999999999,"
		    "\"y\":-1e400"),
	      "{\"return\":{\"id\":1}}");
	check(&b, ADD(P "," HP ",\"guest_port\":-99999999999999999999999"),
	      E("add_hostfwd: bad arguments.guest_port"));
	check(&b,
	      "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1e400}}",
	      E("remove_hostfwd: bad arguments.id"));
	/* A member given twice has its last value */
	check(&b,
	      "{\"execute\":\"x\",\"execute\":\"remove_hostfwd\","
	      "\"arguments\":{\"id\":2,\"id\":1}}",
	      "{\"return\":{}}");
	g_assert_cmpuint(f.rules->len, ==, 0);
	/* \u0000 ends a string; in a member name it is refused */
	check(&b, "{\"execute\":\"list_hostfwd\\u0000x\"}",
	      "{\"return\":{\"entries\":[]}}");
	for (i = 0; i < ARRAY_SIZE(not_json); i++)
		check(&b, not_json[i], E("cannot parse JSON"));
	fake_clear(&f);
}

/* Replies escape as json-glib did, and 0x1f too: strict JSON */
static void test_json_writing(void)
{
	struct fake_capture c = { 0 };
	g_autoptr(json_t) real = NULL;
	g_autofree char *text = NULL;
	struct api_backend b;
	struct pf_table f;

	fake_init(&f, &b);
	b.ops = &capture_ops;
	b.opaque = &c;
	check(&b,
	      "{\"execute\":\"start_capture\",\"arguments\":{\"path\":"
	      "\"\\u0001\\b\\t\\n\\f\\r\\u001f\\u007f\\\"\\\\/\\u00e9\\u0000x\"}}",
	      E("start_capture: arguments.path must be an absolute path, not '"
		"\\u0001\\b\\t\\n\\f\\r\\u001f\\u007f\\\"\\\\/\xc3\xa9'"));
	fake_clear(&f);

	real = json_pack("[f,f,f]", 1.0, 0.5, 1e20);
	text = apijson_dump(real);
	g_assert_cmpstr(text, ==, "[1.0,0.5,1e+20]");
}

/* The socket file */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *make_tmpdir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-api-XXXXXX", &error);

	g_assert_no_error(error);
	g_assert_cmpint(chmod(dir, 0700), ==, 0);
	return dir;
}

static void rm_tmpdir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_remove(p);
	}
	g_rmdir(dir);
}

static void test_socket_file(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "api.sock", NULL);
	g_autofree char *moved = g_strconcat(dir, ".moved", NULL);
	g_autofree char *moved_path = g_build_filename(moved, "api.sock", NULL);
	g_autoptr(GError) error = NULL;
	struct api_socket s;
	struct stat st;
	int flags;

	umask(022);
	g_assert_cmpint(api_socket_bind(path, &s, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpint(umask(022), ==, 022); /* restored */
	flags = fcntl(s.fd, F_GETFD);
	g_assert_true(flags & FD_CLOEXEC);
	g_assert_true(fcntl(s.dirfd, F_GETFD) & FD_CLOEXEC);
	g_assert_true(fcntl(s.fd, F_GETFL) & O_NONBLOCK);

	/* Removed through the directory fd, even once the path is gone */
	g_assert_cmpint(rename(dir, moved), ==, 0);
	api_socket_close(&s);
	g_assert_cmpint(lstat(moved_path, &st), ==, -1);
	g_assert_cmpint(errno, ==, ENOENT);
	g_assert_cmpint(rename(moved, dir), ==, 0);

	/* Not removed if someone else's file took its place */
	g_assert_cmpint(api_socket_bind(path, &s, &error), ==, 0);
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_true(g_file_set_contents(path, "x", 1, NULL));
	api_socket_close(&s);
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_cmpint(unlink(path), ==, 0);
	rm_tmpdir(dir);
}

static void test_socket_stale(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "api.sock", NULL);
	g_autoptr(GError) error = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api_socket s;
	struct stat st, st2;
	int fd;

	/* A stale socket, as a dead helper leaves it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	close(fd);
	g_assert_cmpint(lstat(path, &st), ==, 0);

	g_assert_cmpint(api_socket_bind(path, &s, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(lstat(path, &st2), ==, 0);
	g_assert_true(S_ISSOCK(st2.st_mode));
	/* The stale one refused connections; ours takes them */
	fd = raw_connect(path);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	/* And a second server replaces ours the same way */
	{
		struct api_socket s2;

		g_assert_cmpint(api_socket_bind(path, &s2, &error), ==, 0);
		api_socket_close(&s2);
	}
	api_socket_close(&s);
	rm_tmpdir(dir);
}

static void test_socket_refused(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "api.sock", NULL);
	g_autofree char *sub = g_build_filename(dir, "sub", NULL);
	g_autofree char *subpath = g_build_filename(sub, "api.sock", NULL);
	g_autofree char *lpath = g_build_filename(dir, "link.sock", NULL);
	g_autofree char *longpath = NULL;
	struct api_socket s;
	struct stat st;

	/* A regular file in the way */
	{
		g_autoptr(GError) error = NULL;

		g_assert_true(g_file_set_contents(path, "keep", 4, NULL));
		g_assert_cmpint(api_socket_bind(path, &s, &error), <, 0);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_nonnull(strstr(error->message, "not a socket"));
		g_assert_cmpint(lstat(path, &st), ==, 0);
		g_assert_true(S_ISREG(st.st_mode));
		g_assert_cmpint(s.fd, ==, -1);
	}
	/* A symlink, even to a socket path, is not a socket */
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(symlink(path, lpath), ==, 0);
		g_assert_cmpint(api_socket_bind(lpath, &s, &error), <, 0);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	}
	/* A directory */
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
		g_assert_cmpint(api_socket_bind(sub, &s, &error), <, 0);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	}
	/* A directory others (the world, or a group) can write to, unless
	 * sticky */
	{
		static const mode_t modes[] = { 0777, 0702, 0770, 0720 };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(modes); i++) {
			g_autoptr(GError) error = NULL;

			g_assert_cmpint(chmod(sub, modes[i]), ==, 0);
			g_assert_cmpint(api_socket_bind(subpath, &s, &error), <,
					0);
			g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
			g_assert_nonnull(strstr(error->message,
						"writable by other users"));
			g_assert_cmpint(lstat(subpath, &st), ==, -1);
		}
		/* Sticky and the user's own, like /tmp for root */
		g_assert_cmpint(chmod(sub, 01777), ==, 0);
		g_assert_cmpint(api_socket_bind(subpath, &s, NULL), ==, 0);
		api_socket_close(&s);
	}
	/* No such directory; names that are not files */
	{
		static const char *const bad[] = {
			"/nonexistent-dir/api.sock",
			"",
			"/",
			"sock/",
			".",
			"..",
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			g_autoptr(GError) error = NULL;

			g_assert_cmpint(api_socket_bind(bad[i], &s, &error), <,
					0);
			g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		}
	}
	/* Longer than sun_path: bound through the directory fd */
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *name = g_strnfill(110, 'n');
		g_autofree char *longdir = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_mkdir(longdir, 0700), ==, 0);
		longpath = g_build_filename(longdir, "api.sock", NULL);
		g_assert_cmpuint(strlen(longpath), >=,
				 sizeof(((struct sockaddr_un *)0)->sun_path));
		g_assert_cmpint(api_socket_bind(longpath, &s, &error), ==, 0);
		g_assert_no_error(error);
		g_assert_cmpint(lstat(longpath, &st), ==, 0);
		g_assert_true(S_ISSOCK(st.st_mode));
		g_assert_cmpint(st.st_mode & 07777, ==, 0600);
		api_socket_close(&s);
		g_assert_cmpint(lstat(longpath, &st), ==, -1);
		g_rmdir(longdir);
	}
	/* A name too long even for that */
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *name = g_strnfill(120, 'n');
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_assert_cmpint(api_socket_bind(p, &s, &error), ==,
				-ENAMETOOLONG);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
	}
	g_rmdir(sub);
	rm_tmpdir(dir);
}

/* The server, in a real loop (libslirp on a socketpair for a tap), with
 * clients in a thread */

/**
 * struct srv_test - shared between the loop and the client thread
 * @path:	API socket
 * @done:	set by the client thread when it is finished
 * @failed:	set by the client thread on a failed check (message logged)
 */
struct srv_test {
	char *path;
	gint done;
	gint failed;
};

#define CHECK(t, cond)                                                      \
	do {                                                                \
		if (!(cond)) {                                              \
			g_printerr("# %s:%d: check failed: %s\n", __FILE__, \
				   __LINE__, #cond);                        \
			g_atomic_int_set(&(t)->failed, 1);                  \
			goto out;                                           \
		}                                                           \
	} while (0)

/* Read until EOF for at most @timeout_ms: the data, or NULL on timeout */
static char *raw_read(int fd, int timeout_ms, gint64 *elapsed_ms)
{
	gint64 start = g_get_monotonic_time();
	GString *s = g_string_new(NULL);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		gint64 left = timeout_ms -
			      (g_get_monotonic_time() - start) / 1000;
		char buf[1024];
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			g_string_free(s, TRUE);
			return NULL;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		g_string_append_len(s, buf, n);
	}
	if (elapsed_ms)
		*elapsed_ms = (g_get_monotonic_time() - start) / 1000;
	return g_string_free(s, FALSE);
}

static gpointer client_thread(gpointer data)
{
	struct srv_test *t = data;
	int idle[API_CONN_MAX];
	g_autofree char *big = NULL;
	gint64 elapsed;
	int i, fd = -1, stalled = -1;

	for (i = 0; i < API_CONN_MAX; i++)
		idle[i] = -1;

	/* The compat exchange through the client */
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *reply = NULL;

		CHECK(t, !apiclient_call(t->path, ADD_COMPAT "\n", &reply,
					 &error));
		CHECK(t, !g_strcmp0(reply, "{\"return\":{\"id\":1}}"));
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(json_t) ret = NULL;

		CHECK(t, !apiclient_request(t->path,
					    "{\"execute\":\"list_hostfwd\"}",
					    &ret, &error));
		CHECK(t, json_array_size(json_object_get(ret, "entries")) == 1);
	}
	/* An error reply becomes a GError with its desc */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(json_t) ret = NULL;

		CHECK(t, apiclient_request(t->path, "{\"execute\":\"x\"}", &ret,
					   &error) == -EREMOTEIO);
		CHECK(t, !g_strcmp0(error->message,
				    "bad request: unknown execute"));
	}

	/* A client that does not shut down its side still gets a reply */
	{
		const char *req = "{\"execute\":\"list_hostfwd\"}\n";
		g_autofree char *reply = NULL;

		fd = raw_connect(t->path);
		CHECK(t, fd >= 0);
		CHECK(t, write(fd, req, strlen(req)) == (ssize_t)strlen(req));
		reply = raw_read(fd, 3000, &elapsed);
		CHECK(t,
		      reply && g_str_has_prefix(reply,
						"{\"return\":{\"entries\":[{"));
		CHECK(t, elapsed < 1000);
		close(fd);
		fd = -1;
	}
	/* Nor in two pieces */
	{
		g_autofree char *reply = NULL;

		fd = raw_connect(t->path);
		CHECK(t, fd >= 0);
		CHECK(t, write(fd, "{\"execute\":", 11) == 11);
		g_usleep(100000);
		CHECK(t, write(fd, "\"x\"}", 4) == 4);
		reply = raw_read(fd, 3000, NULL);
		CHECK(t, !g_strcmp0(reply, E("unknown execute")));
		close(fd);
		fd = -1;
	}
	/* Too large, without shutting down */
	{
		g_autofree char *reply = NULL;

		big = g_strnfill(API_REQUEST_MAX + 100, ' ');
		fd = raw_connect(t->path);
		CHECK(t, fd >= 0);
		CHECK(t, write(fd, big, strlen(big)) == (ssize_t)strlen(big));
		reply = raw_read(fd, 3000, NULL);
		CHECK(t, !g_strcmp0(reply, E("too large message")));
		close(fd);
		fd = -1;
	}
	/* A stalled client does not stall the others */
	stalled = raw_connect(t->path);
	CHECK(t, stalled >= 0);
	CHECK(t, write(stalled, "{\"exec", 6) == 6);
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *reply = NULL;
		gint64 start = g_get_monotonic_time();

		CHECK(t,
		      !apiclient_call(t->path,
				      "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
				      &reply, &error));
		CHECK(t, !g_strcmp0(reply, "{\"return\":{}}"));
		CHECK(t, g_get_monotonic_time() - start < 1000000);
	}
	/* Fill the connections up: the one beyond is closed at once */
	for (i = 1; i < API_CONN_MAX; i++) {
		idle[i] = raw_connect(t->path);
		CHECK(t, idle[i] >= 0);
	}
	g_usleep(200000);
	{
		g_autofree char *reply = NULL;

		fd = raw_connect(t->path);
		CHECK(t, fd >= 0);
		reply = raw_read(fd, 2000, NULL);
		CHECK(t, reply && !*reply);
		close(fd);
		fd = -1;
	}
	/* Stalled clients are dropped after API_CONN_TIMEOUT_MS (+ a tick) */
	{
		g_autofree char *reply = raw_read(stalled,
						  API_CONN_TIMEOUT_MS + 3000,
						  &elapsed);

		CHECK(t, reply && !*reply);
		CHECK(t, elapsed > API_CONN_TIMEOUT_MS - 1500);
	}
	for (i = 1; i < API_CONN_MAX; i++) {
		g_autofree char *reply = raw_read(idle[i], 3000, NULL);

		CHECK(t, reply && !*reply);
	}
	/* And the server serves again */
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *reply = NULL;

		CHECK(t,
		      !apiclient_call(t->path, "{\"execute\":\"list_hostfwd\"}",
				      &reply, &error));
		CHECK(t, !g_strcmp0(reply, "{\"return\":{\"entries\":[]}}"));
	}

out:
	if (fd >= 0)
		close(fd);
	if (stalled >= 0)
		close(stalled);
	for (i = 0; i < API_CONN_MAX; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	g_atomic_int_set(&t->done, 1);
	return NULL;
}

static void quit_when_done(struct sl_loop *l, void *opaque)
{
	struct srv_test *t = opaque;

	if (g_atomic_int_get(&t->done))
		sl_loop_quit(l, 0);
}

static void test_server(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autoptr(GError) error = NULL;
	struct srv_test t = { 0 };
	struct api_server *srv = NULL;
	struct sl_engine *engine = NULL;
	struct sl_loop *loop;
	struct sl_config cfg;
	struct api_backend b;
	struct pf_table f;
	GThread *th;
	struct stat st;
	int sp[2];

	t.path = g_build_filename(dir, "api.sock", NULL);
	fake_init(&f, &b);
	sl_config_init(&cfg);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp),
			==, 0);
	g_assert_cmpint(sl_engine_new(&cfg, sp[0], &engine), ==, 0);
	loop = sl_loop_new(engine);
	g_assert_cmpint(api_server_new(t.path, &b, loop, &srv, &error), ==, 0);
	g_assert_no_error(error);
	sl_loop_every(loop, 20, quit_when_done, &t);

	/* Debug logs on, to run their code too (they go to stderr) */
	log_init("test-api", LOG_LVL_DEBUG);
	th = g_thread_new("client", client_thread, &t);
	g_assert_cmpint(sl_loop_run(loop), ==, 0);
	log_init("test-api", LOG_LVL_INFO);
	g_thread_join(th);
	g_assert_cmpint(g_atomic_int_get(&t.failed), ==, 0);

	api_server_free(srv);
	g_assert_cmpint(lstat(t.path, &st), ==, -1);
	sl_loop_free(loop);
	sl_engine_free(engine);
	close(sp[1]);
	fake_clear(&f);
	g_free(t.path);
	rm_tmpdir(dir);
}

/* The client against nothing */
static void test_client_errors(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "none.sock", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *reply = NULL;

	g_assert_cmpint(apiclient_call(path, "{}", &reply, &error), ==,
			-ENOENT);
	g_assert_error(error, UN_ERROR, UN_EXIT_FAILURE);
	g_assert_nonnull(strstr(error->message, path));
	g_assert_null(reply);
	rm_tmpdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/api/compat", test_compat);
	g_test_add_func("/api/slirp4netns-list", test_slirp4netns_list);
	g_test_add_func("/api/stats", test_stats);
	g_test_add_func("/api/addresses", test_addresses);
	g_test_add_func("/api/unset-addresses", test_unset_addresses);
	g_test_add_func("/api/ipv6", test_ipv6);
	g_test_add_func("/api/ephemeral", test_ephemeral);
	g_test_add_func("/api/extensions", test_extensions);
	g_test_add_func("/api/backend-error", test_backend_error);
	g_test_add_func("/api/capture", test_capture);
	g_test_add_func("/api/oversize", test_oversize);
	g_test_add_func("/api/malformed", test_malformed);
	g_test_add_func("/api/json-reading", test_json_reading);
	g_test_add_func("/api/json-writing", test_json_writing);
	g_test_add_func("/api/socket-file", test_socket_file);
	g_test_add_func("/api/socket-stale", test_socket_stale);
	g_test_add_func("/api/socket-refused", test_socket_refused);
	g_test_add_func("/api/server", test_server);
	g_test_add_func("/api/client-errors", test_client_errors);
	return g_test_run();
}
