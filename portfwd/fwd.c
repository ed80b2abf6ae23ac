/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/fwd.c - the forwarding table: published ports and their IDs
 *
 * Each rule is carried by libslirp's host forwarding (one listening host
 * socket per port, slirp_add_hostxfwd()): the guest sees the real source
 * address of outside clients, and the gateway address for local ones.
 *
 * libslirp keeps the client's address family towards the guest, so a rule on
 * an IPv6 host address forwards to the guest's IPv6 address (fd00::100) and
 * listens IPv6-only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "fwd.h"
#include "log.h"
#include "privport.h"

/**
 * struct pf_table - all rules of one helper
 * @slirp:	the libslirp instance carrying them
 * @guest4:	default guest address (network + 100)
 * @ipv6:	the guest has IPv6 (fd00::100)
 * @rules:	struct pf_rule *
 * @next_id:	ID of the next rule
 */
struct pf_table {
	Slirp *slirp;
	struct in_addr guest4;
	bool ipv6;
	GPtrArray *rules;
	unsigned next_id;
};

/**
 * pf_table_new() - an empty table forwarding through @slirp
 * @slirp:	libslirp instance
 * @cfg:	network configuration (for the default guest address)
 *
 * Return: the table
 */
struct pf_table *pf_table_new(Slirp *slirp, const struct sl_config *cfg)
{
	struct pf_table *t = g_new0(struct pf_table, 1);

	t->slirp = slirp;
	t->guest4 = sl_config_guest4(cfg);
	t->ipv6 = cfg->ipv6;
	t->rules = g_ptr_array_new_with_free_func(g_free);
	t->next_id = 1;
	return t;
}

static socklen_t pf_sockaddr(const struct addr_ip *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
}

static int pf_slirp_port(struct pf_table *t, const struct pf_spec *s,
			 uint16_t i, bool add)
{
	struct sockaddr_storage host, guest;
	socklen_t hlen, glen;
	int flags = s->proto == PF_PROTO_UDP ? SLIRP_HOSTFWD_UDP : 0;

	if (s->host_addr.family == AF_INET6)
		flags |= SLIRP_HOSTFWD_V6ONLY;

	hlen = pf_sockaddr(&s->host_addr, (uint16_t)(s->host_port + i), &host);
	glen = pf_sockaddr(&s->guest_addr, (uint16_t)(s->guest_port + i),
			   &guest);
	if (add) {
		errno = 0;
		if (slirp_add_hostxfwd(t->slirp, (struct sockaddr *)&host,
				       hlen, (struct sockaddr *)&guest, glen,
				       flags) < 0)
			return errno ? -errno : -EINVAL;
		return 0;
	}
	return slirp_remove_hostxfwd(t->slirp, (struct sockaddr *)&host, hlen,
				     flags) < 0 ? -ENOENT : 0;
}

/**
 * pf_table_add() - publish a rule
 * @t:		table
 * @spec:	rule; unset addresses mean 0.0.0.0 and the guest's address
 * @id:		out: the new rule's ID (may be NULL)
 * @error:	UN_EXIT_PUBLISH naming the cause (port in use, privileged)
 *
 * A range is published whole or not at all.
 *
 * Return: 0 or -errno
 */
int pf_table_add(struct pf_table *t, const struct pf_spec *spec,
		 unsigned *id, GError **error)
{
	struct pf_rule *rule = g_new0(struct pf_rule, 1);
	struct pf_spec *s = &rule->spec;
	char host[ADDR_STRLEN];
	uint16_t i;
	int r;

	*s = *spec;
	if (!s->host_addr_set) {
		s->host_addr.family = AF_INET;
		s->host_addr.v4.s_addr = htonl(INADDR_ANY);
		s->host_addr_set = true;
	}
	if (!s->guest_addr_set && s->host_addr.family == AF_INET6) {
		if (!t->ipv6) {
			g_set_error(error, UN_ERROR, UN_EXIT_PUBLISH,
				    "cannot publish on IPv6 host address %s "
				    "without --enable-ipv6: the guest has no "
				    "IPv6 address to forward to",
				    addr_ip_str(&s->host_addr, host,
						sizeof(host)));
			g_free(rule);
			return -EAFNOSUPPORT;
		}
		s->guest_addr.family = AF_INET6;
		s->guest_addr.v6 = sl_config_host6(0x100);
		s->guest_addr_set = true;
	} else if (!s->guest_addr_set) {
		s->guest_addr.family = AF_INET;
		s->guest_addr.v4 = t->guest4;
		s->guest_addr_set = true;
	}
	for (i = 0; i < s->count; i++) {
		r = pf_slirp_port(t, s, i, true);
		if (r < 0) {
			privport_set_bind_error(error, -r,
				(uint16_t)(s->host_port + i),
				pf_proto_name(s->proto),
				addr_ip_str(&s->host_addr, host, sizeof(host)));
			while (i--)
				pf_slirp_port(t, s, i, false);
			g_free(rule);
			return r;
		}
	}
	rule->id = t->next_id++;
	g_ptr_array_add(t->rules, rule);
	if (id)
		*id = rule->id;
	return 0;
}

/**
 * pf_table_remove() - stop publishing rule @id
 * @t:		table
 * @id:		rule ID
 *
 * Return: 0, or -ENOENT if there is no such rule
 */
int pf_table_remove(struct pf_table *t, unsigned id)
{
	guint i;
	uint16_t p;

	for (i = 0; i < t->rules->len; i++) {
		struct pf_rule *rule = g_ptr_array_index(t->rules, i);

		if (rule->id != id)
			continue;
		for (p = 0; p < rule->spec.count; p++)
			pf_slirp_port(t, &rule->spec, p, false);
		g_ptr_array_remove_index(t->rules, i);
		return 0;
	}
	return -ENOENT;
}

/**
 * pf_table_rules() - the rules, in the order they were added
 * @t:		table
 *
 * Return: array of struct pf_rule *, owned by the table
 */
GPtrArray *pf_table_rules(struct pf_table *t)
{
	return t->rules;
}

/**
 * pf_table_free() - unpublish everything and free the table
 * @t:		table, may be NULL
 */
void pf_table_free(struct pf_table *t)
{
	if (!t)
		return;
	while (t->rules->len)
		pf_table_remove(t, ((struct pf_rule *)
				    g_ptr_array_index(t->rules, 0))->id);
	g_ptr_array_unref(t->rules);
	g_free(t);
}
