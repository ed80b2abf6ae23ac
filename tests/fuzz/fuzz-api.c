/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/fuzz/fuzz-api.c - libFuzzer target: API requests against a fake
 * forwarding table (this file defines struct pf_table and the pf_table_*()
 * functions portfwd/api.c calls; portfwd/fwd.c is not linked) and a fake
 * helper (its struct api_helper_ops)
 *
 * Checks that every reply is strict JSON (jansson without flags) and an
 * object with exactly one member, "return" or "error", and that a refused
 * request changed nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/errors.h"
#include "portfwd/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * struct pf_table - in-memory forwarding table, and the fake helper's state
 * @rules:	struct pf_rule *
 * @next_id:	next ID
 * @changes:	successful adds, removes, capture starts and stops
 * @capturing:	a packet capture runs
 */
struct pf_table {
	GPtrArray *rules;
	unsigned next_id;
	unsigned changes;
	bool capturing;
};

int pf_table_add(struct pf_table *f, const struct pf_spec *spec, unsigned *id,
		 GError **error)
{
	struct pf_rule *r;

	/* Let some requests fail like a bind would */
	if (spec->guest_port == 1) {
		g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
			    "cannot publish port %u: \"in use\" \xff",
			    spec->host_port);
		return -EADDRINUSE;
	}
	if (spec->guest_port == 2)
		return -EACCES;
	if (spec->count != 1 ||
	    (spec->host_addr_set && spec->host_addr.family != AF_INET &&
	     spec->host_addr.family != AF_INET6))
		abort();
	r = g_new0(struct pf_rule, 1);
	r->id = f->next_id++;
	r->spec = *spec;
	if (!r->spec.host_port)
		r->spec.host_port = 40000;
	g_ptr_array_add(f->rules, r);
	*id = r->id;
	f->changes++;
	return 0;
}

int pf_table_remove(struct pf_table *f, unsigned id)
{
	guint i;

	for (i = 0; i < f->rules->len; i++) {
		struct pf_rule *r = g_ptr_array_index(f->rules, i);

		if (r->id == id) {
			g_ptr_array_remove_index(f->rules, i);
			f->changes++;
			return 0;
		}
	}
	return id == 99 ? -EIO : -ENOENT;
}

GPtrArray *pf_table_rules(struct pf_table *f)
{
	return f->rules;
}

uint64_t pf_table_binds_refused(const struct pf_table *f)
{
	return 0;
}

static int fake_capture_start(void *opaque, const char *path, uint64_t max_size,
			      GError **error)
{
	struct pf_table *f = opaque;

	/* api.c checks these before asking */
	if (!path || path[0] != '/' ||
	    (max_size && max_size < CAP_MAX_SIZE_MIN))
		abort();
	if (strstr(path, "exists")) {
		g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
			    "cannot create the capture file %s: it already "
			    "exists \xff",
			    path);
		return -EEXIST;
	}
	if (f->capturing)
		return -EBUSY;
	f->capturing = true;
	f->changes++;
	return 0;
}

static int fake_capture_stop(void *opaque, struct capture_stats *st)
{
	struct pf_table *f = opaque;

	if (!f->capturing)
		return -ENOENT;
	f->capturing = false;
	f->changes++;
	memset(st, 0, sizeof(*st));
	st->frames = UINT64_MAX;
	st->files = 1;
	return 0;
}

static void fake_seed(struct pf_table *f)
{
	struct pf_rule *r = g_new0(struct pf_rule, 1);

	r->id = f->next_id++;
	r->spec.proto = PF_PROTO_UDP;
	r->spec.host_addr_set = true;
	r->spec.host_addr.family = AF_INET6;
	inet_pton(AF_INET6, "::1", &r->spec.host_addr.v6);
	r->spec.host_port = 8000;
	r->spec.guest_port = 80;
	r->spec.count = 100;
	r->automatic = true;
	r->stats.bytes_to_guest = UINT64_MAX;
	g_ptr_array_add(f->rules, r);
}

static void fake_stats(void *opaque, struct api_stats *st)
{
	st->tap.bytes_in = UINT64_MAX;
	st->sockets_known = true;
	st->proc.rss_bytes = -1;
}

static const struct api_helper_ops fake_ops = {
	.stats = fake_stats,
	.capture_start = fake_capture_start,
	.capture_stop = fake_capture_stop,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_table f = {
		.rules = g_ptr_array_new_with_free_func(g_free),
		.next_id = 1,
	};
	struct api_backend b = {
		.table = &f,
		.ops = &fake_ops,
		.opaque = &f,
	};
	g_autofree char *reply = NULL;
	json_t *root, *e;

	fake_seed(&f);
	/* stop_capture finds a capture to stop for half of the inputs */
	f.capturing = size & 1;
	reply = api_handle_request(&b, (const char *)data, size);
	if (!reply || strchr(reply, '\n'))
		abort();
	root = json_loads(reply, 0, NULL);
	if (!json_is_object(root) || json_object_size(root) != 1)
		abort();
	e = json_object_get(root, "error");
	if (e) {
		const char *desc = json_string_value(
			json_object_get(e, "desc"));

		if (!desc || strncmp(desc, "bad request: ", 13))
			abort();
		/* A refused request changes nothing */
		if (f.changes || f.rules->len != 1)
			abort();
	} else if (!json_is_object(json_object_get(root, "return"))) {
		abort();
	}
	json_decref(root);
	g_ptr_array_unref(f.rules);
	return 0;
}
