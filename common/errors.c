/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/errors.c - the GError domain of usernet
 */
#include "errors.h"

G_DEFINE_QUARK(usernet-error-quark, un_error)
