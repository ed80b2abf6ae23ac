/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/fuzz/fuzz-spec.c - libFuzzer target: --publish specs
 *
 * When pf_spec_parse() accepts a spec, checks its invariants and that
 * pf_spec_to_string(), turned back into a spec, parses to the same rule;
 * when it refuses one, checks that it said why.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/errors.h"
#include "portfwd/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_addr(const struct addr_ip *a, const struct addr_ip *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET6)
		return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
	return a->v4.s_addr == b->v4.s_addr;
}

static void check_spec(const struct pf_spec *s)
{
	if (s->proto != PF_PROTO_TCP && s->proto != PF_PROTO_UDP)
		abort();
	if (!s->guest_port || s->count < 1)
		abort();
	/* Host port 0: a free port, for a single port only */
	if (!s->host_port && s->count != 1)
		abort();
	if ((unsigned)s->host_port + s->count - 1 > 65535 ||
	    (unsigned)s->guest_port + s->count - 1 > 65535)
		abort();
	if (s->host_addr_set && s->host_addr.family != AF_INET &&
	    s->host_addr.family != AF_INET6)
		abort();
	if (s->guest_addr_set)
		abort(); /* only --guest-addr sets it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	g_autofree char *str = NULL, *again = NULL;
	struct pf_spec s, s2;
	char *arrow;

	if (pf_spec_parse(text, &s, &error)) {
		if (!error || error->domain != UN_ERROR ||
		    error->code != UN_EXIT_USAGE || !*error->message)
			abort();
		return 0;
	}
	if (error)
		abort();
	check_spec(&s);

	/* "HOST:PORT[-END] -> [GUEST:]PORT[-END]/proto" back to a spec */
	str = pf_spec_to_string(&s);
	arrow = strstr(str, " -> ");
	if (!arrow)
		abort();
	*arrow = '\0';
	/* "*" (both families) is written without a host address */
	again = g_strdup_printf("%s:%s",
				g_str_has_prefix(str, "*:") ? str + 2 : str,
				arrow + 4);
	if (pf_spec_parse(again, &s2, &error2))
		abort();
	check_spec(&s2);
	if (s2.proto != s.proto || s2.host_port != s.host_port ||
	    s2.guest_port != s.guest_port || s2.count != s.count)
		abort();
	/* An unset host address (both families) stays unset */
	if (s.host_addr_set != s2.host_addr_set ||
	    (s.host_addr_set && !same_addr(&s.host_addr, &s2.host_addr)))
		abort();
	return 0;
}
