/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/fuzz/fuzz-pasta.c - libFuzzer target: pasta's command line
 * (helper/pasta.c), as an engine or a user would give it to usernet as pasta
 *
 * The input is the arguments, separated by NUL bytes (argv[0] is "pasta").
 * When pasta_opts_parse() refuses them, checks that it said why (a usage
 * error); when it accepts them, checks each published rule's invariants
 * and, for pasta's launcher form (no target namespace), that every
 * --publish of the `usernet run` arguments it becomes parses with our own
 * port-spec parser to the same rule.
 */
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "helper/pasta.h"
#include "portfwd/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ARGS 24

static void check_rule(const struct pf_spec *s)
{
	if (s->proto != PF_PROTO_TCP && s->proto != PF_PROTO_UDP)
		abort();
	if (!s->host_port || !s->guest_port || s->count < 1)
		abort();
	if ((unsigned)s->host_port + s->count - 1 > 65535 ||
	    (unsigned)s->guest_port + s->count - 1 > 65535)
		abort();
}

/* pasta_run_argv()'s --publish=SPEC, back through pf_spec_parse() */
static void check_run_form(const struct pasta_opts *o)
{
	g_auto(GStrv) argv = pasta_run_argv(o);
	guint i, n = 0;

	for (i = 0; argv[i] && strcmp(argv[i], "--"); i++) {
		g_autoptr(GError) error = NULL;
		const struct pf_spec *want;
		struct pf_spec got;

		if (!g_str_has_prefix(argv[i], "--publish="))
			continue;
		if (n >= o->h.publish->len)
			abort();
		want = &g_array_index(o->h.publish, struct pf_spec, n++);
		if (pf_spec_parse(argv[i] + strlen("--publish="), &got, &error))
			abort();
		if (got.proto != want->proto ||
		    got.host_port != want->host_port ||
		    got.guest_port != want->guest_port ||
		    got.count != want->count ||
		    got.host_addr_set != want->host_addr_set)
			abort();
	}
	if (n != o->h.publish->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_malloc(size + 1);
	g_autoptr(GError) error = NULL;
	char *argv[FUZZ_MAX_ARGS + 2] = { "pasta" };
	struct pasta_opts o;
	int argc = 1, r;
	size_t i;

	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = text;
	for (i = 0; i < size && argc <= FUZZ_MAX_ARGS; i++) {
		if (!text[i])
			argv[argc++] = text + i + 1;
	}
	argv[argc] = NULL;

	pasta_opts_init(&o);
	r = pasta_opts_parse(&o, argc, argv, &error);
	if (r) {
		if (!error || error->domain != UN_ERROR ||
		    error->code != UN_EXIT_USAGE || !*error->message)
			abort();
	} else {
		if (error)
			abort();
		for (i = 0; i < o.h.publish->len; i++)
			check_rule(
				&g_array_index(o.h.publish, struct pf_spec, i));
		if (!o.help && !o.version && !o.has_target)
			check_run_form(&o);
	}
	pasta_opts_clear(&o);
	return 0;
}
