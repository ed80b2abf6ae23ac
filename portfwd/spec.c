/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/spec.c - parsing of port publishing specs: the one grammar of -p,
 * `usernet run -p` and `usernet port add`
 *
 * Grammar (Podman's -p forms, plus ranges):
 *   spec   := [[hostip ":"] [hports] ":"] ports ["/" ("tcp" | "udp")]
 *   hostip := IPv4 | "[" IPv6 "]"
 *   hports := ports | "0"
 *   ports  := port ["-" port]		 port := 1..65535
 * Host and guest ranges must have the same length. Without host ports
 * (`-p 80`, `-p 127.0.0.1::80`), or with host port 0, the kernel chooses a
 * free host port: a single port only. Without a host address the port is
 * published on both families (0.0.0.0 and ::, host_addr_set false); an
 * explicit 0.0.0.0 is IPv4 only and [::] IPv6 only. "/sctp" is refused by
 * name: libslirp carries no SCTP.
 */
#include <errno.h>
#include <string.h>

#include "common/errors.h"
#include "common/util.h"
#include "portfwd/spec.h"

#define PF_SPEC_FORMS                                                      \
	"[[HOSTIP:][HOSTPORT[-END]]:]GUESTPORT[-END][/tcp|udp], e.g. 80, " \
	"8080:80, 8080-8089:80-89, 127.0.0.1::80, [::1]:8080:80/udp"

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

/* Set @error for @text, return -EINVAL */
static int pf_fail(GError **error, const char *text, const char *why)
{
	g_set_error(error, UN_ERROR, UN_EXIT_USAGE,
		    "invalid --publish spec '%s': %s (expected " PF_SPEC_FORMS
		    ")",
		    text, why);
	return -EINVAL;
}

/* The "/proto" suffix of @s, cut off; @s keeps the rest */
static int pf_spec_proto(const char *text, char *s, struct pf_spec *out,
			 GError **error)
{
	char *slash = strrchr(s, '/');

	if (!slash)
		return 0;
	*slash = '\0';
	if (!strcmp(slash + 1, "sctp"))
		return pf_fail(error, text, "sctp is not supported");
	if (pf_proto_parse(slash + 1, &out->proto))
		return pf_fail(error, text, "protocol must be tcp or udp");
	return 0;
}

/* The host ports @host (NULL or "": none given), whose guest ports count
 * @gcount; none or "0" is a free port chosen by the kernel (host_port 0) */
static int pf_host_ports_parse(const char *text, const char *host,
			       uint16_t gcount, struct pf_spec *out,
			       GError **error)
{
	uint16_t hcount;

	if (!host || !*host || !strcmp(host, "0")) {
		if (gcount != 1)
			return pf_fail(error, text,
				       "a free host port (none, or 0) is for "
				       "a single port, not a range");
		out->host_port = 0;
		out->count = 1;
		return 0;
	}
	if (pf_port_range_parse(host, &out->host_port, &hcount))
		return pf_fail(error, text, "bad host port");
	if (hcount != gcount)
		return pf_fail(error, text,
			       "host and guest ranges differ in length");
	out->count = hcount;
	return 0;
}

/* "[IPv6]:" at the start of @s: the address in @out, *@rest after the
 * colon */
static int pf_host_addr6(const char *text, char *s, struct pf_spec *out,
			 char **rest, GError **error)
{
	char *close = strchr(s, ']');

	if (!close || close[1] != ':')
		return pf_fail(error, text, "bad IPv6 host address");
	close[1] = '\0';
	if (addr_ip_parse(s, &out->host_addr) ||
	    out->host_addr.family != AF_INET6)
		return pf_fail(error, text, "bad IPv6 host address");
	out->host_addr_set = true;
	*rest = close + 2;
	return 0;
}

/* "IPv4:" at the start of @s, up to @colon: the address in @out */
static int pf_host_addr4(const char *text, char *s, char *colon,
			 struct pf_spec *out, GError **error)
{
	*colon = '\0';
	if (addr_ip_parse(s, &out->host_addr) ||
	    out->host_addr.family != AF_INET)
		return pf_fail(error, text,
			       "bad host address (IPv6 goes in brackets)");
	out->host_addr_set = true;
	return 0;
}

/*
 * pf_spec_split() - split @s (the spec less its protocol) into the host
 * address (into @out), the host ports (*@host, NULL if none) and the guest
 * ports (*@guest)
 */
static int pf_spec_split(const char *text, char *s, struct pf_spec *out,
			 char **host, char **guest, GError **error)
{
	char *first, *last;

	*host = NULL;
	if (s[0] == '[') {
		if (pf_host_addr6(text, s, out, &s, error))
			return -EINVAL;
		last = strchr(s, ':');
		if (!last || strchr(last + 1, ':'))
			return pf_fail(error, text,
				       "expected [IPv6]:HOSTPORT:GUESTPORT or "
				       "[IPv6]::GUESTPORT");
		*last = '\0';
		*host = s;
		*guest = last + 1;
		return 0;
	}
	first = strchr(s, ':');
	last = strrchr(s, ':');
	if (first && first != last && strchr(first + 1, ':') != last)
		return pf_fail(error, text,
			       "too many colons (IPv6 goes in brackets)");
	if (first && first != last) {
		if (pf_host_addr4(text, s, first, out, error))
			return -EINVAL;
		s = first + 1;
	}
	if (last) {
		*last = '\0';
		*host = s;
	}
	*guest = last ? last + 1 : s;
	return 0;
}

/**
 * pf_spec_parse() - parse a --publish spec (of attach, run, `port add`)
 * @text:	the spec, in the grammar of the file's header
 * @out:	parsed rule: host_addr_set false for both families, host_port
 *		0 for a free port chosen by the kernel
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Return: 0 or -EINVAL
 */
int pf_spec_parse(const char *text, struct pf_spec *out, GError **error)
{
	g_autofree char *s = g_strdup(text);
	char *host, *guest;
	uint16_t gcount;

	memset(out, 0, sizeof(*out));
	out->proto = PF_PROTO_TCP;
	if (pf_spec_proto(text, s, out, error) ||
	    pf_spec_split(text, s, out, &host, &guest, error))
		return -EINVAL;
	if (!*guest)
		return pf_fail(error, text, "missing guest port");
	if (pf_port_range_parse(guest, &out->guest_port, &gcount))
		return pf_fail(error, text, "bad guest port");
	return pf_host_ports_parse(text, host, gcount, out, error);
}

/**
 * pf_spec_to_string() - "HOSTIP:PORT[-END] -> GUESTPORT[-END]/proto", HOSTIP
 * "*" for both families
 * @spec:	rule
 *
 * Return: newly allocated string
 */
char *pf_spec_to_string(const struct pf_spec *spec)
{
	char host[ADDR_STRLEN] = "*", guest[ADDR_STRLEN] = "";
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
