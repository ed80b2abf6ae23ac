/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/apiclient.h - client of the JSON API socket
 */
#ifndef PORTFWD_APICLIENT_H
#define PORTFWD_APICLIENT_H

#include <glib.h>

#include "portfwd/apijson.h"

/* Time allowed for one whole exchange (connect, request, reply) */
#define APICLIENT_TIMEOUT_MS 10000
/* Largest reply accepted */
#define APICLIENT_REPLY_MAX (64 * 1024 * 1024)

int apiclient_call(const char *path, const char *request, char **reply,
		   GError **error);
int apiclient_call_fd(const char *path, const char *request, int pass_fd,
		      char **reply, GError **error);
int apiclient_request_fd(const char *path, const char *request, int pass_fd,
			 json_t **ret, GError **error);
int apiclient_request(const char *path, const char *request, json_t **ret,
		      GError **error);

#endif /* PORTFWD_APICLIENT_H */
