/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/errors.c - the GError domain of usernet
 */
#include <stdarg.h>

#include "common/errors.h"

/**
 * un_error_quark() - the GError domain of usernet's errors
 *
 * Return: the quark of "usernet-error-quark"
 */
GQuark un_error_quark(void)
{
	return g_quark_from_static_string("usernet-error-quark");
}

/**
 * error_set_message() - set @error, if not NULL, to @code in UN_ERROR with a
 * formatted message (see error_set())
 * @error:	the error to set, or NULL
 * @code:	enum un_exit
 * @fmt:	printf format of the message
 */
void error_set_message(GError **error, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(UN_ERROR, code, fmt, ap);
	va_end(ap);
}
