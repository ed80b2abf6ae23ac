/* SPDX-License-Identifier: GPL-2.0-or-later
 * portfwd/apijson.h - the API's JSON (jansson): read a request or a reply,
 * write one as the API always has
 */
#ifndef PORTFWD_APIJSON_H
#define PORTFWD_APIJSON_H

#include <stddef.h>
#include <glib.h>
#include <jansson.h>

/* g_autoptr(json_t): one reference, dropped at the end of the scope */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

json_t *apijson_parse(const char *text, size_t len);
char *apijson_dump(json_t *v);

#endif /* PORTFWD_APIJSON_H */
