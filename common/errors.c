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
 * error_set() - set @error and return @err, for one-line error paths
 * @error:	set to @code in UN_ERROR with the formatted message (may be NULL)
 * @code:	enum un_exit
 * @err:	negative errno to return
 * @fmt:	printf format of the message
 *
 * Return: @err
 */
int error_set(GError **error, int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(UN_ERROR, code, fmt, ap);
	va_end(ap);
	return err;
}
