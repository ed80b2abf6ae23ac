/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/spec.c - parsing of port publishing specs
 *
 * Grammar (the one Podman and Docker users know, plus ranges):
 *   spec   := [hostip ":"] ports ":" ports ["/" ("tcp" | "udp")]
 *   hostip := IPv4 | "[" IPv6 "]"
 *   ports  := port ["-" port]		 port := 1..65535
 * Host and guest ranges must have the same length. `usernet port add` also
 * takes host port 0 alone (pf_spec_parse_any_port()): any free port.
 */
#include <errno.h>
#include <string.h>

#include "common/errors.h"
#include "common/util.h"
#include "portfwd/spec.h"

static int pf_port_range_parse(const char *s, uint16_t *first, uint16_t *count)
{
	g_autofree char *copy = g_strdup(s);
	char *dash = strchr(copy, '-');
	unsigned long a, b;

	if (dash)
		*dash = '\0';
	if (util_parse_uint(copy, 65535, &a) || a == 0)
		return -EINVAL;
	b = a;
	if (dash && (util_parse_uint(dash + 1, 65535, &b) || b < a))
		return -EINVAL;
	*first = (uint16_t)a;
	*count = (uint16_t)(b - a + 1);
	return 0;
}

/**
 * pf_proto_parse() - parse "tcp" or "udp"
 * @s:		protocol name, lower case
 * @out:	protocol
 *
 * Return: 0 or -EINVAL
 */
int pf_proto_parse(const char *s, enum pf_proto *out)
{
	if (!strcmp(s, "tcp"))
		*out = PF_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		*out = PF_PROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

/**
 * pf_proto_name() - "tcp" or "udp"
 * @proto:	protocol
 *
 * Return: static string
 */
const char *pf_proto_name(enum pf_proto proto)
{
	return proto == PF_PROTO_UDP ? "udp" : "tcp";
}

static gboolean pf_fail(GError **error, const char *text, const char *why)
{
	g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
		    "invalid --publish spec '%s': %s "
		    "(expected [HOSTIP:]HOSTPORT[-END]:GUESTPORT[-END][/tcp|udp])",
		    text, why);
	return FALSE;
}

/* The host ports @host of @text, whose guest ports count @gcount, in @out;
 * with @any_port, host port 0 alone (any free port) for a single port */
static int pf_host_ports_parse(const char *text, const char *host,
			       uint16_t gcount, bool any_port,
			       struct pf_spec *out, GError **error)
{
	uint16_t hcount;

	if (any_port && !strcmp(host, "0")) {
		if (gcount != 1)
			return pf_fail(error, text, "bad host port"), -EINVAL;
		out->host_port = 0;
		out->count = 1;
		return 0;
	}
	if (pf_port_range_parse(host, &out->host_port, &hcount))
		return pf_fail(error, text, "bad host port"), -EINVAL;
	if (hcount != gcount)
		return pf_fail(error, text,
			       "host and guest ranges differ in length"),
		       -EINVAL;
	out->count = hcount;
	return 0;
}

/* pf_spec_parse(), host port 0 allowed with @any_port */
static int pf_spec_parse_as(const char *text, bool any_port,
			    struct pf_spec *out, GError **error)
{
	g_autofree char *s = g_strdup(text);
	char *slash, *guest, *host, *colon;
	uint16_t gcount;

	memset(out, 0, sizeof(*out));
	out->proto = PF_PROTO_TCP;

	slash = strrchr(s, '/');
	if (slash) {
		*slash = '\0';
		if (pf_proto_parse(slash + 1, &out->proto))
			return pf_fail(error, text,
				       "protocol must be tcp or udp"),
			       -EINVAL;
	}

	/* The guest ports follow the last colon; an IPv6 host address has
	 * colons too but sits in brackets before the host ports */
	colon = strrchr(s, ':');
	if (!colon)
		return pf_fail(error, text, "missing guest port"), -EINVAL;
	*colon = '\0';
	guest = colon + 1;
	if (pf_port_range_parse(guest, &out->guest_port, &gcount))
		return pf_fail(error, text, "bad guest port"), -EINVAL;

	host = s;
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (!close || close[1] != ':')
			return pf_fail(error, text, "bad IPv6 host address"),
			       -EINVAL;
		close[1] = '\0';
		if (addr_ip_parse(host, &out->host_addr) ||
		    out->host_addr.family != AF_INET6)
			return pf_fail(error, text, "bad IPv6 host address"),
			       -EINVAL;
		out->host_addr_set = true;
		host = close + 2;
	} else if ((colon = strchr(host, ':'))) {
		*colon = '\0';
		if (addr_ip_parse(host, &out->host_addr) ||
		    out->host_addr.family != AF_INET)
			return pf_fail(error, text,
				       "bad host address (IPv6 goes in brackets)"),
			       -EINVAL;
		out->host_addr_set = true;
		host = colon + 1;
	}
	return pf_host_ports_parse(text, host, gcount, any_port, out, error);
}

/**
 * pf_spec_parse() - parse a --publish spec
 * @text:	the spec
 * @out:	parsed rule
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int pf_spec_parse(const char *text, struct pf_spec *out, GError **error)
{
	return pf_spec_parse_as(text, false, out, error);
}

/**
 * pf_spec_parse_any_port() - parse a spec of `usernet port add`: as
 * pf_spec_parse(), and a host port of 0 (a single port, no range) asks the
 * helper for any free port
 * @text:	the spec
 * @out:	parsed rule, host_port 0 for any free port
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int pf_spec_parse_any_port(const char *text, struct pf_spec *out,
			   GError **error)
{
	return pf_spec_parse_as(text, true, out, error);
}

/**
 * pf_spec_to_string() - "HOSTIP:PORT[-END] -> GUESTPORT[-END]/proto"
 * @spec:	rule
 *
 * Return: newly allocated string
 */
char *pf_spec_to_string(const struct pf_spec *spec)
{
	char host[ADDR_STRLEN] = "0.0.0.0", guest[ADDR_STRLEN] = "";
	GString *s = g_string_new(NULL);

	if (spec->host_addr_set)
		addr_ip_str(&spec->host_addr, host, sizeof(host));
	if (spec->guest_addr_set)
		addr_ip_str(&spec->guest_addr, guest, sizeof(guest));
	g_string_append_printf(s, "%s:%u", host, spec->host_port);
	if (spec->count > 1)
		g_string_append_printf(s, "-%u",
				       spec->host_port + spec->count - 1);
	g_string_append_printf(s, " -> %s%s%u", guest, *guest ? ":" : "",
			       spec->guest_port);
	if (spec->count > 1)
		g_string_append_printf(s, "-%u",
				       spec->guest_port + spec->count - 1);
	g_string_append_printf(s, "/%s", pf_proto_name(spec->proto));
	return g_string_free(s, FALSE);
}
