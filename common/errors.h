/* SPDX-License-Identifier: GPL-2.0-or-later
 * common/errors.h - the error convention and the exit codes of usernet
 *
 * Convention (see docs/ARCHITECTURE.md):
 *  - functions return 0 (or a non-negative value) on success, a negative errno
 *    on failure, and never exit;
 *  - a function whose failure the user must understand also takes a
 *    GError **error and fills it, in domain UN_ERROR, with an enum un_exit code
 *    and one self-contained sentence;
 *  - only the entry points print those messages and turn the code into the
 *    exit status: the commands in cli/, helper_main() and run_main(); the
 *    helper, its agent and its event loop log what happens after ready.
 */
#ifndef COMMON_ERRORS_H
#define COMMON_ERRORS_H

#include <glib.h>

/**
 * enum un_exit - exit status of usernet, also the GError code in UN_ERROR
 * @UN_EXIT_OK:		clean exit (including exit-fd, SIGTERM, target gone)
 * @UN_EXIT_FAILURE:	runtime failure not covered below
 * @UN_EXIT_USAGE:	bad command line: option, CIDR, MTU, port spec
 * @UN_EXIT_TARGET:	target namespace: unknown PID, path, no permission
 * @UN_EXIT_TAP:	tap device: /dev/net/tun, tap busy, netlink setup
 * @UN_EXIT_PUBLISH:	publishing a port: address in use, privileged port
 */
enum un_exit {
	UN_EXIT_OK = 0,
	UN_EXIT_FAILURE = 1,
	UN_EXIT_USAGE = 2,
	UN_EXIT_TARGET = 3,
	UN_EXIT_TAP = 4,
	UN_EXIT_PUBLISH = 5,
};

#define UN_ERROR (un_error_quark())
GQuark un_error_quark(void);

void error_set_message(GError **error, int code, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

/**
 * error_set() - set @error and return @err, for one-line error paths
 * @error:	set to @code in UN_ERROR with the formatted message (may be NULL)
 * @code:	enum un_exit
 * @err:	negative errno to return, evaluated once, before the message
 * @...:	printf format of the message, and its arguments
 *
 * A macro, so that readers (and the static analyser) see that the value is
 * @err itself.
 *
 * Return: @err
 */
#define error_set(error, code, err, ...)                         \
	__extension__({                                          \
		int error_set_err_ = (err);                      \
		error_set_message((error), (code), __VA_ARGS__); \
		error_set_err_;                                  \
	})

#endif /* COMMON_ERRORS_H */
